"""bilingual content: a person's language, English texts beside the Chinese

Revision ID: 0017_bilingual
Revises: 0013_case_loop
Create Date: 2026-12-06 20:30:00

Issue 21 (international communities). Users say which language they read (empty: follow
the device's Accept-Language); community notices, service items and volunteer activities
get an English text beside the Chinese (empty: none written, the Chinese is served); an
outbox row and the in-app message delivered from it remember the language they were
written in (their recipient's), for the WeChat template's fields and the inbox's answer.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_bilingual'
down_revision = '0016_yard_self_government'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=2), nullable=True))
        batch_op.create_check_constraint(op.f('ck_users_language_known'),
                                         "language IN ('zh','en')")

    with op.batch_alter_table('community_notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_en', sa.String(length=150), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('body_en', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('materials_en', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('notes_en', sa.String(length=500), server_default='',
                                      nullable=False))

    with op.batch_alter_table('volunteer_activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_en', sa.String(length=150), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('content_en', sa.String(length=2000), server_default='',
                                      nullable=False))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=2), server_default='zh',
                                      nullable=False))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=2), server_default='zh',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('language')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('language')

    with op.batch_alter_table('volunteer_activities', schema=None) as batch_op:
        batch_op.drop_column('content_en')
        batch_op.drop_column('title_en')

    with op.batch_alter_table('service_items', schema=None) as batch_op:
        batch_op.drop_column('notes_en')
        batch_op.drop_column('materials_en')

    with op.batch_alter_table('community_notices', schema=None) as batch_op:
        batch_op.drop_column('body_en')
        batch_op.drop_column('title_en')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_language_known'), type_='check')
        batch_op.drop_column('language')
