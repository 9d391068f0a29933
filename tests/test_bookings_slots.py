"""Free slots: opening rules, closures, Chinese public holidays and 调休 working days,
minimum notice, maximum advance, capacity per counter and full slots."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from backend.bookings import availability as availability_ops
from backend.bookings import common
from backend.bookings import slots
from backend.bookings.slots import Rule
from backend.extensions import db
from backend.bookings.models import Closure
from tests.bookings_world import book, build_world, iso, sh

WEEK = [Rule(d, time(9), time(12)) for d in range(5)] + \
       [Rule(d, time(13, 30), time(18)) for d in range(5)] + \
       [Rule(d, time(18), time(20), "extended", counter_ids=frozenset({1, 3})) for d in range(5)] + \
       [Rule(5, time(9), time(12), "extended", counter_ids=frozenset({2, 3}))]
ALL = frozenset({1, 2, 3})
NOTICE = timedelta(minutes=30)


def _plan(first: str, last: str, now: str, closures=None, counters=ALL, minutes=30,
          booked=None, advance=14, holidays_closed=True):
    return {d.day.isoformat(): d for d in slots.plan(
        date.fromisoformat(first), date.fromisoformat(last), WEEK, closures or {}, minutes,
        counters, booked or {}, sh(now), NOTICE, advance, holidays_closed)}


def _times(day_plan) -> list[str]:
    return [s.start.astimezone(slots.SHANGHAI).strftime("%H:%M") for s in day_plan.slots]


# --- pure: the calendar ----------------------------------------------------------------

def test_a_working_day_has_regular_and_extended_slots_of_the_item_duration():
    days = _plan("2026-09-29", "2026-09-29", "2026-09-28 10:00")
    tuesday = days["2026-09-29"]
    assert tuesday.kind.kind == "workday"
    times = _times(tuesday)
    assert times[:6] == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert "12:00" not in times and "13:00" not in times and times[6] == "13:30"
    assert times[-4:] == ["18:00", "18:30", "19:00", "19:30"]
    by_time = {t: s for t, s in zip(times, tuesday.slots)}
    assert by_time["09:00"].kind == "regular" and by_time["09:00"].capacity == 3
    # the evening is staffed by counters 1 and 3 only
    assert by_time["18:30"].kind == "extended" and by_time["18:30"].capacity == 2


def test_a_slot_fits_wholly_inside_its_period():
    days = _plan("2026-09-29", "2026-09-29", "2026-09-28 10:00", minutes=40)
    times = _times(days["2026-09-29"])
    # 09:00 09:40 10:20 11:00 (11:40 would end at 12:20); 13:30 … 16:10 16:50 (17:30 ends 18:10)
    assert times[:4] == ["09:00", "09:40", "10:20", "11:00"] and "11:40" not in times
    assert "16:50" in times and "17:30" not in times
    assert times[-3:] == ["18:00", "18:40", "19:20"]


def test_a_saturday_has_its_morning_window_and_a_sunday_nothing():
    days = _plan("2026-09-19", "2026-09-20", "2026-09-14 10:00")
    # 2026-09-19 is a plain Saturday
    assert days["2026-09-19"].kind.kind == "weekend"
    assert _times(days["2026-09-19"]) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert {s.kind for s in days["2026-09-19"].slots} == {"extended"}


def test_national_day_is_closed_even_on_its_saturday():
    days = _plan("2026-10-01", "2026-10-08", "2026-09-28 10:00")
    for day in ("2026-10-01", "2026-10-02", "2026-10-03", "2026-10-05", "2026-10-07"):
        assert days[day].kind.kind == "holiday", day
        assert days[day].kind.holiday == "国庆节"
        assert days[day].slots == [], day
    # 2026-10-03 is a Saturday: the Saturday rule does not open a holiday
    assert date(2026, 10, 3).weekday() == 5 and not days["2026-10-03"].is_open
    # the first working day after the holiday
    assert days["2026-10-08"].kind.kind == "workday" and days["2026-10-08"].slots


def test_a_tiaoxiu_saturday_is_a_full_working_day():
    days = _plan("2026-10-10", "2026-10-11", "2026-10-08 10:00")
    saturday = days["2026-10-10"]
    assert saturday.kind.kind == "makeup" and saturday.kind.weekday == 0
    times = _times(saturday)
    # the weekday rules, not the Saturday morning window: afternoon and evening too
    assert "13:30" in times and "19:30" in times
    assert {s.kind for s in saturday.slots} == {"regular", "extended"}
    # the Sunday after is an ordinary Sunday: no rules, no slots
    assert days["2026-10-11"].kind.kind == "weekend" and days["2026-10-11"].slots == []


def test_a_tiaoxiu_sunday_opens_and_a_mid_autumn_saturday_closes():
    days = _plan("2026-09-20", "2026-09-26", "2026-09-14 10:00")
    assert days["2026-09-20"].kind.kind == "makeup" and "14:00" in _times(days["2026-09-20"])
    # 中秋节 2026: Friday 25 to Sunday 27; the Saturday window does not open it
    assert days["2026-09-25"].kind.kind == "holiday" and not days["2026-09-25"].slots
    assert days["2026-09-26"].kind.holiday == "中秋节"
    assert not days["2026-09-26"].slots


def test_a_closure_closes_the_day_with_its_reason():
    days = _plan("2026-09-29", "2026-09-30", "2026-09-28 10:00",
                 closures={date(2026, 9, 30): "系统升级"})
    assert days["2026-09-29"].slots
    assert days["2026-09-30"].kind.kind == "closure" and days["2026-09-30"].slots == []
    assert days["2026-09-30"].kind.reason == "系统升级"


def test_a_centre_open_on_holidays_uses_the_day_rules():
    days = _plan("2026-10-01", "2026-10-03", "2026-09-28 10:00", holidays_closed=False)
    assert days["2026-10-01"].is_open and "13:30" in _times(days["2026-10-01"])
    assert _times(days["2026-10-03"])[-1] == "11:30"  # Saturday morning only


def test_an_unknown_year_falls_back_to_monday_to_friday(caplog):
    days = _plan("2099-06-01", "2099-06-07", "2099-05-30 10:00", advance=14)
    kinds = [days[f"2099-06-0{i}"].kind.kind for i in range(1, 8)]
    assert kinds == ["workday"] * 5 + ["weekend", "weekend"]


def test_notice_advance_and_full_slots():
    booked = {sh("2026-09-28 14:00"): 3, sh("2026-09-28 14:30"): 2}
    days = _plan("2026-09-28", "2026-10-13", "2026-09-28 10:00", booked=booked)
    today = days["2026-09-28"]
    times = _times(today)
    # exactly 30 minutes ahead is bookable; 10:00 (now) is not
    assert times[0] == "10:30"
    # a full slot is left out, a half-booked one shows what is free
    assert "14:00" not in times
    assert {t: s.free for t, s in zip(times, today.slots)}["14:30"] == 1
    # 14 days ahead: 2026-10-12 yes, 2026-10-13 no
    assert days["2026-10-12"].slots and days["2026-10-13"].slots == []


def test_capacity_counts_only_counters_serving_the_item():
    days = _plan("2026-09-29", "2026-09-29", "2026-09-28 10:00", counters=frozenset({2}))
    tuesday = days["2026-09-29"]
    # counter 2 is not staffed in the evening
    assert _times(tuesday)[-1] == "17:30"
    assert {s.capacity for s in tuesday.slots} == {1}


# --- the API ---------------------------------------------------------------------------

def _slots(client, world, who="chen", **params):
    params.setdefault("item", world.items["SB"].id)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(f"/api/v1/service-centres/{world.centre_a.id}/slots?{query}",
                      headers=world.h(who))


def test_slots_over_national_day_in_shanghai_time(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    db.session.add(Closure(centre_id=world.centre_a.id, day=date(2026, 9, 30),
                           reason="消防演练"))
    db.session.commit()
    response = _slots(client, world)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["from"] == "2026-09-28" and body["to"] == "2026-10-12"
    assert body["earliest"] == "2026-09-28T10:30:00+08:00"
    days = {d["date"]: d for d in body["days"]}
    assert days["2026-09-28"]["slots"][0]["start"] == "2026-09-28T10:30:00+08:00"
    assert days["2026-09-28"]["slots"][0]["end"] == "2026-09-28T11:00:00+08:00"
    assert days["2026-09-30"]["open"] is False and days["2026-09-30"]["note"] == "消防演练"
    assert days["2026-10-01"]["day_kind"] == "holiday" and days["2026-10-01"]["note"] == "国庆节"
    assert days["2026-10-03"]["slots"] == []
    assert days["2026-10-10"]["day_kind"] == "makeup" and days["2026-10-10"]["note"] == "调休工作日"
    assert any(s["start"] == "2026-10-10T18:30:00+08:00" for s in days["2026-10-10"]["slots"])
    english = client.get(f"/api/v1/service-centres/{world.centre_a.id}/slots?item="
                         f"{world.items['SB'].id}", headers=world.h("chen", **{
                             "Accept-Language": "en"})).get_json()
    assert {d["date"]: d for d in english["days"]}["2026-10-01"]["note"] == "National Day"


def test_booked_slots_show_less_and_full_ones_disappear(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    book(client, world, "chen", "2026-09-29 18:30")
    book(client, world, "wang", "2026-09-29 18:30")
    book(client, world, "liu", "2026-09-29 09:00")
    days = {d["date"]: d for d in _slots(client, world, **{"from": "2026-09-29",
                                                          "to": "2026-09-29"}).get_json()["days"]}
    starts = {s["start"]: s for s in days["2026-09-29"]["slots"]}
    assert iso("2026-09-29 18:30") not in starts  # capacity 2 in the evening: full
    assert starts[iso("2026-09-29 09:00")]["free"] == 2
    assert starts[iso("2026-09-29 09:00")]["capacity"] == 3


@pytest.mark.parametrize("params, field", [
    ({"item": 2**40}, "item"),
    ({"item": "社保"}, "item"),
    ({"item": 999999}, "item"),
    ({"from": "2026-10-05", "to": "2026-10-01"}, "to"),
    ({"from": "2026-10-01", "to": "2026-12-01"}, "to"),
    ({"from": "2026-13-01"}, "from"),
    ({"from": "9999-01-01"}, "from"),
])
def test_bad_slot_queries_get_field_messages(client, ctx, monkeypatch, params, field):
    world = build_world(monkeypatch)
    response = _slots(client, world, **params)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert field in error["fields"], error


def test_slots_of_an_unknown_centre_are_404(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    for centre_id in (999999, 2**40):
        response = client.get(f"/api/v1/service-centres/{centre_id}/slots?item=1",
                              headers=world.h("chen"))
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


# --- the schedule kept per process ------------------------------------------------------

def _reference(world, first: str, last: str) -> dict:
    """What slots.plan works out from the database as it is now, shaped as the answer."""
    centre, item_row = world.centre_a, world.items["SB"]
    db.session.refresh(centre)
    db.session.refresh(item_row)
    rules = common.settings()
    first_day, last_day = date.fromisoformat(first), date.fromisoformat(last)
    start, end = common._day_bounds(first_day, last_day)
    days = slots.plan(first_day, last_day, availability_ops._schedule_rules(centre),
                      availability_ops._closures(centre, first_day, last_day),
                      item_row.duration_minutes,
                      availability_ops.counters_for_item(centre, item_row),
                      availability_ops._booked(centre, item_row, start, end), common.utcnow(),
                      rules.min_notice, rules.max_advance_days, centre.closed_on_holidays)
    return {d.day.isoformat(): [(slots.local_iso(s.start), slots.local_iso(s.end), s.kind,
                                 s.capacity, s.free) for s in d.slots] for d in days}


def _answered(client, world, first: str, last: str) -> dict:
    response = _slots(client, world, **{"from": first, "to": last})
    assert response.status_code == 200, response.get_json()
    return {d["date"]: [(s["start"], s["end"], s["kind"], s["capacity"], s["free"])
                        for s in d["slots"]] for d in response.get_json()["days"]}


def test_the_kept_schedule_answers_what_plan_works_out(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    book(client, world, "chen", "2026-09-29 18:30")
    book(client, world, "wang", "2026-09-29 18:30")
    book(client, world, "liu", "2026-10-09 09:00")
    for now in ("2026-09-28 10:00", "2026-09-29 18:10", "2026-10-02 08:00"):
        world.at(now)
        for _ in range(2):  # worked out, then kept
            assert _answered(client, world, "2026-09-28", "2026-10-20") == \
                _reference(world, "2026-09-28", "2026-10-20")


def test_a_schedule_change_shows_in_the_next_answer(client, ctx, monkeypatch):
    """Every change to a rule, a closure, a counter, an item or a centre replaces the
    schedule's revision: no answer is ever worked out from the schedule before it."""
    from backend.places.models import read_revision

    world = build_world(monkeypatch)
    centre = world.centre_a
    base = f"/api/v1/service-centres/{centre.id}"
    day = "2026-09-29"  # a Tuesday

    def answer():
        return _answered(client, world, day, day)[day]

    def changed(method, path, body=None, who="staff_a"):
        before = read_revision(availability_ops.SCHEDULE_REVISION)
        response = client.open(path, method=method, json=body, headers=world.h(who))
        assert response.status_code in (200, 201, 204), response.get_json()
        assert read_revision(availability_ops.SCHEDULE_REVISION) != before
        db.session.expire_all()
        assert answer() == _reference(world, day, day)[day]
        return response

    first = answer()
    assert first and first[0][0] == "2026-09-29T09:00:00+08:00"
    # a counter closes: the capacity of that day's slots drops
    changed("PATCH", f"{base}/counters/{world.counters['c2'].id}", {"is_active": False})
    assert max(s[3] for s in answer()) < max(s[3] for s in first)
    # a Saturday-only rule does not change Tuesday, but a Tuesday evening one does
    changed("POST", f"{base}/opening-rules", {"weekday": 1, "start": "20:00", "end": "21:00",
                                               "kind": "extended"})
    assert answer()[-1][1] == "2026-09-29T21:00:00+08:00"
    # the item takes longer: fewer, longer slots
    changed("PATCH", f"/api/v1/service-items/{world.items['SB'].id}", {"duration_minutes": 60},
            who="admin")
    assert answer()[0][:2] == ("2026-09-29T09:00:00+08:00", "2026-09-29T10:00:00+08:00")
    # the day is closed
    closure = changed("POST", f"{base}/closures", {"date": day, "reason": "停电检修"})
    assert answer() == []
    changed("DELETE", f"{base}/closures/{closure.get_json()['id']}")
    assert answer() != []
