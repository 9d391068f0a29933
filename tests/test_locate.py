"""Locating a GCJ-02 point: GET /api/v1/places/locate and the LocateIndex behind it."""
from __future__ import annotations

import random

import pytest
from shapely.geometry import MultiPolygon, Polygon, box, mapping

from backend.places.index import LocateIndex
from tests import factories as f
from tests.test_errors import EN, assert_error_shape

URL = "/api/v1/places/locate"


@pytest.fixture
def grid(ctx):
    return f.two_communities()


@pytest.fixture
def headers(ctx):
    return f.auth(f.token_for(f.resident()))


def locate(client, headers, lng, lat, **extra):
    response = client.get(URL, query_string={"lng": lng, "lat": lat},
                          headers={**headers, **extra})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def codes(places) -> list[str]:
    return [p["code"] for p in places]


# ---------------------------------------------------------------- inside a cell

def test_a_point_in_a_level3_cell_gives_the_cell_and_its_ancestors(client, grid, headers):
    body = locate(client, headers, 104.005, 30.61)
    assert body["found"] is True
    assert body["cell"]["code"] == grid["a3"].code
    assert body["cell"]["level"] == "grid3"
    assert body["cell"]["name"] == "A 三级网格 1"
    assert codes(body["ancestors"]) == ["510107", "510107021", "510107021003", "51010702100301"]
    assert [a["level"] for a in body["ancestors"]] == ["district", "street", "community",
                                                       "grid2"]
    assert "message" not in body
    # the answer carries no polygon: a phone on a slow network gets a small body
    assert "geometry" not in body["cell"]


def test_the_deepest_cell_wins_when_a_level4_cell_holds_the_point(client, grid, headers):
    l4 = f.place(grid["a3"].code + "01", "A 四级网格", (104.000, 30.600, 104.005, 30.605),
                 parent=grid["a3"])
    from backend.extensions import db

    db.session.commit()
    body = locate(client, headers, 104.002, 30.602)
    assert body["cell"]["code"] == l4.code
    assert body["cell"]["level"] == "grid4"
    assert codes(body["ancestors"]) == ["510107", "510107021", "510107021003",
                                        "51010702100301", "5101070210030101"]
    # just outside the L4 cell, still in its L3 parent
    assert locate(client, headers, 104.007, 30.602)["cell"]["code"] == grid["a3"].code


def test_a_community_without_children_there_is_the_cell(client, grid, headers):
    from backend.extensions import db

    c = f.place("510107021005", "玉林社区", (104.04, 30.60, 104.06, 30.62),
                parent=grid["street"])
    db.session.commit()
    body = locate(client, headers, 104.05, 30.61)
    assert body["cell"]["code"] == c.code
    assert codes(body["ancestors"]) == ["510107", "510107021"]


# ---------------------------------------------------------------- borders and vertices

def test_a_point_on_the_shared_border_of_two_communities_is_deterministic(client, grid,
                                                                           headers):
    from backend.places import index

    candidates = {grid["a3b"].code, grid["b3"].code}
    first = locate(client, headers, 104.02, 30.61)
    assert first["found"] is True
    assert first["cell"]["code"] in candidates
    again = locate(client, headers, 104.02, 30.61)
    assert again["cell"] == first["cell"]
    # a rebuilt index gives the same answer: the tie goes to the smallest code
    index.reset()
    assert locate(client, headers, 104.02, 30.61)["cell"] == first["cell"]
    assert first["cell"]["code"] == min(candidates)


def test_a_point_on_the_border_between_two_level3_siblings(client, grid, headers):
    body = locate(client, headers, 104.01, 30.615)
    assert body["cell"]["code"] in {grid["a3"].code, grid["a3b"].code}
    assert locate(client, headers, 104.01, 30.615)["cell"] == body["cell"]


@pytest.mark.parametrize("lng, lat, expected", [
    (104.00, 30.60, "a3"),     # the outer corner of A: A's L3, not A or its L2
    (104.02, 30.62, "a3b"),    # a vertex shared by A's L3 2 and B's L3 (smallest code)
    (104.01, 30.60, "a3"),     # a vertex on the outer edge between two L3 siblings
    (104.04, 30.62, "b3"),     # the far corner of B
    (104.04, 30.61, "b3"),     # on B's outer edge
])
def test_a_point_exactly_on_a_vertex_or_outer_edge_is_inside(client, grid, headers, lng, lat,
                                                              expected):
    body = locate(client, headers, lng, lat)
    assert body["found"] is True
    assert body["cell"]["code"] == grid[expected].code


# ---------------------------------------------------------------- outside

def test_a_point_outside_every_cell_goes_to_manual_triage(client, grid, headers):
    body = locate(client, headers, 104.05, 30.61)
    assert body == {"found": False, "cell": None, "ancestors": [],
                    "message": "该位置不在任何网格内，将由工作人员人工分派。"}
    body = locate(client, headers, 104.05, 30.61, **EN)
    assert body["found"] is False
    assert body["message"] == "This point is outside every grid cell; staff will place it by hand."


