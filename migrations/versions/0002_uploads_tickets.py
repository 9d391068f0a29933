"""uploads and tickets: photos, categories, departments, tickets, events, followers, idempotency keys

Revision ID: 0002_uploads_tickets
Revises: 0001_foundation
Create Date: 2026-11-22 02:33:35.797463

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_uploads_tickets'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('name', name=op.f('uq_departments_name'))
    )
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('accept_hours', sa.Double(), nullable=False),
    sa.Column('resolve_hours', sa.Double(), nullable=False),
    sa.Column('deadline_mode', sa.String(length=10), nullable=False),
    sa.Column('is_private', sa.Boolean(), nullable=False),
    sa.Column('default_handler', sa.String(length=12), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("deadline_mode IN ('working','natural')", name=op.f('ck_categories_deadline_mode_known')),
    sa.CheckConstraint("default_handler IN ('grid_worker','department')", name=op.f('ck_categories_default_handler_known')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_categories_department_id_departments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['categories.id'], name=op.f('fk_categories_parent_id_categories'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_categories_code'))
    )
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_categories_parent_id'), ['parent_id'], unique=False)

    op.create_table('community_settings',
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('auto_dispatch', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_community_settings_place_id_places'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('place_id', name=op.f('pk_community_settings'))
    )
    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_idempotency_keys_user_id_key'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_created_at'), ['created_at'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lat', sa.Double(), nullable=False),
    sa.Column('lng', sa.Double(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('building', sa.String(length=50), nullable=False),
    sa.Column('unit', sa.String(length=50), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('place_code', sa.String(length=18), nullable=True),
    sa.Column('needs_triage', sa.Boolean(), nullable=False),
    sa.Column('is_private', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('accept_due_at', sa.DateTime(), nullable=True),
    sa.Column('resolve_due_at', sa.DateTime(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_on_time', sa.Boolean(), nullable=True),
    sa.Column('resolved_on_time', sa.Boolean(), nullable=True),
    sa.Column('follower_count', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=20), nullable=True),
    sa.Column('rating_comment', sa.String(length=500), nullable=True),
    sa.Column('rated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("rating IS NULL OR rating IN ('satisfied','basically_satisfied','unsatisfied')", name=op.f('ck_tickets_rating_known')),
    sa.CheckConstraint("state IN ('submitted','accepted','rejected','dispatched','in_progress','resolved','closed','merged')", name=op.f('ck_tickets_state_known')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tickets_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_tickets_category_id_categories')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_tickets_department_id_departments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['tickets.id'], name=op.f('fk_tickets_merged_into_id_tickets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_tickets_place_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_tickets_reporter_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_assignee_state', ['assignee_id', 'state'], unique=False)
        batch_op.create_index('ix_tickets_nearby', ['category_id', 'lat', 'lng'], unique=False)
        batch_op.create_index('ix_tickets_place_state', ['place_code', 'state'], unique=False)
        batch_op.create_index('ix_tickets_queue', ['state', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_tickets_reporter', ['reporter_id', 'id'], unique=False)

    op.create_table('uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('display_key', sa.String(length=64), nullable=False),
    sa.Column('thumb_key', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('thumb_width', sa.Integer(), nullable=False),
    sa.Column('thumb_height', sa.Integer(), nullable=False),
    sa.Column('display_bytes', sa.Integer(), nullable=False),
    sa.Column('thumb_bytes', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('attached_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_uploads_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads')),
    sa.UniqueConstraint('display_key', name=op.f('uq_uploads_display_key')),
    sa.UniqueConstraint('thumb_key', name=op.f('uq_uploads_thumb_key'))
    )
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uploads_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_uploads_owner_id'), ['owner_id'], unique=False)

    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_state', sa.String(length=12), nullable=True),
    sa.Column('to_state', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ticket_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_ticket', ['ticket_id', 'id'], unique=False)

    op.create_table('ticket_followers',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_followers_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ticket_followers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'user_id', name=op.f('pk_ticket_followers'))
    )
    with op.batch_alter_table('ticket_followers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_followers_user_id'), ['user_id'], unique=False)

    op.create_table('ticket_photos',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('phase', sa.String(length=12), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['ticket_events.id'], name=op.f('fk_ticket_photos_event_id_ticket_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_photos_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_ticket_photos_upload_id_uploads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'upload_id', name=op.f('pk_ticket_photos'))
    )


def downgrade():
    op.drop_table('ticket_photos')
    with op.batch_alter_table('ticket_followers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_followers_user_id'))

    op.drop_table('ticket_followers')
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_ticket')

    op.drop_table('ticket_events')
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uploads_owner_id'))
        batch_op.drop_index(batch_op.f('ix_uploads_created_at'))

    op.drop_table('uploads')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_reporter')
        batch_op.drop_index('ix_tickets_queue')
        batch_op.drop_index('ix_tickets_place_state')
        batch_op.drop_index('ix_tickets_nearby')
        batch_op.drop_index('ix_tickets_assignee_state')

    op.drop_table('tickets')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_created_at'))

    op.drop_table('idempotency_keys')
    op.drop_table('community_settings')
    # 小类 refer to their 大类 (RESTRICT): cut the links so the table can go
    op.execute("UPDATE categories SET parent_id = NULL")
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_categories_parent_id'))

    op.drop_table('categories')
    op.drop_table('departments')
