"""Queue benchmark: the staff queue and "my tickets" at 1,000,000 tickets against 10,000.

    .venv/bin/python bench/queue.py [--db sqlite|postgresql|both] [--quick]
        [--small 10000] [--large 1000000] [--repeat 7] [--deep 200] [--keep]
        [--pg-url postgresql://postgres@127.0.0.1:5432/test]
    .venv/bin/python bench/queue.py --db postgresql --large 10000000   # about 3 minutes to load

Builds, on a scratch SQLite file and in a scratch PostgreSQL schema (dropped at the end),
the schema from the real migrations and a street of 20 communities × 20 level-2 areas ×
50 level-3 cells (20,000 cells, no geometry: nothing here locates a point), the standard
categories, 50,000 residents, 400 grid workers, one staff member scoped to a community
and one to the street. Then tickets, generated as numpy columns a chunk at a time and
bulk inserted (executemany on SQLite; on PostgreSQL TRUNCATE and COPY … FREEZE in text
format, formatted by numpy, sent by a thread while the next chunk is made), the secondary
indexes dropped during the load and rebuilt after it; no ticket_events (no queue path
reads them). The tickets have:

* a steady arrival rate (1,000,000 tickets in two years, about 1,370 a day), so the small
  set is the street's first week and the large one its first two years (10,000,000: twenty
  years); ids in creation order;
* the state by age: the last day's mostly open, a week's mostly resolved or closed, a
  few stuck open for months (overdue); due_at set for the open states only;
* the cell skewed (log-normal weights: busy estates and quiet ones), 3 % placed on a
  level-2 area, 1 % outside every cell (needs triage, no place_code);
* the reporter skewed (a few residents report a lot), 10 % grid workers' patrol reports.

With ``--small`` tickets, then (rebuilt) with ``--large`` tickets over the same cells and
people, it times in this process the real code paths, ``queries.queue(user, args)`` and
``queries.my_tickets(user, "reported", cursor, 20)``, each from a fresh session:

* the community's and the street's staff queue: the first page (limit 50) with and
  without ``with_total``, and the page reached by following ``next_cursor`` ``--deep``
  pages (or the deepest full page when there are fewer); filtered by
  state=submitted,accepted, by overdue=true and by the tiers tier=yellow (即将超期:
  ``warn_at``, 75 % of the deadline's span, passed, the deadline not) and tier=red;
* "my tickets" of the resident with the most reports: the first page and the next one.

Prints the median ms per operation at each size and the ratio large / small (the target
is at most 1.5×). Totals (``with_total``) count the whole filtered set and grow with it:
they are printed as their own rows. Asserts nothing about timing.
"""
from __future__ import annotations

import os
import sys

# This file is bench/queue.py: keep its folder off sys.path, or ``import queue`` (urllib3,
# logging handlers …) would find this script instead of the standard library's module.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse
import itertools
import math
import random
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timezone

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from numpy.dtypes import StringDType  # noqa: E402
from psycopg.copy import QueuedLibpqWriter  # noqa: E402

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
DISTRICT, STREET = "510107", "510107021"
N_COMMUNITIES, N_L2, N_L3 = 20, 20, 50   # 20 × 20 × 50 = 20,000 level-3 cells
N_RESIDENTS = 50_000
TICKET_COLUMNS = (
    "id", "category_id", "reporter_id", "source", "description", "lat", "lng", "address",
    "building", "unit", "place_id", "place_code", "needs_triage", "is_private", "state",
    "version", "assignee_id", "department_id", "merged_into_id", "accept_due_at",
    "resolve_due_at", "due_at", "accepted_at", "dispatched_at", "resolved_at", "closed_at",
    "accepted_on_time", "resolved_on_time", "follower_count", "rating", "rating_comment",
    "rated_at", "created_at", "updated_at", "warn_at",
)
DATETIME_COLUMNS = {i for i, c in enumerate(TICKET_COLUMNS)
                    if c.endswith("_at") and c != "merged_into_id"}
BOOL_COLUMNS = {TICKET_COLUMNS.index(c) for c in
                ("needs_triage", "is_private", "accepted_on_time", "resolved_on_time")}
