"""`flask places import`: a GeoJSON FeatureCollection in, all features or none.

Every test drives the real CLI command with a file written to a temporary directory and
checks the database afterwards from a fresh app context (as another process would).
"""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from shapely.geometry import shape

from tests import factories as f

# prcoords warns when asked to shift a point outside China (the swapped lat/lng case)
pytestmark = pytest.mark.filterwarnings("ignore:Non-Chinese coords found")

D, S, C = "510107", "510107021", "510107021003"
L2, L3, L4 = C + "01", C + "0101", C + "010101"


# ---------------------------------------------------------------- helpers

def square(lng: float, lat: float, size: float = 0.001) -> dict:
    """A GeoJSON Polygon: the square with its south-west corner at (lng, lat)."""
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size],
            [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(code, name=None, geometry=None, **props) -> dict:
    properties = dict(props)
    if code is not ...:
        properties["code"] = code
    if name is not ...:
        properties["name"] = name if name is not None else f"place {code}"
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def good_features() -> list[dict]:
    """district and street without geometry; community, L2, L3 and L4 nested squares."""
    return [
        feature(D, "武侯区"),
        feature(S, "晋阳街道"),
        feature(C, "晋阳社区", square(104.00, 30.60, 0.04)),
        feature(L2, "一片区", square(104.00, 30.60, 0.02)),
        feature(L3, "晋阳小区", square(104.00, 30.60, 0.01), kind="estate"),
        feature(L4, "晋阳小区一期", square(104.00, 30.60, 0.005), kind="unit"),
    ]


def collection(features) -> dict:
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture
def write(tmp_path):
    counter = iter(range(10_000))

    def write(data, raw: bytes | None = None):
        path = tmp_path / f"places-{next(counter)}.geojson"
        if raw is not None:
            path.write_bytes(raw)
        else:
            path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return path

    return write


def run_import(app, path, crs: str | None = None):
    args = ["places", "import", str(path)]
    if crs:
        args += ["--crs", crs]
    return app.test_cli_runner().invoke(args=args)


def places(app) -> dict:
    """code -> (name, level, kind, parent code, geometry), read on a fresh connection."""
    from backend.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT p.code, p.name, p.level, p.kind, parent.code AS parent_code, "
                "p.geometry, p.min_lng, p.min_lat, p.max_lng, p.max_lat "
                "FROM places p LEFT JOIN places parent ON parent.id = p.parent_id"
            )).mappings().all()
    out = {}
    for row in rows:
        row = dict(row)
        if isinstance(row["geometry"], str):  # SQLite hands the JSON text back on raw SQL
            row["geometry"] = json.loads(row["geometry"])
        out[row["code"]] = row
    return out


