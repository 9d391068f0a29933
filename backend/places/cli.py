from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from backend.extensions import db
from backend.places import operations as ops

places_cli = AppGroup("places", help="The four-level grid.")


@places_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--crs", type=click.Choice(["wgs84", "gcj02"]), default="gcj02",
              show_default=True, help="Coordinate system of the file; WGS-84 is converted.")
def import_command(path: str, crs: str) -> None:
    """Import places from a GeoJSON FeatureCollection (all features, or none)."""
    try:
        with open(path, encoding="utf-8-sig") as fh:  # tolerate a BOM
            data = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path} is not readable JSON: {exc}") from exc
    features = data.get("features") if isinstance(data, dict) else None
    total = len(features) if isinstance(features, list) else 0

    with click.progressbar(length=total, label="checking features",
                           file=sys.stderr) as bar:
        def progress(items):
            for item in items:
                yield item
                bar.update(1)

        result = ops.import_features(data, crs=crs, progress=progress)
    if not result.ok:
        db.session.rollback()
        for problem in result.problems:
            click.echo(f"error: {problem}", err=True)
        raise click.ClickException(
            f"{len(result.problems)} problem(s) found; nothing was imported.")
    db.session.commit()
    click.echo(f"imported {result.created} new place(s), updated {result.updated} "
               f"(coordinates {'converted from WGS-84 to' if crs == 'wgs84' else 'kept in'} GCJ-02)")