# Tickets arrive at a steady rate (about 1,370 a day: 1,000,000 in two years); n tickets are
# the last n / RATE days. So 10,000 tickets are the same street's first week and 1,000,000
# its first two years: the open backlog is about the same, the history is 100 times longer.
RATE_PER_DAY = 1_000_000 / 730
# state weights by age: (up to this age in days, {state: weight}); open states are recent
_CLOSED = {"rejected": 5, "merged": 2}
STATE_MIX = (
    (1, {"submitted": 30, "accepted": 15, "dispatched": 20, "in_progress": 15,
         "resolved": 10, "closed": 4, "rejected": 4, "merged": 2}),
    (7, {"submitted": 2, "accepted": 5, "dispatched": 10, "in_progress": 13,
         "resolved": 25, "closed": 38, **_CLOSED}),
    (30, {"submitted": 0.5, "accepted": 1.5, "dispatched": 3, "in_progress": 4,
          "resolved": 6, "closed": 78, **_CLOSED}),
    # stuck for months: overdue, what 督办 lists are for
    (180, {"submitted": 0.1, "accepted": 0.2, "dispatched": 0.3, "in_progress": 0.4,
           "resolved": 0.5, "closed": 91.5, **_CLOSED}),
    (None, {"submitted": 0.01, "accepted": 0.01, "dispatched": 0.01, "in_progress": 0.02,
            "resolved": 0.05, "closed": 92.9, **_CLOSED}),
)
PHRASES = ("楼道灯不亮", "下水道堵了", "门口垃圾堆了一周", "电瓶车楼道充电", "晚上噪音太大",
           "健身器材坏了", "路灯不亮", "消防通道被占", "宠物粪便没人管", "井盖松动")


# --- the data ----------------------------------------------------------------------------

class World:
    """Places, people and categories: built once per database, kept for both sizes."""

    def __init__(self):
        self.cells: list[tuple[int, str, int]] = []  # (place id, code, level-2 place id)
        self.l2: list[tuple[int, str]] = []
        self.community_id = self.street_id = 0
        self.resident_ids: list[int] = []
        self.worker_of_l2: dict[int, int] = {}
        self.staff_community = self.staff_street = 0
        # (id, accept hours, private, department id) of each 小类
        self.categories: list[tuple[int, float, bool, int | None]] = []


def build_world(db, rng: random.Random) -> World:
    from backend.tickets.models import Category
    from backend.tickets.seed import seed_categories

    world = World()
    now = datetime.now(timezone.utc)
    places, next_id = [], itertools.count(1)

    def place(code, name, level, parent):
        pid = next(next_id)
        places.append({"id": pid, "code": code, "name": name, "level": level, "kind": None,
                       "parent_id": parent, "created_at": now, "updated_at": now})
        return pid

    district = place(DISTRICT, "武侯区", "district", None)
    world.street_id = place(STREET, "晋阳街道", "street", district)
    for c in range(1, N_COMMUNITIES + 1):
        ccode = f"{STREET}{c:03d}"
        cid = place(ccode, f"社区{c}", "community", world.street_id)
        if c == 3:
            world.community_id = cid
        for b in range(1, N_L2 + 1):
            bcode = f"{ccode}{b:02d}"
            bid = place(bcode, f"社区{c}-{b}片区", "grid2", cid)
            world.l2.append((bid, bcode))
            for a in range(1, N_L3 + 1):
                acode = f"{bcode}{a:02d}"
                world.cells.append((place(acode, f"社区{c}-{b}-{a}院", "grid3", bid), acode, bid))

    from backend.accounts.models import User, worker_cells
    from backend.places.models import Place

    users, uid = [], itertools.count(1)

    def user(**kw):
        row = {"id": next(uid), "role": "resident", "display_name": "", "phone": None,
               "openid": None, "unionid": None, "username": None, "password_hash": None,
               "scope_place_id": None, "is_active": True, "last_login_at": None,
               "created_at": now, "updated_at": now}
        row.update(kw)
        users.append(row)
        return row["id"]

    world.staff_community = user(role="staff", username="bench-community",
                                 display_name="社区工作人员", scope_place_id=world.community_id)
    world.staff_street = user(role="staff", username="bench-street",
                              display_name="街道工作人员", scope_place_id=world.street_id)
    links = []
    for bid, _ in world.l2:
        world.worker_of_l2[bid] = user(role="grid_worker", openid=f"bench-worker-{bid}",
                                       display_name=f"网格员{bid}")
        links.append({"user_id": world.worker_of_l2[bid], "place_id": bid})
    world.resident_ids = [user(openid=f"bench-resident-{i}", display_name=f"居民{i}",
                               phone=f"139{i:08d}") for i in range(N_RESIDENTS)]
    with db.engine.begin() as conn:
        for start in range(0, len(places), 5000):
            conn.execute(Place.__table__.insert(), places[start:start + 5000])
        for start in range(0, len(users), 5000):
            conn.execute(User.__table__.insert(), users[start:start + 5000])
        conn.execute(worker_cells.insert(), links)
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences on
            for table in ("places", "users"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))")
    seed_categories()
    db.session.commit()
    for cat in db.session.execute(sa.select(Category).where(Category.parent_id.is_not(None))
                                  .order_by(Category.id)).scalars():
        world.categories.append((cat.id, cat.accept_hours, cat.is_private, cat.department_id))
    db.session.remove()
    return world


