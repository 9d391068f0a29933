"""service points: several per community (服务中心, 连心驿站, 居民之家)

Revision ID: 0015_service_points
Revises: 0013_case_loop
Create Date: 2026-12-06 20:30:00

Issue 21 item 2. A community may have several service points: ``service_centres`` loses the
uniqueness of ``place_id`` (an index stays) and gets the point's kind, an optional location
(WGS-84 lat/lng) and a sort order; a name is unique within its community. Existing rows
become their community's main centre (kind ``centre``, sort order 0).

The downgrade keeps each community's first point (lowest id) and deletes the others with
their counters, rules, closures, slot counts and bookings: one point per community again.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_service_points'
down_revision = '0014_organisations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_centres', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='centre', nullable=False))
        batch_op.add_column(sa.Column('lat', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('lng', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint('uq_service_centres_place_id', type_='unique')
        batch_op.create_index(batch_op.f('ix_service_centres_place_id'), ['place_id'], unique=False)
        batch_op.create_unique_constraint('uq_service_centres_place_name', ['place_id', 'name'])
        batch_op.create_check_constraint('point_kind_known', "kind IN ('centre','station','home')")
        batch_op.create_check_constraint('location_whole', '(lat IS NULL) = (lng IS NULL)')


def downgrade():
    conn = op.get_bind()
    extra = ("SELECT id FROM service_centres s WHERE id > "
             "(SELECT MIN(id) FROM service_centres f WHERE f.place_id = s.place_id)")
    conn.execute(sa.text(f"DELETE FROM slot_counts WHERE centre_id IN ({extra})"))
    conn.execute(sa.text(
        f"UPDATE booking_pauses SET last_booking_id = NULL WHERE last_booking_id IN "
        f"(SELECT id FROM bookings WHERE centre_id IN ({extra}))"))
    conn.execute(sa.text(f"DELETE FROM bookings WHERE centre_id IN ({extra})"))
    conn.execute(sa.text(f"DELETE FROM closures WHERE centre_id IN ({extra})"))
    conn.execute(sa.text(
        f"DELETE FROM opening_rule_counters WHERE rule_id IN "
        f"(SELECT id FROM opening_rules WHERE centre_id IN ({extra}))"))
    conn.execute(sa.text(f"DELETE FROM opening_rules WHERE centre_id IN ({extra})"))
    conn.execute(sa.text(
        f"DELETE FROM opening_rule_counters WHERE counter_id IN "
        f"(SELECT id FROM counters WHERE centre_id IN ({extra}))"))
    conn.execute(sa.text(
        f"DELETE FROM counter_items WHERE counter_id IN "
        f"(SELECT id FROM counters WHERE centre_id IN ({extra}))"))
    conn.execute(sa.text(f"DELETE FROM counters WHERE centre_id IN ({extra})"))
    conn.execute(sa.text(f"DELETE FROM service_centres WHERE id IN ({extra})"))
    with op.batch_alter_table('service_centres', schema=None) as batch_op:
        batch_op.drop_constraint('location_whole', type_='check')
        batch_op.drop_constraint('point_kind_known', type_='check')
        batch_op.drop_constraint('uq_service_centres_place_name', type_='unique')
        batch_op.drop_index(batch_op.f('ix_service_centres_place_id'))
        batch_op.create_unique_constraint('uq_service_centres_place_id', ['place_id'])
        batch_op.drop_column('sort_order')
        batch_op.drop_column('lng')
        batch_op.drop_column('lat')
        batch_op.drop_column('kind')
