"""volunteers: strict waitlist queue numbers, content held for review

Revision ID: 0009_volunteer_content_review
Revises: 0008_volunteers
Create Date: 2026-11-22 05:02:05.074408

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_volunteer_content_review'
down_revision = '0008_volunteers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activity_signups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_no', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_activity_signups_queue_no', ['activity_id', 'status', 'queue_no'], unique=False)

    with op.batch_alter_table('volunteer_activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waitlist_seq', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('content_status', sa.String(length=8), server_default='pass', nullable=False))

    with op.batch_alter_table('volunteer_teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_status', sa.String(length=8), server_default='pass', nullable=False))

    # existing sign-ups keep their order (queued_at, id) as queue numbers 1, 2, …
    op.execute(
        "UPDATE activity_signups SET queue_no = (SELECT COUNT(*) FROM activity_signups s2"
        " WHERE s2.activity_id = activity_signups.activity_id"
        " AND (s2.queued_at < activity_signups.queued_at"
        " OR (s2.queued_at = activity_signups.queued_at AND s2.id <= activity_signups.id)))")
    op.execute(
        "UPDATE volunteer_activities SET waitlist_seq = (SELECT COALESCE(MAX(s.queue_no), 0)"
        " FROM activity_signups s WHERE s.activity_id = volunteer_activities.id)")


def downgrade():
    with op.batch_alter_table('volunteer_teams', schema=None) as batch_op:
        batch_op.drop_column('content_status')

    with op.batch_alter_table('volunteer_activities', schema=None) as batch_op:
        batch_op.drop_column('content_status')
        batch_op.drop_column('waitlist_seq')

    with op.batch_alter_table('activity_signups', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_signups_queue_no')
        batch_op.drop_column('queue_no')
