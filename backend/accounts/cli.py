"""``flask --app backend accounts create-staff USERNAME --name … [--role] [--scope] [--password]``.

Its messages name the command's own arguments (``USERNAME``, ``--name``, ``--scope`` …),
never the API's field names, and it checks what the API checks (``StaffArgs``) before
anything is written.
"""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from backend.accounts import operations as ops
from backend.accounts.models import User
from backend.accounts.schemas import StaffArgs
from backend.core.errors import ApiError
from backend.extensions import db
from backend.places.models import Place

accounts_cli = AppGroup("accounts", help="Staff and admin accounts.")

# what the API calls a field → how this command names it
OPTION_NAMES = {"username": "USERNAME", "display_name": "--name", "password": "--password",
                "role": "--role", "scope_place_id": "--scope"}
SCOPE_LEVELS = ("district", "street", "community")


def _refuse(problems: dict[str, list[str]]) -> None:
    lines = [f"{OPTION_NAMES.get(field, field)}: {' '.join(str(m) for m in messages)}"
             for field, messages in problems.items()]
    raise click.ClickException("\n".join(lines) + "\nNothing was created.")


def _scope_id(scope_code: str | None, role: str) -> int | None:
    if not scope_code:
        if role == "staff":
            _refuse({"scope_place_id": [
                "required for staff: the code of the district, street or community "
                "they manage (admins need none)."]})
        return None
    place = db.session.execute(
        sa.select(Place).where(Place.code == scope_code.strip())).scalar_one_or_none()
    if place is None:
        _refuse({"scope_place_id": [f"no place has the code {scope_code!r}."]})
    if place.level not in SCOPE_LEVELS:
        _refuse({"scope_place_id": [
            f"{scope_code} is a grid cell ({place.level}); staff manage a district, a street "
            "or a community."]})
    return place.id


@accounts_cli.command("create-staff")
@click.argument("username")
@click.option("--name", "display_name", required=True,
              help="The name shown in the console (1 to 50 characters).")
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True)
@click.option("--scope", "scope_code", metavar="PLACE_CODE",
              help="Code of the district, street or community a staff member manages "
                   "(required for staff).")
@click.password_option(help="At least 10 characters.")
def create_staff(username, display_name, role, scope_code, password):
    """Create a staff or admin account that logs in as USERNAME (3 to 50 letters, digits,
    '_', '.' or '-')."""
    display_name = display_name.strip()
    problems = StaffArgs().validate({"username": username, "password": password,
                                     "display_name": display_name, "role": role})
    if not display_name:
        problems["display_name"] = ["must not be empty."]
    if "username" not in problems and db.session.execute(
            sa.select(User.id).where(User.username == username)).first():
        problems["username"] = [f"{username!r} is taken already."]
    if problems:
        _refuse(problems)
    scope_id = _scope_id(scope_code, role)
    try:
        user = ops.create_staff(None, username, password, display_name, role, scope_id)
    except ApiError as exc:
        db.session.rollback()
        _refuse(exc.fields or {"": [exc.key]})
    db.session.commit()
    click.echo(f"created {role} {username} (id {user.id})")
