"""Capacity is decided by the database: 50 residents at once for a slot of capacity 3 get
exactly 3 bookings, on SQLite and on PostgreSQL (each thread its own test client, the
real request path: token, transaction, conditional update, commit)."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from backend.bookings.models import Booking, SlotCount
from backend.extensions import db
from tests.bookings_world import build_world, iso, sh

SLOT = "2026-09-29 09:00"  # regular hours: counters 1, 2 and 3 serve SB → capacity 3


def _run(threads):
    # end this thread's transaction: on SQLite an open one would hold the write lock
    db.session.commit()
    barrier = threading.Barrier(len(threads))
    workers = [threading.Thread(target=t, args=(barrier,)) for t in threads]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers)
    db.session.expire_all()


def test_fifty_residents_race_for_a_slot_of_capacity_three(app, ctx, monkeypatch):
    world = build_world(monkeypatch, residents=53)
    residents = [name for name in world.people if name.startswith("r")]
    assert len(residents) == 50
    body = {"centre_id": world.centre_a.id, "item_id": world.items["SB"].id,
            "start_at": iso(SLOT)}
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def attempt(who):
        def run(barrier):
            with app.test_client() as c:
                barrier.wait()
                r = c.post("/api/v1/bookings", json=body, headers=world.h(who))
                with lock:
                    answers.append((r.status_code, r.get_json()))
        return run

    _run([attempt(who) for who in residents])
    statuses = sorted(status for status, _ in answers)
    assert statuses.count(201) == 3, answers
    assert statuses.count(409) == 47, answers
    refusals = [body["error"] for status, body in answers if status == 409]
    assert {e["code"] for e in refusals} == {"slot_full"}
    assert {e["fields"]["start_at"][0] for e in refusals} == {"该时段已约满，请选择其他时段。"}
    row = db.session.get(SlotCount, (world.centre_a.id, world.items["SB"].id, sh(SLOT)))
    assert row.booked == 3 and row.capacity == 3
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking)).scalar_one() == 3
    codes = {body["code"] for status, body in answers if status == 201}
    assert len(codes) == 3


def test_one_resident_racing_himself_gets_no_more_than_the_cap(app, ctx, monkeypatch):
    world = build_world(monkeypatch)
    starts = ["2026-09-29 09:00", "2026-09-29 09:30", "2026-09-29 10:00", "2026-09-29 10:30",
              "2026-09-29 11:00", "2026-09-29 11:30", "2026-09-29 13:30", "2026-09-29 14:00"]
    statuses: list[int] = []
    lock = threading.Lock()
    # read ids now: the threads have no application context to load expired attributes
    centre_id, item_id = world.centre_a.id, world.items["SB"].id

    def attempt(start):
        def run(barrier):
            with app.test_client() as c:
                barrier.wait()
                r = c.post("/api/v1/bookings", json={
                    "centre_id": centre_id, "item_id": item_id,
                    "start_at": iso(start)}, headers=world.h("chen"))
                with lock:
                    statuses.append(r.status_code)
        return run

    _run([attempt(s) for s in starts])
    assert sorted(statuses).count(201) == 2, statuses
    assert set(statuses) == {201, 409}, statuses
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking)).scalar_one() == 2
    booked = db.session.execute(sa.select(sa.func.sum(SlotCount.booked))).scalar_one()
    assert booked == 2  # a refused booking took no place


def test_crossing_reschedules_keep_the_counts_right(app, ctx, monkeypatch):
    """Two residents swap evening slots at once (capacity 2, both slots half full): both
    moves succeed or the loser is refused; the counts always match the bookings."""
    world = build_world(monkeypatch)
    first = "2026-09-29 18:00"
    second = "2026-09-29 19:00"
    with app.test_client() as c:
        a = c.post("/api/v1/bookings", json={"centre_id": world.centre_a.id,
                   "item_id": world.items["SB"].id, "start_at": iso(first)},
                   headers=world.h("chen")).get_json()
        b = c.post("/api/v1/bookings", json={"centre_id": world.centre_a.id,
                   "item_id": world.items["SB"].id, "start_at": iso(second)},
                   headers=world.h("wang")).get_json()
    statuses: list[int] = []
    lock = threading.Lock()

    def move(who, booking_id, start):
        def run(barrier):
            with app.test_client() as c:
                barrier.wait()
                r = c.post(f"/api/v1/bookings/{booking_id}/reschedule",
                           json={"start_at": iso(start)}, headers=world.h(who))
                with lock:
                    statuses.append(r.status_code)
        return run

    _run([move("chen", a["id"], second), move("wang", b["id"], first)])
    assert statuses == [200, 200], statuses
    counts = dict(db.session.execute(sa.select(SlotCount.start_at, SlotCount.booked)).all())
    assert counts == {sh(first): 1, sh(second): 1}


def test_one_person_racing_for_one_slot_holds_it_once(app, ctx, monkeypatch):
    """Issue 17: the same resident (online, no Idempotency-Key) and the same phone caller
    (staff at two desks) post one slot at once: one booking each, the rest 409
    ``already_booked`` naming it."""
    world = build_world(monkeypatch)
    centre_id, item_id = world.centre_a.id, world.items["SB"].id
    online = {"centre_id": centre_id, "item_id": item_id, "start_at": iso(SLOT)}
    by_phone = {"item_id": item_id, "start_at": iso(SLOT), "phone": "13811112222",
                "name": "赵大爷"}
    answers: dict[str, list[tuple[int, dict]]] = {"chen": [], "zhao": []}
    lock = threading.Lock()

    def attempt(person, who, path, body):
        def run(barrier):
            with app.test_client() as c:
                barrier.wait()
                r = c.post(path, json=body, headers=world.h(who))
                with lock:
                    answers[person].append((r.status_code, r.get_json()))
        return run

    staff_path = f"/api/v1/service-centres/{centre_id}/bookings"
    _run([attempt("chen", "chen", "/api/v1/bookings", online) for _ in range(8)]
         + [attempt("zhao", who, staff_path, by_phone) for who in ("staff_a", "admin") * 4])
    for person, got in answers.items():
        statuses = sorted(status for status, _ in got)
        assert statuses == [201] + [409] * 7, (person, got)
        (code,) = [body["code"] for status, body in got if status == 201]
        refusals = [body["error"] for status, body in got if status == 409]
        assert {e["code"] for e in refusals} == {"already_booked"}, refusals
        assert all(code in e["fields"]["start_at"][0] for e in refusals), refusals
    row = db.session.get(SlotCount, (centre_id, item_id, sh(SLOT)))
    assert row.booked == 2
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking)).scalar_one() == 2
