"""The revisions kept by each process (backend/places/models.py, ``KeptRevisions``): a
request reads them with no statement while the host's revision marker is unchanged and
they are younger than ``REVISIONS_KEPT_SECONDS``; a transaction that replaces one moves
the marker after it commits, so the next request of any process of the host reads them
again (real gunicorn workers below); a transaction sees its own replaced revision."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.places import models as places_models
from backend.places.models import PLACES_REVISION, Place, kept_revisions, read_revision
from backend.tickets.models import Category
from tests import factories as f
from tests.test_kept_reads import counted
from tests.test_token_cache import on_each_worker, serve_on_own_database
from tests.tickets_world import IN_A3, build_world, report


def revision_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "FROM revisions" in s]


def _kept_world(client):
    world = build_world()
    db.session.commit()
    report(client, world, where=IN_A3)  # the process has read and kept them
    return world


def test_a_report_reads_no_revision_once_the_process_has_them(client, ctx):
    world = _kept_world(client)
    with counted() as statements:
        report(client, world, where=IN_A3)
    assert revision_reads(statements) == []


def test_a_change_through_the_orm_is_seen_by_the_next_request(client, ctx):
    world = _kept_world(client)
    marker = kept_revisions().marker.read()
    cell = db.session.get(Place, world.places["a3"].id)
    cell.name = "改了名的网格"
    db.session.commit()
    assert kept_revisions().marker.read() != marker
    with counted() as statements:
        answer = report(client, world, where=IN_A3)
    assert answer["place"]["name"] == "改了名的网格"
    assert len(revision_reads(statements)) == 1


def test_the_revisions_table_written_as_sql_text_moves_the_marker(client, ctx):
    _kept_world(client)
    marker = kept_revisions().marker.read()
    db.session.execute(sa.text("UPDATE revisions SET value = 'by-hand' WHERE name = :name"),
                       {"name": PLACES_REVISION})
    assert kept_revisions().marker.read() == marker  # not before the commit
    db.session.commit()
    assert kept_revisions().marker.read() != marker
    with counted() as statements:
        assert read_revision(PLACES_REVISION) == "by-hand"
    assert len(revision_reads(statements)) == 1


def test_a_rolled_back_change_moves_nothing(client, ctx):
    world = _kept_world(client)
    marker = kept_revisions().marker.read()
    db.session.get(Place, world.places["a3"].id).name = "不算数"
    db.session.flush()
    db.session.rollback()
    assert kept_revisions().marker.read() == marker


def test_a_transaction_sees_the_revision_it_replaced_before_it_commits(client, ctx):
    """Only its own session sees the new value: the kept one must not hide it (a kept copy
    of the changed row would be handed out under the old revision)."""
    world = _kept_world(client)
    before = read_revision("categories")
    category = db.session.get(Category, world.cats["楼道灯损坏"].id)
    category.name = "楼道灯坏了"
    db.session.flush()
    places_models.forget_revisions()
    replaced = read_revision("categories")
    assert replaced not in ("", before)
    db.session.rollback()


def test_another_process_moving_the_marker_is_seen(client, ctx):
    _kept_world(client)
    path = kept_revisions().marker.path
    code = ("import sys; sys.path.insert(0, sys.argv[2]); from backend.core.change_marker "
            "import ChangeMarker; ChangeMarker(sys.argv[1]).move()")
    subprocess.run([sys.executable, "-c", code, path, str(Path(__file__).parent.parent)],
                   check=True, timeout=60)
    with counted() as statements:
        read_revision(PLACES_REVISION)
    assert len(revision_reads(statements)) == 1


def test_a_change_past_linli_is_seen_after_the_seconds(client, ctx, monkeypatch):
    _kept_world(client)
    with db.engine.begin() as conn:  # not through a session: no marker moves
        conn.execute(sa.text("UPDATE revisions SET value = 'past-linli' WHERE name = :name"),
                     {"name": PLACES_REVISION})
    assert read_revision(PLACES_REVISION) != "past-linli"
    later = places_models.time.monotonic() + client.application.config[
        "REVISIONS_KEPT_SECONDS"]
    monkeypatch.setattr(places_models.time, "monotonic", lambda: later)
    places_models.forget_revisions()
    assert read_revision(PLACES_REVISION) == "past-linli"


@pytest.fixture
def second_app(database, wechat_server, monkeypatch, tmp_path):
    from tests.conftest import make_test_app

    def make(**overrides):
        monkeypatch.setenv("LINLI_INSTANCE_PATH", str(tmp_path))
        url, options = database
        return make_test_app(url, options, wechat_server.base_url, **overrides)
    return make


def test_zero_seconds_reads_them_every_request(app, second_app):
    """(``app``: its tables are emptied after this test, like every test's.)"""
    other = second_app(REVISIONS_KEPT_SECONDS=0)
    with other.app_context():
        assert kept_revisions() is None
        with counted() as statements:
            for _ in range(2):
                places_models.forget_revisions()
                read_revision(PLACES_REVISION)
        assert len(revision_reads(statements)) == 2
        db.session.remove()


def test_a_read_only_instance_folder_reads_them_every_request(app, second_app, monkeypatch,
                                                               caplog):
    def read_only(path):
        raise OSError(errno.EROFS, "Read-only file system", path)

    monkeypatch.setattr(places_models, "ChangeMarker", read_only)
    other = second_app()
    assert "revisions are not kept" in caplog.text
    with other.app_context():
        assert kept_revisions() is None
        db.session.remove()


# --- several processes: real gunicorn workers ------------------------------------------

@pytest.fixture
def served_keeping_long(monkeypatch):
    # kept far longer than the test runs: only the marker can make a worker read again
    monkeypatch.setenv("REVISIONS_KEPT_SECONDS", "3600")
    yield from serve_on_own_database()


def test_every_worker_sees_a_communitys_settings_changed_at_once(served_keeping_long):
    served = served_keeping_long
    login = served.call("POST", "/api/v1/auth/login",
                        {"username": "zhang", "password": "linli-staff-demo"})
    assert login[0] == 200, login
    staff = f.auth(login[1]["token"])
    community = served.call("GET", "/api/v1/me", headers=staff)[1]["scope"]["id"]
    path = f"/api/v1/communities/{community}/ticket-settings"

    def seen() -> set:
        answers = on_each_worker(served, lambda: served.call("GET", path, headers=staff))
        assert {answer[0] for answer in answers} == {200}, answers[0]
        return {answer[1]["auto_dispatch"] for answer in answers}

    (before,) = seen()  # every worker has read and kept it
    changed = served.call("PUT", path, {"auto_dispatch": not before}, headers=staff)
    assert changed[0] == 200, changed
    assert seen() == {not before}
    assert served.call("PUT", path, {"auto_dispatch": before}, headers=staff)[0] == 200
    assert seen() == {before}
    assert os.path.exists(Path(served.env["LINLI_INSTANCE_PATH"]) / "revision-changes")