# The generator works on columns (numpy, a dependency of shapely) a chunk at a time: 10,000,000
# tickets as Python rows took 26 µs each to make and COPY (4 minutes of one core, about 10 GB
# held at once); as columns, formatted for COPY by numpy, they stream in constant memory.
STATES = ("submitted", "accepted", "dispatched", "in_progress", "resolved", "closed",
          "rejected", "merged")
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
CHUNK = 100_000
_US_HOUR, _US_DAY = 3_600_000_000, 86_400_000_000
_NO_ID = 0  # ids start at 1: 0 stands for NULL in the id columns


def _state_codes(*names):
    return [STATES.index(name) for name in names]


def _hours(values):
    return (values * _US_HOUR).astype(np.int64).astype("timedelta64[us]")


class TicketColumns:
    """What make_tickets draws once per world and size: numpy lookups of the cells, people
    and categories, the cumulative weights."""

    def __init__(self, world: World, rng):
        cells = world.cells
        self.cell_id = np.array([c[0] for c in cells], dtype=np.int64)
        self.cell_code = np.array([c[1] for c in cells], dtype=StringDType())
        self.l2_id = np.array([c[2] for c in cells], dtype=np.int64)
        self.l2_code = np.array([c[1][:14] for c in cells], dtype=StringDType())
        self.worker = np.array([world.worker_of_l2[c[2]] for c in cells], dtype=np.int64)
        # busy estates and quiet ones; a few residents report a lot
        self.cell_cum = np.cumsum(rng.lognormal(0.0, 1.0, len(cells)))
        self.resident = np.array(world.resident_ids, dtype=np.int64)
        self.reporter_cum = np.cumsum(1 / np.arange(1, len(world.resident_ids) + 1) ** 0.7)
        cats = world.categories
        self.cat_id = np.array([c[0] for c in cats], dtype=np.int64)
        self.cat_hours = np.array([c[1] for c in cats], dtype=np.float64)
        self.cat_private = np.array([c[2] for c in cats], dtype=bool)
        self.cat_dept = np.array([c[3] or _NO_ID for c in cats], dtype=np.int64)
        self.age_limits = np.array([limit for limit, _ in STATE_MIX[:-1]], dtype=np.float64)
        self.state_cum = [np.cumsum([mix.get(s, 0) for s in STATES]) for _, mix in STATE_MIX]


def _pick(cum, rng, m):
    """m draws of indexes weighted by the cumulative weights ``cum``."""
    return np.minimum(np.searchsorted(cum, rng.random(m) * cum[-1], side="right"),
                      len(cum) - 1)


