"""Writing to the outbox. Flush only: the row commits (or not) with the change itself."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from flask import current_app

from backend.core.maintenance import MaintenanceResult, delete_in_batches
from backend.core.models import utcnow
from backend.extensions import db
from backend.notify.models import OutboxMessage


def enqueue(user_ids: Iterable[int], kind: str, title: str, body: str = "", page: str = "",
            data: Optional[dict[str, Any]] = None, not_before: Optional[datetime] = None,
            dedupe_key: Optional[str] = None) -> int:
    """One outbox row per recipient (each recipient once), in one INSERT; the number of
    rows written. With ``dedupe_key``, a row the recipient already has for that key is not
    written again (the unique (user, key) constraint: ON CONFLICT DO NOTHING)."""
    recipients = list(dict.fromkeys(u for u in user_ids if u))
    if not recipients:
        return 0
    now = utcnow()
    rows = [{"user_id": user_id, "kind": kind, "title": title[:100], "body": body[:500],
             "page": page[:200], "data": data, "dedupe_key": dedupe_key,
             "not_before": not_before or now, "created_at": now} for user_id in recipients]
    dialect = db.session.get_bind().dialect.name
    table = OutboxMessage.__table__
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = insert.values(rows)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
    # the rows written come back (psycopg reports no rowcount for this INSERT)
    return len(db.session.execute(statement.returning(table.c.id)).all())


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
