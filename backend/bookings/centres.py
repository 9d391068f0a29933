"""Service centres, their counters, opening rules and closures: lookups and
administration. Closing a day that has bookings cancels them when asked, and their
residents are told.
"""
from __future__ import annotations

from datetime import date, time
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.accounts.models import User
from backend.bookings import common, notices
from backend.bookings import availability
from backend.bookings.availability import active_rules
from backend.bookings.common import _day_bounds, _get
from backend.bookings.models import (
    Booking, BookingStatus, Closure, Counter, OpeningRule, ServiceCentre, ServiceItem,
    counter_items,
)
from backend.bookings.reservations import _cancel
from backend.accounts.permissions import can_manage_place
from backend.bookings import permissions
from backend.core.errors import ApiError, field_error
from backend.core.i18n import t
from backend.extensions import db
from backend.places.models import Place, PlaceLevel


def get_centre(centre_id: int, active_only: bool = True) -> ServiceCentre:
    centre = (availability.kept(ServiceCentre, centre_id) if active_only
              else _get(ServiceCentre, centre_id))
    if centre is None or (active_only and not centre.is_active):
        raise ApiError(404, "centre_not_found", code="not_found")
    return centre


def managed_centre(user: User, centre_id: int) -> ServiceCentre:
    """A centre the staff member manages; 404 for any other (nothing is revealed)."""
    centre = get_centre(centre_id, active_only=False)
    if not permissions.can_manage_centre(user, centre):
        raise ApiError(404, "centre_not_found", code="not_found")
    return centre


def list_centres(item_id: Optional[int] = None, include_inactive: bool = False) -> list[ServiceCentre]:
    query = sa.select(ServiceCentre).order_by(ServiceCentre.id).limit(1000)
    if not include_inactive:
        query = query.where(ServiceCentre.is_active.is_(True))
    if item_id is not None:
        query = query.where(ServiceCentre.id.in_(
            sa.select(Counter.centre_id)
            .join(counter_items, counter_items.c.counter_id == Counter.id)
            .where(counter_items.c.item_id == item_id, Counter.is_active.is_(True))))
    return list(db.session.execute(query).scalars())


def _counter_of(centre: ServiceCentre, counter_id: Optional[int],
                field: str = "counter_id") -> Optional[Counter]:
    if counter_id is None:
        return None
    counter = _get(Counter, counter_id)
    if counter is None or counter.centre_id != centre.id:
        raise field_error(field, "counter_not_found")
    return counter


def create_centre(user: User, args: dict) -> ServiceCentre:
    place = _get(Place, args["place_id"])
    if place is None or not can_manage_place(user, place):
        raise field_error("place_id", "place_not_found")
    if place.level != PlaceLevel.community.value:
        raise field_error("place_id", "community_required")
    # a community may have several points (issue 21): a name names one of them
    _check_point_name(place.id, args["name"])
    centre = ServiceCentre(**args)
    db.session.add(centre)
    db.session.flush()
    return centre


def _check_point_name(place_id: int, name: str, own_id: Optional[int] = None) -> None:
    query = sa.select(ServiceCentre.id).where(ServiceCentre.place_id == place_id,
                                              ServiceCentre.name == name)
    if own_id is not None:
        query = query.where(ServiceCentre.id != own_id)
    if db.session.execute(query).first():
        raise field_error("name", "point_name_taken", status=409)


def update_centre(centre: ServiceCentre, args: dict) -> ServiceCentre:
    if "name" in args:
        _check_point_name(centre.place_id, args["name"], centre.id)
    for key, value in args.items():
        setattr(centre, key, value)
    db.session.flush()
    return centre


def _items(ids: list[int], field: str = "item_ids") -> list[ServiceItem]:
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    items = list(db.session.execute(
        sa.select(ServiceItem).where(ServiceItem.id.in_(ids))).scalars())
    if len(items) != len(ids):
        raise field_error(field, "service_item_not_found")
    return items


def _check_counter_name(centre: ServiceCentre, name: str, own_id: Optional[int] = None) -> None:
    query = sa.select(Counter.id).where(Counter.centre_id == centre.id, Counter.name == name)
    if own_id is not None:
        query = query.where(Counter.id != own_id)
    if db.session.execute(query).first():
        raise field_error("name", "counter_name_taken", status=409)


def create_counter(centre: ServiceCentre, args: dict) -> Counter:
    _check_counter_name(centre, args["name"])
    counter = Counter(centre_id=centre.id, name=args["name"], sort_order=args["sort_order"],
                      items=_items(args["item_ids"]))
    db.session.add(counter)
    db.session.flush()
    return counter


