"""PostgreSQL cursors that describe their columns only when asked (backend/core/pg_cursor):
the same description as psycopg's, made lazily. Runs against PostgreSQL whichever database
the rest of the suite uses (TEST_DATABASE_URL, else the local server)."""
from __future__ import annotations

import os

import psycopg
import pytest
import sqlalchemy as sa

from backend.core.pg_cursor import DescribedOnDemand, LazyDescription, install
from backend.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def connections():
    lazy = psycopg.connect(_plain(PG_URL), cursor_factory=DescribedOnDemand, autocommit=True)
    plain = psycopg.connect(_plain(PG_URL), autocommit=True)
    for conn in (lazy, plain):
        conn.execute("CREATE TEMPORARY TABLE pg_cursor_probe (id int, note text)")
    yield lazy, plain
    lazy.close()
    plain.close()


def _described(description):
    return None if description is None else [
        (c.name, c.type_code, c.display_size, c.internal_size, c.precision, c.scale,
         c.null_ok, c.type_display) for c in description]


STATEMENTS = [
    "SELECT 1 AS one, 'x'::varchar(7) AS name, now() AS at, 1.5::numeric(6,2) AS money, "
    "ARRAY[1,2] AS numbers, NULL AS nothing, '{}'::jsonb AS data",
    "SELECT",                                           # tuples, but no column
    "SELECT 1 WHERE false",                             # columns, no row
    "CREATE TEMPORARY TABLE IF NOT EXISTS pg_cursor_probe (id int, note text)",  # None
    "INSERT INTO pg_cursor_probe VALUES (1, '一')",     # no tuples: None
    "INSERT INTO pg_cursor_probe VALUES (2, '二') RETURNING id, note",
    "UPDATE pg_cursor_probe SET note = note",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_the_description_is_psycopgs_own(connections, statement):
    lazy, plain = connections
    for prepare in (False, True):
        ours = lazy.cursor()
        ours.execute(statement, prepare=prepare)
        theirs = plain.cursor()
        theirs.execute(statement, prepare=prepare)
        assert _described(ours.description) == _described(theirs.description)
        if ours.description is not None:
            assert len(ours.description) == len(theirs.description)
            assert bool(ours.description) == bool(theirs.description)
            assert [tuple(c) for c in ours.description[:2]] == \
                [tuple(c) for c in theirs.description[:2]]


def test_columns_are_made_only_when_read_and_describe_the_result_they_came_with(
        connections, monkeypatch):
    lazy, _ = connections
    made = []
    real = psycopg.Column.__init__

    def counting(self, cursor, index):
        made.append(index)
        real(self, cursor, index)

    monkeypatch.setattr(psycopg.Column, "__init__", counting)
    cursor = lazy.cursor()
    cursor.execute("SELECT 1 AS a, 2 AS b, 3 AS c")
    first = cursor.description
    assert isinstance(first, LazyDescription) and first is not None and made == []
    cursor.execute("SELECT 'later' AS other")  # the cursor moves on before it is read
    assert [c.name for c in first] == ["a", "b", "c"]
    assert made == [0, 1, 2]
    assert [c.name for c in cursor.description] == ["other"]


def test_the_apps_postgresql_connections_use_it(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
            install(engine)
        else:
            engine = db.engine
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.cursor_factory is DescribedOnDemand
            rows = conn.execute(sa.text("SELECT 1 AS one, 'a' AS letter")).mappings().all()
            assert rows == [{"one": 1, "letter": "a"}]
        if engine is not db.engine:
            engine.dispose()
