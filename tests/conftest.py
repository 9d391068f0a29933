"""Test layers: one app per session with its schema from the migrations, a clean database
per test, a fake WeChat server over real HTTP, and clients per role.

The database is SQLite (a file, WAL) unless ``TEST_DATABASE_URL`` names a PostgreSQL
database; then each test session works in its own schema of that database.
"""
from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from typing import Iterator

import pytest
import sqlalchemy as sa

# every answer dumped by backend.core.dumping is checked against marshmallow's own dump
os.environ.setdefault("LINLI_CHECK_DUMP", "1")
# and every JSON answer written by orjson against Flask's own provider (backend.core.json_answers)
os.environ.setdefault("LINLI_CHECK_JSON", "1")

from backend.config import normalise_database_url  # noqa: E402
from tests.fakes.wechat_server import FakeWeChatServer  # noqa: E402
from tests.passwords import TEST_PASSWORD_HASH_METHOD  # noqa: E402

os.environ.setdefault("LINLI_INSTANCE_PATH", tempfile.mkdtemp(prefix="linli-instance-"))
if os.environ.get("PYTEST_XDIST_WORKER"):
    # each xdist worker a folder of its own: the change markers of the kept tokens and
    # revisions live there, and one worker's changes would drop the other's kept reads in
    # the middle of a test that counts statements (as another host's would: unseen)
    os.environ["LINLI_INSTANCE_PATH"] = os.path.join(os.environ["LINLI_INSTANCE_PATH"],
                                                     os.environ["PYTEST_XDIST_WORKER"])
    os.makedirs(os.environ["LINLI_INSTANCE_PATH"], exist_ok=True)

# Fixtures of their own module, for every test that names them (never imported by tests):
# the browser, the console page and live servers.
pytest_plugins = ["tests.browser.live"]