def make_tickets(world: World, n: int, seed: int, now: datetime, chunk: int = CHUNK):
    """Tickets oldest first (ids in time order), ``chunk`` at a time: {column: (values,
    null mask or None)} in TICKET_COLUMNS order, datetimes as naive UTC datetime64[us] (NaT
    for NULL), ids 0 for NULL."""
    rng = np.random.default_rng(seed)
    lk = TicketColumns(world, rng)
    base = np.datetime64(now.astimezone(timezone.utc).replace(tzinfo=None), "us")
    nat = np.datetime64("NaT", "us")
    submitted, accepted_, rejected, merged, closed = _state_codes(
        "submitted", "accepted", "rejected", "merged", "closed")
    open_with_resolve = _state_codes("accepted", "dispatched", "in_progress")
    worked = _state_codes("dispatched", "in_progress", "resolved", "closed")
    for first in range(0, n, chunk):
        m = min(chunk, n - first)
        tid = np.arange(first + 1, first + m + 1, dtype=np.int64)
        # a steady arrival rate: ticket i arrives in the i-th slot of 1 / RATE_PER_DAY days
        age = (n - tid + rng.random(m)) / RATE_PER_DAY
        created = base - (age * _US_DAY).astype(np.int64).astype("timedelta64[us]")
        cat = rng.integers(0, len(lk.cat_id), m)
        roll = rng.random(m)
        cell = _pick(lk.cell_cum, rng, m)
        no_place, on_l2 = roll < 0.01, roll < 0.04  # 1 % outside every cell, 3 % on a level-2 area
        place_id = np.where(no_place, _NO_ID, np.where(on_l2, lk.l2_id[cell], lk.cell_id[cell]))
        place_code = np.where(on_l2, lk.l2_code[cell], lk.cell_code[cell])
        patrol = ~no_place & (rng.random(m) < 0.10)
        # the state by age: the last day's mostly open, months-old ones mostly closed
        bucket = np.searchsorted(lk.age_limits, age, side="right")
        state = np.empty(m, dtype=np.int64)
        draw = rng.random(m)
        for b, cum in enumerate(lk.state_cum):
            here = bucket == b
            state[here] = np.minimum(
                np.searchsorted(cum, draw[here] * cum[-1], side="right"), len(STATES) - 1)
        state[no_place & ~np.isin(state, [submitted, rejected, merged])] = rejected
        state[patrol & (state == submitted)] = accepted_
        reporter = np.where(patrol, _NO_ID, lk.resident[_pick(lk.reporter_cum, rng, m)])
        accept_due = created + _hours(lk.cat_hours[cat] * rng.uniform(1.0, 2.5, m))
        was_accepted = (~np.isin(state, [submitted, rejected])
                        & ~((state == merged) & (rng.random(m) < 0.5)))
        accepted_at = np.where(was_accepted, np.where(
            patrol, created, created + _hours(rng.uniform(0.2, 6, m))), nat)
        resolve_due = accepted_at + _hours(24 * rng.uniform(1, 10, m))
        t = np.where(was_accepted, accepted_at, created)
        is_worked = np.isin(state, worked)
        dispatched_at = np.where(is_worked, t + _hours(rng.uniform(0.1, 8, m)), nat)
        t = np.where(is_worked, dispatched_at, t)
        is_resolved = np.isin(state, worked[2:])
        resolved_at = np.where(is_resolved, t + _hours(rng.uniform(1, 120, m)), nat)
        t = np.where(is_resolved, resolved_at, t)
        is_closed = state == closed
        closed_at = np.where(is_closed, t + _hours(rng.uniform(1, 72, m)), nat)
        t = np.where(is_closed, closed_at, t)
        t = np.where(np.isin(state, [rejected, merged]), t + _hours(rng.uniform(0.5, 24, m)), t)
        updated = np.minimum(t, base)
        due = np.where(state == submitted, accept_due,
                       np.where(np.isin(state, open_with_resolve), resolve_due, nat))
        # the yellow point (即将超期): 75 % of the deadline's span, as operations sets it
        start = np.where(state == submitted, created, accepted_at)
        warn = start + (due - start) * 0.75
        dept = lk.cat_dept[cat]
        to_dept = is_worked & (dept != _NO_ID) & (rng.random(m) < 0.5)
        department = np.where(to_dept, dept, _NO_ID)
        assignee = np.where(is_worked & ~to_dept & ~no_place, lk.worker[cell], _NO_ID)
        rated = is_closed & (reporter != _NO_ID) & (rng.random(m) < 0.6)
        rating = np.array([0, 0, 0, 1, 2])[rng.integers(0, 5, m)]
        followers = np.where(rng.random(m) < 0.95, 0, rng.integers(1, 6, m))
        phrases = np.array(PHRASES, dtype=StringDType())[tid % len(PHRASES)]
        description = np.strings.add(np.strings.add(np.strings.add(
            phrases, "（"), tid.astype(StringDType())), "）")
        address = np.strings.add(rng.integers(1, 41, m).astype(StringDType()), "栋")
        empty = np.full(m, "", dtype=StringDType())
        columns = {
            "id": (tid, None), "category_id": (lk.cat_id[cat], None),
            "reporter_id": (reporter, reporter == _NO_ID),
            "source": (np.where(patrol, "patrol", "resident").astype(StringDType()), None),
            "description": (description, None),
            "lat": (30.55 + rng.random(m) * 0.1, None),
            "lng": (103.95 + rng.random(m) * 0.1, None),
            "address": (address, None), "building": (empty, None), "unit": (empty, None),
            "place_id": (place_id, no_place), "place_code": (place_code, no_place),
            "needs_triage": (no_place, None), "is_private": (lk.cat_private[cat], None),
            "state": (np.array(STATES, dtype=StringDType())[state], None),
            "version": (rng.integers(1, 7, m), None),
            "assignee_id": (assignee, assignee == _NO_ID),
            "department_id": (department, department == _NO_ID),
            "merged_into_id": (tid, np.ones(m, dtype=bool)),
            "accept_due_at": (accept_due, None), "resolve_due_at": (resolve_due, None),
            "due_at": (due, None), "accepted_at": (accepted_at, None),
            "dispatched_at": (dispatched_at, None), "resolved_at": (resolved_at, None),
            "closed_at": (closed_at, None),
            "accepted_on_time": (accepted_at <= accept_due, ~was_accepted),
            "resolved_on_time": (resolved_at <= resolve_due, ~is_resolved),
            "follower_count": (followers, None),
            "rating": (np.array(RATINGS, dtype=StringDType())[rating], ~rated),
            "rating_comment": (empty, np.ones(m, dtype=bool)),
            "rated_at": (np.where(rated, closed_at, nat), None),
            "created_at": (created, None), "updated_at": (updated, None),
            "warn_at": (warn, None),
        }
        assert tuple(columns) == TICKET_COLUMNS
        yield columns


