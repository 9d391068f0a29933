"""content checks: photos, tickets and their events held for review

Revision ID: 0006_content_checks
Revises: 0005_bookings
Create Date: 2026-11-22 03:39:04.865888

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_content_checks'
down_revision = '0005_bookings'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_status', sa.String(length=8), server_default='pass', nullable=False))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_status', sa.String(length=8), server_default='pass', nullable=False))

    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_status', sa.String(length=8), server_default='pass', nullable=False))



def downgrade():
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_column('content_status')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('content_status')

    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_column('content_status')

