"""Open311 speaks WGS-84 (GeoReport v2), Linli stores GCJ-02 (as WeChat gives it).

A filing's lat/long is shifted to GCJ-02 on the way in; every answer's lat/long is shifted
back to WGS-84 (then rounded to the public 3 decimals) on the way out. Without the shift a
filing lands about 300 m off: at 30.63569,104.04199 (WGS-84), inside 晋阳路88号院, it
landed in 金雁花园.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from shapely.geometry import shape

from backend.core.geo import gcj02_to_wgs84, haversine_m, wgs84_to_gcj02
from backend.demo.grid import demo_feature_collection
from backend.extensions import db
from backend.open311 import operations as o311
from backend.places import operations as places
from backend.places.models import Place
from backend.tickets.models import Ticket
from backend.tickets.presenters import PUBLIC_DECIMALS
from tests import factories as f
from tests.tickets_world import build_world, report

BASE = "/open311/v2"
# the reported filing: WGS-84, inside 晋阳路88号院 (its GCJ-02 point is 30.63321,104.04444)
JINYANG_88_WGS = (30.63569, 104.04199)
METRES_PER_DEGREE_LAT = 110_574.0


@pytest.fixture
def no_checks(app, monkeypatch):
    """WeChat's text check off: a filing is public at once."""
    monkeypatch.setitem(app.config, "WECHAT_APPID", "")


@pytest.fixture
def demo_grid(ctx):
    """The demo community's real polygons (GCJ-02) and the standard categories."""
    result = places.import_features(demo_feature_collection(), crs="gcj02")
    assert result.ok, result.problems
    db.session.commit()
    f.categories()
    raw, _ = o311.create_key("FixMyStreet 成都")
    db.session.commit()
    return raw


