from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.demo import operations as demo
from backend.extensions import db

demo_cli = AppGroup("demo", help="The demo community (晋阳社区).")


@demo_cli.command("seed")
def seed_command() -> None:
    """Build the demo community and its accounts (safe to run again); copy the years a
    newer chinese-calendar knows into the working calendar (``calendar sync``)."""
    from backend.workdays import operations as calendar

    synced = calendar.sync_from_library()
    counts = demo.seed()
    db.session.commit()
    if synced["years"]:
        click.echo(f"calendar: {len(synced['years'])} years copied from chinese-calendar")
    click.echo(f"demo: {counts['places_created']} places created, "
               f"{counts['places_updated']} updated, {counts['accounts_created']} accounts created, "
               f"{counts['categories_created']} categories and departments created, "
               f"{counts['tickets_created']} tickets created, "
               f"{counts['service_rows_created']} service items, centres, counters and "
               f"opening hours created, {counts['bookings_created']} bookings created, "
               f"{counts['volunteer_rows_created']} volunteer teams, members and activities "
               f"created")


@demo_cli.command("accounts")
def accounts_command() -> None:
    """Print the demo accounts."""
    click.echo("Demo accounts (console and API; passwords are demo-only):")
    for s in demo.STAFF:
        click.echo(f"  {s.role:<6} {s.username:<8} password {s.password:<18} {s.display_name}")
    click.echo("Mini-program users (development login, DEV_LOGIN=1: "
               "POST /api/v1/auth/dev-login {\"openid\": …}):")
    for w in demo.WORKERS:
        click.echo(f"  grid_worker  {w.openid:<20} {w.display_name}")
    for r in demo.RESIDENTS:
        click.echo(f"  resident     {r.openid:<20} {r.display_name}")
    for r in demo.ENGLISH_RESIDENTS:
        click.echo(f"  resident     {r.openid:<20} {r.display_name} (reads English)")
