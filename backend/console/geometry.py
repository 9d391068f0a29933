"""Grid polygons as SVG, drawn on the server: no tile server, no network, no script.

Coordinates are GCJ-02 degrees as stored. A community is a kilometre or two across, so an
equirectangular projection (longitude scaled by cos(latitude)) is exact enough to draw.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Optional

from shapely.geometry import shape


@dataclass(frozen=True)
class Frame:
    """Maps (lng, lat) into an SVG viewBox of ``width`` × ``height`` with a margin."""

    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float
    width: float
    height: float
    scale: float
    kx: float
    margin: float

    def xy(self, lng: float, lat: float) -> tuple[float, float]:
        x = self.margin + (lng - self.min_lng) * self.kx * self.scale
        y = self.margin + (self.max_lat - lat) * self.scale
        return round(x, 1), round(y, 1)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"


def frame(bounds: Iterable[tuple[float, float, float, float]], width: float = 800,
          margin: float = 12, max_height: float = 640) -> Optional[Frame]:
    """A frame holding every (minlng, minlat, maxlng, maxlat) of ``bounds``."""
    boxes = [b for b in bounds if b and None not in b]
    if not boxes:
        return None
    min_lng = min(b[0] for b in boxes)
    min_lat = min(b[1] for b in boxes)
    max_lng = max(b[2] for b in boxes)
    max_lat = max(b[3] for b in boxes)
    # a single point (or a degenerate box) still gets ~100 m around it
    pad = 0.0005
    if max_lng - min_lng < 1e-6:
        min_lng, max_lng = min_lng - pad, max_lng + pad
    if max_lat - min_lat < 1e-6:
        min_lat, max_lat = min_lat - pad, max_lat + pad
    kx = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = (max_lng - min_lng) * kx
    span_y = max_lat - min_lat
    inner_w = width - 2 * margin
    scale = inner_w / span_x
    if span_y * scale > max_height - 2 * margin:
        scale = (max_height - 2 * margin) / span_y
    out_w = span_x * scale + 2 * margin
    out_h = span_y * scale + 2 * margin
    return Frame(min_lng, min_lat, max_lng, max_lat, round(out_w, 1), round(out_h, 1),
                 scale, kx, margin)


def _rings(geometry: dict) -> list[list]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return list(geometry.get("coordinates") or [])
    if kind == "MultiPolygon":
        return [ring for polygon in geometry.get("coordinates") or [] for ring in polygon]
    return []


def path_data(geometry: Optional[dict], f: Frame) -> str:
    """The ``d`` of an SVG path (holes included: draw it with fill-rule evenodd)."""
    if not geometry:
        return ""
    parts = []
    for ring in _rings(geometry):
        points = [f.xy(float(p[0]), float(p[1])) for p in ring if len(p) >= 2]
        if len(points) < 3:
            continue
        head, *tail = points
        parts.append(f"M{head[0]:g} {head[1]:g}" + "".join(f"L{x:g} {y:g}" for x, y in tail)
                     + "Z")
    return "".join(parts)


def label_point(geometry: Optional[dict], f: Frame) -> Optional[tuple[float, float]]:
    """A point inside the polygon for its label."""
    if not geometry:
        return None
    try:
        point = shape(geometry).representative_point()
    except (ValueError, TypeError, AttributeError):
        return None
    return f.xy(point.x, point.y)


def bounds_of(geometry: Optional[dict]) -> Optional[tuple[float, float, float, float]]:
    if not geometry:
        return None
    try:
        return shape(geometry).bounds
    except (ValueError, TypeError, AttributeError):
        return None
