from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from backend.accounts import operations as ops
from backend.core.errors import ApiError
from backend.extensions import db
from backend.places.models import Place

accounts_cli = AppGroup("accounts", help="Staff and admin accounts.")


@accounts_cli.command("create-staff")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The name shown in the console.")
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True)
@click.option("--scope", "scope_code", help="Code of the place (subtree) a staff member manages.")
@click.password_option(help="At least 10 characters.")
def create_staff(username, display_name, role, scope_code, password):
    """Create a staff or admin account."""
    scope_id = None
    if scope_code:
        scope_id = db.session.execute(
            sa.select(Place.id).where(Place.code == scope_code)).scalar_one_or_none()
        if scope_id is None:
            raise click.ClickException(f"no place with code {scope_code}")
    try:
        user = ops.create_staff(None, username, password, display_name, role, scope_id)
    except ApiError as exc:
        db.session.rollback()
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.fields or {}).items())
        raise click.ClickException(detail or exc.key) from exc
    db.session.commit()
    click.echo(f"created {role} {username} (id {user.id})")
