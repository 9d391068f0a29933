"""Writing to the outbox. Flush only: the row commits (or not) with the change itself."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Iterable, Optional

import sqlalchemy as sa
from sqlalchemy import orm as so
from sqlalchemy.dialects import postgresql, sqlite
from flask import current_app

from backend.accounts.models import User
from backend.core.bilingual import Text, pick, recipient_language
from backend.core.maintenance import MaintenanceResult, delete_in_batches
from backend.core.models import utcnow
from backend.extensions import db
from backend.notify.models import OutboxMessage


def recipient_languages(user_ids: list[int]) -> dict[int, str]:
    """Each recipient's language (``bilingual.recipient_language``): from the user's row
    when this session already holds it (the person acting, the worker just dispatched
    to), the others in one SELECT."""
    known: dict[int, Optional[str]] = {}
    for user_id in user_ids:
        user = db.session.identity_map.get(so.Session.identity_key(User, user_id))
        if user is not None and "language" in user.__dict__:  # loaded, not expired
            known[user_id] = user.language
    missing = [u for u in user_ids if u not in known]
    if missing:
        known.update(db.session.execute(sa.select(User.id, User.language)
                                        .where(User.id.in_(missing))).all())
    return {user_id: recipient_language(SimpleNamespace(language=language))
            for user_id, language in known.items()}


def enqueue(user_ids: Iterable[int], kind: str, title: "str | Text", body: "str | Text" = "",
            page: str = "", data: Optional[dict[str, Any]] = None,
            not_before: Optional[datetime] = None, dedupe_key: Optional[str] = None) -> int:
    """One outbox row per recipient (each recipient once), in one INSERT; the number of
    rows written. With ``dedupe_key``, a row the recipient already has for that key is not
    written again (the unique (user, key) constraint: ON CONFLICT DO NOTHING).

    ``title`` and ``body`` are ``Text(zh, en)``: each recipient's row is written in the
    language they read (``users.language``; Chinese when they chose none), whatever the
    language of the request that caused it. A plain string is the same for everyone."""
    return enqueue_each([Message(user_ids, kind, title, body, page, data, not_before,
                                 dedupe_key)])


@dataclass(frozen=True)
class Message:
    """What ``enqueue`` takes, for ``enqueue_each``."""
    user_ids: Iterable[int]
    kind: str
    title: "str | Text"
    body: "str | Text" = ""
    page: str = ""
    data: Optional[dict[str, Any]] = None
    not_before: Optional[datetime] = None
    dedupe_key: Optional[str] = None


def enqueue_each(messages: Iterable[Message]) -> int:
    """Several messages (each as ``enqueue`` writes it) in one INSERT when they all have a
    dedupe key or none has (a booking's two reminders), else two: one with ON CONFLICT DO
    NOTHING for those with a key, one for the rest."""
    each = [(m, list(dict.fromkeys(u for u in m.user_ids if u))) for m in messages]
    everyone = list(dict.fromkeys(u for _m, users in each for u in users))
    if not everyone:
        return 0
    bilingual = any(isinstance(m.title, Text) or isinstance(m.body, Text)
                    for m, _users in each)
    languages = recipient_languages(everyone) if bilingual else {}
    now = utcnow()
    rows: dict[bool, list[dict]] = {}
    for message, users in each:
        for user_id in users:
            language = languages.get(user_id, "zh")
            rows.setdefault(message.dedupe_key is not None, []).append({
                "user_id": user_id, "kind": message.kind,
                "title": pick(message.title, language)[:100],
                "body": pick(message.body, language)[:500], "page": message.page[:200],
                "language": language, "data": message.data,
                "dedupe_key": message.dedupe_key,
                "not_before": message.not_before or now, "created_at": now})
    dialect = db.session.get_bind().dialect.name
    # the rows written come back (psycopg reports no rowcount for this INSERT)
    return sum(len(db.session.execute(_outbox_insert(dialect, dedupe), batch).all())
               for dedupe, batch in rows.items())


@functools.cache
def _outbox_insert(dialect: str, dedupe: bool) -> sa.Insert:
    """The outbox's INSERT, built once and given the rows as parameters (SQLAlchemy's
    insertmanyvalues sends them as one multi-row INSERT … RETURNING). Rows given to
    ``.values()`` instead made a statement that was compiled anew on every call: 7 % of a
    dispatch's CPU (bench/profile_request.py)."""
    table = OutboxMessage.__table__
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    if dedupe:
        statement = statement.on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
    return statement.returning(table.c.id)


def cancel(dedupe_prefix: str) -> int:
    """Cancel pending rows whose key starts with ``dedupe_prefix`` (a cancelled booking's
    reminders …)."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == "pending",
               OutboxMessage.dedupe_key.startswith(dedupe_prefix, autoescape=True))
        .values(status="cancelled")
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


DONE_STATUSES = ("sent", "failed", "cancelled")


def purge_outbox(result: MaintenanceResult, now: Optional[datetime] = None) -> None:
    """Retention (registered with ``core.maintenance``): rows done with (sent, failed or
    cancelled) older than ``OUTBOX_KEEP_DAYS``. The inbox keeps its notifications (their
    link to the row is set to NULL); pending rows, even old ones, are never touched."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["OUTBOX_KEEP_DAYS"])
    M = OutboxMessage  # noqa: N806
    count = delete_in_batches(
        M, M.status.in_(DONE_STATUSES), M.created_at < cutoff, M.not_before < cutoff,
        sa.or_(M.sent_at.is_(None), M.sent_at < cutoff))
    result.deleted.append(f"{count} outbox rows")
