"""Linli (邻里): the Flask application factory."""
from __future__ import annotations

import logging
import os
import time
from typing import Any, Mapping, Optional

import sqlalchemy as sa
from flask import Flask, g, has_request_context, redirect, request, send_from_directory, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.config import (check_dev_login, check_trusted_proxies, instance_path, load_config,
                            make_instance_folder)
from backend.core import pg_cursor, sqlite_gate
from backend.core.json_answers import AnswerJSONProvider
from backend.extensions import api, babel, csrf, db, limiter, migrate


def _sqlite_pragmas(app: Flask) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection."""
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @sa.event.listens_for(db.engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling is replaced by explicit BEGINs below
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    # writers queue on a lock file first: woken at once, where SQLite's busy handler
    # sleeps (core.sqlite_gate)
    sqlite_gate.install(db.engine, busy_ms / 1000)

    @sa.event.listens_for(db.engine, "begin")
    def _on_begin(conn):
        # SQLite has one writer: a transaction that will write takes the write lock at
        # BEGIN IMMEDIATE, so it waits instead of failing midway on a lock upgrade. Reads
        # (GET) keep a deferred BEGIN and run beside the writer under WAL; a POST reads
        # first, then writes in a transaction of its own (core.sqlite_gate).
        if not has_request_context():  # the worker, the CLI: writers from the start
            sqlite_gate.take(conn)
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif request.method in ("GET", "HEAD", "OPTIONS"):
            conn.exec_driver_sql("BEGIN")
        else:
            sqlite_gate.begin_deferred(conn)


def _ping_idle_connections(app: Flask) -> None:
    """Check a pooled connection before use only when it sat idle for a while.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip and a statement on
    every request (measured, bench/load.py). Under load a connection goes back into use
    within milliseconds; what drops connections (a database restart, an idle timeout on
    the way) shows on connections left idle. So a connection idle longer than
    DB_PING_AFTER_IDLE_SECONDS is pinged, and a dead one is replaced before the request
    uses it (``DisconnectionError`` makes the pool connect afresh). A connection that dies
    while in use fails its request (503, Retry-After: the clients retry) and SQLAlchemy
    then replaces every connection of the pool.
    """
    config = app.config
    dbapi_error = db.engine.dialect.loaded_dbapi.Error

    @sa.event.listens_for(db.engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["linli_idle_since"] = time.monotonic()

    @sa.event.listens_for(db.engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        since = record.info.get("linli_idle_since")
        if since is None or time.monotonic() - since < config["DB_PING_AFTER_IDLE_SECONDS"]:
            return  # new, or back in use at once
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            # the ping opened a transaction on PostgreSQL: ended with a commit, since
            # psycopg forgets every statement the connection prepared on a rollback
            dbapi_connection.commit()
        except dbapi_error as exc:
            raise sa.exc.DisconnectionError("the connection was dropped while idle") from exc


READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")
READ_ONLY_PREFIXES = ("/api/", "/open311/")


def _read_only_api_reads(app: Flask, autocommit: bool) -> None:
    """An API read (GET) must not write: a flush with changes, or an INSERT, UPDATE or
    DELETE, raises (500), so no read ever changes anything behind the caller's back.

    With ``autocommit`` (PostgreSQL) such a read runs its statements without a
    transaction: no BEGIN and COMMIT round trips around them (two of the five a ticket's
    page cost, bench/load.py). Under READ COMMITTED each statement of a transaction sees a
    fresh snapshot anyway, so a read sees nothing different. The console's pages keep
    their transaction (reading one refreshes the console session).
    """

    dbapi_error = db.engine.dialect.loaded_dbapi.Error

    @app.before_request
    def _read_only_request():
        if request.method in READ_ONLY_METHODS and request.path.startswith(READ_ONLY_PREFIXES) \
                and not db.session().in_transaction():
            db.session.info["linli_read_only"] = True
            if not autocommit:
                return
            try:
                db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            except dbapi_error as exc:
                # The connection died since its last use (the database restarted): as
                # SQLAlchemy does on a disconnect, every pooled connection is replaced,
                # and this request answers 503 (Retry-After) like any other that lost it.
                db.session.rollback()
                db.engine.dispose()
                raise sa.exc.OperationalError("SET autocommit", None, exc,
                                              connection_invalidated=True) from exc

    @app.teardown_request
    def _end_read_only(_exc):
        if db.session.registry.has():  # (asking db.session.info would create a session)
            db.session.info.pop("linli_read_only", None)

    @sa.event.listens_for(db.session, "do_orm_execute")
    def _no_write_statement(state):
        if state.session.info.get("linli_read_only") and (
                state.is_insert or state.is_update or state.is_delete):
            raise RuntimeError("a read (GET) request must not write")

    @sa.event.listens_for(db.session, "before_flush")
    def _no_flush(session, _context, _instances):
        if session.info.get("linli_read_only") and (session.new or session.dirty
                                                     or session.deleted):
            raise RuntimeError("a read (GET) request must not write")


def _trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies (nginx: 1), the client's address and
    scheme are the ones the nearest proxy puts last in X-Forwarded-For / X-Forwarded-Proto
    (werkzeug's ProxyFix): rate limits then count each client, not the proxy. With 0
    (the default) those headers are ignored: a client cannot choose its address."""
    count = check_trusted_proxies(app.config.get("TRUSTED_PROXIES", 0))
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