def problems(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error: ")]


def assert_refused(app, result, before: dict) -> list[str]:
    assert result.exit_code != 0, result.output
    assert "nothing was imported" in result.output
    assert places(app) == before, "a refused file must change nothing"
    return problems(result)


# ---------------------------------------------------------------- a good file

def test_a_good_file_imports_every_level_with_parents_and_levels(app, write):
    result = run_import(app, write(collection(good_features())))
    assert result.exit_code == 0, result.output
    assert "imported 6 new place(s), updated 0" in result.output

    rows = places(app)
    assert set(rows) == {D, S, C, L2, L3, L4}
    assert {code: rows[code]["level"] for code in rows} == {
        D: "district", S: "street", C: "community", L2: "grid2", L3: "grid3", L4: "grid4"}
    assert {code: rows[code]["parent_code"] for code in rows} == {
        D: None, S: D, C: S, L2: C, L3: L2, L4: L3}
    assert rows[D]["geometry"] is None and rows[S]["geometry"] is None
    assert rows[D]["min_lng"] is None
    assert rows[L3]["kind"] == "estate" and rows[C]["kind"] is None
    assert rows[C]["name"] == "晋阳社区"
    assert rows[C]["geometry"] == square(104.00, 30.60, 0.04)  # GCJ-02 is the default
    assert (rows[L2]["min_lng"], rows[L2]["min_lat"], rows[L2]["max_lng"], rows[L2]["max_lat"]) \
        == pytest.approx((104.00, 30.60, 104.02, 30.62))


def test_children_may_come_before_their_parents_in_the_file(app, write):
    result = run_import(app, write(collection(list(reversed(good_features())))))
    assert result.exit_code == 0, result.output
    assert places(app)[L4]["parent_code"] == L3


def test_a_file_may_add_children_to_places_already_stored(app, write):
    assert run_import(app, write(collection(good_features()[:3]))).exit_code == 0
    result = run_import(app, write(collection(good_features()[3:])))
    assert result.exit_code == 0, result.output
    assert "imported 3 new place(s), updated 0" in result.output
    assert places(app)[L2]["parent_code"] == C


def test_a_multipolygon_cell_is_accepted(app, write):
    multi = {"type": "MultiPolygon", "coordinates": [square(104.00, 30.60)["coordinates"],
                                                     square(104.01, 30.61)["coordinates"]]}
    features = good_features()[:3] + [feature(L2, "两块地", multi)]
    result = run_import(app, write(collection(features)))
    assert result.exit_code == 0, result.output
    assert places(app)[L2]["geometry"]["type"] == "MultiPolygon"


def test_a_utf8_file_with_a_byte_order_mark_is_read(app, write):
    text = json.dumps(collection(good_features()), ensure_ascii=False)
    result = run_import(app, write(None, raw=b"\xef\xbb\xbf" + text.encode("utf-8")))
    assert result.exit_code == 0, result.output
    assert len(places(app)) == 6


def test_a_declared_level_must_match_the_code(app, write):
    # the grid level number (community = 1 … L4 = 4) or the level name are both understood
    features = good_features()
    features[3]["properties"]["level"] = 2
    features[4]["properties"]["level"] = "grid3"
    result = run_import(app, write(collection(features)))
    assert result.exit_code == 0, result.output

    features = good_features()
    features[4]["properties"]["level"] = 4
    result = run_import(app, write(collection(features)))
    lines = assert_refused(app, result, places(app))
    assert lines == [f"error: feature #5 (code {L3}): level 4 does not match a 16-digit "
                     f"code (grid3)"]


# ---------------------------------------------------------------- re-import

def test_reimport_updates_names_and_shapes_without_duplicating(app, write):
    assert run_import(app, write(collection(good_features()))).exit_code == 0
    first = places(app)

    features = good_features()
    features[4] = feature(L3, "晋阳小区（新）", square(104.00, 30.60, 0.012), kind="yard")
    result = run_import(app, write(collection(features)))
    assert result.exit_code == 0, result.output
    assert "imported 0 new place(s), updated 6" in result.output

    again = places(app)
    assert set(again) == set(first)
    assert again[L3]["name"] == "晋阳小区（新）"
    assert again[L3]["kind"] == "yard"
    assert again[L3]["geometry"] == square(104.00, 30.60, 0.012)
    assert again[L3]["max_lng"] == pytest.approx(104.012)
    assert again[L4] == first[L4]
    from backend.extensions import db
    from backend.places.models import Place

    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Place.id))).scalar_one() == 6


def test_reimport_keeps_ids_so_existing_references_stay(app, write):
    assert run_import(app, write(collection(good_features()))).exit_code == 0
    from backend.extensions import db
    from backend.places.models import Place

    with app.app_context():
        ids = dict(db.session.execute(sa.select(Place.code, Place.id)).all())
    assert run_import(app, write(collection(good_features()))).exit_code == 0
    with app.app_context():
        assert dict(db.session.execute(sa.select(Place.code, Place.id)).all()) == ids


# ---------------------------------------------------------------- bad features

