"""Several service points per community (issue 21 item 2): a community's 服务中心, 连心驿站
and 居民之家 each with their own counters, hours and bookings.

Community A has its main centre (the world's ``centre_a``) and, here, a 连心驿站 with one
counter serving 老年人优待证 (LN) on weekday afternoons 14:00–17:00.
"""
from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa

from backend.bookings.models import Booking, Counter, OpeningRule, ServiceCentre, SlotCount
from backend.extensions import db
from tests.bookings_world import book, build_world, iso

STATION = "连心驿站（3号院）"


def _post(client, world, who, path, body, **headers):
    return client.post(f"/api/v1{path}", json=body, headers=world.h(who, **headers))


def _get(client, world, who, path, **headers):
    return client.get(f"/api/v1{path}", headers=world.h(who, **headers))


def station(world, active: bool = True) -> ServiceCentre:
    """A second point of community A with a counter serving LN, Mon–Fri 14:00–17:00."""
    world.centre_a.lat, world.centre_a.lng = 30.6400, 104.0400
    point = ServiceCentre(place_id=world.places["a"].id, name=STATION, kind="station",
                          address="晋阳路 3 号院", lat=30.6500, lng=104.0500, sort_order=1,
                          is_active=active)
    db.session.add(point)
    db.session.flush()
    counter = Counter(centre_id=point.id, name="驿站窗口", items=[world.items["LN"]])
    db.session.add(counter)
    db.session.flush()
    for weekday in range(5):
        db.session.add(OpeningRule(centre_id=point.id, weekday=weekday, start_time=time(14),
                                   end_time=time(17), counters=[counter]))
    db.session.commit()
    return point


# --- creating points -------------------------------------------------------------------