def _database() -> tuple[str, dict]:
    """(URL, engine options) for this test session."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        path = os.path.join(tempfile.mkdtemp(prefix="linli-test-"), "test.db")
        return f"sqlite:///{path}", {}
    url = normalise_database_url(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    schema = f"linli_test_{worker}_{os.getpid()}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    return url, {"connect_args": {"options": f"-csearch_path={schema}"}, "_schema": schema}


def drop_test_schema(url: str, schema: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture(scope="session")
def wechat_server() -> Iterator[FakeWeChatServer]:
    server = FakeWeChatServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_wechat(wechat_server):
    from wechatpy.session.memorystorage import MemoryStorage

    from backend.core import wechat

    wechat_server.fake.reset()
    # the fake forgot its tokens: so must the process's token store
    wechat._token_storage = MemoryStorage()
    return wechat_server.fake


@pytest.fixture(scope="session")
def database():
    url, options = _database()
    schema = options.pop("_schema", None)
    yield url, options
    if schema:
        drop_test_schema(url, schema)


def make_test_app(database_url: str, engine_options: dict, wechat_base: str, **overrides):
    from backend import create_app

    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "SECRET_KEY": secrets.token_hex(16),
        "DEV_LOGIN": True,
        "WECHAT_APPID": "wx-test-appid",
        "WECHAT_SECRET": "test-secret",
        "WECHAT_API_BASE": wechat_base,
        # generous: a loaded CI machine answers the in-process fake slowly; the tests about
        # timeouts set their own short one
        "WECHAT_TIMEOUT": 5.0,
        "WECHAT_TOKEN_STORE": "memory",
        "WECHAT_TEMPLATE_TICKET": "tmpl-ticket",
        "WECHAT_TEMPLATE_TASK": "tmpl-task",
        "WECHAT_TEMPLATE_BOOKING": "tmpl-booking",
        "WECHAT_TEMPLATE_VOLUNTEER": "tmpl-volunteer",
        "WECHAT_TEMPLATE_PARTICIPATION": "tmpl-participation",
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": None,
        # a real werkzeug hash, made cheap (tests/passwords.py): scrypt took about 40 % of
        # the suite's time (68 % of the CPU of the tests that create staff accounts)
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD,
        # kept longer than a slow request of a loaded CI machine takes (2 s in production):
        # a test that counts statements must not see them expire between two requests
        # (the test of the expiry moves the clock by this many seconds)
        "REVISIONS_KEPT_SECONDS": 60,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def fresh_app(database, wechat_server):
    """An app on an empty database of its own (a new SQLite file or PostgreSQL schema)."""
    url, options = database
    schema = None
    if url.startswith("sqlite"):
        url = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="linli-migr-"), "m.db")
        options = {}
    else:
        schema = "linli_migr_" + uuid.uuid4().hex[:8]
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        engine.dispose()
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    app = make_test_app(url, options, wechat_server.base_url)
    yield app
    with app.app_context():
        from backend.extensions import db

        db.engine.dispose()
    if schema:
        drop_test_schema(url, schema)


@pytest.fixture(scope="session")
def app(database, wechat_server):
    import flask_migrate

    url, options = database
    app = make_test_app(url, options, wechat_server.base_url)
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        from backend.extensions import db

        db.engine.dispose()


# The working calendar the migration copied from chinese-calendar stays between tests
# (copying it again for every test would cost ~900 inserts); a test that changed it (its
# revision was written) gets it restored.
CALENDAR_TABLES = ("calendar_days", "calendar_years")


def _restore_calendar(db) -> None:
    from backend.workdays import operations as calendar

    with db.engine.begin() as conn:
        for name in CALENDAR_TABLES:
            conn.execute(db.metadata.tables[name].delete())
    calendar.sync_from_library()
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM revisions"))
    db.session.remove()
    calendar.reset()


def _empty_used(conn, tables) -> None:
    """Empty the tables a test wrote to and restart the sequences it used. TRUNCATE costs
    as much for an empty table as for a full one (new files, synced at commit), and CASCADE
    from users or places reaches every table: most of a test's time on PostgreSQL went
    there, while a test touches a dozen tables with a few rows each. One statement finds
    the tables with rows; those are emptied with DELETE, children first (``tables`` is in
    that order); the sequences read since their last restart (``last_value`` not null)
    are restarted, so ids start at 1 again as after TRUNCATE … RESTART IDENTITY."""
    probe = " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables)
    used = {row[0] for row in conn.exec_driver_sql(probe)}
    for table in tables:
        if table.name not in used:
            continue
        for fk in table.foreign_keys:  # rows pointing at rows of their own table
            if fk.column.table is table:
                conn.execute(table.update().values({fk.parent.name: None}))
        conn.execute(table.delete())
    for (sequence,) in conn.exec_driver_sql(
            "SELECT sequencename FROM pg_sequences "
            "WHERE schemaname = current_schema() AND last_value IS NOT NULL"):
        conn.exec_driver_sql(f'ALTER SEQUENCE "{sequence}" RESTART')


def _clean_tables(app) -> None:
    from backend.accounts import token_cache
    from backend.extensions import db
    from backend.places.models import kept_revisions

    with app.app_context():
        db.session.remove()
        if token_cache.cache() is not None:
            token_cache.cache().clear()  # the rows go below, past the session
        if kept_revisions() is not None:
            kept_revisions().clear()  # (the revisions too)
        with db.engine.connect() as conn:
            calendar_changed = conn.execute(sa.text(
                "SELECT 1 FROM revisions WHERE name = 'work_calendar'")).first() is not None
        tables = [t for t in reversed(db.metadata.sorted_tables)
                  if t.name not in CALENDAR_TABLES]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                _empty_used(conn, tables)
            else:
                # rows pointing at rows of their own table (RESTRICT): cut those links first
                for table in tables:
                    for fk in table.foreign_keys:
                        if fk.column.table is table:
                            conn.execute(table.update().values({fk.parent.name: None}))
                for table in tables:
                    conn.execute(table.delete())
        if calendar_changed:
            _restore_calendar(db)


@pytest.fixture(autouse=True)
def _clean_state(request):
    """A clean database, locate index and rate limiter for every test that uses the app."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    from backend.extensions import limiter
    from backend.places import index

    index.reset()
    with app.app_context():
        limiter.reset()
    yield
    _clean_tables(app)
    index.reset()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(ctx):
    from backend.extensions import db

    return db.session