def _text(values, null, *, dt_sep="T", null_text="\\N") -> list:
    """One column as a list of text, COPY's (PostgreSQL) or SQLite's: numpy formats it,
    Python only joins (numpy's own string concatenation was slower)."""
    if values.dtype.kind == "M":
        text = np.datetime_as_string(values, unit="us")  # fixed width: 26 characters
        if dt_sep != "T":
            text.view("U1").reshape(len(text), -1)[:, 10] = dt_sep
        null = np.isnat(values) if null is None else null | np.isnat(values)
    elif values.dtype.kind == "b":
        text = np.where(values, "t", "f")
    else:
        text = values.astype(str) if values.dtype.kind in "iuf" else values
    if null is not None:
        text = np.where(null, null_text, text)
    return text.tolist()


def _copy_text(columns, tail: str) -> bytes:
    """A chunk in COPY's text format (nothing here holds a tab, newline or backslash)."""
    lines = map("\t".join, zip(*(_text(values, null) for values, null in columns.values())))
    return "".join(f"{line}{tail}\n" for line in lines).encode()


def _sqlite_rows(columns, tail: tuple):
    """A chunk as rows for executemany: datetimes as SQLAlchemy stores them on SQLite."""
    out = []
    for values, null in columns.values():
        if values.dtype.kind == "M":
            text = _text(values, null, dt_sep=" ", null_text="")
            dead = np.isnat(values) if null is None else null | np.isnat(values)
            out.append([None if d else v for v, d in zip(text, dead.tolist())])
        else:
            py = values.astype(np.int64 if values.dtype.kind == "b" else values.dtype).tolist()
            out.append(py if null is None else
                       [None if d else v for v, d in zip(py, null.tolist())])
    return [row + tail for row in zip(*out)]


