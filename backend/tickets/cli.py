"""``flask --app backend tickets …``: the case loop's commands."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.tickets import deadlines

tickets_cli = AppGroup("tickets", help="Cases (事件).")


@tickets_cli.command("sweep")
def sweep():
    """Run the deadline sweeps once: 催办, 督办, the reminder to rate and automatic
    closing (the notification worker runs them every SWEEP_EVERY_MINUTES)."""
    counts = deadlines.sweep()
    click.echo(", ".join(f"{count} {step}" for step, count in counts.items()))
