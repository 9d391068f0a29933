"""Coordinates: GCJ-02 is what WeChat gives and what Linli stores.

WGS-84 is what GPS, OpenStreetMap and Open311 (GeoReport v2) use: in Chengdu the two differ
by about 300 m. The shifts both ways are done by ``prcoords`` (public-domain, well-tested;
GCJ-02 → WGS-84 by its iterative inverse, back within a centimetre); geometry
checks by shapely.
"""
from __future__ import annotations

import math
from typing import Any

import prcoords

EARTH_RADIUS_M = 6_371_008.8


def _in_china(lng: float, lat: float) -> bool:
    """Inside the box where GCJ-02 shifts points (prcoords' own test, without its warning)."""
    return prcoords.sanity_in_china_p(prcoords.Coords(lat, lng))


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """(lng, lat) in WGS-84 → (lng, lat) in GCJ-02. Outside China the point is unchanged."""
    if not _in_china(lng, lat):
        return lng, lat
    out = prcoords.wgs_gcj((lat, lng), check_china=False)
    return out.lon, out.lat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """(lng, lat) in GCJ-02 → (lng, lat) in WGS-84, the inverse of ``wgs84_to_gcj02``.
    Outside China the point is unchanged."""
    if not _in_china(lng, lat):
        return lng, lat
    # (the iterative inverse ignores its own check_china: the check is made here)
    out = prcoords.gcj_wgs_bored((lat, lng), check_china=False)
    return out.lon, out.lat


def transform_geometry(geometry: dict[str, Any], func) -> dict[str, Any]:
    """Apply ``func(lng, lat) -> (lng, lat)`` to every position of a GeoJSON geometry."""

    def walk(coords):
        if not isinstance(coords, (list, tuple)):  # e.g. a string: not a position
            raise TypeError("coordinates must be nested arrays of numbers")
        if coords and isinstance(coords[0], (int, float)):
            lng, lat = func(float(coords[0]), float(coords[1]))
            return [lng, lat]
        return [walk(c) for c in coords]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
