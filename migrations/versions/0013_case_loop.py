"""case loop: intake channels, correction, alerts and escalation, closing with the resident

Revision ID: 0013_case_loop
Revises: 0012_booking_once
Create Date: 2026-12-05 18:29:59.768210

Issue 19. Tickets get the intake fields (source's 12345 work-order number, caller name and
phone, the staff member who filed it), a priority, the yellow point of their deadline
(``warn_at``, 75 % of its time), the 催办/督办 marks, who resolved them, the check-in
distance and its flag, the reminder to rate, and why auto-dispatch left them with staff.
Categories say whether they are urgent and need an after-photo; community settings hold
the limits of the loop; users say how their phone was given and when they consented.

The upgrade gives open tickets with a deadline their yellow point: 75 % of the way from the
moment their deadline started (accepted, else created) to the deadline.
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


def _aware(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _backfill_warn_at(conn) -> None:
    rows = conn.execute(sa.text(
        "SELECT id, state, created_at, accepted_at, due_at FROM tickets "
        "WHERE due_at IS NOT NULL")).all()
    for row in rows:
        due = _aware(row.due_at)
        start = _aware(row.created_at if row.state == "submitted" else
                       (row.accepted_at or row.created_at))
        if start is None or start >= due:
            warn = due
        else:
            warn = start + (due - start) * 0.75
        if conn.dialect.name == "sqlite":
            warn = warn.astimezone(timezone.utc).replace(tzinfo=None)
        conn.execute(sa.text("UPDATE tickets SET warn_at = :warn WHERE id = :id"),
                     {"warn": warn, "id": row.id})


# revision identifiers, used by Alembic.
revision = '0013_case_loop'
down_revision = '0012_booking_once'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('requires_after_photo', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('community_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('autoclose_working_days', sa.Integer(), server_default='5', nullable=False))
        batch_op.add_column(sa.Column('rate_reminder_working_days', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('escalate_after_hours', sa.Double(), server_default='8', nullable=False))
        batch_op.add_column(sa.Column('checkin_max_distance_m', sa.Integer(), server_default='200', nullable=False))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_ref', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('caller_name', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('caller_phone', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('filed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.String(length=8), server_default='normal', nullable=False))
        batch_op.add_column(sa.Column('warn_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('escalated_place_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('checkin_distance_m', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('checkin_far', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('rate_reminded_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('dispatch_flag', sa.String(length=20), nullable=True))
        batch_op.create_index('ix_tickets_escalated', ['escalated_at'], unique=False, sqlite_where=sa.text('escalated_at IS NOT NULL'), postgresql_where=sa.text('escalated_at IS NOT NULL'))
        batch_op.create_index('ix_tickets_resolved_by', ['resolved_by_id', 'closed_at'], unique=False)
        batch_op.create_index('ix_tickets_warn', ['warn_at', 'id'], unique=False, sqlite_where=sa.text('warn_at IS NOT NULL'), postgresql_where=sa.text('warn_at IS NOT NULL'))
        batch_op.create_index('ux_tickets_external_ref', ['source', 'external_ref'], unique=True, sqlite_where=sa.text('external_ref IS NOT NULL'), postgresql_where=sa.text('external_ref IS NOT NULL'))
        batch_op.create_foreign_key(batch_op.f('fk_tickets_filed_by_id_users'), 'users', ['filed_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_tickets_resolved_by_id_users'), 'users', ['resolved_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_tickets_escalated_place_id_places'), 'places', ['escalated_place_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_source', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('phone_consent_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_tickets_priority_known'), "priority IN ('normal','urgent')")

    _backfill_warn_at(op.get_bind())


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone_consent_at')
        batch_op.drop_column('phone_source')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_tickets_priority_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_tickets_escalated_place_id_places'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_tickets_resolved_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_tickets_filed_by_id_users'), type_='foreignkey')
        batch_op.drop_index('ux_tickets_external_ref', sqlite_where=sa.text('external_ref IS NOT NULL'), postgresql_where=sa.text('external_ref IS NOT NULL'))
        batch_op.drop_index('ix_tickets_warn', sqlite_where=sa.text('warn_at IS NOT NULL'), postgresql_where=sa.text('warn_at IS NOT NULL'))
        batch_op.drop_index('ix_tickets_resolved_by')
        batch_op.drop_index('ix_tickets_escalated', sqlite_where=sa.text('escalated_at IS NOT NULL'), postgresql_where=sa.text('escalated_at IS NOT NULL'))
        batch_op.drop_column('dispatch_flag')
        batch_op.drop_column('rate_reminded_at')
        batch_op.drop_column('checkin_far')
        batch_op.drop_column('checkin_distance_m')
        batch_op.drop_column('resolved_by_id')
        batch_op.drop_column('escalated_place_id')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('warn_at')
        batch_op.drop_column('priority')
        batch_op.drop_column('filed_by_id')
        batch_op.drop_column('caller_phone')
        batch_op.drop_column('caller_name')
        batch_op.drop_column('external_ref')

    with op.batch_alter_table('community_settings', schema=None) as batch_op:
        batch_op.drop_column('checkin_max_distance_m')
        batch_op.drop_column('escalate_after_hours')
        batch_op.drop_column('rate_reminder_working_days')
        batch_op.drop_column('autoclose_working_days')

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('requires_after_photo')
        batch_op.drop_column('is_urgent')

