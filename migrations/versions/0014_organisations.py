"""organisations: social organisations, service projects, micro-funds

Revision ID: 0014_organisations
Revises: 0013_case_loop
Create Date: 2026-12-06 20:16:12.947170

Issue 21 item 1. The registry of social organisations serving a community or a street
(type, 统一社会信用代码, rating, contact), the service projects a community or street buys
from them (申报 → 评审 → 签约 → 实施 → 验收 → 公示: events and milestones), and micro-funds
(微基金) inside a community fund with their own ledger lines and a balance that a CHECK
keeps at zero or above.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_organisations'
down_revision = '0013_case_loop'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('social_organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('registration_authority', sa.String(length=100), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.Column('rating', sa.String(length=4), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('services', sa.String(length=1000), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('social','community','volunteer','support_centre','enterprise')", name=op.f('ck_social_organisations_kind_known')),
    sa.CheckConstraint("rating IN ('none','1A','2A','3A','4A','5A')", name=op.f('ck_social_organisations_rating_known')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_social_organisations_place_id_places'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_social_organisations')),
    sa.UniqueConstraint('credit_code', name='uq_social_organisations_credit_code'),
    sa.UniqueConstraint('place_id', 'name', name='uq_social_organisations_place_name')
    )
    with op.batch_alter_table('social_organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_social_organisations_place_id'), ['place_id'], unique=False)

    op.create_table('micro_funds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('purpose', sa.String(length=1000), nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('balance_fen >= 0', name=op.f('ck_micro_funds_balance_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_micro_funds_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['fund_id'], ['community_funds.id'], name=op.f('fk_micro_funds_fund_id_community_funds'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_funds')),
    sa.UniqueConstraint('fund_id', 'name', name='uq_micro_funds_fund_name')
    )
    with op.batch_alter_table('micro_funds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_funds_fund_id'), ['fund_id'], unique=False)

    op.create_table('micro_fund_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('micro_fund_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('party', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('donation','expense')", name=op.f('ck_micro_fund_lines_kind_known')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_micro_fund_lines_amount_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_micro_fund_lines_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['micro_fund_id'], ['micro_funds.id'], name=op.f('fk_micro_fund_lines_micro_fund_id_micro_funds'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_fund_lines'))
    )
    with op.batch_alter_table('micro_fund_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_fund_lines_micro_fund_id'), ['micro_fund_id'], unique=False)

    op.create_table('service_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('summary', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('review_reason', sa.String(length=500), nullable=False),
    sa.Column('contract_sum_fen', sa.BigInteger(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('acceptance_note', sa.String(length=1000), nullable=False),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('publish_from', sa.DateTime(), nullable=True),
    sa.Column('publish_until', sa.DateTime(), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('applied','approved','rejected','contracted','in_progress','accepted','failed','published')", name=op.f('ck_service_projects_status_known')),
    sa.CheckConstraint('contract_sum_fen IS NULL OR contract_sum_fen > 0', name=op.f('ck_service_projects_contract_sum_positive')),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_service_projects_accepted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['buyer_id'], ['places.id'], name=op.f('fk_service_projects_buyer_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_service_projects_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['notice_id'], ['community_notices.id'], name=op.f('fk_service_projects_notice_id_community_notices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['social_organisations.id'], name=op.f('fk_service_projects_organisation_id_social_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_projects'))
    )
    with op.batch_alter_table('service_projects', schema=None) as batch_op:
        batch_op.create_index('ix_service_projects_buyer_status', ['buyer_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_projects_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('service_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('evidence', sa.String(length=1000), nullable=False),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_service_milestones_done_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['service_projects.id'], name=op.f('fk_service_milestones_project_id_service_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_milestones'))
    )
    with op.batch_alter_table('service_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_milestones_project_id'), ['project_id'], unique=False)

    op.create_table('service_project_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_service_project_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['service_projects.id'], name=op.f('fk_service_project_events_project_id_service_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_project_events'))
    )
    with op.batch_alter_table('service_project_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_project_events_project_id'), ['project_id'], unique=False)



def downgrade():
    with op.batch_alter_table('service_project_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_project_events_project_id'))

    op.drop_table('service_project_events')
    with op.batch_alter_table('service_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_milestones_project_id'))

    op.drop_table('service_milestones')
    with op.batch_alter_table('service_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_projects_organisation_id'))
        batch_op.drop_index('ix_service_projects_buyer_status')

    op.drop_table('service_projects')
    with op.batch_alter_table('micro_fund_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_micro_fund_lines_micro_fund_id'))

    op.drop_table('micro_fund_lines')
    with op.batch_alter_table('micro_funds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_micro_funds_fund_id'))

    op.drop_table('micro_funds')
    with op.batch_alter_table('social_organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_social_organisations_place_id'))

    op.drop_table('social_organisations')
