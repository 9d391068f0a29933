"""UTCDateTime: what is read back is an aware UTC datetime on every database, the same
instant that was written; None stays None; a naive datetime is refused when written."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.dialects.sqlite import pysqlite

from backend.accounts.models import AuthToken, User
from backend.core.models import UTCDateTime

CHENGDU = timezone(timedelta(hours=8))


def test_round_trip_answers_the_same_instant_in_utc(db_session):
    written = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=CHENGDU)
    read = db_session.execute(sa.select(sa.literal(written, UTCDateTime()))).scalar_one()
    assert read == written
    assert read.tzinfo is timezone.utc
    assert (read.hour, read.minute, read.microsecond) == (1, 30, 123456)


def test_null_reads_back_as_none(db_session):
    assert db_session.execute(sa.select(sa.literal(None, UTCDateTime()))).scalar_one() is None


def test_a_mapped_column_reads_aware_utc(db_session):
    user = User(role="resident", display_name="时间")
    db_session.add(user)
    db_session.flush()
    expires = datetime(2027, 1, 1, 8, 0, tzinfo=CHENGDU)
    db_session.add(AuthToken(user_id=user.id, token_hash="d" * 64, source="dev",
                             expires_at=expires))
    db_session.commit()
    row = db_session.execute(sa.select(AuthToken.expires_at, AuthToken.revoked_at,
                                       AuthToken.created_at)
                             .where(AuthToken.user_id == user.id)).one()
    assert row.expires_at == expires and row.expires_at.tzinfo is timezone.utc
    assert row.revoked_at is None
    assert row.created_at.tzinfo is timezone.utc


def test_a_naive_datetime_is_refused_when_written(db_session):
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db_session.execute(sa.select(sa.literal(datetime(2026, 12, 7, 9, 30), UTCDateTime())))
    db_session.rollback()


@pytest.mark.parametrize("dialect", [pg_psycopg.dialect(), pysqlite.dialect()],
                         ids=["postgresql", "sqlite"])
def test_result_processor_keeps_the_dialects_own_conversion(dialect):
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    if dialect.name == "sqlite":
        # SQLite hands back text: the dialect's own parser runs first
        assert process("2026-12-07 01:30:15.000000") == datetime(
            2026, 12, 7, 1, 30, 15, tzinfo=timezone.utc)
    else:
        # a driver that answers an aware datetime in another zone: turned to UTC
        aware = datetime(2026, 12, 7, 9, 30, tzinfo=CHENGDU)
        assert process(aware) == aware and process(aware).tzinfo is timezone.utc
        assert process(datetime(2026, 12, 7, 1, 30)) == datetime(
            2026, 12, 7, 1, 30, tzinfo=timezone.utc)
    assert process(None) is None
