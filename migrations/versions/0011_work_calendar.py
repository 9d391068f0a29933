"""work calendar: Linli's own holidays, 调休 working days and complete years

Issue 17: chinese-calendar 1.11.0 knows 2004–2026 only. The working calendar becomes
Linli's data (``calendar_days``, ``calendar_years``), filled here from the installed
chinese-calendar package for the years it knows (marked complete); admins keep it since.
``flask --app backend calendar sync`` copies years a newer package adds.

Revision ID: 0011_work_calendar
Revises: 0010_participation
Create Date: 2026-12-05 09:00:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_work_calendar'
down_revision = '0010_participation'
branch_labels = None
depends_on = None


def upgrade():
    days = op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f('ck_calendar_days_kind_known')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days'))
    )
    years = op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_years'))
    )

    # the years the installed chinese-calendar knows, as Linli's own rows
    from backend.core.workcalendar import library_calendar

    lib = library_calendar()
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored as naive UTC
    op.bulk_insert(days, [
        {'day': day, 'kind': entry.kind, 'name': entry.name, 'source': 'chinese-calendar',
         'updated_by': 'chinese-calendar', 'updated_at': now}
        for day, entry in sorted(lib.entries.items())])
    op.bulk_insert(years, [
        {'year': year, 'complete': True, 'source': 'chinese-calendar', 'note': lib.source,
         'updated_by': 'chinese-calendar', 'updated_at': now}
        for year in sorted(lib.complete_years)])


def downgrade():
    op.drop_table('calendar_years')
    op.drop_table('calendar_days')
