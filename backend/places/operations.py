"""Place rules: GeoJSON import (all or nothing) and locating a point."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

import sqlalchemy as sa
from shapely.geometry import shape
from shapely.validation import explain_validity

from backend.core.geo import transform_geometry, wgs84_to_gcj02
from backend.extensions import db
from backend.places import index as locate_index
from backend.places.models import (
    CODE_LENGTH, LEVEL_BY_CODE_LENGTH, LEVEL_DEPTH, PLACES_REVISION, Place, PlaceLevel,
    RevisionCache, RevisionKept, read_places_revision,
)

log = logging.getLogger(__name__)


@dataclass
class FeatureProblem:
    index: int          # 0-based position in the file
    code: Optional[str]
    message: str

    def __str__(self) -> str:
        if self.index < 0:  # about the whole file
            return self.message
        where = f"feature #{self.index + 1}"
        if self.code:
            where += f" (code {self.code})"
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    problems: list[FeatureProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Parsed:
    index: int
    code: str
    name: str
    level: PlaceLevel
    kind: Optional[str]
    parent_code: Optional[str]
    geometry: Optional[dict]
    bounds: Optional[tuple[float, float, float, float]]


def parent_code_of(code: str) -> Optional[str]:
    lengths = sorted(CODE_LENGTH.values())
    position = lengths.index(len(code))
    return code[: lengths[position - 1]] if position > 0 else None


def _parse_feature(i: int, feature: Any, crs: str) -> tuple[Optional[_Parsed], list[str]]:
    errors: list[str] = []
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, ["not a GeoJSON Feature"]
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        return None, ["properties must be an object"]
    code = "" if props.get("code") is None else str(props["code"]).strip()
    name = "" if props.get("name") is None else str(props["name"]).strip()
    if not code:
        errors.append("missing property 'code'")
    elif not (code.isascii() and code.isdigit()) or len(code) not in LEVEL_BY_CODE_LENGTH:
        errors.append(f"code must be 6, 9, 12, 14, 16 or 18 digits, got {code!r}")
    if not name:
        errors.append("missing property 'name'")
    elif len(name) > 100:
        errors.append("name longer than 100 characters")
    if errors:
        return None, errors
    level = LEVEL_BY_CODE_LENGTH[len(code)]
    declared = props.get("level")
    # a level may be declared by name, or for grid cells by its grid number (community = 1)
    grid_number = LEVEL_DEPTH[level] - LEVEL_DEPTH[PlaceLevel.community] + 1
    accepted = (level.value, str(grid_number)) if grid_number >= 1 else (level.value,)
    if declared is not None and str(declared) not in accepted:
        errors.append(f"level {declared!r} does not match a {len(code)}-digit code "
                      f"({level.value})")
    parent_code = props.get("parent_code") or parent_code_of(code)
    if parent_code is not None and parent_code != parent_code_of(code):
        errors.append(f"parent_code {parent_code!r} is not the prefix of code {code}")
    geometry = feature.get("geometry")
    bounds = None
    if geometry is None:
        if level not in (PlaceLevel.district, PlaceLevel.street):
            errors.append("a grid cell needs a Polygon or MultiPolygon geometry")
    elif not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        errors.append("geometry must be a Polygon or MultiPolygon")
    else:
        try:
            if crs == "wgs84":
                geometry = transform_geometry(geometry, wgs84_to_gcj02)
            geom = shape(geometry)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            errors.append(f"geometry cannot be read ({type(exc).__name__})")
        else:
            if geom.is_empty:
                errors.append("geometry is empty")
            elif not geom.is_valid:
                errors.append(f"invalid polygon: {explain_validity(geom)}")
            else:
                minx, miny, maxx, maxy = geom.bounds
                if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                    errors.append("coordinates are not longitude/latitude degrees")
                bounds = geom.bounds
    kind = props.get("kind")
    if errors:
        return None, errors
    return _Parsed(i, code, name, level, str(kind) if kind else None, parent_code,
                   geometry, bounds), []


def import_features(data: Any, crs: str = "gcj02",
                    progress: Optional[Callable[[Iterable], Iterable]] = None) -> ImportResult:
    """Validate every feature, then write them all, or write nothing.

    Existing codes are updated (new name, new shape); tickets placed before keep their
    cell ids. Flushes only: the caller commits when ``result.ok``, else rolls back.
    """
    if crs not in ("wgs84", "gcj02"):
        raise ValueError("crs must be wgs84 or gcj02")
    result = ImportResult()
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" \
            or not isinstance(data.get("features"), list):
        result.problems.append(FeatureProblem(-1, None, "the file is not a GeoJSON FeatureCollection"))
        return result
    features = data["features"]
    wrap = progress or (lambda it: it)

    parsed: list[_Parsed] = []
    seen: dict[str, int] = {}
    for i, feature in enumerate(wrap(features)):
        item, errors = _parse_feature(i, feature, crs)
        props = feature.get("properties") if isinstance(feature, dict) else None
        code = item.code if item else (props.get("code") if isinstance(props, dict) else None)
        for message in errors:
            result.problems.append(FeatureProblem(i, str(code) if code else None, message))
        if item is None:
            continue
        if item.code in seen:
            result.problems.append(FeatureProblem(
                i, item.code, f"duplicate code: also feature #{seen[item.code] + 1}"))
            continue
        seen[item.code] = i
        parsed.append(item)

    existing = {p.code: p for p in db.session.execute(
        sa.select(Place).where(Place.code.in_([p.code for p in parsed] +
                                              [p.parent_code for p in parsed if p.parent_code]))
    ).scalars()} if parsed else {}
    for item in parsed:
        if item.parent_code and item.parent_code not in seen and item.parent_code not in existing:
            result.problems.append(FeatureProblem(
                item.index, item.code, f"unknown parent {item.parent_code}"))
    if not result.ok:
        return result

    # parents before children
    parsed.sort(key=lambda p: len(p.code))
    by_code = dict(existing)
    for item in parsed:
        place = by_code.get(item.code)
        if place is None:
            place = Place(code=item.code)
            db.session.add(place)
            result.created += 1
        else:
            result.updated += 1
        place.name = item.name
        place.level = item.level.value
        place.kind = item.kind
        place.parent = by_code.get(item.parent_code) if item.parent_code else None
        place.geometry = item.geometry
        if item.bounds:
            place.min_lng, place.min_lat, place.max_lng, place.max_lat = item.bounds
        else:
            place.min_lng = place.min_lat = place.max_lng = place.max_lat = None
        by_code[item.code] = place
    db.session.flush()
    return result


def _index_rows():
    return db.session.execute(
        sa.select(Place.id, Place.code, Place.level, Place.geometry)
        .where(Place.geometry.is_not(None))
    ).all()


def current_index() -> locate_index.LocateIndex:
    return locate_index.get_index(read_places_revision, _index_rows)


# the cells a point is located in, kept like the index itself (no statement a creation)
_cells = RevisionCache(Place, PLACES_REVISION)


def locate(lng: float, lat: float) -> Optional[Place]:
    """The deepest grid cell containing (lng, lat) in GCJ-02, or None."""
    hit = current_index().locate(lng, lat)
    return _cells.get(hit.id) if hit else None


# What ``ancestors`` answers of each place (PlaceSchema's fields), kept by the process
# while the places' revision stays the same: every staff answer about a case names the
# case's cell with its ancestors, and the grid changes only by an import or an edit.
ANCESTOR_FIELDS = ("id", "code", "name", "level", "kind", "parent_id")
_ancestors = RevisionKept(PLACES_REVISION)


def ancestors(place: Place) -> list[dict]:
    """From the district down to the place's parent, each as a dict of ANCESTOR_FIELDS."""
    if parent_code_of(place.code) is None:
        return []
    return [dict(p) for p in _ancestors.get(place.code, _read_ancestors)]


def _read_ancestors(code: str) -> tuple[dict, ...]:
    codes = []
    code = parent_code_of(code)
    while code:
        codes.append(code)
        code = parent_code_of(code)
    rows = db.session.execute(
        sa.select(*[getattr(Place, name) for name in ANCESTOR_FIELDS])
        .where(Place.code.in_(codes))).all()
    return tuple(sorted((dict(zip(ANCESTOR_FIELDS, row)) for row in rows),
                        key=lambda p: len(p["code"])))
