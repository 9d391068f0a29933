"""Slots benchmark: free slots of 14 days for a busy centre, against /livez in the same run.

    .venv/bin/python bench/slots.py [--db sqlite|postgresql] [--requests 300]
        [--pg-url postgresql://postgres@127.0.0.1:5432/test]

Builds, on a scratch SQLite file (or a scratch PostgreSQL schema, dropped at the end), the
schema from the real migrations and one community service centre with 20 service items
(the demo catalogue's, 10–30 minute slots) and 4 counters (three specialised, one serving
every item), open weekdays 09:00–12:00 and 13:30–18:00, weekday evenings 18:00–20:00 and
Saturday mornings (extended, two counters). The clock is fixed at Monday 2026-11-23 08:00
(Shanghai). Half the slots of the next 14 days are fully booked (every other slot of every
item: its ``slot_counts`` row at capacity and one ``bookings`` row per place taken).

Then, through the Flask test client of one app (the whole request path: token, query
parsing, the schedule, the slot counts, the schema dump), it times
``GET /api/v1/service-centres/<id>/slots?item=<each item in turn>`` against
``GET /livez`` — interleaved, after a warm-up — and prints the median and mean ms per
request of each and their ratio. Asserts nothing.
"""
from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402

import sqlalchemy as sa  # noqa: E402

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
NOW_LOCAL = "2026-11-23 08:00"   # a Monday
DAYS = 14


def make_app(kind: str, pg_url: str):
    instance = tempfile.mkdtemp(prefix="linli-bench-slots-")
    os.environ["LINLI_INSTANCE_PATH"] = instance
    from backend import create_app
    from backend.config import normalise_database_url

    config = {"TESTING": True, "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING"}
    schema = None
    if kind == "postgresql":
        url = normalise_database_url(pg_url)
        schema = "linli_bench_slots_" + uuid.uuid4().hex[:8]
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        engine.dispose()
        config.update(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS={
            "connect_args": {"options": f"-csearch_path={schema}"}})
    else:
        config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(instance, "bench.db")
    return create_app(config), schema


def build(app, now: datetime) -> tuple[int, list[int], str, dict]:
    """The centre, its items (ids), a resident's token and the numbers of what was made."""
    from backend.accounts.models import Role, User
    from backend.bookings import slots
    from backend.bookings.models import Booking, Counter, SlotCount
    from backend.bookings.availability import _schedule_rules, counters_for_item
    from backend.bookings.seed import ITEMS, seed_centre, seed_items
    from backend.accounts.auth import issue_token
    from backend.extensions import db
    from backend.places.models import Place

    district = Place(code="510107", name="武侯区", level="district")
    street = Place(code="510107021", name="晋阳街道", level="street", parent=district)
    community = Place(code="510107021003", name="晋阳社区", level="community", parent=street)
    db.session.add_all([district, street, community])
    db.session.flush()
    seed_items()
    centre, _ = seed_centre(community, "晋阳社区党群服务中心", "晋阳路 88 号", "028-85000100")
    # 20 items: the catalogue's first 20; the 4th counter serves every one of them
    from backend.bookings.models import ServiceItem

    items = list(db.session.execute(sa.select(ServiceItem).order_by(ServiceItem.sort_order)
                                    .limit(20)).scalars())
    assert len(items) == 20 and len(ITEMS) >= 20
    for extra in db.session.execute(sa.select(ServiceItem).where(
            ServiceItem.id.not_in([i.id for i in items]))).scalars():
        extra.is_active = False
    resident = User(role=Role.resident.value, openid="bench-resident", display_name="居民")
    db.session.add(resident)
    db.session.flush()
    raw, _ = issue_token(resident, "bench", 24)

    rules = _schedule_rules(centre)
    today = slots.local_date(now)
    last = today + timedelta(days=DAYS)
    slot_rows, booking_rows, total_slots = [], [], 0
    for item in items:
        counters = counters_for_item(centre, item)
        plan = slots.plan(today, last, rules, {}, item.duration_minutes, counters, {}, now,
                          timedelta(0), DAYS, only_free=False)
        every = [s for day in plan for s in day.slots]
        total_slots += len(every)
        for slot in every[::2]:  # half the slots, fully booked
            slot_rows.append({"centre_id": centre.id, "item_id": item.id,
                              "start_at": slot.start, "booked": slot.capacity,
                              "capacity": slot.capacity})
            for place in range(slot.capacity):
                n = len(booking_rows)
                booking_rows.append({
                    "code": f"B{n:06d}", "guest_name": "居民", "guest_phone": f"139{n:08d}",
                    "item_id": item.id, "centre_id": centre.id, "start_at": slot.start,
                    "end_at": slot.end, "slot_kind": slot.kind, "status": "booked",
                    "source": "staff", "note": "", "cancel_reason": "",
                    "reschedule_count": 0, "version": 1, "created_at": now,
                    "updated_at": now})
    db.session.execute(sa.insert(SlotCount), slot_rows)
    db.session.execute(sa.insert(Booking), booking_rows)
    db.session.commit()
    counters = db.session.execute(sa.select(sa.func.count()).select_from(Counter)).scalar_one()
    return centre.id, [i.id for i in items], raw, {
        "items": len(items), "counters": counters, "slots": total_slots,
        "full_slots": len(slot_rows), "bookings": len(booking_rows)}


