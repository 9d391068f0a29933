"""Service points: the several places of a community where residents are served (its
service centre, 连心驿站, 居民之家). A point is a ``ServiceCentre`` row: each has its own
counters, opening rules and closures, and slots and bookings name it by its id.

Lists: residents see the active points with today's hours; nearest first when they give
their location (points without a location last); otherwise community by community, each
community's main centre first (its first active point of kind ``centre``: the centres
there before issue 21), then the points' sort order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Callable, Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.bookings import common, slots
from backend.bookings.models import (
    Closure, Counter, OpeningRule, PointKind, ServiceCentre, counter_items,
)
from backend.core.geo import haversine_m
from backend.core.i18n import t
from backend.extensions import db

MAX_POINTS = 1000


def main_centres(place_ids: set[int]) -> dict[int, int]:
    """Each community's main centre (its first active point of kind ``centre``, by sort
    order then the oldest), whatever a list was filtered by: place id → point id."""
    if not place_ids:
        return {}
    mains: dict[int, int] = {}
    for point_id, place_id in db.session.execute(
            sa.select(ServiceCentre.id, ServiceCentre.place_id)
            .where(ServiceCentre.place_id.in_(place_ids),
                   ServiceCentre.kind == PointKind.centre.value,
                   ServiceCentre.is_active.is_(True))
            .order_by(ServiceCentre.place_id, ServiceCentre.sort_order, ServiceCentre.id)):
        mains.setdefault(place_id, point_id)
    return mains


@dataclass
class Period:
    start_time: time
    end_time: time
    kind: str


@dataclass
class Today:
    date: date
    is_open: bool
    closed_reason: Optional[str] = None   # closure, holiday, rest_day
    note: Optional[str] = None            # the closure's reason or the holiday's name
    hours: list[Period] = field(default_factory=list)


def _today(centre: ServiceCentre, day: date, rules: list[slots.Rule],
           closures: dict[date, str]) -> Today:
    kind = slots.classify(day, rules, closures, centre.closed_on_holidays)
    periods = sorted({(r.start, r.end, r.kind) for r in rules
                      if kind.weekday is not None and r.weekday == kind.weekday
                      and r.applies_on(day)})
    hours = [Period(s, e, k) for s, e, k in periods]
    return Today(day, bool(hours), slots.closed_reason(kind, bool(hours)),
                 kind.reason or kind.holiday, hours)


def todays(points: list[ServiceCentre]) -> dict[int, Today]:
    """Today's opening hours (Shanghai) of each point: two statements for the lot."""
    if not points:
        return {}
    ids = [p.id for p in points]
    day = slots.local_date(common.utcnow())
    rules: dict[int, list[slots.Rule]] = {i: [] for i in ids}
    for rule in db.session.execute(
            sa.select(OpeningRule).where(OpeningRule.centre_id.in_(ids),
                                         OpeningRule.is_active.is_(True))
            .order_by(OpeningRule.weekday, OpeningRule.start_time)).scalars():
        rules[rule.centre_id].append(slots.Rule(rule.weekday, rule.start_time, rule.end_time,
                                                rule.kind, rule.valid_from, rule.valid_to))
    closed: dict[int, dict[date, str]] = {i: {} for i in ids}
    for centre_id, reason in db.session.execute(
            sa.select(Closure.centre_id, Closure.reason)
            .where(Closure.centre_id.in_(ids), Closure.day == day)):
        closed[centre_id][day] = reason
    return {p.id: _today(p, day, rules[p.id], closed[p.id]) for p in points}


def list_points(item_id: Optional[int] = None, place_id: Optional[int] = None,
                lat: Optional[float] = None, lng: Optional[float] = None,
                include_inactive: bool = False,
                keep: Optional[Callable[[ServiceCentre], bool]] = None) -> list[dict]:
    """Points with their kind, today's hours and (with ``lat``/``lng``) their distance;
    ``keep``: only the points it accepts (those a staff member runs)."""
    query = (sa.select(ServiceCentre).options(so.joinedload(ServiceCentre.place))
             .order_by(ServiceCentre.place_id, ServiceCentre.sort_order, ServiceCentre.id)
             .limit(MAX_POINTS))
    if not include_inactive:
        query = query.where(ServiceCentre.is_active.is_(True))
    if place_id is not None:
        query = query.where(ServiceCentre.place_id == place_id)
    if item_id is not None:
        query = query.where(ServiceCentre.id.in_(
            sa.select(Counter.centre_id)
            .join(counter_items, counter_items.c.counter_id == Counter.id)
            .where(counter_items.c.item_id == item_id, Counter.is_active.is_(True))))
    points = [p for p in db.session.execute(query).scalars() if keep is None or keep(p)]
    mains = main_centres({p.place_id for p in points})  # each community's, listed first
    points.sort(key=lambda p: (p.place_id, p.id != mains.get(p.place_id), p.sort_order, p.id))
    today = todays(points)
    out = []
    for p in points:
        distance = None
        if lat is not None and lng is not None and p.lat is not None and p.lng is not None:
            distance = round(haversine_m(lng, lat, p.lng, p.lat))
        out.append(view(p, today[p.id], distance, is_main=mains.get(p.place_id) == p.id))
    if lat is not None and lng is not None:
        out.sort(key=lambda v: (v["distance_m"] is None, v["distance_m"] or 0))
    return out


def view(point: ServiceCentre, today: Today, distance: Optional[int], is_main: bool) -> dict:
    return {"id": point.id, "name": point.name, "kind": point.kind,
            "kind_text": t(f"point_kind_{point.kind}"), "address": point.address,
            "phone": point.phone, "place": point.place, "place_id": point.place_id,
            "closed_on_holidays": point.closed_on_holidays, "lat": point.lat,
            "lng": point.lng, "sort_order": point.sort_order, "is_main": is_main,
            "is_active": point.is_active, "created_at": point.created_at,
            "today": today, "distance_m": distance}