def update_counter(centre: ServiceCentre, counter_id: int, args: dict) -> Counter:
    counter = _get(Counter, counter_id)
    if counter is None or counter.centre_id != centre.id:
        raise ApiError(404, "counter_not_found", code="not_found")
    if "name" in args:
        _check_counter_name(centre, args["name"], counter.id)
        counter.name = args["name"]
    if "item_ids" in args:
        counter.items = _items(args["item_ids"])
    for key in ("sort_order", "is_active"):
        if key in args:
            setattr(counter, key, args[key])
    db.session.flush()
    return counter


def _overlapping_rule(centre: ServiceCentre, weekday: int, start: time, end: time,
                      valid_from: Optional[date], valid_to: Optional[date]) -> Optional[OpeningRule]:
    for rule in active_rules(centre):
        if rule.weekday != weekday or not (rule.start_time < end and start < rule.end_time):
            continue
        lo = max(rule.valid_from or date.min, valid_from or date.min)
        hi = min(rule.valid_to or date.max, valid_to or date.max)
        if lo <= hi:
            return rule
    return None


def create_rule(centre: ServiceCentre, args: dict) -> OpeningRule:
    if args["end"] <= args["start"]:
        raise field_error("end", "end_before_start")
    if args["valid_from"] and args["valid_to"] and args["valid_to"] < args["valid_from"]:
        raise field_error("valid_to", "valid_to_before_from")
    clash = _overlapping_rule(centre, args["weekday"], args["start"], args["end"],
                              args["valid_from"], args["valid_to"])
    if clash is not None:
        raise field_error("start", "rule_overlaps", status=409,
                          weekday=t(f"weekday_{clash.weekday}"),
                          start=clash.start_time.strftime("%H:%M"),
                          end=clash.end_time.strftime("%H:%M"))
    counters = []
    for counter_id in dict.fromkeys(args["counter_ids"]):
        counters.append(_counter_of(centre, counter_id, field="counter_ids"))
    rule = OpeningRule(centre_id=centre.id, weekday=args["weekday"], start_time=args["start"],
                       end_time=args["end"], kind=args["kind"], valid_from=args["valid_from"],
                       valid_to=args["valid_to"], counters=counters)
    db.session.add(rule)
    db.session.flush()
    return rule


def deactivate_rule(centre: ServiceCentre, rule_id: int) -> OpeningRule:
    """Existing bookings stay; no new slots come from the rule."""
    rule = _get(OpeningRule, rule_id)
    if rule is None or rule.centre_id != centre.id:
        raise ApiError(404, "rule_not_found", code="not_found")
    rule.is_active = False
    db.session.flush()
    return rule


def list_rules(centre: ServiceCentre, include_inactive: bool = False) -> list[OpeningRule]:
    if not include_inactive:
        return active_rules(centre)
    return list(db.session.execute(
        sa.select(OpeningRule).where(OpeningRule.centre_id == centre.id)
        .options(so.selectinload(OpeningRule.counters))
        .order_by(OpeningRule.weekday, OpeningRule.start_time)).scalars())


def list_closures(centre: ServiceCentre, first: Optional[date], last: Optional[date]) -> list[Closure]:
    query = sa.select(Closure).where(Closure.centre_id == centre.id).order_by(Closure.day)
    if first:
        query = query.where(Closure.day >= first)
    if last:
        query = query.where(Closure.day <= last)
    return list(db.session.execute(query.limit(500)).scalars())


def create_closure(user: User, centre: ServiceCentre, args: dict) -> tuple[Closure, int]:
    """Close a day. Its open bookings are refused unless ``cancel_bookings``: then they
    are cancelled and their residents told."""
    now = common.utcnow()
    day = args["date"]
    if db.session.execute(sa.select(Closure.id).where(Closure.centre_id == centre.id,
                                                      Closure.day == day)).first():
        raise field_error("date", "closure_exists", status=409)
    start, end = _day_bounds(day, day)
    affected = list(db.session.execute(
        sa.select(Booking).where(Booking.centre_id == centre.id,
                                 Booking.status == BookingStatus.booked.value,
                                 Booking.start_at >= start, Booking.start_at < end)).scalars())
    if affected and not args["cancel_bookings"]:
        raise field_error("date", "closure_has_bookings", status=409, count=len(affected))
    closure = Closure(centre_id=centre.id, day=day, reason=args["reason"],
                      created_by_id=user.id)
    db.session.add(closure)
    db.session.flush()
    for booking in affected:
        _cancel(booking, user, notices.zh("closure_cancel_reason", reason=args["reason"]), now)
        notices.cancelled(booking)
    return closure, len(affected)


def delete_closure(centre: ServiceCentre, closure_id: int) -> None:
    closure = _get(Closure, closure_id)
    if closure is None or closure.centre_id != centre.id:
        raise ApiError(404, "closure_not_found", code="not_found")
    db.session.delete(closure)
    db.session.flush()
