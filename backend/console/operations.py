"""Rules the console needs that no API offers yet: tickets per business day (the
dashboard's trend) and editing a category's deadlines. They follow the features' habits
(scope from ``queries``, flush only) and can move into ``tickets`` when an API needs them.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts import permissions
from backend.core.errors import ApiError
from backend.extensions import db
from backend.tickets import queries, stats
from backend.tickets.models import Category, Ticket


def _business_day(column):
    """The Asia/Shanghai date of a UTC timestamp, in SQL (stored naive UTC everywhere)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.timezone("Asia/Shanghai", sa.func.timezone("UTC", column)),
                       sa.Date)
    return sa.func.date(column, "+8 hours")  # Shanghai keeps no daylight saving time


def daily_counts(user: User, date_from: date, date_to: date,
                 place_id: int | None = None) -> list[dict]:
    """Tickets reported and resolved per business day of the period, in ``user``'s area
    (or ``place_id`` inside it, checked as the queue checks it)."""
    period = stats.period(date_from, date_to)
    scope = queries.queue_filters(user, {"place_id": place_id})
    series = {}
    for name, column in (("created", Ticket.created_at), ("resolved", Ticket.resolved_at)):
        day = _business_day(column).label("day")
        rows = db.session.execute(
            sa.select(day, sa.func.count()).where(*scope, period.holds(column))
            .group_by(day)).all()
        series[name] = {str(d)[:10]: n for d, n in rows}
    out = []
    for offset in range(period.days):
        key = (period.first + timedelta(days=offset)).isoformat()
        out.append({"day": key, "created": series["created"].get(key, 0),
                    "resolved": series["resolved"].get(key, 0)})
    return out


def update_category(actor: User, category: Category, accept_hours: float,
                    resolve_hours: float, deadline_mode: str, is_private: bool,
                    is_urgent: Optional[bool] = None) -> Category:
    """New deadlines, privacy and urgency (紧急: a new case alerts at once) for a 小类.
    Tickets already reported keep theirs."""
    if not permissions.is_admin(actor):
        raise ApiError(403, "forbidden")
    if not category.is_leaf:
        raise ApiError(422, "category_not_leaf")
    category.accept_hours = accept_hours
    category.resolve_hours = resolve_hours
    category.deadline_mode = deadline_mode
    category.is_private = is_private
    if is_urgent is not None:
        category.is_urgent = is_urgent
    db.session.flush()
    return category


def set_requires_after_photo(actor: User, category: Category, required: bool) -> Category:
    """Whether resolving a case of this 小类 needs an after-photo (处置后照片)."""
    if not permissions.is_admin(actor):
        raise ApiError(403, "forbidden")
    category.requires_after_photo = required
    db.session.flush()
    return category
