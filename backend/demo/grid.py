"""The demo grid as GeoJSON (GCJ-02): real, non-overlapping polygons near 30.63N 104.04E.

The community outline is an irregular polygon; level-2 areas cut it in four along two
streets; each level-2 area is cut into three yards or estates (level 3); the two largest
estates hold two level-4 units each. Every cut is a shapely intersection, so children
tile their parent exactly and never overlap.
"""
from __future__ import annotations

from shapely.geometry import Polygon, box, mapping
from shapely import set_precision

DISTRICT = ("510107", "武侯区")
STREET = ("510107021", "晋阳街道")
COMMUNITY = ("510107021003", "晋阳社区")

# Outline of the community, lng/lat in GCJ-02 (about 1.4 km × 1.1 km).
OUTLINE = Polygon([
    (104.0310, 30.6265), (104.0395, 30.6258), (104.0462, 30.6270), (104.0470, 30.6318),
    (104.0458, 30.6362), (104.0402, 30.6368), (104.0335, 30.6360), (104.0302, 30.6315),
])
# Streets that cut it in four: 晋阳路 (north–south) and 晋吉南路 (east–west).
MID_LNG = 104.0390
MID_LAT = 30.6314

L2 = [
    ("01", "一片区（晋阳路以西、晋吉南路以北）", (104.02, MID_LAT, MID_LNG, 30.64)),
    ("02", "二片区（晋阳路以东、晋吉南路以北）", (MID_LNG, MID_LAT, 104.05, 30.64)),
    ("03", "三片区（晋阳路以西、晋吉南路以南）", (104.02, 30.62, MID_LNG, MID_LAT)),
    ("04", "四片区（晋阳路以东、晋吉南路以南）", (MID_LNG, 30.62, 104.05, MID_LAT)),
]
# Three level-3 cells per level-2 area, cut west to east at these fractions.
L3 = {
    "01": [("01", "晋阳小区", "estate"), ("02", "晋吉北路3号院", "yard"),
           ("03", "武侯区第二人民医院宿舍", "unit")],
    "02": [("01", "金雁花园", "estate"), ("02", "晋阳路88号院", "yard"),
           ("03", "晋阳社区党群服务中心", "unit")],
    "03": [("01", "逸景苑", "estate"), ("02", "晋吉南路12号院", "yard"),
           ("03", "燃气公司宿舍院", "yard")],
    "04": [("01", "蓝天花园", "estate"), ("02", "晋阳路120号院", "yard"),
           ("03", "新晋阳小学", "unit")],
}
CUTS = (0.0, 0.38, 0.7, 1.0)
# Level-4 units inside the two largest estates: north and south halves.
L4 = {
    ("01", "01"): [("01", "晋阳小区一期"), ("02", "晋阳小区二期")],
    ("04", "01"): [("01", "蓝天花园北苑"), ("02", "蓝天花园南苑")],
}


def _clean(geom):
    # a fixed grid precision keeps shared borders identical between neighbours
    return set_precision(geom, 1e-7)


def _feature(code, name, geometry=None, kind=None):
    props = {"code": code, "name": name}
    if kind:
        props["kind"] = kind
    return {"type": "Feature", "properties": props,
            "geometry": mapping(geometry) if geometry is not None else None}


def demo_feature_collection() -> dict:
    outline = _clean(OUTLINE)
    features = [
        _feature(DISTRICT[0], DISTRICT[1]),
        _feature(STREET[0], STREET[1]),
        _feature(COMMUNITY[0], COMMUNITY[1], outline),
    ]
    for l2_code, l2_name, bounds in L2:
        area = _clean(outline.intersection(box(*bounds)))
        code2 = COMMUNITY[0] + l2_code
        features.append(_feature(code2, l2_name, area))
        minx, miny, maxx, maxy = area.bounds
        for (l3_code, l3_name, kind), lo, hi in zip(L3[l2_code], CUTS, CUTS[1:]):
            strip = box(minx + (maxx - minx) * lo, miny - 0.001,
                        minx + (maxx - minx) * hi, maxy + 0.001)
            cell = _clean(area.intersection(strip))
            code3 = code2 + l3_code
            features.append(_feature(code3, l3_name, cell, kind))
            for i, (l4_code, l4_name) in enumerate(L4.get((l2_code, l3_code), [])):
                cminx, cminy, cmaxx, cmaxy = cell.bounds
                mid = (cminy + cmaxy) / 2
                half = box(cminx - 0.001, mid if i == 0 else cminy - 0.001,
                           cmaxx + 0.001, cmaxy + 0.001 if i == 0 else mid)
                features.append(_feature(code3 + l4_code, l4_name,
                                         _clean(cell.intersection(half)), "unit"))
    return {"type": "FeatureCollection", "features": features}