class LinliFlask(Flask):
    """Flask, with the answer to "is this hook a coroutine?" kept per function: Flask asks
    it of every hook on every request (nine on a /livez), and the answer never changes;
    JSON answers written by orjson (backend/core/json_answers.py)."""

    json_provider_class = AnswerJSONProvider

    def ensure_sync(self, func):
        known = self.__dict__.setdefault("_linli_sync", {})
        try:
            return known[func]
        except KeyError:
            found = known[func] = super().ensure_sync(func)
            return found
        except TypeError:  # not hashable
            return super().ensure_sync(func)


def create_app(config: Optional[Mapping[str, Any]] = None) -> Flask:
    app = LinliFlask(__name__, instance_relative_config=True, instance_path=instance_path())
    make_instance_folder(app.instance_path)
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    check_dev_login(app.config)  # settings given here obey the environment's rule
    _trust_proxies(app)
    from backend.console.session import ConsoleCookieSessions

    app.session_interface = ConsoleCookieSessions()
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from backend.core.schemas import ErrorSchema

    api.ERROR_SCHEMA = ErrorSchema
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    limiter.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, default_locale="zh", locale_selector=_console_locale)
    from backend.console.catalogue import install as install_console_catalogue

    install_console_catalogue(babel)
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer"})

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _sqlite_pragmas(app)
        elif db.engine.dialect.driver == "psycopg":
            pg_cursor.install(db.engine)  # columns described only when read (core/pg_cursor)
        _read_only_api_reads(app, autocommit=db.engine.dialect.name == "postgresql")
        _ping_idle_connections(app)

    request_state = ("linli_token", "linli_chosen_language", "console_user", "console_token",
                     "console_session_expired", "linli_workcalendar", "linli_revisions")

    @app.before_request
    def _fresh_request_state():
        # The current user is cached on g; g belongs to the app context, which a test
        # (or a CLI command) may share between requests. Each request starts clean.
        # (On the namespace itself: a pop through the proxy costs a lookup each.)
        namespace = vars(g._get_current_object())
        for key in request_state:
            namespace.pop(key, None)

    _import_models()
    from backend.accounts.auth import resolve_token
    from backend.core import auth
    from backend.core.errors import register_error_handlers

    auth.init_app(app, resolve_token)  # core reads tokens, accounts knows what they are
    _keep_resolved_tokens(app)
    _keep_revisions(app)

    register_error_handlers(app)
    _register_blueprints(app)
    _register_cli(app)
    _register_maintenance(app)
    _register_transaction(app)
    return app


def _keep_resolved_tokens(app: Flask) -> None:
    """Resolved tokens kept per process, dropped on this host at every change to a user,
    a token or a place (backend/accounts/token_cache.py; ``TOKEN_CACHE_SECONDS``)."""
    from backend.accounts import token_cache
    from backend.accounts.models import AuthToken, User
    from backend.places.models import Place

    token_cache.init_app(app, db.session, (User, AuthToken, Place))


def _keep_revisions(app: Flask) -> None:
    """The revisions kept per process, read again on this host after every change
    (backend/places/models.py; ``REVISIONS_KEPT_SECONDS``)."""
    from backend.places.models import keep_revisions

    keep_revisions(app)


def _console_locale() -> str:
    """The console's language (its cookie, else Accept-Language; backend/console/language.py).
    Only the console's pages use gettext; the API keeps backend/core/i18n.py's rule."""
    from flask import has_request_context, request

    if has_request_context() and request.path.startswith("/console"):
        from backend.console.language import chosen_language

        return chosen_language()
    return "zh"