def test_a_second_point_is_welcome_a_second_name_is_not(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    body = {"place_id": world.places["a"].id, "name": STATION, "kind": "station",
            "address": "晋阳路 3 号院", "lat": 30.65, "lng": 104.05, "sort_order": 1}
    created = _post(client, world, "staff_a", "/service-centres", body)
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    assert (answer["kind"], answer["lat"], answer["place_id"]) == ("station", 30.65,
                                                                    world.places["a"].id)
    again = _post(client, world, "staff_a", "/service-centres", dict(body, kind="home"))
    assert again.status_code == 409
    assert again.get_json()["error"]["fields"] == {"name": ["该社区已有同名服务点。"]}
    # the same name in another community is another point
    other = _post(client, world, "staff_b", "/service-centres",
                  dict(body, place_id=world.places["b"].id))
    assert other.status_code == 201, other.get_json()
    # renaming onto a sibling's name is refused too; onto its own name is fine
    renamed = client.patch(f"/api/v1/service-centres/{answer['id']}",
                           json={"name": world.centre_a.name}, headers=world.h("staff_a"))
    assert renamed.status_code == 409
    assert client.patch(f"/api/v1/service-centres/{answer['id']}", json={"name": STATION},
                        headers=world.h("staff_a")).status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"lat": 30.6}, "lng"),
    ({"lat": 30.6, "lng": None}, "lng"),
    ({"lat": 91, "lng": 104.0}, "lat"),
    ({"kind": "kiosk"}, "kind"),
    ({"sort_order": -1}, "sort_order"),
])
def test_bad_points_are_refused_field_by_field(client, ctx, monkeypatch, body, field):
    world = build_world(monkeypatch)
    response = _post(client, world, "staff_a", "/service-centres",
                     dict({"place_id": world.places["a"].id, "name": "居民之家"}, **body),
                     **{"Accept-Language": "en"})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_a_point_with_half_a_location_is_refused_in_chinese(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    response = client.patch(f"/api/v1/service-centres/{world.centre_a.id}", json={"lat": 30.6},
                            headers=world.h("staff_a"))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["lng"] == ["请同时填写经度和纬度，或都不填。"]


# --- the list residents see ------------------------------------------------------------

def test_residents_see_active_points_with_today_s_hours_main_centre_first(client, ctx,
                                                                          monkeypatch):
    world = build_world(monkeypatch)
    point = station(world)
    station_home = ServiceCentre(place_id=world.places["a"].id, name="居民之家（停用）",
                                 kind="home", is_active=False)
    db.session.add(station_home)
    db.session.commit()
    answer = _get(client, world, "chen", f"/service-centres?place_id={world.places['a'].id}")
    assert answer.status_code == 200
    rows = answer.get_json()
    assert [r["name"] for r in rows] == [world.centre_a.name, STATION]
    main, second = rows
    assert (main["is_main"], main["kind"], main["kind_text"]) == (True, "centre", "服务中心")
    assert (second["is_main"], second["kind"], second["kind_text"]) == (False, "station",
                                                                         "连心驿站")
    # Monday 2026-09-28: the centre's day and evening, the station's afternoon
    assert main["today"]["is_open"] and main["today"]["date"] == "2026-09-28"
    assert [(h["start"], h["end"], h["kind"]) for h in main["today"]["hours"]] == [
        ("09:00", "12:00", "regular"), ("13:30", "18:00", "regular"),
        ("18:00", "20:00", "extended")]
    assert [(h["start"], h["end"]) for h in second["today"]["hours"]] == [("14:00", "17:00")]
    assert second["distance_m"] is None
    assert point.id == second["id"]


def test_nearest_first_when_the_resident_s_location_is_known(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    point = station(world)
    rows = _get(client, world, "chen", "/service-centres?lat=30.651&lng=104.051").get_json()
    # the station (≈140 m), centre A (≈1.6 km), then centre B: no location, last
    assert [r["id"] for r in rows] == [point.id, world.centre_a.id, world.centre_b.id]
    assert 100 < rows[0]["distance_m"] < 200 < rows[1]["distance_m"]
    assert rows[2]["distance_m"] is None
    half = _get(client, world, "chen", "/service-centres?lat=30.651")
    assert half.status_code == 422


def test_a_closed_day_shows_why(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    point = station(world)
    world.at("2026-10-01 10:00")  # 国庆节
    rows = {r["id"]: r for r in _get(client, world, "chen", "/service-centres").get_json()}
    today = rows[point.id]["today"]
    assert (today["is_open"], today["closed_reason"], today["hours"]) == (False, "holiday", [])
    world.at("2026-10-11 10:00")  # a plain Sunday
    rows = {r["id"]: r for r in _get(client, world, "chen", "/service-centres").get_json()}
    assert rows[point.id]["today"]["closed_reason"] == "rest_day"


def test_staff_list_their_points_deactivated_ones_too(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    point = station(world, active=False)
    path = "/service-centres?include_inactive=true"
    mine = {r["id"]: r for r in _get(client, world, "staff_a", path).get_json()}
    assert set(mine) == {world.centre_a.id, point.id} and mine[point.id]["is_active"] is False
    theirs = {r["id"] for r in _get(client, world, "staff_b", path).get_json()}
    assert theirs == {world.centre_b.id}
    # residents never see a deactivated point, whatever they ask
    seen = {r["id"] for r in _get(client, world, "chen", path).get_json()}
    assert seen == {world.centre_a.id, world.centre_b.id}


# --- slots and bookings per point ------------------------------------------------------

def test_each_point_has_its_own_slots_and_places(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    point = station(world)
    slots = _get(client, world, "chen",
                 f"/service-centres/{point.id}/slots?item={world.items['LN'].id}"
                 "&from=2026-09-29&to=2026-09-29").get_json()
    starts = [s["start"] for s in slots["days"][0]["slots"]]
    assert starts[0] == iso("2026-09-29 14:00") and starts[-1] == iso("2026-09-29 16:45")
    assert all(s["capacity"] == 1 for s in slots["days"][0]["slots"])
    # the station's one place at 14:00 goes to 小陈 (by point_id) …
    created = _post(client, world, "chen", "/bookings", {
        "point_id": point.id, "item_id": world.items["LN"].id,
        "start_at": iso("2026-09-29 14:00")})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["centre"]["name"] == STATION
    # … so 王阿姨 finds it full there, while the centre's 14:00 is untouched
    full = _post(client, world, "wang", "/bookings", {
        "point_id": point.id, "item_id": world.items["LN"].id,
        "start_at": iso("2026-09-29 14:00")})
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "slot_full"
    book(client, world, "wang", "2026-09-29 14:00", item="LN")  # centre_id: older clients
    rows = {r.centre_id: r.booked for r in db.session.query(SlotCount).all()}
    assert rows == {point.id: 1, world.centre_a.id: 1}
    # the station does not serve SB
    refused = _post(client, world, "liu", "/bookings", {
        "point_id": point.id, "item_id": world.items["SB"].id,
        "start_at": iso("2026-09-29 14:00")})
    assert refused.status_code in (409, 422), refused.get_json()


def test_a_booking_names_a_point(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    response = _post(client, world, "chen", "/bookings", {
        "item_id": world.items["LN"].id, "start_at": iso("2026-09-29 14:00")})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"point_id": ["请选择服务点。"]}
    gone = ServiceCentre(place_id=world.places["a"].id, name="停用的驿站", is_active=False)
    db.session.add(gone)
    db.session.commit()
    for field in ("point_id", "centre_id"):
        refused = _post(client, world, "chen", "/bookings", {
            field: gone.id, "item_id": world.items["LN"].id,
            "start_at": iso("2026-09-29 14:00")})
        assert refused.status_code == 422
        assert list(refused.get_json()["error"]["fields"]) == [field]


def test_the_desk_of_a_point_sees_only_its_own_bookings(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    point = station(world)
    at_station = _post(client, world, "chen", "/bookings", {
        "point_id": point.id, "item_id": world.items["LN"].id,
        "start_at": iso("2026-09-29 14:00")}).get_json()
    at_centre = book(client, world, "wang", "2026-09-29 14:00", item="LN")
    world.at("2026-09-29 13:50")
    day = _get(client, world, "staff_a", f"/service-centres/{point.id}/day").get_json()
    assert [b["code"] for b in day["bookings"]] == [at_station["code"]]
    assert [c["name"] for c in day["counters"]] == ["驿站窗口"]
    # a centre's code is not checked in at the station, nor the other way round
    wrong = _post(client, world, "staff_a", f"/service-centres/{point.id}/check-in",
                  {"code": at_centre["code"]})
    assert wrong.status_code == 404
    right = _post(client, world, "staff_a", f"/service-centres/{point.id}/check-in",
                  {"code": at_station["code"]})
    assert right.status_code == 200 and right.get_json()["status"] == "checked_in"
    assert db.session.get(Booking, at_centre["id"]).status == "booked"


def test_a_closure_at_one_point_leaves_the_other_open(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    point = station(world)
    closed = _post(client, world, "staff_a", f"/service-centres/{point.id}/closures",
                   {"date": "2026-09-29", "reason": "驿站培训"})
    assert closed.status_code == 201
    ln = world.items["LN"].id
    at_station = _get(client, world, "chen", f"/service-centres/{point.id}/slots?item={ln}"
                      "&from=2026-09-29&to=2026-09-29").get_json()["days"][0]
    at_centre = _get(client, world, "chen", f"/service-centres/{world.centre_a.id}/slots"
                     f"?item={ln}&from=2026-09-29&to=2026-09-29").get_json()["days"][0]
    assert at_station["slots"] == [] and at_station["closed_reason"] == "closure"
    assert at_centre["slots"] and at_centre["closed_reason"] is None


# --- who may do what with a point ------------------------------------------------------

ACTORS = ("anonymous", "chen", "worker", "staff_a", "staff_b", "street", "admin")
# (method, path, body): {p} the station of community A, {a} community A
ACTIONS = {
    "list": ("GET", "/service-centres?place_id={a}", None),
    "create": ("POST", "/service-centres", "CREATE"),
    "edit": ("PATCH", "/service-centres/{p}", {"address": "晋阳路 5 号院", "lat": 30.66,
                                               "lng": 104.06}),
    "deactivate": ("PATCH", "/service-centres/{p}", {"is_active": False}),
    "counter": ("POST", "/service-centres/{p}/counters", {"name": "2号窗口"}),
    "hours": ("POST", "/service-centres/{p}/opening-rules",
              {"weekday": 5, "start": "09:00", "end": "11:00"}),
    "day": ("GET", "/service-centres/{p}/day", None),
}
STATUS = {
    #             list create edit deact counter hours day
    "anonymous": (401, 401,   401, 401,  401,    401,  401),
    "chen":      (200, 403,   403, 403,  403,    403,  403),
    "worker":    (200, 403,   403, 403,  403,    403,  403),
    "staff_a":   (200, 201,   200, 200,  201,    201,  200),
    "staff_b":   (200, 422,   404, 404,  404,    404,  404),
    "street":    (200, 201,   200, 200,  201,    201,  200),
    "admin":     (200, 201,   200, 200,  201,    201,  200),
}


def _cases():
    return [pytest.param(actor, name, expected, id=f"{actor}-{name}")
            for actor, row in STATUS.items()
            for name, expected in zip(ACTIONS, row)]


@pytest.mark.parametrize("actor, action, expected", _cases())
def test_point_access(client, ctx, monkeypatch, actor, action, expected):
    world = build_world(monkeypatch)
    point = station(world)
    method, template, body = ACTIONS[action]
    path = "/api/v1" + template.format(p=point.id, a=world.places["a"].id)
    if body == "CREATE":
        body = {"place_id": world.places["a"].id, "name": "居民之家（5号院）", "kind": "home"}
    headers = {} if actor == "anonymous" else world.h(actor)
    response = client.open(path, method=method, json=body, headers=headers)
    assert response.status_code == expected, response.get_json()
    if expected >= 400:
        assert set(response.get_json()) == {"error"}
    db.session.expire_all()
    changed = db.session.get(ServiceCentre, point.id)
    if action == "edit":
        assert (changed.address == "晋阳路 5 号院") == (expected == 200)
    if action == "deactivate":
        assert changed.is_active is (expected != 200)


# --- the race, per point ---------------------------------------------------------------

def test_two_points_race_for_their_own_places(app, ctx, monkeypatch):
    """Twenty residents at once, ten for the station's 14:00 (one counter: capacity 1) and
    ten for the centre's 14:00 (counters 2 and 3 serve LN: capacity 2): each point fills
    its own slot, no more, whatever the other does."""
    import threading

    from tests.test_bookings_concurrency import _run

    world = build_world(monkeypatch, residents=23)
    point = station(world)
    residents = [name for name in world.people if name.startswith("r")]
    assert len(residents) == 20
    point_of = {who: (point.id if i % 2 else world.centre_a.id)
                for i, who in enumerate(residents)}
    answers: list[tuple[str, int]] = []
    lock = threading.Lock()

    def attempt(who):
        body = {"point_id": point_of[who], "item_id": world.items["LN"].id,
                "start_at": iso("2026-09-29 14:00")}

        def run(barrier):
            with app.test_client() as c:
                barrier.wait()
                r = c.post("/api/v1/bookings", json=body, headers=world.h(who))
                with lock:
                    answers.append((who, r.status_code))
        return run

    _run([attempt(who) for who in residents])
    won = [point_of[who] for who, status in answers if status == 201]
    assert sorted(status for _, status in answers).count(409) == 17, answers
    assert (won.count(point.id), won.count(world.centre_a.id)) == (1, 2)
    booked = dict(db.session.execute(sa.select(SlotCount.centre_id, SlotCount.booked)).all())
    assert booked == {point.id: 1, world.centre_a.id: 2}
    per_point = dict(db.session.execute(
        sa.select(Booking.centre_id, sa.func.count()).group_by(Booking.centre_id)).all())
    assert per_point == {point.id: 1, world.centre_a.id: 2}


def test_the_main_centre_stays_main_whatever_the_list_is_filtered_by(client, ctx, monkeypatch):
    """A second point of kind 服务中心 that handles an item the main centre does not is
    listed for that item, but is not the main centre."""
    world = build_world(monkeypatch)
    second = ServiceCentre(place_id=world.places["a"].id, name="晋阳社区便民服务站",
                           kind="centre", sort_order=2)
    db.session.add(second)
    db.session.flush()
    from backend.bookings.models import ServiceItem

    only_here = ServiceItem(code="ZZ01", name="仅便民服务站办理", duration_minutes=20)
    db.session.add(only_here)
    db.session.flush()
    db.session.add(Counter(centre_id=second.id, name="便民窗口", items=[only_here]))
    db.session.commit()
    rows = _get(client, world, "chen", f"/service-centres?item_id={only_here.id}").get_json()
    assert [(r["id"], r["is_main"]) for r in rows] == [(second.id, False)]
    rows = _get(client, world, "chen",
                f"/service-centres?place_id={world.places['a'].id}").get_json()
    assert [(r["id"], r["is_main"]) for r in rows] == [(world.centre_a.id, True),
                                                       (second.id, False)]
