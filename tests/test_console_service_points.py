"""服务点 in the console (issue 21): the points of the communities a staff member runs,
created and edited there, and the point switcher on the service day and hours pages."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from backend.bookings.models import ServiceCentre
from backend.extensions import db
from tests.bookings_world import build_world
from tests.browser.world import PASSWORD, csrf_token, login
from tests.test_service_points import STATION, station


@dataclass
class PointsWorld:
    centre_a: int
    station: int
    centre_b: int
    community_a: int
    community_b: int
    staff_a: str
    staff_b: str


@pytest.fixture
def pw(app, monkeypatch) -> PointsWorld:
    with app.app_context():
        world = build_world(monkeypatch)
        point = station(world)
        return PointsWorld(world.centre_a.id, point.id, world.centre_b.id,
                           world.places["a"].id, world.places["b"].id,
                           world.people["staff_a"].username, world.people["staff_b"].username)


def _client(app, username):
    client = app.test_client()
    login(client, username, PASSWORD)
    return client


def _post(client, path, data, status=303):
    data = dict(data, csrf_token=csrf_token(client, "/console/"))
    response = client.post(path, data=data)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def _point(app, name: str):
    with app.app_context():
        return db.session.execute(sa.select(ServiceCentre).where(
            ServiceCentre.name == name)).scalar_one_or_none()


def test_the_points_of_my_communities(app, pw):
    body = _client(app, pw.staff_a).get("/console/service/points").get_data(as_text=True)
    assert f'id="point-{pw.centre_a}"' in body and f'id="point-{pw.station}"' in body
    assert f'id="point-{pw.centre_b}"' not in body
    assert "连心驿站" in body and "主中心" in body and "14:00–17:00" in body
    body = _client(app, pw.staff_b).get("/console/service/points").get_data(as_text=True)
    assert f'id="point-{pw.station}"' not in body and f'id="point-{pw.centre_b}"' in body


def test_staff_add_a_point_and_a_second_name_is_refused(app, pw):
    client = _client(app, pw.staff_a)
    form = {"community_id": pw.community_a, "name": "居民之家（5号院）", "kind": "home",
            "address": "晋阳路 5 号院", "lat": "30.6330", "lng": "104.0370", "sort_order": "2",
            "closed_on_holidays": "true"}
    response = _post(client, "/console/service/points", form)
    point = _point(app, "居民之家（5号院）")
    assert point is not None and (point.kind, point.lat, point.sort_order) == ("home", 30.633, 2)
    assert response.headers["Location"].endswith(f"#point-{point.id}")
    assert "已添加服务点" in client.get("/console/service/points").get_data(as_text=True)
    again = _post(client, "/console/service/points", dict(form, name=STATION))
    assert again.headers["Location"] == "/console/service/points"
    body = client.get("/console/service/points").get_data(as_text=True)
    assert 'id="points-error"' in body and "该社区已有同名服务点。" in body
    assert f'value="{STATION}"' in body  # what was typed is kept
    half = _post(client, "/console/service/points", dict(form, name="居民之家（6号院）", lng=""))
    assert half.status_code == 303
    assert "请同时填写经度和纬度" in client.get("/console/service/points").get_data(
        as_text=True)
    assert _point(app, "居民之家（6号院）") is None


def test_staff_cannot_add_a_point_to_another_community(app, pw):
    client = _client(app, pw.staff_b)
    _post(client, "/console/service/points", {"community_id": pw.community_a, "name": "驿站"})
    assert _point(app, "驿站") is None
    assert 'id="points-error"' in client.get("/console/service/points").get_data(as_text=True)


def test_edit_a_point_and_deactivate_it(app, pw):
    client = _client(app, pw.staff_a)
    page = client.get(f"/console/service/points/{pw.station}")
    assert page.status_code == 200 and f'value="{STATION}"' in page.get_data(as_text=True)
    _post(client, f"/console/service/points/{pw.station}", {
        "name": STATION, "kind": "station", "address": "晋阳路 3 号院东门", "lat": "30.651",
        "lng": "104.051", "sort_order": "1", "closed_on_holidays": "true"})
    point = _point(app, STATION)
    assert (point.address, point.lat, point.is_active) == ("晋阳路 3 号院东门", 30.651, False)
    # a sibling's name is refused, and nothing changes
    refused = _post(client, f"/console/service/points/{pw.station}",
                    {"name": "晋阳社区党群服务中心", "is_active": "true"})
    assert refused.headers["Location"] == f"/console/service/points/{pw.station}"
    body = client.get(f"/console/service/points/{pw.station}").get_data(as_text=True)
    assert "该社区已有同名服务点。" in body
    assert _point(app, STATION).is_active is False


def test_staff_of_another_community_cannot_open_or_edit_a_point(app, pw):
    client = _client(app, pw.staff_b)
    assert client.get(f"/console/service/points/{pw.station}").status_code == 404
    _post(client, f"/console/service/points/{pw.station}", {"name": "x"}, status=404)
    assert _point(app, STATION) is not None


@pytest.mark.parametrize("page", ["", "/hours"])
def test_the_switcher_leads_to_the_same_page_of_a_sibling_point(app, pw, page):
    client = _client(app, pw.staff_a)
    body = client.get(f"/console/service/{pw.centre_a}{page}").get_data(as_text=True)
    assert 'id="point-switcher"' in body
    assert f'href="/console/service/{pw.station}{page}"' in body
    assert f'href="/console/service/{pw.centre_a}{page}" aria-current="page"' in body
    assert f"/console/service/{pw.centre_b}" not in body
    station_page = client.get(f"/console/service/{pw.station}{page}")
    assert station_page.status_code == 200 and STATION in station_page.get_data(as_text=True)


def test_a_point_s_counters_and_their_items(app, pw):
    from backend.bookings.models import Counter, ServiceItem

    client = _client(app, pw.staff_a)
    page = client.get(f"/console/service/{pw.station}/counters")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "驿站窗口" in body and "老年人优待证" in body and 'id="point-switcher"' in body
    with app.app_context():
        items = {i.code: i.id for i in db.session.execute(sa.select(ServiceItem)).scalars()}
    _post(client, f"/console/service/{pw.station}/counters",
          {"name": "驿站窗口 2", "item_ids": [items["HJ02"], items["LN01"]]})
    with app.app_context():
        added = db.session.execute(sa.select(Counter).where(
            Counter.name == "驿站窗口 2")).scalar_one()
        assert added.centre_id == pw.station
        assert {i.code for i in added.items} == {"HJ02", "LN01"}
        added_id = added.id
    # the same name again is refused and shown; a change of items and 停用 are kept
    again = _post(client, f"/console/service/{pw.station}/counters", {"name": "驿站窗口 2"})
    assert again.headers["Location"] == f"/console/service/{pw.station}/counters"
    assert "该中心已有同名窗口。" in client.get(again.headers["Location"]).get_data(as_text=True)
    _post(client, f"/console/service/{pw.station}/counters/{added_id}",
          {"name": "驿站窗口 2", "item_ids": [items["LN01"]]})
    with app.app_context():
        changed = db.session.get(Counter, added_id)
        assert [i.code for i in changed.items] == ["LN01"] and changed.is_active is False
    # a counter of another point is not changed from this one; other staff see nothing
    _post(client, f"/console/service/{pw.centre_a}/counters/{added_id}",
          {"name": "x", "is_active": "true"}, status=404)
    other = _client(app, pw.staff_b)
    assert other.get(f"/console/service/{pw.station}/counters").status_code == 404
    _post(other, f"/console/service/{pw.station}/counters", {"name": "y"}, status=404)
