"""bookings: service items, centres, counters, opening rules, closures, slot counts, bookings and no-show pauses

Revision ID: 0005_bookings
Revises: 0004_queue_deadline_index
Create Date: 2026-11-22 03:06:21.292166

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_bookings'
down_revision = '0004_queue_deadline_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('service_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=150), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('notes', sa.String(length=500), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('bookable_online', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('duration_minutes BETWEEN 5 AND 240', name=op.f('ck_service_items_duration_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_items')),
    sa.UniqueConstraint('code', name=op.f('uq_service_items_code'))
    )
    op.create_table('service_centres',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('closed_on_holidays', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_service_centres_place_id_places'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_centres')),
    sa.UniqueConstraint('place_id', name=op.f('uq_service_centres_place_id'))
    )
    op.create_table('closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['service_centres.id'], name=op.f('fk_closures_centre_id_service_centres'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_closures_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closures')),
    sa.UniqueConstraint('centre_id', 'day', name='uq_closures_centre_day')
    )
    op.create_table('counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['service_centres.id'], name=op.f('fk_counters_centre_id_service_centres'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counters')),
    sa.UniqueConstraint('centre_id', 'name', name='uq_counters_centre_name')
    )
    with op.batch_alter_table('counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counters_centre_id'), ['centre_id'], unique=False)

    op.create_table('opening_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('regular','extended')", name=op.f('ck_opening_rules_kind_known')),
    sa.CheckConstraint('start_time < end_time', name=op.f('ck_opening_rules_start_before_end')),
    sa.CheckConstraint('valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to', name=op.f('ck_opening_rules_valid_range')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_opening_rules_weekday_range')),
    sa.ForeignKeyConstraint(['centre_id'], ['service_centres.id'], name=op.f('fk_opening_rules_centre_id_service_centres'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_rules'))
    )
    with op.batch_alter_table('opening_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_rules_centre_id'), ['centre_id'], unique=False)

    op.create_table('slot_counts',
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('booked >= 0', name=op.f('ck_slot_counts_booked_not_negative')),
    sa.ForeignKeyConstraint(['centre_id'], ['service_centres.id'], name=op.f('fk_slot_counts_centre_id_service_centres'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['service_items.id'], name=op.f('fk_slot_counts_item_id_service_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('centre_id', 'item_id', 'start_at', name=op.f('pk_slot_counts'))
    )
    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('guest_name', sa.String(length=50), nullable=True),
    sa.Column('guest_phone', sa.String(length=20), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=True),
    sa.Column('start_at', sa.DateTime(), nullable=False),
    sa.Column('end_at', sa.DateTime(), nullable=False),
    sa.Column('slot_kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('no_show_at', sa.DateTime(), nullable=True),
    sa.Column('reschedule_count', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("source IN ('online','staff')", name=op.f('ck_bookings_source_known')),
    sa.CheckConstraint("status IN ('booked','checked_in','completed','no_show','cancelled')", name=op.f('ck_bookings_status_known')),
    sa.CheckConstraint('resident_id IS NOT NULL OR guest_phone IS NOT NULL', name=op.f('ck_bookings_someone_booked')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_bookings_cancelled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['centre_id'], ['service_centres.id'], name=op.f('fk_bookings_centre_id_service_centres'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['counter_id'], ['counters.id'], name=op.f('fk_bookings_counter_id_counters'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_bookings_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_bookings_handled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['service_items.id'], name=op.f('fk_bookings_item_id_service_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resident_id'], ['users.id'], name=op.f('fk_bookings_resident_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_centre_start', ['centre_id', 'start_at'], unique=False)
        batch_op.create_index('ix_bookings_guest_phone', ['guest_phone'], unique=False)
        batch_op.create_index('ix_bookings_resident', ['resident_id', 'status', 'start_at'], unique=False)
        batch_op.create_index('uq_bookings_active_code', ['code'], unique=True, sqlite_where=sa.text("status IN ('booked','checked_in')"), postgresql_where=sa.text("status IN ('booked','checked_in')"))

    op.create_table('counter_items',
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['counter_id'], ['counters.id'], name=op.f('fk_counter_items_counter_id_counters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['service_items.id'], name=op.f('fk_counter_items_item_id_service_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('counter_id', 'item_id', name=op.f('pk_counter_items'))
    )
    with op.batch_alter_table('counter_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counter_items_item_id'), ['item_id'], unique=False)

    op.create_table('opening_rule_counters',
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['counter_id'], ['counters.id'], name=op.f('fk_opening_rule_counters_counter_id_counters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['opening_rules.id'], name=op.f('fk_opening_rule_counters_rule_id_opening_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rule_id', 'counter_id', name=op.f('pk_opening_rule_counters'))
    )
    op.create_table('booking_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('no_show_count', sa.Integer(), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('last_booking_id', sa.Integer(), nullable=True),
    sa.Column('lifted_at', sa.DateTime(), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['last_booking_id'], ['bookings.id'], name=op.f('fk_booking_pauses_last_booking_id_bookings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_booking_pauses_lifted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_booking_pauses_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_pauses'))
    )
    with op.batch_alter_table('booking_pauses', schema=None) as batch_op:
        batch_op.create_index('ix_booking_pauses_user', ['user_id', 'ends_at'], unique=False)



def downgrade():
    with op.batch_alter_table('booking_pauses', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_pauses_user')

    op.drop_table('booking_pauses')
    op.drop_table('opening_rule_counters')
    with op.batch_alter_table('counter_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_counter_items_item_id'))

    op.drop_table('counter_items')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_active_code', sqlite_where=sa.text("status IN ('booked','checked_in')"), postgresql_where=sa.text("status IN ('booked','checked_in')"))
        batch_op.drop_index('ix_bookings_resident')
        batch_op.drop_index('ix_bookings_guest_phone')
        batch_op.drop_index('ix_bookings_centre_start')

    op.drop_table('bookings')
    op.drop_table('slot_counts')
    with op.batch_alter_table('opening_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_rules_centre_id'))

    op.drop_table('opening_rules')
    with op.batch_alter_table('counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_counters_centre_id'))

    op.drop_table('counters')
    op.drop_table('closures')
    op.drop_table('service_centres')
    op.drop_table('service_items')
