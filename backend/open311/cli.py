"""``flask --app backend open311 keys create NAME | list | revoke ID``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.open311 import operations as ops

open311_cli = AppGroup("open311", help="The Open311 GeoReport v2 interface.")
keys_cli = AppGroup("keys", help="API keys of Open311 clients.")
open311_cli.add_command(keys_cli)


def _when(value) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else "-"


@keys_cli.command("create")
@click.argument("name")
def create_key(name):
    """Issue a key for the client NAME (shown once: only its hash is kept)."""
    try:
        raw, key = ops.create_key(name)
    except ValueError as exc:  # a blank, too long or taken name
        db.session.rollback()
        raise click.ClickException(f"NAME: {exc}") from exc
    db.session.commit()
    click.echo(f"created key {key.id} for {key.name} (reporter account {key.user_id})")
    click.echo(f"api_key: {raw}")
    click.echo("Keep it now: it is not shown again.")


@keys_cli.command("list")
def list_keys():
    """Every key: id, name, prefix, created, last used, revoked."""
    keys = ops.list_keys()
    if not keys:
        click.echo("no keys")
        return
    for key in keys:
        state = f"revoked {_when(key.revoked_at)}" if key.revoked_at else "active"
        click.echo(f"{key.id}\t{key.name}\t{key.prefix}…\tcreated {_when(key.created_at)}"
                   f"\tlast used {_when(key.last_used_at)}\t{state}")


@keys_cli.command("revoke")
@click.argument("key_id", type=int)
def revoke_key(key_id):
    """Revoke key KEY_ID (its client can no longer file requests)."""
    try:
        key = ops.revoke_key(key_id)
    except LookupError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"revoked key {key.id} ({key.name})")