def test_a_point_just_outside_the_outer_edge_is_outside(client, grid, headers):
    assert locate(client, headers, 104.0400001, 30.61)["found"] is False
    assert locate(client, headers, 104.01, 30.5999999)["found"] is False


def test_inside_the_street_but_outside_every_community_is_not_found(client, grid, headers):
    """District and street outlines are not grid cells: a report there is triaged by hand."""
    from backend.extensions import db

    grid["district"].geometry = mapping(box(103.90, 30.50, 104.20, 30.70))
    grid["street"].geometry = mapping(box(103.99, 30.59, 104.06, 30.63))
    db.session.commit()
    body = locate(client, headers, 104.05, 30.625)
    assert body["found"] is False
    assert body["cell"] is None
    assert body["message"]
    # the communities are still found through the same index
    assert locate(client, headers, 104.03, 30.61)["cell"]["code"] == grid["b3"].code


def test_no_cells_at_all_is_not_found(client, headers):
    assert locate(client, headers, 104.0, 30.6)["found"] is False


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("query, bad_fields", [
    ({"lat": 91, "lng": 104}, {"lat"}),
    ({"lat": -90.0001, "lng": 104}, {"lat"}),
    ({"lat": 30, "lng": 180.5}, {"lng"}),
    ({"lat": 30, "lng": "abc"}, {"lng"}),
    ({"lng": 104}, {"lat"}),
    ({"lat": 30}, {"lng"}),
    ({}, {"lat", "lng"}),
    ({"lat": "", "lng": ""}, {"lat", "lng"}),
    ({"lat": "NaN", "lng": 104}, {"lat"}),
    ({"lat": 30, "lng": "nan"}, {"lng"}),
    ({"lat": "inf", "lng": "-Infinity"}, {"lat", "lng"}),
    ({"lat": "1e308", "lng": "1e308"}, {"lat", "lng"}),
    ({"lat": "1e999", "lng": 104}, {"lat"}),
    ({"lat": "30,6", "lng": 104}, {"lat"}),
    ({"lat": "0x1e", "lng": 104}, {"lat"}),
    ({"lat": "3" * 5000, "lng": 104}, {"lat"}),
])
def test_bad_input_is_a_422_with_field_messages(client, headers, query, bad_fields):
    response = client.get(URL, query_string=query, headers=headers)
    error = assert_error_shape(response, 422, "validation_error")
    assert set(error["fields"]) == bad_fields
    for messages in error["fields"].values():
        assert messages and all(isinstance(m, str) and m for m in messages)


def test_field_messages_are_chinese_by_default_and_english_on_request(client, headers):
    query = {"lat": 91, "lng": "nan"}
    error = assert_error_shape(client.get(URL, query_string=query, headers=headers), 422)
    assert error["message"] == "提交的内容有误，请检查后重试。"
    assert error["fields"]["lat"] == ["必须在 -90 到 90 之间。"]
    assert error["fields"]["lng"] == ["不能是 NaN 或无穷大。"]
    error = assert_error_shape(
        client.get(URL, query_string=query, headers={**headers, **EN}), 422)
    assert error["message"] == "Some fields are invalid."
    assert error["fields"]["lat"] == ["Must be between -90 and 90."]
    assert "nan" in error["fields"]["lng"][0]


def test_the_range_limits_themselves_are_accepted(client, headers):
    for lng, lat in ((180, 90), (-180, -90), (0, 0)):
        assert locate(client, headers, lng, lat)["found"] is False


def test_no_token_is_401(client, grid):
    response = client.get(URL, query_string={"lng": 104.005, "lat": 30.61})
    assert_error_shape(response, 401, "unauthorized")
    response = client.get(URL, query_string={"lng": 104.005, "lat": 30.61},
                          headers=f.auth("not-a-token"))
    assert_error_shape(response, 401)


# ---------------------------------------------------------------- the index follows changes

def test_the_index_is_rebuilt_when_places_change(client, grid, headers):
    from backend.extensions import db
    from backend.places.models import Place

    assert locate(client, headers, 104.0125, 30.6125)["cell"]["code"] == grid["a3b"].code
    # a new L4 cell added through the ORM and committed …
    l4 = Place(code=grid["a3b"].code + "01", name="新四级网格", level="grid4",
               parent=grid["a3b"], geometry=mapping(box(104.011, 30.611, 104.014, 30.614)))
    db.session.add(l4)
    db.session.commit()
    # … is found on the next request, without a restart
    assert locate(client, headers, 104.0125, 30.6125)["cell"]["code"] == l4.code

    # a changed shape is seen too
    l4.geometry = mapping(box(104.015, 30.615, 104.018, 30.618))
    db.session.commit()
    assert locate(client, headers, 104.0125, 30.6125)["cell"]["code"] == grid["a3b"].code
    assert locate(client, headers, 104.016, 30.616)["cell"]["code"] == l4.code

    # and so is a deleted cell
    db.session.delete(l4)
    db.session.commit()
    assert locate(client, headers, 104.016, 30.616)["cell"]["code"] == grid["a3b"].code


