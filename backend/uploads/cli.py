from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from backend.extensions import db
from backend.uploads import operations as ops

uploads_cli = AppGroup("uploads", help="Uploaded photos.")


@uploads_cli.command("cleanup")
@click.option("--older-than-hours", type=click.IntRange(min=1), default=24, show_default=True,
              help="Only photos uploaded (and files written) longer ago than this.")
def cleanup(older_than_hours):
    """Delete photos never attached to anything, and files no upload names."""
    older_than = timedelta(hours=older_than_hours)
    count, keys = ops.cleanup_unattached(older_than)
    db.session.commit()
    # Files go only once the rows are gone for good: a failed commit leaves every file.
    files = ops.storage().delete_all(keys)
    orphans = ops.sweep_orphan_files(older_than)
    click.echo(f"deleted {count} unattached uploads ({files} files); "
               f"removed {orphans} orphan files")
