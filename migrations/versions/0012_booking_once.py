"""booking once: one open booking per person and slot (partial unique indexes)

Revision ID: 0012_booking_once
Revises: 0011_work_calendar
Create Date: 2026-11-23 09:00:00.000000

Issue 17: one person held the same slot twice when two identical requests came without an
Idempotency-Key. Two partial unique indexes on ``bookings`` (SQLite and PostgreSQL) now
refuse a second open booking (booked or checked in) of a slot (centre, item, start) by the
same person: a resident by account (``resident_id``), a caller without an account by
phone (``guest_phone`` where ``resident_id`` is null).

Duplicates stored before this revision would make the index fail, so the upgrade first
resolves them: per person and slot it keeps the checked-in booking if there is one, else
the earliest (lowest id), and cancels the others — ``cancel_reason`` says why, no actor,
the resident is not told (the booking kept is for the same slot, so they lose nothing;
only its code counts at the counter) — gives their places back in ``slot_counts`` and
cancels their pending reminders in the outbox. The downgrade drops the indexes and leaves
those cancellations as they are.
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_booking_once'
down_revision = '0011_work_calendar'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('booked','checked_in')"
RESIDENT_SLOT = f"{ACTIVE} AND resident_id IS NOT NULL"
GUEST_SLOT = f"{ACTIVE} AND resident_id IS NULL"
REASON = "重复预约同一时段，系统保留最早的一条"


def _cancel_duplicates(conn) -> None:
    rows = conn.execute(sa.text(
        "SELECT id, resident_id, guest_phone, centre_id, item_id, start_at FROM bookings "
        f"WHERE {ACTIVE} "
        "ORDER BY CASE WHEN status = 'checked_in' THEN 0 ELSE 1 END, id")).all()
    seen = set()
    dropped = []
    for row in rows:
        person = ("resident", row.resident_id) if row.resident_id is not None \
            else ("phone", row.guest_phone)
        if person[1] is None:
            continue  # nobody to hold the slot twice (the indexes treat NULLs as distinct)
        key = (person, row.centre_id, row.item_id, row.start_at)
        if key in seen:
            dropped.append(row)
        else:
            seen.add(key)
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # UTCDateTime stores naive UTC
    for row in dropped:
        conn.execute(sa.text(
            "UPDATE bookings SET status = 'cancelled', cancelled_at = :now, "
            "cancelled_by_id = NULL, cancel_reason = :reason, updated_at = :now, "
            "version = version + 1 WHERE id = :id"),
            {"now": now, "reason": REASON, "id": row.id})
        conn.execute(sa.text(
            "UPDATE slot_counts SET booked = booked - 1 WHERE centre_id = :centre_id "
            "AND item_id = :item_id AND start_at = :start_at AND booked > 0"),
            {"centre_id": row.centre_id, "item_id": row.item_id, "start_at": row.start_at})
        conn.execute(sa.text(
            "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending' "
            "AND dedupe_key LIKE :prefix"), {"prefix": f"booking:{row.id}:%"})


def upgrade():
    _cancel_duplicates(op.get_bind())
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('uq_bookings_resident_slot',
                              ['resident_id', 'centre_id', 'item_id', 'start_at'], unique=True,
                              sqlite_where=sa.text(RESIDENT_SLOT),
                              postgresql_where=sa.text(RESIDENT_SLOT))
        batch_op.create_index('uq_bookings_guest_slot',
                              ['guest_phone', 'centre_id', 'item_id', 'start_at'], unique=True,
                              sqlite_where=sa.text(GUEST_SLOT),
                              postgresql_where=sa.text(GUEST_SLOT))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_guest_slot')
        batch_op.drop_index('uq_bookings_resident_slot')