def _pg_literal(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def load_tickets(db, chunks) -> dict[str, float]:
    """Replace every ticket with the chunks of make_tickets: secondary indexes dropped, bulk
    load (executemany on SQLite; on PostgreSQL TRUNCATE and COPY FREEZE in one transaction,
    so VACUUM has nothing left to do), rebuilt, statistics updated. Returns seconds by
    phase: generate (inside the load), load, index, analyze."""
    times = {"generate": 0.0}
    start = time.perf_counter()
    engine = db.engine
    dialect = engine.dialect.name
    with engine.begin() as conn:
        if dialect == "sqlite":
            found = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='tickets' "
                "AND sql IS NOT NULL").all()
        else:
            found = conn.exec_driver_sql(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename='tickets' "
                "AND i.schemaname = current_schema() AND i.indexname NOT IN "
                "(SELECT conname FROM pg_constraint)").all()
        names, indexes = [r[0] for r in found], [r[1] for r in found]
        for name in names:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        if dialect == "sqlite":
            conn.exec_driver_sql("DELETE FROM ticket_events")
            conn.exec_driver_sql("DELETE FROM tickets")
    # columns added to the model since this bench was written: their scalar defaults
    from backend.tickets.models import Ticket

    extra = [(c.name, c.default.arg) for c in Ticket.__table__.columns
             if c.name not in TICKET_COLUMNS and c.default is not None and c.default.is_scalar]
    cols = ", ".join(TICKET_COLUMNS + tuple(name for name, _ in extra))

    def timed_chunks():
        it = iter(chunks)
        while True:
            t0 = time.perf_counter()
            chunk = next(it, None)
            times["generate"] += time.perf_counter() - t0
            if chunk is None:
                return
            yield chunk

    raw = engine.raw_connection()
    try:
        if dialect == "sqlite":
            tail = tuple(int(v) if isinstance(v, bool) else v for _, v in extra)
            cur = raw.driver_connection.cursor()
            cur.execute("PRAGMA cache_size=-200000")
            cur.execute("BEGIN")
            marks = ", ".join("?" * (len(TICKET_COLUMNS) + len(extra)))
            for chunk in timed_chunks():
                cur.executemany(f"INSERT INTO tickets ({cols}) VALUES ({marks})",
                                _sqlite_rows(chunk, tail))
            cur.execute("COMMIT")
            cur.close()
        else:
            tail = "".join("\t" + _pg_literal(v) for _, v in extra)
            pg = raw.driver_connection
            with pg.cursor() as cur:
                # empty since this transaction began: COPY FREEZE writes the rows frozen
                # and all-visible (their children are empty here: nothing else is lost)
                cur.execute("TRUNCATE tickets CASCADE")
                # the data are consistent by construction: skip the per-row FK triggers
                cur.execute("SET session_replication_role = replica")
                # a thread sends (the server parses) while this one formats the next chunk
                with cur.copy(f"COPY tickets ({cols}) FROM STDIN WITH (FREEZE)",
                              writer=QueuedLibpqWriter(cur)) as copy:
                    for chunk in timed_chunks():
                        copy.write(_copy_text(chunk, tail))
                cur.execute("SET session_replication_role = DEFAULT")
                cur.execute("SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
                            "(SELECT coalesce(max(id), 1) FROM tickets))")
            pg.commit()
    finally:
        raw.close()
    times["load"] = time.perf_counter() - start - times["generate"]
    start = time.perf_counter()
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
        for ddl in indexes:
            conn.exec_driver_sql(ddl)
    times["index"] = time.perf_counter() - start
    start = time.perf_counter()
    if dialect == "sqlite":
        raw = engine.raw_connection()  # outside any transaction: no BEGIN before these
        try:
            if ANALYZE_SQLITE:
                raw.driver_connection.execute("ANALYZE")
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE tickets")
    times["analyze"] = time.perf_counter() - start
    return times


ANALYZE_SQLITE = False  # the app never runs ANALYZE on SQLite: measure it as shipped


# --- timing ------------------------------------------------------------------------------

def _fresh_user(db, user_id):
    from backend.accounts.models import User

    db.session.remove()
    user = db.session.get(User, user_id)
    _ = user.scope_place  # loaded outside the timed part, as login_required does
    return user


def _timed(db, user_id, fn, repeat):
    runs, result = [], None
    for _ in range(repeat):
        user = _fresh_user(db, user_id)
        start = time.perf_counter()
        result = fn(user)
        runs.append((time.perf_counter() - start) * 1000)
    db.session.remove()
    return statistics.median(runs), result


def _walk(db, user_id, args, pages):
    """The cursor of the deepest full page within ``pages`` pages: (cursor, page number);
    (None, 1) when the first page is the only full one. A last page holds fewer rows, and
    would not compare with a full one."""
    from backend.tickets import queries

    user = _fresh_user(db, user_id)
    cursor, n, full = None, 1, (None, 1)
    while n <= pages:
        _, nxt, _ = queries.queue(user, dict(args, cursor=cursor) if cursor else args,
                                  with_total=False)
        db.session.expunge_all()
        if nxt is None:
            break
        full = (cursor, n)  # this page had a next one: it was full
        cursor, n = nxt, n + 1
    db.session.remove()
    return full


