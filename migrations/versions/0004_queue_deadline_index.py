"""queue deadline index: tickets with a deadline in (due_at, id) order (partial)

Revision ID: 0004_queue_deadline_index
Revises: 0003_outbox
Create Date: 2026-11-22 03:04:38.347941

The staff queue reads the tickets with a deadline in (due_at, id) order, then the others
by id (backend/tickets/queries.py ``queue``); without this index every page sorted the
whole subtree (bench/queue.py). Partial: only the open tickets carry a deadline.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_queue_deadline_index'
down_revision = '0003_outbox'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_deadline', ['due_at', 'id'], unique=False,
                              sqlite_where=sa.text('due_at IS NOT NULL'),
                              postgresql_where=sa.text('due_at IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_deadline')
