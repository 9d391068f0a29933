"""The catalogue of service items (事项): lookups, what a centre offers, administration."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from backend.bookings import availability
from backend.bookings.common import _get
from backend.bookings.models import Counter, ServiceCentre, ServiceItem, counter_items
from backend.core.errors import ApiError, field_error
from backend.extensions import db


def get_item(item_id: int, field: Optional[str] = None, active_only: bool = True) -> ServiceItem:
    # a read (a resident's slots or booking): the process's copy; staff's edits read the row
    item = availability.kept(ServiceItem, item_id) if active_only else _get(ServiceItem, item_id)
    if item is None or (active_only and not item.is_active):
        if field:
            raise field_error(field, "service_item_not_found")
        raise ApiError(404, "service_item_not_found", code="not_found")
    return item


def list_items(centre_id: Optional[int] = None, include_inactive: bool = False) -> list[ServiceItem]:
    query = (sa.select(ServiceItem).order_by(ServiceItem.sort_order, ServiceItem.id)
             .limit(1000))  # a catalogue (Wuhou lists 139 items): one page
    if not include_inactive:
        query = query.where(ServiceItem.is_active.is_(True))
    if centre_id is not None:
        query = query.where(ServiceItem.id.in_(_offered_item_ids(centre_id)))
    return list(db.session.execute(query).scalars())


def _offered_item_ids(centre_id: int):
    return (sa.select(counter_items.c.item_id)
            .join(Counter, Counter.id == counter_items.c.counter_id)
            .where(Counter.centre_id == centre_id, Counter.is_active.is_(True)))


def offered_items(centre: ServiceCentre) -> list[ServiceItem]:
    return list(db.session.execute(
        sa.select(ServiceItem).where(ServiceItem.is_active.is_(True),
                                     ServiceItem.id.in_(_offered_item_ids(centre.id)))
        .order_by(ServiceItem.sort_order, ServiceItem.id)).scalars())


def create_item(args: dict) -> ServiceItem:
    if db.session.execute(sa.select(ServiceItem.id)
                          .where(ServiceItem.code == args["code"])).first():
        raise field_error("code", "service_item_code_taken", status=409)
    item = ServiceItem(**args)
    db.session.add(item)
    db.session.flush()
    return item


def update_item(item: ServiceItem, args: dict) -> ServiceItem:
    for key, value in args.items():
        setattr(item, key, value)
    db.session.flush()
    return item
