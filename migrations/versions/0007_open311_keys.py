"""open311: API keys of Open311 clients

Revision ID: 0007_open311_keys
Revises: 0006_content_checks
Create Date: 2026-11-22 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_open311_keys'
down_revision = '0006_content_checks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('open311_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_open311_keys_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_open311_keys_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_open311_keys_name'))
    )
    with op.batch_alter_table('open311_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_keys_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('open311_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_keys_user_id'))

    op.drop_table('open311_keys')
