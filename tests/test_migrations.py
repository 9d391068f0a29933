"""Migrations upgrade and downgrade cleanly, on SQLite and PostgreSQL, and match the models."""
from __future__ import annotations

import os

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext



def _tables(app) -> set[str]:
    from backend.extensions import db

    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_downgrade_upgrade(fresh_app):
    from backend.extensions import db

    with fresh_app.app_context():
        flask_migrate.upgrade()
    expected = {t.name for t in db.metadata.sorted_tables}
    assert expected <= _tables(fresh_app)

    with fresh_app.app_context():
        # data in the tables must not stop a downgrade
        from backend.demo import operations as demo

        demo.seed()
        db.session.commit()
        db.session.remove()
        flask_migrate.downgrade(revision="base")
    assert _tables(fresh_app) <= {"alembic_version"}

    with fresh_app.app_context():
        flask_migrate.upgrade()
    assert expected <= _tables(fresh_app)


def test_migrated_schema_matches_the_models(fresh_app):
    """Autogenerate finds nothing to do: no model change is missing a migration."""
    from backend.extensions import db

    with fresh_app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_every_revision_has_a_readable_message():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    here = os.path.dirname(__file__)
    config = Config(os.path.join(here, "..", "migrations", "alembic.ini"))
    config.set_main_option("script_location", os.path.join(here, "..", "migrations"))
    script = ScriptDirectory.from_config(config)
    revisions = list(script.walk_revisions())
    assert revisions
    for revision in revisions:
        assert revision.doc and len(revision.doc) > 10, revision.revision
    assert len(script.get_heads()) == 1


def test_stepping_down_one_revision_keeps_the_data_of_other_tables(fresh_app):
    """SQLite rebuilds a table to drop a column; that must not cascade into child tables."""
    from alembic.config import Config as AlembicConfig  # noqa: F401 - readability
    from alembic.script import ScriptDirectory

    from backend.extensions import db

    with fresh_app.app_context():
        flask_migrate.upgrade()
        from backend.demo import operations as demo

        demo.seed()
        db.session.commit()
        counts = {name: db.session.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar()
                  for name in ("ticket_events", "ticket_followers", "users", "tickets")}
        assert counts["ticket_events"] > 0
        db.session.remove()
        head = ScriptDirectory.from_config(
            fresh_app.extensions["migrate"].migrate.get_config()).get_current_head()
        flask_migrate.downgrade(revision="-1")
        flask_migrate.upgrade()
        after = {name: db.session.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar()
                 for name in counts}
        assert after == counts, head
