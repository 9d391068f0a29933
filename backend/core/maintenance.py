"""Retention: what Linli keeps only for a while, and the job that removes it.

- Idempotency keys (with the answers they replay) older than ``IDEMPOTENCY_KEEP_HOURS``:
  a client retries within minutes, never days later.
- Outbox rows done with (sent, failed or cancelled) older than ``OUTBOX_KEEP_DAYS``: the
  inbox keeps its notifications (their link to the row is set to NULL); pending rows,
  even old ones, are never touched.
- Photos uploaded but never attached older than ``UPLOAD_UNATTACHED_HOURS``: their rows,
  then their files, then photo files no row names (a crash between write and commit).
  A photo any table points at (a report's, a proposal's, an expense's receipts …) is kept
  even if its ``attached_at`` were missing.

``flask --app backend maintenance`` runs it (cron, hourly); the notification worker runs
it too, every ``MAINTENANCE_EVERY_MINUTES``. Everything is deleted in batches, each its
own short transaction; running it twice at once (two workers) is harmless.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator, Optional

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from backend.core.models import utcnow
from backend.extensions import db

log = logging.getLogger(__name__)

BATCH = 500
DONE_STATUSES = ("sent", "failed", "cancelled")


@dataclass
class MaintenanceResult:
    idempotency_keys: int = 0
    outbox_rows: int = 0
    uploads: int = 0
    upload_files: int = 0
    orphan_files: int = 0

    def __str__(self) -> str:
        return (f"deleted {self.idempotency_keys} idempotency keys, {self.outbox_rows} "
                f"outbox rows, {self.uploads} unattached uploads ({self.upload_files} files); "
                f"removed {self.orphan_files} orphan files")


def _delete_in_batches(model, *conditions, batch: int = BATCH) -> int:
    """Delete the rows matching ``conditions``, ``batch`` at a time, committing each."""
    deleted = 0
    while True:
        ids = sa.select(model.id).where(*conditions).order_by(model.id).limit(batch)
        count = db.session.execute(
            sa.delete(model).where(model.id.in_(ids))
            .execution_options(synchronize_session=False)).rowcount or 0
        db.session.commit()
        deleted += count
        if count < batch:
            return deleted


def purge_idempotency_keys(older_than: timedelta, now: Optional[datetime] = None) -> int:
    from backend.core.idempotency import IdempotencyRecord

    cutoff = (now or utcnow()) - older_than
    return _delete_in_batches(IdempotencyRecord, IdempotencyRecord.created_at < cutoff)


def purge_outbox(older_than: timedelta, now: Optional[datetime] = None) -> int:
    from backend.notify.models import OutboxMessage as M

    cutoff = (now or utcnow()) - older_than
    return _delete_in_batches(
        M, M.status.in_(DONE_STATUSES), M.created_at < cutoff, M.not_before < cutoff,
        sa.or_(M.sent_at.is_(None), M.sent_at < cutoff))


def upload_references() -> Iterator[sa.Column]:
    """Every column of every table that points at an upload."""
    for table in db.metadata.tables.values():
        for fk in table.foreign_keys:
            if fk.column.table.name == "uploads":
                yield fk.parent


def unattached_uploads_condition(older_than: timedelta, now: Optional[datetime] = None):
    from backend.uploads.models import Upload

    cutoff = (now or utcnow()) - older_than
    unused = [~sa.exists().where(column == Upload.id) for column in upload_references()]
    return sa.and_(Upload.attached_at.is_(None), Upload.created_at < cutoff, *unused)


def purge_unattached_uploads(older_than: timedelta,
                             now: Optional[datetime] = None) -> tuple[int, int, int]:
    """(rows, their files, orphan files) deleted. A batch's files go once its rows are
    gone for good: a failed commit leaves every file."""
    from backend.uploads import operations as upload_ops

    rows = files = 0
    store = upload_ops.storage()
    while True:
        count, keys = upload_ops.cleanup_unattached(older_than, limit=BATCH, now=now)
        db.session.commit()
        rows += count
        files += store.delete_all(keys)
        if count < BATCH:
            break
    orphans = upload_ops.sweep_orphan_files(older_than)
    return rows, files, orphans


def run(now: Optional[datetime] = None) -> MaintenanceResult:
    config = current_app.config
    result = MaintenanceResult()
    result.idempotency_keys = purge_idempotency_keys(
        timedelta(hours=config["IDEMPOTENCY_KEEP_HOURS"]), now)
    result.outbox_rows = purge_outbox(timedelta(days=config["OUTBOX_KEEP_DAYS"]), now)
    result.uploads, result.upload_files, result.orphan_files = purge_unattached_uploads(
        timedelta(hours=config["UPLOAD_UNATTACHED_HOURS"]), now)
    return result


@click.command("maintenance")
@with_appcontext
def maintenance_command() -> None:
    """Delete what is kept only for a while: old idempotency keys, delivered outbox rows,
    photos never attached (run it hourly from cron; the worker runs it too)."""
    click.echo(str(run()))