def check_order(db, world: World) -> str:
    """Every case walked to its end page by page equals one ``ORDER BY due_at NULLS LAST,
    id`` over the same filters (the order the queue promises)."""
    from backend.tickets import queries
    from backend.tickets.models import Ticket

    checked = 0
    for user_id in (world.staff_community, world.staff_street):
        for extra in ({}, {"state": ["submitted", "accepted"]}, {"state": ["submitted"]},
                      {"state": ["resolved", "in_progress"]}, {"overdue": True},
                      {"overdue": False}, {"tier": "yellow"}, {"tier": "red"}):
            args = dict(extra, limit=37)
            user = _fresh_user(db, user_id)
            expected = db.session.execute(
                sa.select(Ticket.id).where(*queries.queue_filters(user, args))
                .order_by(sa.nulls_last(Ticket.due_at.asc()), Ticket.id)).scalars().all()
            got, cursor = [], None
            while True:
                rows, cursor, _ = queries.queue(user, dict(args, cursor=cursor) if cursor
                                                else args, with_total=False)
                got += [t.id for t in rows]
                db.session.expunge_all()
                if cursor is None:
                    break
            if got != expected:
                raise SystemExit(f"queue order differs for user {user_id} {extra}: "
                                 f"{len(got)} rows against {len(expected)}")
            checked += len(got)
    db.session.remove()
    return f"{checked:,} rows in 16 walks agree with ORDER BY due_at NULLS LAST, id"


def measure(db, world: World, repeat: int, deep: int) -> dict[str, tuple[float, str]]:
    """{operation: (median ms, note)}."""
    from backend.tickets import queries

    out: dict[str, tuple[float, str]] = {}
    cases = [
        ("community", world.staff_community, {}),
        ("street", world.staff_street, {}),
        ("community state=submitted,accepted", world.staff_community,
         {"state": ["submitted", "accepted"]}),
        ("street state=submitted,accepted", world.staff_street,
         {"state": ["submitted", "accepted"]}),
        ("community overdue=true", world.staff_community, {"overdue": True}),
        ("street overdue=true", world.staff_street, {"overdue": True}),
        # the tiers (issue 19): 即将超期 (past 75 % of its time, not yet due) and 已超期
        ("community tier=yellow", world.staff_community, {"tier": "yellow"}),
        ("street tier=yellow", world.staff_street, {"tier": "yellow"}),
        ("community tier=red", world.staff_community, {"tier": "red"}),
        ("street tier=red", world.staff_street, {"tier": "red"}),
    ]
    for label, user_id, extra in cases:
        args = dict(extra, limit=50)
        ms, (rows, _, _) = _timed(db, user_id, lambda u: queries.queue(u, args, with_total=False),
                                  repeat)
        out[f"queue {label}: first page"] = (ms, f"{len(rows)} rows")
        ms, (_, _, total) = _timed(db, user_id, lambda u: queries.queue(u, args), repeat)
        out[f"queue {label}: first page + total"] = (ms, f"total {total.count:,}{'+' if total.capped else ''}")
        if deep:
            cursor, n = _walk(db, user_id, args, deep)
            if cursor:
                deep_args = dict(args, cursor=cursor)
                ms, (rows, _, _) = _timed(
                    db, user_id, lambda u: queries.queue(u, deep_args, with_total=False), repeat)
                out[f"queue {label}: deep page"] = (ms, f"page {n}, {len(rows)} rows")

    # "my tickets" of the busiest reporter
    from backend.tickets.models import Ticket

    resident = db.session.execute(
        sa.select(Ticket.reporter_id).where(Ticket.reporter_id.is_not(None))
        .group_by(Ticket.reporter_id).order_by(sa.func.count().desc(), Ticket.reporter_id)
        .limit(1)).scalar_one()
    count = db.session.execute(sa.select(sa.func.count()).select_from(Ticket)
                               .where(Ticket.reporter_id == resident)).scalar_one()
    db.session.remove()
    ms, (rows, cursor) = _timed(db, resident,
                                lambda u: queries.my_tickets(u, "reported", None, 20), repeat)
    out["my tickets: first page"] = (ms, f"{len(rows)} of {count:,}")
    if cursor:
        ms, (rows, _) = _timed(db, resident,
                               lambda u: queries.my_tickets(u, "reported", cursor, 20), repeat)
        out["my tickets: second page"] = (ms, f"{len(rows)} rows")
    return out


