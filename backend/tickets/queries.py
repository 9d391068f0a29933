"""Lists: the staff queue (keyset by deadline), my tickets, worker tasks, the public list."""
from __future__ import annotations

import functools
import threading
from datetime import datetime, time, timedelta
from typing import NamedTuple, Optional

import sqlalchemy as sa
from sqlalchemy import orm as so
from sqlalchemy.dialects import postgresql

from backend.accounts.models import User
from backend.accounts.permissions import can_manage_place, is_admin
from backend.tickets import permissions
from backend.core.errors import ApiError, field_error
from backend.core.fields import INT_MAX
from backend.core.geo import haversine_m
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.places.models import Place
from backend.tickets.models import Category, Department, State, Ticket, TicketFollower
from backend.core.paging import decode_cursor, encode_cursor

TASK_STATES = (State.dispatched.value, State.in_progress.value)


def _day_start_utc(day) -> datetime:
    """Midnight of a business day (Asia/Shanghai)."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def staff_scope_filter(user: User):
    """The tickets a staff member may see: their subtree; admins everything."""
    return _scope_condition(_scope_key(user))


def _scope_key(user: User) -> Optional[str]:
    """What a staff member's scope depends on: "*" for an admin, their area's code, or
    None (no area: nothing)."""
    if is_admin(user):
        return "*"
    return user.scope_place.code if user.scope_place is not None else None


def _scope_condition(scope: Optional[str]):
    if scope == "*":
        return sa.true()
    if scope is None:
        return sa.false()
    inside = Ticket.place_code.startswith(scope, autoescape=True)
    if len(scope) <= permissions.TRIAGE_SCOPE_MAX_CODE:
        return sa.or_(inside, Ticket.place_code.is_(None))
    return inside


def queue_filters(user: User, args: dict, scope=None) -> list:
    """The queue's conditions: the staff member's scope (``scope``: that condition, already
    built) and the filters of ``args``."""
    conditions = [staff_scope_filter(user) if scope is None else scope]
    if args.get("state"):
        conditions.append(Ticket.state.in_(args["state"]))
    if args.get("category_id"):
        conditions.append(Ticket.category_id == args["category_id"])
    if args.get("place_id"):
        place = db.session.get(Place, args["place_id"])
        if place is None or not can_manage_place(user, place):
            raise field_error("place_id", "place_outside_scope", status=403)
        conditions.append(Ticket.place_code.startswith(place.code, autoescape=True))
    if args.get("assignee_id"):
        conditions.append(Ticket.assignee_id == args["assignee_id"])
    if args.get("content_status"):
        conditions.append(Ticket.content_status == args["content_status"])
    if args.get("flagged") is True:  # 待人工派遣
        conditions.append(Ticket.dispatch_flag.is_not(None))
    elif args.get("flagged") is False:
        conditions.append(Ticket.dispatch_flag.is_(None))
    if args.get("source"):
        conditions.append(Ticket.source.in_(args["source"]))
    if args.get("needs_triage") is not None:
        conditions.append(Ticket.needs_triage.is_(args["needs_triage"]))
    now = utcnow()
    if args.get("overdue") is True:
        conditions.append(Ticket.due_at < now)
    elif args.get("overdue") is False:
        conditions.append(sa.or_(Ticket.due_at.is_(None), Ticket.due_at >= now))
    # the tiers of Ticket.tier(now): both read the deadline range of ix_tickets_deadline
    # (red before now, yellow from now on) with a deadline, so never the second range
    if args.get("tier") == "red":
        conditions.append(Ticket.due_at < now)
    elif args.get("tier") == "yellow":
        conditions += [Ticket.due_at >= now, Ticket.warn_at <= now]
    created_from, created_to = args.get("created_from"), args.get("created_to")
    if created_from and created_to and created_from > created_to:
        raise field_error("created_from", "date_range_invalid")
    if created_from:
        conditions.append(Ticket.created_at >= _day_start_utc(created_from))
    if created_to:
        conditions.append(Ticket.created_at < _day_start_utc(created_to + timedelta(days=1)))
    if args.get("q"):
        pattern = f"%{args['q']}%"
        conditions.append(sa.or_(Ticket.description.ilike(pattern, escape="\\"),
                                 Ticket.address.ilike(pattern, escape="\\")))
    return conditions


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def queue(user: User, args: dict, with_total: bool = True, plain: bool = False):
    """Sorted by deadline (none last), then id; keyset pagination on (due_at, id).

    Read as two keyset ranges, each in the order of an index so that a page costs the
    same whatever the table's size: the tickets with a deadline by (due_at, id), then
    those without one by id (``_queue_range``). A single ``ORDER BY due_at NULLS LAST``
    sorted every ticket in scope on every page on SQLite (no index is read in that
    order), and its cursor's OR kept PostgreSQL from starting at the cursor
    (bench/queue.py).

    The rows are ORM tickets, or with ``plain`` ``TicketRow``s (what a row shows, for
    ``presenters.staff_row``; the API's pages, which only show them).
    """
    if args.get("q"):
        args = dict(args, q=_escape_like(args["q"]))
    kept = _first_page(user, args)
    conditions = kept.conditions if kept is not None else queue_filters(user, args)
    limit = args["limit"]
    due = last_id = None
    if args.get("cursor"):
        due, last_id = decode_cursor(args["cursor"], ("dt", "int"))
    states = args.get("state")
    keys: list = []  # (due_at, id) of the page's tickets, in the queue's order
    if last_id is None or due is not None:
        keys = _queue_range(conditions, states, True,
                            None if last_id is None else (due, last_id), limit + 1, kept)
    # overdue=true or a tier: every match has a deadline, and the second range would be a
    # long scan for nothing
    if len(keys) <= limit and args.get("overdue") is not True and not args.get("tier"):
        keys += _queue_range(conditions, states, False,
                             last_id if due is None else None, limit + 1 - len(keys), kept)
    next_cursor = None
    if len(keys) > limit:
        keys = keys[:limit]
        next_cursor = encode_cursor(*keys[-1])
    rows = load_rows([ticket_id for _due, ticket_id in keys], plain=plain)
    total = capped_count(conditions, kept=kept) if with_total else None
    return rows, next_cursor, total


# The filters a first page's statements may be kept for: none reads the clock or the
# database (place_id is checked against the staff member's area on every request).
_KEEPABLE_FILTERS = frozenset({"state", "category_id", "assignee_id", "content_status",
                               "flagged", "source", "needs_triage", "limit"})


class _FirstPage:
    """The statements of a queue's first page for one scope and set of filters, built once
    by the process (building them, their filters and their cache keys cost a third of
    the queue's Python under bench/load.py, py-spy): every value in them comes from the
    key they are kept under, the page size is a parameter."""

    def __init__(self, scope: Optional[str], filters: tuple) -> None:
        self.conditions = queue_filters(None, dict(filters), scope=_scope_condition(scope))
        self._ranges: dict = {}
        self._count = None
        self._lock = threading.Lock()

    def range(self, with_deadline: bool, state: Optional[str]) -> sa.Select:
        with self._lock:
            statement = self._ranges.get((with_deadline, state))
        if statement is None:
            statement = _range_statement(self.conditions, with_deadline, None, state)
            with self._lock:
                self._ranges[(with_deadline, state)] = statement
        return statement

    def count(self) -> sa.Select:
        if self._count is None:
            self._count = _count_statement(self.conditions, TOTAL_CAP)
        return self._count


def _first_page(user: User, args: dict) -> Optional[_FirstPage]:
    """The kept statements for a first page whose filters allow it, or None."""
    if args.get("cursor") or not _KEEPABLE_FILTERS.issuperset(
            name for name, value in args.items() if value is not None):
        return None
    filters = tuple(sorted((name, tuple(value) if isinstance(value, list) else value)
                           for name, value in args.items()
                           if value is not None and name != "limit"))
    return _kept_first_page(_scope_key(user), filters)


@functools.lru_cache(maxsize=256)
def _kept_first_page(scope: Optional[str], filters: tuple) -> _FirstPage:
    return _FirstPage(scope, filters)


# Totals count at most this many matches: beyond it a count reads the whole filtered
# history on every page (33–62 ms at 1,000,000 tickets, bench/queue.py) for a figure that
# nobody reads exactly; the answer says "more than 10,000" instead.
TOTAL_CAP = 10_000


def _read_columns(statement: sa.Select, params: Optional[dict] = None) -> sa.CursorResult:
    """A statement of plain columns, run on the session's connection without the ORM's
    handling of a statement (twice the cost of running it: 0.2 against 0.1 ms); what the
    session holds unflushed is flushed first, as the ORM's autoflush would."""
    db.session.flush()  # returns at once when nothing is pending
    return db.session.connection().execute(statement, params)


class Total(NamedTuple):
    count: int
    capped: bool  # more than ``count`` match

    def __str__(self) -> str:
        return f"{self.count}+" if self.capped else str(self.count)


def capped_count(conditions: list, cap: Optional[int] = None,
                 kept: Optional[_FirstPage] = None) -> Total:
    cap = TOTAL_CAP if cap is None else cap
    statement = kept.count() if kept is not None and cap == TOTAL_CAP else \
        _count_statement(conditions, cap)
    n = _read_columns(statement).scalar_one()
    return Total(min(n, cap), n > cap)


def _count_statement(conditions: list, cap: int) -> sa.Select:
    matches = sa.select(Ticket.id).where(*conditions).limit(cap + 1).subquery()
    return sa.select(sa.func.count()).select_from(matches)


# What a queue row shows of each ticket (its category with the parent, cell, assignee and
# department: each one row or none), joined to the page's query: one statement a page,
# not one lazy load per row (34 statements for a page of 20, bench/load.py) nor one
# query per relation. The tickets stay the outer side, read in their index's order.
ROW_LOADS = (so.joinedload(Ticket.category).joinedload(Category.parent),
             so.joinedload(Ticket.place),
             so.joinedload(Ticket.assignee), so.joinedload(Ticket.department))


# A worker's task shows the reporter too.
TASK_LOADS = (*ROW_LOADS, so.joinedload(Ticket.reporter))


def _queue_range(conditions: list, states: Optional[list], with_deadline: bool, after,
                 n: int, kept: Optional["_FirstPage"] = None) -> list:
    """The (due_at, id) of at most ``n`` tickets of one of the queue's ranges, after the
    cursor ``after``: with a deadline, by (due_at, id), read from the partial index
    ``ix_tickets_deadline``; without one, by id.

    With a state filter, one state at a time in the order of ``ix_tickets_queue`` (state,
    due_at, id), merged here: each reads a page from that index. With the states together
    the databases sorted the whole backlog of those states, or walked the table by id for
    rows that mostly do not exist (tickets in open states carry a deadline).

    Only the keys are read here (from the index alone); the page's tickets are then loaded
    with what a row shows by their ids (``load_rows``): with the joins in the same
    statement, PostgreSQL at 10,000,000 tickets misjudged a deep page's range as a few rows
    (its statistics sample a rare deadline), joined all 3,270 and sorted them (21 ms
    instead of 5, bench/queue.py); and the joined statement, built anew for each range
    and each state, cost more than running it (an empty range 1.3 ms, profile_request)."""
    def statement(state: Optional[str]) -> sa.Select:
        if kept is not None and after is None:
            return kept.range(with_deadline, state)
        return _range_statement(conditions, with_deadline, after, state)

    if not states:
        return list(_read_columns(statement(None), {"n": n}).all())
    keys: list = []
    for state in dict.fromkeys(states):
        keys += _read_columns(statement(state), {"n": n}).all()
    keys.sort(key=(lambda k: k[1]) if not with_deadline else (lambda k: k))
    return keys[:n]


def _range_statement(conditions: list, with_deadline: bool, after,
                     state: Optional[str]) -> sa.Select:
    """One range's keys after the cursor ``after``, of one state or all; at most the
    parameter ``n`` of them."""
    if with_deadline:
        query = sa.select(Ticket.due_at, Ticket.id).where(*conditions, Ticket.due_at.is_not(None))
        if after is not None:
            due, last_id = after
            query = query.where(sa.tuple_(Ticket.due_at, Ticket.id) > sa.tuple_(
                sa.literal(due, Ticket.due_at.type), sa.literal(last_id, Ticket.id.type)))
        order = (Ticket.due_at, Ticket.id)
    else:
        query = sa.select(Ticket.due_at, Ticket.id).where(*conditions, Ticket.due_at.is_(None))
        if after is not None:
            query = query.where(Ticket.id > after)
        order = (Ticket.id,)
    if state is not None:
        query = query.where(Ticket.state == state)
        order = (Ticket.state, Ticket.due_at, Ticket.id)
    return query.order_by(*order).limit(sa.bindparam("n", type_=sa.Integer))


@functools.cache
def _rows_query(with_reporter: bool) -> sa.Select:
    """Tickets by id with what a row shows (ROW_LOADS, or TASK_LOADS with the reporter):
    built once, the ids an expanding parameter."""
    return (sa.select(Ticket).options(*(TASK_LOADS if with_reporter else ROW_LOADS))
            .where(Ticket.id.in_(sa.bindparam("ids", expanding=True))))


def load_rows(ids: list[int], with_reporter: bool = False, plain: bool = False) -> list:
    """The tickets ``ids`` in that order (one gone meanwhile is left out), each with
    what a list row shows, in one statement: ORM tickets, or (``plain``) ``TicketRow``s."""
    if not ids:
        return []
    if plain:
        dialect = db.session.get_bind().dialect.name
        rows = _read_columns(_plain_rows_query(with_reporter, dialect), {"ids": list(ids)})
        found = {row[0]: TicketRow(row, with_reporter) for row in rows}
    else:
        found = {t.id: t for t in db.session.execute(_rows_query(with_reporter),
                                                     {"ids": list(ids)}).scalars()}
    return [found[i] for i in ids if i in found]


class PersonRow(NamedTuple):
    """The columns of a user that ``presenters.person`` shows (an assignee, a reporter)."""

    id: int
    display_name: str
    phone: Optional[str]
    role: str
    phone_consent_at: Optional[datetime]


# What a queue row or a task row reads of a ticket (presenters.staff_row, task_row), in
# the order of _plain_rows_query's first columns.
ROW_COLUMNS = ("id", "version", "description", "address", "building", "unit", "lat", "lng",
               "needs_triage", "state", "source", "is_private", "accept_due_at",
               "resolve_due_at", "due_at", "warn_at", "follower_count", "created_at",
               "updated_at", "content_status", "dispatch_flag", "checkin_far", "priority",
               "external_ref", "caller_name", "caller_phone")
_PERSON = len(PersonRow._fields)


class TicketRow:
    """A ticket as a list row shows it, read as plain columns (``load_rows(plain=True)``):
    what ``presenters.staff_row`` and ``task_row`` read, with the same names. Its category
    and cell are dicts (id, code, name; the category's parent's name), the department a
    dict with its name, the assignee and reporter ``PersonRow``s. Building ORM tickets
    with their five related objects was most of a queue page's cost (bench/load.py).
    Nothing here can be changed and saved: a view that acts on a ticket loads it."""

    __slots__ = (*ROW_COLUMNS, "category", "place", "assignee", "department", "reporter")

    # the ticket's own rules, not copies: they read due_at and warn_at only
    is_overdue = Ticket.is_overdue
    tier = Ticket.tier

    def __init__(self, row: sa.Row, with_reporter: bool) -> None:
        n = len(ROW_COLUMNS)
        for name, value in zip(ROW_COLUMNS, row):
            setattr(self, name, value)
        cat_id, cat_code, cat_name, parent_id, parent_name = row[n:n + 5]
        self.category = None if cat_id is None else {
            "id": cat_id, "code": cat_code, "name": cat_name,
            "parent": None if parent_id is None else {"name": parent_name}}
        place_id, place_code, place_name, place_level = row[n + 5:n + 9]
        self.place = None if place_id is None else {
            "id": place_id, "code": place_code, "name": place_name, "level": place_level}
        department_id, department_name = row[n + 9:n + 11]
        self.department = None if department_id is None else {"name": department_name}
        at = n + 11
        self.assignee = None if row[at] is None else PersonRow(*row[at:at + _PERSON])
        at += _PERSON
        self.reporter = (None if not with_reporter or row[at] is None
                         else PersonRow(*row[at:at + _PERSON]))


@functools.cache
def _plain_rows_query(with_reporter: bool, dialect: str) -> sa.Select:
    """TicketRow's columns by ticket id (the parameter ``ids``, a list): built once.

    On PostgreSQL the ids go as one array (``id = ANY(:ids)``): one statement whatever
    the page's length, prepared once per connection. An expanding ``IN`` is a statement
    of its own for each length, each planned anew at every bind until prepared (a plan
    over these six joins cost PostgreSQL 0.55 ms a page, bench/load.py with
    log_min_duration_statement)."""
    parent = so.aliased(Category)
    assignee, reporter = so.aliased(User), so.aliased(User)

    def person(user) -> list:
        return [getattr(user, name) for name in PersonRow._fields]

    columns = [getattr(Ticket, name) for name in ROW_COLUMNS]
    columns += [Category.id, Category.code, Category.name, parent.id, parent.name,
                Place.id, Place.code, Place.name, Place.level,
                Department.id, Department.name, *person(assignee)]
    query = (sa.select(*columns).select_from(Ticket)
             .outerjoin(Category, Category.id == Ticket.category_id)
             .outerjoin(parent, parent.id == Category.parent_id)
             .outerjoin(Place, Place.id == Ticket.place_id)
             .outerjoin(Department, Department.id == Ticket.department_id)
             .outerjoin(assignee, assignee.id == Ticket.assignee_id))
    if with_reporter:
        query = query.add_columns(*person(reporter)).outerjoin(
            reporter, reporter.id == Ticket.reporter_id)
    if dialect == "postgresql":
        return query.where(Ticket.id == sa.func.any(
            sa.bindparam("ids", type_=postgresql.ARRAY(sa.Integer))))
    return query.where(Ticket.id.in_(sa.bindparam("ids", expanding=True)))


@functools.cache
def _my_tickets_query(following: bool) -> sa.Select:
    """Built once per relation (a resident's list is among the most asked for; building
    the statement each time cost about as much as running it)."""
    if following:
        query = (sa.select(Ticket).join(TicketFollower, TicketFollower.ticket_id == Ticket.id)
                 .where(TicketFollower.user_id == sa.bindparam("user_id")))
    else:
        query = sa.select(Ticket).where(Ticket.reporter_id == sa.bindparam("user_id"))
    # each row shows its 小类 (and 大类): loaded with the page, not one category at a time
    return (query.options(so.joinedload(Ticket.category).joinedload(Category.parent))
            .where(Ticket.id <= sa.bindparam("up_to")).order_by(Ticket.id.desc())
            .limit(sa.bindparam("rows")))


def my_tickets(user: User, relation: str, cursor: Optional[str], limit: int):
    """Newest first, keyset on id."""
    up_to = INT_MAX
    if cursor:
        (last_id,) = decode_cursor(cursor, ("int",))
        up_to = min(last_id - 1, up_to)
    rows = db.session.execute(_my_tickets_query(relation == "following"), {
        "user_id": user.id, "up_to": up_to, "rows": limit + 1}).scalars().all()
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


@functools.cache
def _task_order_query() -> sa.Select:
    """(id, lat, lng) of a worker's open tasks by deadline: built once."""
    return (sa.select(Ticket.id, Ticket.lat, Ticket.lng)
            .where(Ticket.assignee_id == sa.bindparam("assignee_id"),
                   Ticket.state.in_(TASK_STATES), Ticket.department_id.is_(None))
            .order_by(sa.nulls_last(Ticket.due_at.asc()), Ticket.id).limit(500))


def worker_tasks(user: User, lat: Optional[float], lng: Optional[float],
                 cursor: Optional[str], limit: int):
    """Open tasks dispatched to this worker: nearest first with a location, else overdue
    first then by deadline. A worker holds tens of tasks, not thousands: capped at 500,
    sorted here (the distance is not a column), so the cursor is a position in that list.
    The order is decided on (id, lat, lng) of every task; only the page's tasks are then
    loaded as tickets with what a row shows (a worker holding many tasks paid for all of
    them on every page: bench/load.py). Returns a page of (task, distance), the next
    cursor and the number of tasks."""
    start = 0
    if cursor:
        (start,) = decode_cursor(cursor, ("int",))
    order = _read_columns(_task_order_query(), {"assignee_id": user.id}).all()
    if lat is not None and lng is not None:
        ranked = [(row.id, haversine_m(lng, lat, row.lng, row.lat)) for row in order]
        ranked.sort(key=lambda pair: (pair[1], pair[0]))
    else:
        ranked = [(row.id, None) for row in order]  # due_at order puts the overdue first
    end = start + limit
    wanted = ranked[start:end]
    distances = dict(wanted)
    # (a task handed on between the two reads is still shown, as it is now)
    pairs = [(t, distances[t.id])
             for t in load_rows([i for i, _ in wanted], with_reporter=True, plain=True)]
    return pairs, encode_cursor(end) if end < len(ranked) else None, len(ranked)


def public_list(args: dict):
    query = sa.select(Ticket).where(Ticket.is_private.is_(False),
                                    Ticket.state != State.rejected.value,
                                    Ticket.content_status == "pass")
    if args.get("category_id"):
        query = query.where(Ticket.category_id == args["category_id"])
    if args.get("place_id"):
        place = db.session.get(Place, args["place_id"])
        if place is None:
            raise ApiError(404, "not_found")
        query = query.where(Ticket.place_code.startswith(place.code, autoescape=True))
    if args.get("cursor"):
        (last_id,) = decode_cursor(args["cursor"], ("int",))
        query = query.where(Ticket.id < last_id)
    limit = args["limit"]
    rows = db.session.execute(query.order_by(Ticket.id.desc()).limit(limit + 1)).scalars().all()
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
