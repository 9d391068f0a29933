"""``flask --app backend calendar …``: Linli's working calendar from the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.core.errors import ApiError
from backend.extensions import db
from backend.workdays import operations as ops

calendar_cli = AppGroup("calendar", help="""The working calendar (holidays and 调休 working
days) behind working-hour deadlines, the service centres' opening days and statistics.

A year is *complete* once its whole schedule is entered; days of other years without an
entry count Monday–Friday (the fallback), and `calendar status` lists them.""")

BY = "cli"


def _fail(error: ApiError) -> None:
    raise click.ClickException(ops.error_text(error))


@calendar_cli.command("status")
def status_command() -> None:
    """Years known (complete), years entered in part, and the fallback years."""
    info = ops.status()
    ranges = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in info["complete_ranges"])
    click.echo(f"complete years: {ranges or 'none'}")
    for year in info["years"]:
        if year["state"] != "complete":
            click.echo(f"{year['year']}: {year['state']} ({year['holidays']} holidays, "
                       f"{year['workdays']} 调休 workdays entered; other days Monday–Friday)")
    if info["missing_years"]:
        years = ", ".join(str(y) for y in info["missing_years"])
        click.echo(f"WARNING: no complete calendar for {years}: working-hour deadlines "
                   "there count Monday–Friday (fallback). Enter the State Council's "
                   "schedule (calendar import / set) and run calendar mark-complete YEAR.")
    else:
        click.echo("fallback: none needed now (years not complete count Monday–Friday)")


@calendar_cli.command("sync")
def sync_command() -> None:
    """Copy the years the installed chinese-calendar knows and Linli has not completed
    (a day an admin set keeps the admin's entry; complete years are never touched)."""
    result = ops.sync_from_library()
    db.session.commit()
    if result["years"]:
        years = result["years"]
        click.echo(f"calendar: {len(years)} years copied from chinese-calendar "
                   f"({years[0]}–{years[-1]}), {result['days']} days")
    else:
        click.echo("calendar: nothing to copy (every year chinese-calendar knows is complete)")


@calendar_cli.command("set")
@click.argument("day", metavar="DATE")
@click.argument("kind", type=click.Choice(["holiday", "workday"]))
@click.option("--name", default="", help="e.g. 元旦, 春节, 春节调休")
def set_command(day: str, kind: str, name: str) -> None:
    """Make DATE (YYYY-MM-DD) a holiday (day off) or a workday (a 调休 Saturday/Sunday)."""
    try:
        row = ops.set_day(day, kind, name, by=BY)
    except ApiError as exc:
        db.session.rollback()
        _fail(exc)
    db.session.commit()
    click.echo(f"{row.day.isoformat()}: {row.kind} {row.name}".rstrip())


@calendar_cli.command("unset")
@click.argument("day", metavar="DATE")
def unset_command(day: str) -> None:
    """DATE counts by its weekday again."""
    try:
        ops.unset_day(day, by=BY)
    except ApiError as exc:
        db.session.rollback()
        _fail(exc)
    db.session.commit()
    click.echo(f"{day}: removed (counts by its weekday)")


@calendar_cli.command("mark-complete")
@click.argument("year", type=int)
@click.option("--undo", is_flag=True, help="The year is not complete after all.")
@click.option("--note", default=None, help="e.g. 国办发明电〔2026〕X号")
def mark_complete_command(year: int, undo: bool, note: str | None) -> None:
    """Say YEAR's schedule is entered in full: its fallback warning ends."""
    try:
        ops.mark_complete(year, by=BY, complete=not undo, note=note)
    except ApiError as exc:
        db.session.rollback()
        _fail(exc)
    db.session.commit()
    click.echo(f"{year}: {'not complete' if undo else 'complete'}")


@calendar_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True,
              help="The years in the file lose their other days first.")
@click.option("--complete", is_flag=True, help="Mark the years in the file complete.")
def import_command(path: str, replace: bool, complete: bool) -> None:
    """Import days from PATH: CSV with the header `date,kind,name`, or JSON, a list of
    {"date": "2027-02-07", "kind": "workday", "name": "春节调休"}. kind is holiday (a day
    off) or workday (a 调休 Saturday or Sunday). Every line is checked first; one bad
    line and nothing is written (each problem is named with its line number)."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path} is not readable UTF-8 text: {exc}") from exc
    parsed = ops.parse_file(text, path)
    if parsed.problems:
        for problem in parsed.problems:
            click.echo(problem, err=True)
        raise click.ClickException(
            f"{len(parsed.problems)} problem(s) in {path}; nothing was imported")
    result = ops.import_rows(parsed.rows, by=BY, replace=replace, complete=complete)
    db.session.commit()
    years = ", ".join(str(y) for y in result["years"])
    click.echo(f"calendar: {result['days']} days imported ({years})"
               + (f", {result['removed']} other days removed" if result["removed"] else "")
               + ("; marked complete" if complete else ""))
