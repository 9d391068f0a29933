from __future__ import annotations

import logging
import secrets
import signal
import socket
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from backend.core import maintenance, sweeps
from backend.extensions import db
from backend.notify.delivery import run_batch

log = logging.getLogger(__name__)


def _periodic(label: str, run, describe=str) -> None:
    """Run one of the periodic jobs the app registered; its failure never stops delivery
    (logged, tried again at the next turn)."""
    try:
        result = run()
    except Exception:  # noqa: BLE001 - logged; tried again at the next turn
        db.session.rollback()
        log.exception("%s failed", label)
        return
    finally:
        db.session.remove()
    click.echo(f"{label}: {describe(result)}")


def _maintain() -> None:
    """The retention purges (backend/core/maintenance.py)."""
    _periodic("maintenance", maintenance.run)


def _sweep() -> None:
    """The periodic sweeps (backend/core/sweeps.py: the deadlines' 催办, 督办, 自动结案)."""
    _periodic("sweep", sweeps.run, sweeps.describe)


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option("--batch", "batch_size", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--lease", "lease_seconds", default=120, show_default=True,
              type=click.IntRange(10, 3600), help="Seconds a claimed row stays this worker's.")
@click.option("--interval", default=2.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="Seconds to sleep when nothing is due.")
@with_appcontext
def worker_command(once: bool, batch_size: int, lease_seconds: int, interval: float) -> None:
    """Deliver the outbox: the in-app inbox and WeChat subscribe messages."""
    worker_id = f"{socket.gethostname()}-{secrets.token_hex(4)}"
    if db.engine.dialect.name == "sqlite":
        click.echo("SQLite: run one worker (claims are serialised by SQLite's single write "
                   "lock; more workers add nothing).")
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    click.echo(f"worker {worker_id}: delivering (batch {batch_size}, lease {lease_seconds}s)")
    every = current_app.config.get("MAINTENANCE_EVERY_MINUTES", 60) * 60
    maintain_at = time.monotonic()  # at start, then every MAINTENANCE_EVERY_MINUTES
    sweep_every = current_app.config.get("SWEEP_EVERY_MINUTES", 5) * 60
    sweep_at = time.monotonic()  # at start, then every SWEEP_EVERY_MINUTES
    while not stopping:
        if every and time.monotonic() >= maintain_at:
            maintain_at = time.monotonic() + every
            _maintain()
        if sweep_every and time.monotonic() >= sweep_at:
            sweep_at = time.monotonic() + sweep_every
            _sweep()
        result = run_batch(worker_id, batch_size, lease_seconds)
        if result.claimed:
            click.echo(f"delivered {result.claimed}: {result.sent} by WeChat, "
                       f"{result.inbox_only} inbox only, {result.retried} to retry, "
                       f"{result.failed} failed")
        db.session.remove()
        if once and result.claimed < batch_size:
            break
        if not result.claimed:
            if once:
                break
            time.sleep(interval)
    current_app.logger.info("worker %s stopped", worker_id)
