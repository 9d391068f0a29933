"""Places in a slot.

Capacity is decided by the database: the slot's row in ``slot_counts`` is created if
missing (``INSERT … ON CONFLICT DO NOTHING``) and a place taken with
``UPDATE … SET booked = booked + 1 WHERE … AND booked < :capacity``; a row count of 0
means the slot is full. This works the same on SQLite (one writer, BEGIN IMMEDIATE) and
PostgreSQL (the second UPDATE waits for the first and re-checks its WHERE).
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

import sqlalchemy as sa

from backend.bookings.models import Booking, SlotCount
from backend.extensions import db


def _insert_ignore(values: dict):
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(SlotCount).values(**values).on_conflict_do_nothing(
        index_elements=["centre_id", "item_id", "start_at"])


def _slot_key(centre_id: int, item_id: int, start: datetime):
    return sa.and_(SlotCount.centre_id == centre_id, SlotCount.item_id == item_id,
                   SlotCount.start_at == start)


def _ensure_slot_row(centre_id: int, item_id: int, start: datetime, capacity: int) -> None:
    db.session.execute(_insert_ignore({"centre_id": centre_id, "item_id": item_id,
                                       "start_at": start, "booked": 0, "capacity": capacity}))


def _dialect_insert(model: type = SlotCount):
    """INSERT with the database's own ON CONFLICT clauses."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def _take(centre_id: int, item_id: int, start: datetime, capacity: int) -> bool:
    """Take one place of the slot if one is free: True when taken. One statement: the
    slot's first booking inserts its row, a later one adds to it while a place is left
    (the row is locked by the upsert as by an UPDATE)."""
    if capacity < 1:
        return False
    insert = _dialect_insert()
    statement = insert.values(centre_id=centre_id, item_id=item_id, start_at=start, booked=1,
                              capacity=capacity).on_conflict_do_update(
        index_elements=["centre_id", "item_id", "start_at"],
        set_={"booked": SlotCount.booked + 1, "capacity": insert.excluded.capacity},
        where=SlotCount.booked < insert.excluded.capacity,
    ).returning(SlotCount.booked)
    return db.session.execute(statement).first() is not None


def _release(booking: Booking) -> None:
    db.session.execute(
        sa.update(SlotCount).where(_slot_key(booking.centre_id, booking.item_id,
                                             booking.start_at), SlotCount.booked > 0)
        .values(booked=SlotCount.booked - 1)
        .execution_options(synchronize_session=False))


def _lock_slots(keys: Iterable[tuple[int, int, datetime]]) -> None:
    """Lock slot rows in one order (PostgreSQL) so two reschedules crossing each other
    cannot deadlock; SQLite has one writer and compiles FOR UPDATE to nothing."""
    for centre_id, item_id, start in sorted(set(keys)):
        db.session.execute(sa.select(SlotCount.booked)
                           .where(_slot_key(centre_id, item_id, start)).with_for_update())