def test_the_index_is_not_rebuilt_when_nothing_changed(client, grid, headers):
    from backend.places import index

    locate(client, headers, 104.005, 30.61)
    built = index._current
    assert built is not None and len(built) == 7
    locate(client, headers, 104.03, 30.61)
    assert index._current is built


def test_an_uncommitted_change_is_not_seen_by_others(app, grid, headers):
    """The revision is replaced in the same transaction as the change, so a rolled-back
    change leaves every index as it was."""
    from backend.extensions import db
    from backend.places.models import Place, read_places_revision

    before = read_places_revision()
    db.session.add(Place(code=grid["b3"].code + "01", name="回滚", level="grid4",
                         parent=grid["b3"], geometry=mapping(box(104.03, 30.61, 104.031, 30.611))))
    db.session.flush()
    assert read_places_revision() != before
    db.session.rollback()
    assert read_places_revision() == before


# ---------------------------------------------------------------- LocateIndex itself

def _rows(*cells):
    """(id, code, level, geometry dict) rows, as the app loads them."""
    return [(i + 1, code, level, mapping(geom)) for i, (code, level, geom) in enumerate(cells)]


def test_index_multipolygon_cell_covers_both_parts_and_not_the_gap():
    two_parts = MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1)])
    index = LocateIndex.from_rows(_rows(("51010702100301", "grid2", two_parts)))
    assert index.locate(0.5, 0.5).code == "51010702100301"
    assert index.locate(2.5, 0.5).code == "51010702100301"
    assert index.locate(1.5, 0.5) is None
    assert index.locate(3.0, 1.0).code == "51010702100301"  # a corner of the second part


def test_index_a_point_in_a_hole_is_not_in_the_cell():
    ring = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], holes=[[(1, 1), (3, 1), (3, 3), (1, 3)]])
    index = LocateIndex.from_rows(_rows(("5101070210030101", "grid3", ring)))
    assert index.locate(2, 2) is None
    assert index.locate(0.5, 0.5).code == "5101070210030101"
    assert index.locate(1, 2).code == "5101070210030101"  # on the hole's edge: still the border


def test_index_a_cell_inside_the_hole_of_another():
    courtyard = box(1, 1, 3, 3)
    ring = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], holes=[list(courtyard.exterior.coords)])
    index = LocateIndex.from_rows(_rows(("5101070210030101", "grid3", ring),
                                        ("5101070210030102", "grid3", courtyard)))
    assert index.locate(2, 2).code == "5101070210030102"
    assert index.locate(0.5, 2).code == "5101070210030101"


def test_index_deepest_cell_wins_whatever_the_row_order():
    cells = [("510107021003", "community", box(0, 0, 10, 10)),
             ("51010702100301", "grid2", box(0, 0, 5, 10)),
             ("5101070210030101", "grid3", box(0, 0, 5, 5)),
             ("510107021003010101", "grid4", box(0, 0, 2, 2))]
    rng = random.Random(7)
    for _ in range(10):
        rng.shuffle(cells)
        index = LocateIndex.from_rows(_rows(*cells))
        assert index.locate(1, 1).code == "510107021003010101"
        assert index.locate(3, 3).code == "5101070210030101"
        assert index.locate(3, 7).code == "51010702100301"
        assert index.locate(7, 7).code == "510107021003"
        assert index.locate(11, 11) is None


def test_index_ties_on_a_shared_border_go_to_the_smallest_code_whatever_the_order():
    cells = [("5101070210030103", "grid3", box(2, 0, 3, 1)),
             ("5101070210030101", "grid3", box(0, 0, 1, 1)),
             ("5101070210030102", "grid3", box(1, 0, 2, 1))]
    rng = random.Random(11)
    for _ in range(10):
        rng.shuffle(cells)
        index = LocateIndex.from_rows(_rows(*cells))
        assert index.locate(1, 0.5).code == "5101070210030101"
        assert index.locate(2, 0.5).code == "5101070210030102"
        assert index.locate(2, 1).code == "5101070210030102"  # a vertex of two cells
        assert index.locate(2.5, 0.5).code == "5101070210030103"


def test_index_ignores_districts_streets_and_places_without_geometry():
    rows = _rows(("510107", "district", box(-10, -10, 10, 10)),
                 ("510107021", "street", box(-5, -5, 5, 5)),
                 ("510107021003", "community", box(0, 0, 1, 1)))
    rows.append((99, "51010702100301", "grid2", None))
    index = LocateIndex.from_rows(rows)
    assert len(index) == 1
    assert index.locate(0.5, 0.5).code == "510107021003"
    assert index.locate(-3, -3) is None


def test_index_returns_the_row_id_and_depth():
    index = LocateIndex.from_rows([(42, "5101070210030101", "grid3", mapping(box(0, 0, 1, 1)))])
    hit = index.locate(0.5, 0.5)
    assert (hit.id, hit.code) == (42, "5101070210030101")
    assert hit.depth > LocateIndex.from_rows(
        [(1, "510107021003", "community", mapping(box(0, 0, 1, 1)))]).locate(0.5, 0.5).depth


def test_an_empty_index_finds_nothing():
    index = LocateIndex.from_rows([])
    assert len(index) == 0
    assert index.locate(104.0, 30.6) is None