def _file(client, key, lat, lng, fmt="json", **extra):
    body = {"api_key": key, "service_code": "0101", "description": "楼道灯不亮",
            "lat": repr(lat), "long": repr(lng), **extra}
    response = client.post(f"{BASE}/requests.{fmt}", data=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    if fmt == "xml":
        return ET.fromstring(response.data).find("request/service_request_id").text
    return response.get_json()[0]["service_request_id"]


def _cell(request_id) -> str | None:
    ticket = db.session.get(Ticket, int(request_id))
    return db.session.get(Place, ticket.place_id).name if ticket.place_id else None


def _published(client, request_id) -> tuple[float, float]:
    """(lat, long) of one request, from the JSON answer; the XML answer says the same."""
    item = client.get(f"{BASE}/requests/{request_id}.json").get_json()[0]
    tree = ET.fromstring(client.get(f"{BASE}/requests/{request_id}.xml").data)
    assert float(tree.find("request/lat").text) == item["lat"]
    assert float(tree.find("request/long").text) == item["long"]
    return item["lat"], item["long"]


# --- the conversion ------------------------------------------------------------------------

@pytest.mark.parametrize("lat, lng", [JINYANG_88_WGS, (30.61, 104.005), (39.9087, 116.3975),
                                      (22.2793, 114.1628), (45.75, 126.65)])
def test_gcj02_back_to_wgs84_is_within_a_centimetre(lat, lng):
    gcj_lng, gcj_lat = wgs84_to_gcj02(lng, lat)
    assert haversine_m(lng, lat, gcj_lng, gcj_lat) > 100  # the shift is real
    back_lng, back_lat = gcj02_to_wgs84(gcj_lng, gcj_lat)
    assert haversine_m(lng, lat, back_lng, back_lat) < 0.01


def test_the_inverse_matches_an_independent_reference_pair():
    # WGS-84 (31.1774276, 121.5272106) is GCJ-02 (31.17530398364597, 121.531541859215)
    lng, lat = gcj02_to_wgs84(121.531541859215, 31.17530398364597)
    assert haversine_m(lng, lat, 121.5272106, 31.1774276) < 0.01


def test_points_outside_china_are_unchanged_both_ways(recwarn):
    for lng, lat in ((2.35, 48.85), (-74.0, 40.7), (0.0, 0.0)):
        assert wgs84_to_gcj02(lng, lat) == (lng, lat)
        assert gcj02_to_wgs84(lng, lat) == (lng, lat)
    assert not [w for w in recwarn if "Non-Chinese" in str(w.message)]


# --- filing: WGS-84 in ---------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_reported_filing_lands_in_jinyang_road_88(client, demo_grid, no_checks, fmt):
    lat, lng = JINYANG_88_WGS
    rid = _file(client, demo_grid, lat, lng, fmt=fmt)
    assert _cell(rid) == "晋阳路88号院"  # not 金雁花园, 300 m west
    ticket = db.session.get(Ticket, int(rid))
    gcj_lng, gcj_lat = wgs84_to_gcj02(lng, lat)
    assert ticket.lat == pytest.approx(gcj_lat, abs=1e-9)
    assert ticket.lng == pytest.approx(gcj_lng, abs=1e-9)
    # read back: WGS-84 again, at the public precision
    assert _published(client, rid) == (round(lat, PUBLIC_DECIMALS), round(lng, PUBLIC_DECIMALS))


def _cells() -> dict[str, object]:
    return {p.name: shape(p.geometry) for p in db.session.execute(
        sa.select(Place).where(Place.min_lat.is_not(None))).scalars()}


def _either_side(cells, west_or_south: str, east_or_north: str, metres: float = 3.0):
    """Two GCJ-02 points ``metres`` inside each of two neighbouring cells, across the
    middle of their shared border: ((lng, lat) in the first, (lng, lat) in the second)."""
    first, second = cells[west_or_south], cells[east_or_north]
    border = first.intersection(second)
    assert border.length > 0, (west_or_south, east_or_north)
    mid = border.interpolate(0.5, normalized=True)
    (x1, y1), (x2, y2) = border.coords[0], border.coords[-1]
    d_lat = metres / METRES_PER_DEGREE_LAT
    d_lng = d_lat / math.cos(math.radians(mid.y))
    if abs(x1 - x2) < 1e-9:  # a north–south border: step west and east
        return (mid.x - d_lng, mid.y), (mid.x + d_lng, mid.y)
    assert abs(y1 - y2) < 1e-9, "the test borders run north–south or east–west"
    return (mid.x, mid.y - d_lat), (mid.x, mid.y + d_lat)


@pytest.mark.parametrize("first, second", [
    ("金雁花园", "晋阳路88号院"),          # west | east, 晋阳路88号院's west side
    ("晋阳路120号院", "晋阳路88号院"),     # south | north, across 晋吉南路
    ("晋阳路88号院", "晋阳社区党群服务中心"),  # west | east, 晋阳路88号院's east side
])
def test_wgs84_points_a_few_metres_either_side_of_a_border_land_in_their_cell(
        client, demo_grid, no_checks, first, second):
    cells = _cells()
    sent = []
    for (gcj_lng, gcj_lat), expected in zip(_either_side(cells, first, second),
                                            (first, second)):
        assert places.locate(gcj_lng, gcj_lat).name == expected  # the geometry is right
        lng, lat = gcj02_to_wgs84(gcj_lng, gcj_lat)  # what a GPS client would send
        rid = _file(client, demo_grid, lat, lng)
        assert _cell(rid) == expected, (expected, lat, lng)
        assert _published(client, rid) == (round(lat, PUBLIC_DECIMALS),
                                           round(lng, PUBLIC_DECIMALS))
        sent.append((lat, lng))
    # taken as GCJ-02 (the old behaviour) the two points would not both land right
    landed = [places.locate(lng, lat) for lat, lng in sent]
    assert [p.name if p else None for p in landed] != [first, second]


def test_the_community_border_of_the_factory_grid(client, ctx, no_checks):
    """Communities A | B meet at GCJ-02 lng 104.02: a WGS-84 filing 3 m either side goes
    to the right community (its staff, its workers)."""
    world = build_world()
    raw, _ = o311.create_key("另一个客户端")
    db.session.commit()
    d_lng = 3.0 / (METRES_PER_DEGREE_LAT * math.cos(math.radians(30.61)))
    for gcj_lng, expected in ((104.02 - d_lng, "a3b"), (104.02 + d_lng, "b3")):
        lng, lat = gcj02_to_wgs84(gcj_lng, 30.61)
        rid = _file(client, raw, lat, lng)
        assert db.session.get(Ticket, int(rid)).place_id == world.places[expected].id


# --- answers: WGS-84 out -------------------------------------------------------------------

def test_reports_filed_in_the_mini_program_are_published_in_wgs84(client, ctx, no_checks):
    """A report from WeChat is GCJ-02: Open311 publishes its WGS-84 position, in the
    list and by id, in JSON and XML."""
    world = build_world()
    gcj_lat, gcj_lng = 30.6135, 104.0155
    ticket = report(client, world, where=(gcj_lat, gcj_lng))
    wgs_lng, wgs_lat = gcj02_to_wgs84(gcj_lng, gcj_lat)
    expected = (round(wgs_lat, PUBLIC_DECIMALS), round(wgs_lng, PUBLIC_DECIMALS))
    assert expected != (round(gcj_lat, 3), round(gcj_lng, 3))
    assert _published(client, ticket["id"]) == expected
    listed = client.get(f"{BASE}/requests.json").get_json()
    item = next(r for r in listed if r["service_request_id"] == str(ticket["id"]))
    assert (item["lat"], item["long"]) == expected
    tree = ET.fromstring(client.get(f"{BASE}/requests.xml").data)
    xml_item = next(r for r in tree if r.find("service_request_id").text == str(ticket["id"]))
    assert (float(xml_item.find("lat").text), float(xml_item.find("long").text)) == expected
    # the mini-program's own API keeps GCJ-02
    mine = client.get(f"/api/v1/tickets/{ticket['id']}", headers=world.h("reporter")).get_json()
    assert (mine["lat"], mine["lng"]) == pytest.approx((gcj_lat, gcj_lng))


def test_an_address_string_filing_is_published_in_wgs84(client, demo_grid, no_checks):
    """Located by a place's name, the request sits at the place's middle (GCJ-02, no
    shift on the way in) and is published in WGS-84."""
    response = client.post(f"{BASE}/requests.json", data={
        "api_key": demo_grid, "service_code": "0101", "description": "楼道灯不亮",
        "address_string": "晋阳路88号院"})
    assert response.status_code == 201, response.get_json()
    rid = response.get_json()[0]["service_request_id"]
    assert _cell(rid) == "晋阳路88号院"
    ticket = db.session.get(Ticket, int(rid))
    wgs_lng, wgs_lat = gcj02_to_wgs84(ticket.lng, ticket.lat)
    assert _published(client, rid) == (round(wgs_lat, PUBLIC_DECIMALS),
                                       round(wgs_lng, PUBLIC_DECIMALS))