def timed(client, path: str, headers: dict) -> tuple[float, int, int]:
    start = time.perf_counter()
    response = client.get(path, headers=headers)
    elapsed = time.perf_counter() - start
    return elapsed, response.status_code, len(response.get_data())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL))
    args = parser.parse_args()

    import flask_migrate

    from backend.bookings import common
    from backend.core.workcalendar import SHANGHAI
    from backend.extensions import db

    now = datetime.fromisoformat(NOW_LOCAL).replace(tzinfo=SHANGHAI).astimezone(timezone.utc)
    common.utcnow = lambda: now  # the benchmark's fixed clock
    app, schema = make_app(args.db, args.pg_url)
    try:
        with app.app_context():
            flask_migrate.upgrade()
            centre_id, item_ids, token, made = build(app, now)
            db.session.remove()
        headers = {"Authorization": f"Bearer {token}"}
        client = app.test_client()
        paths = [f"/api/v1/service-centres/{centre_id}/slots?item={i}" for i in item_ids]
        sizes = []
        for path in paths:  # warm-up, and a check that the answers are real
            _, status, size = timed(client, path, headers)
            assert status == 200, status
            sizes.append(size)
        for _ in range(20):
            timed(client, "/livez", {})
        sample = client.get(paths[0], headers=headers).get_json()
        free = sum(len(d["slots"]) for d in sample["days"])
        slots_ms, livez_ms = [], []
        for n in range(args.requests):
            elapsed, status, _ = timed(client, paths[n % len(paths)], headers)
            slots_ms.append(elapsed * 1000)
            elapsed, status, _ = timed(client, "/livez", {})
            livez_ms.append(elapsed * 1000)
    finally:
        with app.app_context():
            db.engine.dispose()
        if schema:
            engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"],
                                      isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            engine.dispose()

    print(f"slots benchmark on {args.db}: now {NOW_LOCAL} (Shanghai), {DAYS + 1} days asked")
    print(f"  centre: {made['items']} items, {made['counters']} counters, "
          f"{made['slots']} slots from today to today + {DAYS}, {made['full_slots']} full "
          f"({made['bookings']} bookings)")
    print(f"  one answer: {free} free slots of item {item_ids[0]}, "
          f"{statistics.median(sizes) / 1024:.1f} KiB median")
    print(f"  {args.requests} requests each, interleaved, Flask test client, one process")
    print(f"  {'request':<44} {'median ms':>10} {'mean ms':>9} {'p95 ms':>8}")
    for name, values in (("GET /api/v1/service-centres/<id>/slots?item=", slots_ms),
                         ("GET /livez", livez_ms)):
        p95 = sorted(values)[int(len(values) * 0.95) - 1]
        print(f"  {name:<44} {statistics.median(values):>10.2f} "
              f"{statistics.mean(values):>9.2f} {p95:>8.2f}")
    print(f"  ratio slots / livez (median): "
          f"{statistics.median(slots_ms) / statistics.median(livez_ms):.1f}x")


if __name__ == "__main__":
    main()