BOWTIE = {"type": "Polygon", "coordinates": [[
    [104.00, 30.60], [104.01, 30.61], [104.01, 30.60], [104.00, 30.61], [104.00, 30.60]]]}


@pytest.mark.parametrize("bad, expected", [
    pytest.param(feature(L3, "蝴蝶", BOWTIE), rf"feature #5 \(code {L3}\): invalid polygon: "
                 r"Self-intersection", id="self-intersecting bow-tie"),
    pytest.param(feature(C + "0201", "孤儿", square(104.03, 30.61)),
                 rf"feature #5 \(code {C}0201\): unknown parent {C}02$", id="unknown parent"),
    pytest.param(feature(L2, "又一片区", square(104.00, 30.60)),
                 rf"feature #5 \(code {L2}\): duplicate code: also feature #4$",
                 id="duplicate code"),
    pytest.param(feature(..., "无编码", square(104.00, 30.60)),
                 r"feature #5: missing property 'code'$", id="missing code"),
    pytest.param(feature(None, "空编码", square(104.00, 30.60)),
                 r"feature #5: missing property 'code'$", id="null code"),
    pytest.param(feature(C + "02", ..., square(104.00, 30.60)),
                 rf"feature #5 \(code {C}02\): missing property 'name'$", id="missing name"),
    pytest.param(feature(L2 + "02", "   ", square(104.00, 30.60)),
                 rf"feature #5 \(code {L2}02\): missing property 'name'$", id="blank name"),
    pytest.param(feature(C + "123", "十五位", square(104.00, 30.60)),
                 rf"feature #5 \(code {C}123\): code must be 6, 9, 12, 14, 16 or 18 digits, "
                 rf"got '{C}123'", id="bad code length"),
    pytest.param(feature(C + "0A", "字母", square(104.00, 30.60)),
                 rf"feature #5 \(code {C}0A\): code must be 6, 9, 12, 14, 16 or 18 digits",
                 id="letters in the code"),
    pytest.param(feature("５１０１０７０２１００３０２", "全角数字", square(104.00, 30.60)),
                 r"feature #5 \(code ５１０１０７０２１００３０２\): code must be 6, 9, 12, 14, "
                 r"16 or 18 digits", id="full-width digits"),
    pytest.param(feature(C + "02", "一个点",
                         {"type": "Point", "coordinates": [104.0, 30.6]}),
                 rf"feature #5 \(code {C}02\): geometry must be a Polygon or MultiPolygon$",
                 id="point geometry"),
    pytest.param(feature(C + "02", "没有形状"),
                 rf"feature #5 \(code {C}02\): a grid cell needs a Polygon or MultiPolygon "
                 r"geometry$", id="grid cell without geometry"),
    pytest.param(feature(C + "02", "太少的点", {"type": "Polygon", "coordinates": [
        [[104.0, 30.6], [104.1, 30.6], [104.0, 30.6]]]}),
                 rf"feature #5 \(code {C}02\): (invalid polygon: Too few points|geometry cannot "
                 r"be read)", id="too few points"),
    pytest.param(feature(C + "02", "文字坐标", {"type": "Polygon", "coordinates": [
        [["a", "b"], ["c", "d"], ["e", "f"], ["a", "b"]]]}),
                 rf"feature #5 \(code {C}02\): geometry cannot be read", id="text coordinates"),
    pytest.param(feature(C + "02", "经纬度颠倒", square(30.60, 104.00)),
                 rf"feature #5 \(code {C}02\): coordinates are not longitude/latitude degrees",
                 id="lat and lng swapped"),
    pytest.param({"type": "Feature", "geometry": square(104.00, 30.60)},
                 r"feature #5: missing property 'code'$", id="no properties"),
    pytest.param(["not", "a", "feature"], r"feature #5: not a GeoJSON Feature$",
                 id="not a feature"),
])
@pytest.mark.parametrize("crs", ["gcj02", "wgs84"])
def test_each_bad_feature_is_named_and_nothing_is_imported(app, write, bad, expected, crs):
    before = places(app)
    result = run_import(app, write(collection(good_features()[:4] + [bad])), crs)
    lines = assert_refused(app, result, before)
    assert re.search(expected, lines[0]), lines[0]
    assert all(line.startswith("error: feature #5") for line in lines), result.output
    assert f"{len(lines)} problem(s) found" in result.output
    assert "Traceback" not in result.output


