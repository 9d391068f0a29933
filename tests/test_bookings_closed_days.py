"""Closed days in the slots answer (issue 17, point 8a): a day the item has no opening hours
(a plain Sunday, a 调休 day without weekday rules), a public holiday and a closure are
``open: false`` with the reason (``closed_reason``: rest_day, holiday, closure) and a label
to show (休息, the holiday's name, the closure's reason); a day whose slots are all taken
stays open, with no free slot (已约满)."""
from __future__ import annotations

from datetime import date

from backend.bookings import availability as availability_ops
from backend.bookings.models import Closure, SlotCount
from backend.extensions import db
from tests.bookings_world import build_world


def _days(client, world, lang: str = "zh", **params) -> dict:
    params.setdefault("item", world.items["SB"].id)
    response = client.get(f"/api/v1/service-centres/{world.centre_a.id}/slots",
                          query_string=params, headers=world.h("chen", **{
                              "Accept-Language": lang}))
    assert response.status_code == 200, response.get_json()
    return {d["date"]: d for d in response.get_json()["days"]}


def _closed(day: dict) -> tuple:
    return day["open"], day["closed_reason"], day["closed_label"]


def test_closed_days_say_why_and_open_days_say_nothing(client, ctx, monkeypatch):
    world = build_world(monkeypatch)  # Monday 2026-09-28 10:00
    db.session.add(Closure(centre_id=world.centre_a.id, day=date(2026, 9, 30),
                           reason="消防演练"))
    db.session.commit()
    days = _days(client, world)
    assert _closed(days["2026-09-28"]) == (True, None, None)
    assert _closed(days["2026-09-29"]) == (True, None, None)
    assert _closed(days["2026-09-30"]) == (False, "closure", "消防演练")
    assert _closed(days["2026-10-01"]) == (False, "holiday", "国庆节")
    # a Saturday and a Sunday inside the holiday: the holiday, not the weekend
    assert _closed(days["2026-10-03"]) == (False, "holiday", "国庆节")
    assert _closed(days["2026-10-04"]) == (False, "holiday", "国庆节")
    # the 调休 Saturday works; the Sunday after it is a plain rest day (no Sunday hours)
    assert _closed(days["2026-10-10"]) == (True, None, None)
    assert _closed(days["2026-10-11"]) == (False, "rest_day", "休息")
    assert days["2026-10-11"]["slots"] == [] and days["2026-10-11"]["day_kind"] == "weekend"
    english = _days(client, world, "en")
    assert _closed(english["2026-10-11"]) == (False, "rest_day", "Rest day")
    assert _closed(english["2026-10-01"]) == (False, "holiday", "National Day")
    assert _closed(english["2026-09-30"]) == (False, "closure", "消防演练")


def test_a_sunday_is_a_rest_day_not_a_full_day(client, ctx, monkeypatch):
    """The mini-program said 已约满 on Sundays: the answer said open with no slots."""
    world = build_world(monkeypatch)
    world.at("2026-11-02 10:00")  # a Monday far from any holiday
    days = _days(client, world, **{"from": "2026-11-07", "to": "2026-11-08"})
    saturday, sunday = days["2026-11-07"], days["2026-11-08"]
    assert _closed(saturday) == (True, None, None) and saturday["slots"]
    assert _closed(sunday) == (False, "rest_day", "休息") and sunday["slots"] == []


def test_a_day_with_every_slot_taken_stays_open_without_free_slots(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    day = "2026-09-29"
    centre, item = world.centre_a, world.items["SB"]
    plan = availability_ops.schedule(centre, item, date(2026, 9, 29), date(2026, 9, 29))
    for slot in plan.days[0].slots:
        db.session.add(SlotCount(centre_id=centre.id, item_id=item.id, start_at=slot.start,
                                 booked=slot.capacity, capacity=slot.capacity))
    db.session.commit()
    days = _days(client, world, **{"from": day, "to": day})
    assert _closed(days[day]) == (True, None, None)
    assert days[day]["slots"] == []


def test_an_item_without_hours_that_day_is_a_rest_day(client, ctx, monkeypatch):
    """The rules of a day staff only counters that do not serve the item: no hours for it."""
    world = build_world(monkeypatch)
    world.at("2026-11-02 10:00")
    # Saturday is staffed by counters 2 and 3; 居住证明 (HJ) moves to counter 1 only
    response = client.patch(
        f"/api/v1/service-centres/{world.centre_a.id}/counters/{world.counters['c3'].id}",
        json={"item_ids": [world.items["SB"].id, world.items["LN"].id]},
        headers=world.h("staff_a"))
    assert response.status_code == 200, response.get_json()
    days = _days(client, world, item=world.items["HJ"].id,
                 **{"from": "2026-11-06", "to": "2026-11-07"})
    assert _closed(days["2026-11-06"]) == (True, None, None)
    assert _closed(days["2026-11-07"]) == (False, "rest_day", "休息")


def test_the_closed_reason_is_declared_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    day = spec["components"]["schemas"]["SlotDay"]["properties"]
    assert day["open"]["type"] == "boolean" and day["open"].get("description")
    assert {"rest_day", "holiday", "closure"} <= set(day["closed_reason"]["enum"])
    assert day["closed_reason"].get("nullable") is True
    assert day["closed_label"]["type"] == "string" and day["closed_label"].get("description")