def _import_models() -> None:
    """Every model module, so the metadata (and migrations) know every table."""
    import backend.accounts.models  # noqa: F401
    import backend.bookings.models  # noqa: F401
    import backend.core.idempotency  # noqa: F401
    import backend.notify.models  # noqa: F401
    import backend.open311.models  # noqa: F401
    import backend.organisations.models  # noqa: F401
    import backend.participation.models  # noqa: F401
    import backend.places.models  # noqa: F401
    import backend.tickets.models  # noqa: F401
    import backend.uploads.models  # noqa: F401
    import backend.volunteers.models  # noqa: F401
    import backend.workdays.models  # noqa: F401
    import backend.workdays.operations  # noqa: F401  (Linli's calendar answers deadlines)


def _register_blueprints(app: Flask) -> None:
    from backend.accounts.api import blp as accounts_blp
    from backend.accounts.profile import blp as profile_blp
    from backend.bookings.api import blp as bookings_blp
    from backend.core.health import bp as health_bp
    from backend.notify.api import blp as notify_blp
    from backend.open311.api import bp as open311_bp
    from backend.organisations.api import blp as organisations_blp
    from backend.participation.api import blp as participation_blp
    from backend.participation.yards_api import blp as yards_blp
    from backend.places.api import blp as places_blp
    from backend.tickets.api import blp as tickets_blp
    from backend.tickets.reports_api import blp as ticket_reports_blp
    from backend.tickets.supervision_api import blp as ticket_supervision_blp
    from backend.tickets.performance_api import blp as ticket_performance_blp
    from backend.uploads.api import blp as uploads_blp
    from backend.volunteers.api import blp as volunteers_blp
    from backend.workdays.api import blp as calendar_blp

    from backend.console.views import bp as console_bp

    app.register_blueprint(health_bp)
    limiter.exempt(health_bp)  # probes are never rate limited (nor counted)
    app.register_blueprint(open311_bp)
    app.register_blueprint(console_bp)

    @app.get("/")
    def index():
        return redirect(url_for("console.home"))
    for blp in (accounts_blp, profile_blp, bookings_blp, notify_blp, places_blp, tickets_blp,
                ticket_reports_blp, ticket_supervision_blp, uploads_blp, volunteers_blp,
                participation_blp, calendar_blp, ticket_performance_blp, organisations_blp,
                yards_blp):
        api.register_blueprint(blp)

    import swagger_ui_bundle

    @app.get("/api/v1/docs-assets/<path:filename>")
    def docs_assets(filename):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def _register_cli(app: Flask) -> None:
    from backend.accounts.cli import accounts_cli
    from backend.demo.cli import demo_cli
    from backend.open311.cli import open311_cli
    from backend.places.cli import places_cli
    from backend.tickets.cli import tickets_cli
    from backend.uploads.cli import uploads_cli
    from backend.workdays.cli import calendar_cli

    from backend.core.maintenance import maintenance_command
    from backend.notify.cli import worker_command
    from backend.demo.serve import demo_serve_command

    app.cli.add_command(worker_command)
    app.cli.add_command(demo_serve_command)
    app.cli.add_command(maintenance_command)
    for group in (accounts_cli, calendar_cli, demo_cli, open311_cli, places_cli, tickets_cli,
                  uploads_cli):
        app.cli.add_command(group)


def _register_maintenance(app: Flask) -> None:
    """Each layer's retention purge, run in this order by ``flask maintenance`` and by the
    notification worker (core.maintenance.run): core's idempotency keys, notify's outbox,
    uploads' unattached photos. Registered here so that notify never imports uploads."""
    from backend.core import maintenance
    from backend.notify.operations import purge_outbox
    from backend.uploads.operations import purge_unattached

    maintenance.register(app, maintenance.purge_idempotency_keys, purge_outbox,
                         purge_unattached)
    # the periodic sweeps the worker runs too (SWEEP_EVERY_MINUTES)
    from backend.core import sweeps
    from backend.tickets.deadlines import sweep as ticket_deadlines

    sweeps.register(app, "ticket deadlines", ticket_deadlines)


def _register_transaction(app: Flask) -> None:
    """The request owns the transaction: operations flush, the request commits. An
    Idempotency-Key claimed by the request is given up when it ends without its answer
    committed (backend.core.idempotency)."""
    from backend.core import idempotency
    from backend.core.transaction import commit_keeping_loaded, end_refused

    idempotency.init_app(app)

    @app.after_request
    def _commit(response):
        if not db.session.registry.has():
            return response  # the request used no database (/livez, a static file)
        if response.status_code >= 400:
            end_refused()  # rolled back (committed when it only read: same outcome)
            return response
        try:
            # the request's session ends with it: expiring every object it loaded would
            # only cost time (1.4 % of bench/load.py's server CPU, py-spy)
            commit_keeping_loaded()
        except Exception as exc:  # the answer must say the write did not happen
            db.session.rollback()
            from backend.core.errors import commit_failure_response

            return commit_failure_response(exc)
        idempotency.transaction_committed()
        return response
