"""Public accountability (issue 19.8): each community's 三率 and overdue count for the last
30 or 90 days, for everyone (``GET /public/communities/performance``) and, side by side and
sortable, for the street's staff (``GET /stats/communities``).

The rates are those of ``stats`` (one definition, ``stats.figure_columns``):

- 及时响应率 ``response_rate``: accepted on time / accepted in the period;
- 按时办结率 ``resolution_rate``: resolved on time / resolved in the period;
- 满意率 ``satisfaction_rate``: (满意 + 基本满意) / rated in the period.

Each rate carries its numerator and denominator; with nothing to count the rate is
``null`` (shown as "—"), never 100%.

**Overdue** (超期) = ``open_now`` + ``resolved_late``: cases open now and past their
deadline (whenever they were filed: they are late today), plus cases resolved in the
period after their resolution deadline.

A period is the last ``days`` business days in Asia/Shanghai, today included. Only counts
leave: no case, category or person, so private categories count like any other without
showing anything of them. A ticket belongs to the community whose code starts its cell's
code; tickets outside every cell (waiting for triage) belong to none.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.places.models import CODE_LENGTH, Place, PlaceLevel
from backend.tickets import stats
from backend.tickets.models import OPEN_STATES, Ticket

PERIOD_DAYS = (30, 90)
RATES = ("response_rate", "resolution_rate", "satisfaction_rate")
SORTS = (*RATES, "overdue", "code")
_COMMUNITY = CODE_LENGTH[PlaceLevel.community]
_OPEN = tuple(s.value for s in OPEN_STATES)


def recent_period(days: int, now: datetime) -> stats.Period:
    today = now.astimezone(SHANGHAI).date()
    return stats.Period(today - timedelta(days=days - 1), today)


def _communities(within: Optional[Place]) -> list[Place]:
    query = sa.select(Place).where(Place.level == PlaceLevel.community.value)
    if within is not None:
        query = query.where(Place.code.startswith(within.code, autoescape=True))
    return list(db.session.execute(query.order_by(Place.code)).scalars())


def _street_names(communities: list[Place]) -> dict[int, str]:
    ids = {c.parent_id for c in communities if c.parent_id}
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Place.id, Place.name).where(Place.id.in_(ids))).all())


def community_figures(days: int, now: datetime, within: Optional[Place] = None) -> dict:
    """The period and, per community (of ``within``'s subtree, or everywhere), its 三率,
    the counts behind them and its overdue count. One GROUP BY over the tickets."""
    p = recent_period(days, now)
    columns, relevant = stats.figure_columns(p, now)
    open_late = sa.and_(Ticket.state.in_(_OPEN), Ticket.due_at < now)
    resolved_late = sa.and_(p.holds(Ticket.resolved_at), Ticket.resolved_on_time.is_(False))
    community = sa.func.substr(Ticket.place_code, 1, _COMMUNITY)
    where = [Ticket.place_code.is_not(None), sa.or_(relevant, open_late)]
    if within is not None:
        where.append(Ticket.place_code.startswith(within.code, autoescape=True))
    rows = db.session.execute(
        sa.select(community.label("community_code"), *columns,
                  sa.func.count(sa.case((open_late, 1))).label("open_late"),
                  sa.func.count(sa.case((resolved_late, 1))).label("resolved_late"))
        .where(*where).group_by(community)).all()
    by_code = {r.community_code: r for r in rows}
    places = _communities(within)
    streets = _street_names(places)
    out = []
    for place in places:
        row = by_code.get(place.code)
        figures = stats.figures(row) if row is not None else _no_figures()
        open_now = row.open_late if row is not None else 0
        late = row.resolved_late if row is not None else 0
        out.append({
            "place_id": place.id, "code": place.code, "name": place.name,
            "street_name": streets.get(place.parent_id),
            "reported": figures["total"],
            **{name: figures[name] for name in RATES},
            "overdue": {"total": open_now + late, "open_now": open_now,
                        "resolved_late": late},
        })
    return {"period": {"days": days, "date_from": p.first, "date_to": p.last,
                       "timezone": "Asia/Shanghai"},
            "communities": out}


def _no_figures() -> dict:
    return {"total": 0, **{name: stats.rate(0, 0) for name in RATES}}


def sort_communities(rows: list[dict], sort: str, order: str) -> list[dict]:
    """Sorted by a rate (or the overdue count, or the code); communities with nothing to
    rate (0/0) come last whichever the order; ties by code."""
    if sort == "code":
        return sorted(rows, key=lambda r: r["code"], reverse=order == "desc")

    def value(row):
        return row["overdue"]["total"] if sort == "overdue" else row[sort]["rate"]

    known = [r for r in rows if value(r) is not None]
    unknown = [r for r in rows if value(r) is None]
    known.sort(key=lambda r: r["code"])
    known.sort(key=value, reverse=order == "desc")
    return known + sorted(unknown, key=lambda r: r["code"])
