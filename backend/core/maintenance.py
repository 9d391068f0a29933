"""Retention: what Linli keeps only for a while, and the job that removes it.

Each layer purges its own (the app registers the purges, ``register``):

- core: idempotency keys (with the answers they replay) older than
  ``IDEMPOTENCY_KEEP_HOURS``: a client retries within minutes, never days later
  (``purge_idempotency_keys`` here);
- notify: outbox rows done with (sent, failed or cancelled) older than
  ``OUTBOX_KEEP_DAYS`` (``notify.operations.purge_outbox``);
- uploads: photos never attached, older than ``UPLOAD_UNATTACHED_HOURS``, and files no
  row names (``uploads.operations.purge_unattached``).

``flask --app backend maintenance`` runs every registered purge (cron, hourly); the
notification worker runs it too, every ``MAINTENANCE_EVERY_MINUTES``. Everything is
deleted in batches, each its own short transaction; running it twice at once (two
workers) is harmless.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Optional

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from backend.core.idempotency import IdempotencyRecord
from backend.core.models import utcnow
from backend.extensions import db

BATCH = 500
_EXTENSION = "linli_maintenance"


@dataclass
class MaintenanceResult:
    """What each purge did, in words: ``deleted`` ("2 idempotency keys") and ``removed``
    ("0 orphan files")."""

    deleted: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = "deleted " + (", ".join(self.deleted) or "nothing")
        return text + ("; removed " + ", ".join(self.removed) if self.removed else "")


# A purge reads its own setting from the app's config and adds what it did to the result.
Purge = Callable[[MaintenanceResult, Optional[datetime]], None]


def register(app: Flask, *purges: Purge) -> None:
    app.extensions.setdefault(_EXTENSION, []).extend(purges)


def delete_in_batches(model, *conditions, batch: int = BATCH) -> int:
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


def purge_idempotency_keys(result: MaintenanceResult, now: Optional[datetime] = None) -> None:
    older_than = timedelta(hours=current_app.config["IDEMPOTENCY_KEEP_HOURS"])
    cutoff = (now or utcnow()) - older_than
    count = delete_in_batches(IdempotencyRecord, IdempotencyRecord.created_at < cutoff)
    result.deleted.append(f"{count} idempotency keys")


def run(now: Optional[datetime] = None) -> MaintenanceResult:
    result = MaintenanceResult()
    for purge in current_app.extensions.get(_EXTENSION, ()):
        purge(result, now)
    return result


@click.command("maintenance")
@with_appcontext
def maintenance_command() -> None:
    """Delete what is kept only for a while: old idempotency keys, delivered outbox rows,
    photos never attached (run it hourly from cron; the worker runs it too)."""
    click.echo(str(run()))