def _loadavg() -> str:
    """The machine's 1, 5 and 15 minute load averages (it is shared: figures move with it)."""
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def _table_size(db) -> str:
    """The tickets table on disk: heap and indexes."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            heap, indexes = conn.exec_driver_sql(
                "SELECT pg_table_size('tickets'), pg_indexes_size('tickets')").one()
            return f"table {heap / 2**20:,.0f} MB + indexes {indexes / 2**20:,.0f} MB"
        pages, size = (conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in
                       ("page_count", "page_size"))
        return f"database file {pages * size / 2**20:,.0f} MB"


# --- one database --------------------------------------------------------------------------

def run_database(kind: str, sizes: list[int], repeat: int, deep: int, pg_url: str, seed: int,
                 keep: bool = False):
    import flask_migrate

    from backend import create_app
    from backend.config import normalise_database_url
    from backend.extensions import db

    scratch = tempfile.mkdtemp(prefix=f"linli-bench-queue-{kind}-")
    os.environ["LINLI_INSTANCE_PATH"] = scratch
    schema = None
    if kind == "sqlite":
        url, options = f"sqlite:///{os.path.join(scratch, 'bench.db')}", {}
    else:
        url = normalise_database_url(pg_url)
        schema = f"bench_queue_{os.getpid()}"
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
                      "RATELIMIT_STORAGE_URI": "memory://", "LOG_LEVEL": "WARNING"})
    results = {}
    try:
        with app.app_context():
            t0 = time.perf_counter()
            flask_migrate.upgrade()
            rng = random.Random(seed)
            world = build_world(db, rng)
            print(f"[{kind}] schema and world: {time.perf_counter() - t0:.1f} s "
                  f"({len(world.cells):,} level-3 cells, {len(world.resident_ids):,} residents)",
                  flush=True)
            now = datetime.now(timezone.utc)
            for n in sizes:
                loadavg = _loadavg()
                times = load_tickets(db, make_tickets(world, n, seed, now))
                if n == sizes[0]:
                    print(f"[{kind}] {n:,} tickets: {check_order(db, world)}", flush=True)
                t0 = time.perf_counter()
                results[n] = measure(db, world, repeat, deep)
                print(f"[{kind}] {n:,} tickets: generated {times['generate']:.1f} s, loaded "
                      f"{times['load']:.1f} s, indexed {times['index']:.1f} s, analyzed "
                      f"{times['analyze']:.1f} s; {_table_size(db)}; measured "
                      f"{time.perf_counter() - t0:.1f} s; load average {loadavg} before the "
                      f"load, {_loadavg()} after", flush=True)
            db.session.remove()
            db.engine.dispose()
    finally:
        if schema and keep:
            print(f"[{kind}] kept: schema {schema} (drop it: DROP SCHEMA {schema} CASCADE)")
        elif schema:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if schema:
            admin.dispose()
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def print_table(kind: str, results: dict, small: int, large: int) -> None:
    print()
    print(f"== {kind}: median ms over the repetitions; ratio {large:,} / {small:,} tickets "
          f"(target ≤ 1.5×; '+ total' rows count the whole filtered set and grow with it)")
    head = (f"{'operation':<58} {small:>10,} {large:>10,} {'ratio':>7}  "
            f"notes ({small:,} | {large:,})")
    print(head)
    print("-" * len(head))
    ops = list(results[small]) + [op for op in results[large] if op not in results[small]]
    for op in ops:  # a deep page can exist at one size only
        ms_small, note_small = results[small].get(op, (math.nan, "no full page that deep"))
        ms_large, note_large = results[large].get(op, (math.nan, "no full page that deep"))
        ratio = ms_large / ms_small if ms_small else math.nan
        flag = "" if not ratio > 1.5 or "total" in op else "  <-- over 1.5×"
        print(f"{op:<58} {ms_small:10.2f} {ms_large:10.2f} {ratio:6.2f}×  "
              f"{note_small} | {note_large}{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true",
                        help="100,000 tickets instead of 1,000,000 (for CI)")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--deep", type=int, default=200, help="pages to follow for the deep page")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL))
    parser.add_argument("--analyze-sqlite", action="store_true",
                        help="run ANALYZE on SQLite after loading (the app does not)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true",
                        help="keep the PostgreSQL schema with the large set (for EXPLAIN)")
    args = parser.parse_args()
    large = args.large or (100_000 if args.quick else 1_000_000)
    global ANALYZE_SQLITE
    ANALYZE_SQLITE = args.analyze_sqlite
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    all_results = {}
    for kind in kinds:
        all_results[kind] = run_database(kind, [args.small, large], args.repeat, args.deep,
                                         args.pg_url, args.seed, args.keep)
    for kind, results in all_results.items():
        print_table(kind, results, args.small, large)


if __name__ == "__main__":
    main()
