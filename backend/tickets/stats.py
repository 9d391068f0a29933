"""Ticket metrics for a period (docs/domain.md#case-workflow): counts, the three rates (三率),
average working hours, and the overdue list for 督办.

A period is a run of business days in Asia/Shanghai, both ends included. Each figure has
its own population: counts take the tickets *created* in the period; the response rate
the tickets *accepted* in it, the resolution rate those *resolved* in it, the
satisfaction rate those *rated* in it. So a category, cell or worker can have rates and
no new tickets.

Everything is counted in the database: one GROUP BY per breakdown with conditional counts
(``COUNT(CASE WHEN … THEN 1 END)``), so the cost does not grow with Python work per
ticket. Only the working-hour averages are computed here, from two timestamps per ticket
(the working calendar is Python), over at most ``AVERAGE_ROW_CAP`` rows per average.

Staff see their own subtree, exactly as in the queue (``queries.staff_scope_filter``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.accounts.models import User
from backend.core.errors import field_error
from backend.core.i18n import register
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI, working_hours_between
from backend.extensions import db
from backend.places.models import Place
from backend.tickets import presenters, queries
from backend.tickets.models import OPEN_STATES, Category, Rating, State, Ticket
from backend.tickets.operations import office_hours

MAX_PERIOD_DAYS = 366
# The averages read two timestamps per ticket; past this many tickets of the period
# (a whole district over a year, say) they are the mean of the latest ones.
AVERAGE_ROW_CAP = 100_000
OVERDUE_LIST_LIMIT = 100
UNPLACED_NAME = "未定位"

NOT_HANDLED = (State.submitted.value, State.accepted.value, State.dispatched.value,
               State.in_progress.value)
HANDLED = (State.resolved.value, State.closed.value)
SATISFIED = (Rating.satisfied.value, Rating.basically.value)
_OPEN = tuple(s.value for s in OPEN_STATES)

register({
    "period_too_long": {
        "zh": "统计区间最长 {days} 天。", "en": "The period is at most {days} days long.",
    },
})


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=SHANGHAI)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def holds(self, column):
        return sa.and_(column >= self.start, column < self.end)


def period(date_from: date, date_to: date) -> Period:
    if date_from > date_to:
        raise field_error("from", "date_range_invalid")
    result = Period(date_from, date_to)
    if result.days > MAX_PERIOD_DAYS:
        raise field_error("to", "period_too_long", days=MAX_PERIOD_DAYS)
    return result


# --- the figures -------------------------------------------------------------------------

def _figure_columns(p: Period, now: datetime) -> tuple[list, sa.ColumnElement]:
    """The conditional counts every breakdown shares, and the condition that a ticket
    counts for any of them (so the scan stays on the period's tickets)."""
    created = p.holds(Ticket.created_at)
    accepted = p.holds(Ticket.accepted_at)
    resolved = p.holds(Ticket.resolved_at)
    rated = sa.and_(p.holds(Ticket.rated_at), Ticket.rating.is_not(None))
    counts = {
        "total": created,
        "open": sa.and_(created, Ticket.state.in_(NOT_HANDLED)),
        "handled": sa.and_(created, Ticket.state.in_(HANDLED)),
        "overdue": sa.and_(created, Ticket.state.in_(_OPEN), Ticket.due_at < now),
        "accepted": accepted,
        "accepted_on_time": sa.and_(accepted, Ticket.accepted_on_time.is_(True)),
        "resolved": resolved,
        "resolved_on_time": sa.and_(resolved, Ticket.resolved_on_time.is_(True)),
        "rated": rated,
        "satisfied": sa.and_(rated, Ticket.rating.in_(SATISFIED)),
        # a check-in farther from the pin than the community allows
        "checkin_far": sa.and_(created, Ticket.checkin_far.is_(True)),
    }
    columns = [sa.func.count(sa.case((condition, 1))).label(name)
               for name, condition in counts.items()]
    return columns, sa.or_(created, accepted, resolved, rated)


def rate(numerator: int, denominator: int) -> dict:
    return {"numerator": numerator, "denominator": denominator,
            "rate": round(numerator / denominator, 4) if denominator else None}


def _figures(row) -> dict:
    return {
        "total": row.total, "open": row.open, "resolved": row.handled, "overdue": row.overdue,
        "response_rate": rate(row.accepted_on_time, row.accepted),
        "resolution_rate": rate(row.resolved_on_time, row.resolved),
        "satisfaction_rate": rate(row.satisfied, row.rated),
        "checkin_far": row.checkin_far,
    }


def _by_category(where: list, columns: list) -> list[dict]:
    parent = so.aliased(Category)
    rows = db.session.execute(
        sa.select(Category.id, Category.code, Category.name, parent.name.label("parent_name"),
                  *columns)
        .select_from(Ticket).join(Category, Category.id == Ticket.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .where(*where)
        .group_by(Category.id, Category.code, Category.name, parent.name)
        .order_by(Category.code)).all()
    return [dict(category_id=r.id, code=r.code, name=r.name, parent_name=r.parent_name,
                 **_figures(r)) for r in rows]


def _by_cell(where: list, columns: list) -> list[dict]:
    rows = db.session.execute(
        sa.select(Ticket.place_id, Place.code, Place.name, Place.level, *columns)
        .select_from(Ticket).outerjoin(Place, Place.id == Ticket.place_id)
        .where(*where)
        .group_by(Ticket.place_id, Place.code, Place.name, Place.level)
        .order_by(sa.nulls_last(Place.code.asc()))).all()
    return [dict(place_id=r.place_id, code=r.code, name=r.name or UNPLACED_NAME,
                 level=r.level, **_figures(r)) for r in rows]


def _by_worker(where: list, columns: list) -> list[dict]:
    rows = db.session.execute(
        sa.select(User.id, User.display_name, *columns)
        .select_from(Ticket).join(User, User.id == Ticket.assignee_id)
        .where(*where)
        .group_by(User.id, User.display_name)
        .order_by(User.display_name, User.id)).all()
    return [dict(worker_id=r.id, display_name=r.display_name, **_figures(r)) for r in rows]


def _by_resolver(scope: list, p: Period) -> list[dict]:
    """满意率 per worker who resolved (or staff who recorded a department's work): the
    ratings given in the period, and the 不满意 among them (each reopened the case)."""
    rated = sa.and_(p.holds(Ticket.rated_at), Ticket.rating.is_not(None))
    rows = db.session.execute(
        sa.select(User.id, User.display_name, User.role,
                  sa.func.count().label("rated"),
                  sa.func.count(sa.case((Ticket.rating.in_(SATISFIED), 1))).label("satisfied"),
                  sa.func.count(sa.case((Ticket.rating == Rating.unsatisfied.value, 1)))
                  .label("reopened"))
        .select_from(Ticket).join(User, User.id == Ticket.resolved_by_id)
        .where(*scope, rated)
        .group_by(User.id, User.display_name, User.role)
        .order_by(User.display_name, User.id)).all()
    return [dict(worker_id=r.id, display_name=r.display_name, role=r.role, rated=r.rated,
                 satisfied=r.satisfied, reopened=r.reopened,
                 satisfaction_rate=rate(r.satisfied, r.rated)) for r in rows]


def _checkins_far(scope: list, p: Period, key, *columns) -> list:
    return db.session.execute(
        sa.select(*columns, sa.func.count().label("checkin_far"))
        .select_from(Ticket).where(*scope, p.holds(Ticket.created_at),
                                   Ticket.checkin_far.is_(True))
        .group_by(key)).all()


def _by_community(scope: list, p: Period) -> list[dict]:
    """Far check-ins per community (the first 12 digits of a cell's code)."""
    code = sa.func.substr(Ticket.place_code, 1, 12)
    counts = {r.code: r.checkin_far for r in _checkins_far(
        [*scope, Ticket.place_code.is_not(None)], p, code, code.label("code"))}
    if not counts:
        return []
    names = dict(db.session.execute(
        sa.select(Place.code, Place.name).where(Place.code.in_(list(counts)))).all())
    return [{"code": c, "name": names.get(c, c), "checkin_far": n}
            for c, n in sorted(counts.items())]


def _by_state(scope: list, p: Period) -> dict[str, int]:
    counts = dict.fromkeys((s.value for s in State), 0)
    counts.update(db.session.execute(
        sa.select(Ticket.state, sa.func.count())
        .where(*scope, p.holds(Ticket.created_at)).group_by(Ticket.state)).all())
    return counts


def _mean_working_hours(start_col, end_col, scope: list, p: Period) -> Optional[float]:
    rows = db.session.execute(
        sa.select(start_col, end_col)
        .where(*scope, p.holds(end_col), start_col.is_not(None))
        .order_by(end_col.desc()).limit(AVERAGE_ROW_CAP)).all()
    if not rows:
        return None
    office = office_hours()
    total = sum(working_hours_between(start, end, office) for start, end in rows)
    return round(total / len(rows), 2)


def overdue_now(scope: list, now: datetime, limit: int = OVERDUE_LIST_LIMIT):
    """督办: open tickets past their deadline, oldest deadline first; and how many."""
    where = [*scope, Ticket.state.in_(_OPEN), Ticket.due_at < now]
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(Ticket).where(*where)).scalar_one()
    rows = db.session.execute(
        sa.select(Ticket).where(*where)
        .options(so.selectinload(Ticket.category).selectinload(Category.parent),
                 so.selectinload(Ticket.place), so.selectinload(Ticket.assignee),
                 so.selectinload(Ticket.department))
        .order_by(Ticket.due_at.asc(), Ticket.id.asc()).limit(limit)).scalars().all()
    return rows, total


def ticket_stats(user: User, date_from: date, date_to: date,
                 place_id: Optional[int] = None, now: Optional[datetime] = None) -> dict:
    """The metrics of ``user``'s area (or ``place_id`` inside it) for a period."""
    p = period(date_from, date_to)
    now = now or utcnow()
    # the queue's own filters: the caller's subtree, and place_id checked against it (403)
    scope = queries.queue_filters(user, {"place_id": place_id})
    columns, relevant = _figure_columns(p, now)
    where = [*scope, relevant]
    overall = db.session.execute(
        sa.select(*columns).select_from(Ticket).where(*where)).one()
    overdue_rows, overdue_total = overdue_now(scope, now)
    place = db.session.get(Place, place_id) if place_id else user.scope_place
    return {
        "period": {"date_from": p.first, "date_to": p.last, "days": p.days,
                   "timezone": "Asia/Shanghai"},
        "place": place,
        **_figures(overall),
        "by_state": _by_state(scope, p),
        "by_category": _by_category(where, columns),
        "by_cell": _by_cell(where, columns),
        "by_worker": _by_worker(where, columns),
        "by_resolver": _by_resolver(scope, p),
        "by_community": _by_community(scope, p),
        "avg_hours_to_accept": _mean_working_hours(Ticket.created_at, Ticket.accepted_at,
                                                   scope, p),
        "avg_hours_to_resolve": _mean_working_hours(Ticket.accepted_at, Ticket.resolved_at,
                                                    scope, p),
        "overdue_now": overdue_total,
        "overdue_tickets": [presenters.staff_row(t, now) for t in overdue_rows],
    }


# --- shared with the per-community figures (tickets/performance.py) ---------------------

def figure_columns(p: Period, now: datetime) -> tuple[list, sa.ColumnElement]:
    """The conditional counts behind the 三率 and the condition a ticket counts under."""
    return _figure_columns(p, now)


def figures(row) -> dict:
    """The counts and the 三率 of a row of ``figure_columns``."""
    return _figures(row)