def test_a_refused_reimport_leaves_stored_places_as_they_were(app, write):
    assert run_import(app, write(collection(good_features()))).exit_code == 0
    before = places(app)
    features = good_features()
    features[2] = feature(C, "改名了", square(104.00, 30.60, 0.05))
    features.append(feature(C + "02", "蝴蝶", BOWTIE))
    result = run_import(app, write(collection(features)))
    assert_refused(app, result, before)
    assert places(app)[C]["name"] == "晋阳社区"


def test_several_bad_features_are_reported_together(app, write):
    features = good_features() + [
        feature(C + "02", "蝴蝶", BOWTIE),                        # 7
        feature(C + "03", "一个点", {"type": "Point", "coordinates": [104.0, 30.6]}),  # 8
        feature(L3, "重复", square(104.0, 30.6)),                  # 9
        feature(C + "0401", "孤儿", square(104.03, 30.61)),        # 10
        feature("12345", "五位"),                                   # 11
    ]
    before = places(app)
    result = run_import(app, write(collection(features)))
    lines = assert_refused(app, result, before)
    assert "5 problem(s) found" in result.output
    assert [re.match(r"error: feature #(\d+)", line).group(1) for line in lines] == \
        ["7", "8", "9", "11", "10"]
    text = "\n".join(lines)
    assert f"feature #7 (code {C}02): invalid polygon: Self-intersection" in text
    assert f"feature #8 (code {C}03): geometry must be a Polygon or MultiPolygon" in text
    assert f"feature #9 (code {L3}): duplicate code: also feature #5" in text
    assert f"feature #10 (code {C}0401): unknown parent {C}04" in text
    assert "feature #11 (code 12345): code must be" in text


@pytest.mark.parametrize("data", [
    {"type": "Feature", "properties": {"code": D, "name": "武侯区"}, "geometry": None},
    {"type": "FeatureCollection"},
    {"type": "FeatureCollection", "features": {"0": "x"}},
    [feature(D, "武侯区")],
    "FeatureCollection",
], ids=["a single feature", "no features", "features not a list", "a bare list", "a string"])
def test_a_file_that_is_not_a_feature_collection(app, write, data):
    result = run_import(app, write(data))
    lines = assert_refused(app, result, {})
    assert lines == ["error: the file is not a GeoJSON FeatureCollection"]


@pytest.mark.parametrize("raw", [b"{\"type\": \"FeatureCollection\", \"features\": [",
                                 b"", b"\xff\xfe\x00garbage", b"not json at all"],
                         ids=["truncated", "empty", "not utf-8", "text"])
def test_an_unreadable_file_is_a_clear_error(app, write, raw):
    path = write(None, raw=raw)
    result = run_import(app, path)
    assert result.exit_code != 0
    assert f"{path} is not readable JSON" in result.output
    assert "Traceback" not in result.output
    assert places(app) == {}


def test_a_missing_file_is_refused_by_the_command_line(app, tmp_path):
    result = run_import(app, tmp_path / "nowhere.geojson")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_an_unknown_crs_is_refused_by_the_command_line(app, write):
    result = run_import(app, write(collection(good_features())), "bd09")
    assert result.exit_code == 2
    assert places(app) == {}


# ---------------------------------------------------------------- coordinates

# eviltransform's published test vector (github.com/googollee/eviltransform, test data):
# WGS-84 (31.1774276, 121.5272106) is GCJ-02 (31.17530398364597, 121.531541859215).
WGS_LAT, WGS_LNG = 31.1774276, 121.5272106
GCJ_LAT, GCJ_LNG = 31.17530398364597, 121.531541859215


def _shanghai_collection() -> dict:
    # a small square with the reference point as its first vertex
    ring = [[WGS_LNG, WGS_LAT], [WGS_LNG + 0.002, WGS_LAT], [WGS_LNG + 0.002, WGS_LAT + 0.002],
            [WGS_LNG, WGS_LAT + 0.002], [WGS_LNG, WGS_LAT]]
    return collection([
        feature("310115", "浦东新区"),
        feature("310115001", "某街道"),
        feature("310115001001", "某社区", {"type": "Polygon", "coordinates": [ring]}),
    ])


def test_wgs84_is_converted_to_gcj02_as_the_reference_says(app, write):
    result = run_import(app, write(_shanghai_collection()), "wgs84")
    assert result.exit_code == 0, result.output
    assert "converted from WGS-84 to GCJ-02" in result.output
    stored = places(app)["310115001001"]
    ring = stored["geometry"]["coordinates"][0]
    assert ring[0][0] == pytest.approx(GCJ_LNG, abs=1e-6)
    assert ring[0][1] == pytest.approx(GCJ_LAT, abs=1e-6)
    assert ring[-1] == ring[0]  # the ring stays closed
    # the shift is a few hundred metres, so the stored square really moved
    assert abs(ring[0][0] - WGS_LNG) > 0.004
    # the bounding box is the converted one
    assert (stored["min_lng"], stored["min_lat"], stored["max_lng"], stored["max_lat"]) == \
        pytest.approx(shape(stored["geometry"]).bounds)
    assert shape(stored["geometry"]).is_valid


def test_gcj02_coordinates_are_stored_unchanged(app, write):
    data = _shanghai_collection()
    result = run_import(app, write(data), "gcj02")
    assert result.exit_code == 0, result.output
    assert "kept in GCJ-02" in result.output
    assert places(app)["310115001001"]["geometry"] == data["features"][2]["geometry"]


def test_the_default_crs_is_gcj02(app, write):
    data = _shanghai_collection()
    assert run_import(app, write(data)).exit_code == 0
    assert places(app)["310115001001"]["geometry"] == data["features"][2]["geometry"]


# ---------------------------------------------------------------- the locate index

def test_an_import_is_seen_by_locate_straight_away(app, client, write):
    with app.app_context():
        headers = f.auth(f.token_for(f.resident()))
    url = "/api/v1/places/locate?lat=30.6025&lng=104.0025"

    # the index is built (empty) before the import …
    body = client.get(url, headers=headers).get_json()
    assert body["found"] is False

    assert run_import(app, write(collection(good_features()))).exit_code == 0
    # … and rebuilt after it, without a restart
    body = client.get(url, headers=headers).get_json()
    assert body["found"] is True
    assert body["cell"]["code"] == L4
    assert [a["code"] for a in body["ancestors"]] == [D, S, C, L2, L3]

    # a re-import that moves the L4 cell away is seen too
    features = good_features()
    features[5] = feature(L4, "搬走了", square(104.006, 30.606, 0.002))
    assert run_import(app, write(collection(features))).exit_code == 0
    body = client.get(url, headers=headers).get_json()
    assert body["cell"]["code"] == L3


def test_a_refused_import_leaves_the_index_alone(app, client, write):
    assert run_import(app, write(collection(good_features()))).exit_code == 0
    with app.app_context():
        headers = f.auth(f.token_for(f.resident()))
    url = "/api/v1/places/locate?lat=30.615&lng=104.035"
    assert client.get(url, headers=headers).get_json()["cell"]["code"] == C

    features = good_features() + [feature(C + "02", "新片区", square(104.03, 30.61, 0.01)),
                                  feature(C + "03", "蝴蝶", BOWTIE)]
    assert run_import(app, write(collection(features))).exit_code != 0
    assert client.get(url, headers=headers).get_json()["cell"]["code"] == C
