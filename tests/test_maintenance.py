"""Retention (issue 17): ``flask --app backend maintenance`` and the notification worker
purge old idempotency keys, outbox rows done with, and photos never attached (rows and
files), and keep everything recent, pending or in use."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.core import maintenance
from backend.core.idempotency import IdempotencyRecord
from backend.core.models import utcnow
from backend.extensions import db
from backend.notify.models import Notification, OutboxMessage
from backend.uploads.models import Upload
from tests import factories as f


@pytest.fixture
def media(app, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(root))
    return root


def _maintenance(app) -> str:
    result = app.test_cli_runner().invoke(args=["maintenance"])
    assert result.exit_code == 0, result.output
    return result.output


def _ago(**delta):
    return utcnow() - timedelta(**delta)


def test_old_idempotency_keys_go_and_recent_ones_stay(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "IDEMPOTENCY_KEEP_HOURS", 48)
    user = f.resident()
    db.session.flush()
    for key, hours in (("old", 49), ("older", 24 * 30), ("recent", 47), ("now", 0)):
        db.session.add(IdempotencyRecord(user_id=user.id, key=key, fingerprint="x" * 64,
                                         status_code=201, response_body='{"id": 1}',
                                         created_at=_ago(hours=hours)))
    db.session.commit()
    assert "deleted 2 idempotency keys" in _maintenance(app)
    db.session.expire_all()
    assert sorted(db.session.execute(sa.select(IdempotencyRecord.key)).scalars()) == [
        "now", "recent"]
    monkeypatch.setitem(app.config, "IDEMPOTENCY_KEEP_HOURS", 1)  # the setting decides
    assert "deleted 1 idempotency keys" in _maintenance(app)


def test_outbox_rows_done_with_go_and_pending_or_recent_ones_stay(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_KEEP_DAYS", 30)
    user = f.resident()
    db.session.flush()

    def row(title, status, days, sent_days=None, not_before_days=None):
        message = OutboxMessage(user_id=user.id, kind="ticket_closed", title=title,
                                status=status, created_at=_ago(days=days),
                                not_before=_ago(days=days if not_before_days is None
                                                else not_before_days),
                                sent_at=None if sent_days is None else _ago(days=sent_days))
        db.session.add(message)
        return message

    delivered = row("old sent", "sent", 40, sent_days=40)
    row("old failed", "failed", 40)
    row("old cancelled", "cancelled", 31)
    row("old pending", "pending", 40)             # never delivered yet: kept
    row("recent sent", "sent", 2, sent_days=2)
    row("old, sent lately", "sent", 40, sent_days=3)
    row("cancelled, was due lately", "cancelled", 40, not_before_days=5)
    db.session.flush()
    inbox = Notification(user_id=user.id, outbox_id=delivered.id, kind="ticket_closed",
                         title="old sent", created_at=_ago(days=40))
    db.session.add(inbox)
    db.session.commit()

    assert "3 outbox rows" in _maintenance(app)
    db.session.expire_all()
    assert sorted(db.session.execute(sa.select(OutboxMessage.title)).scalars()) == sorted([
        "old pending", "recent sent", "old, sent lately", "cancelled, was due lately"])
    kept = db.session.get(Notification, inbox.id)
    assert kept is not None and kept.outbox_id is None  # the inbox keeps the message


def _ticket_with_photo(client, owner, photo_id):
    f.two_communities()
    category = next(c for c in f.categories().values() if c.parent_id is not None)
    db.session.commit()
    answer = client.post("/api/v1/tickets", headers=f.auth(f.token_for(owner)), json={
        "category_id": category.id, "description": "楼道灯不亮", "lat": 30.61,
        "lng": 104.005, "photo_ids": [photo_id]})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def test_unattached_uploads_go_with_their_files_and_used_ones_stay(app, client, ctx, media,
                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_UNATTACHED_HOURS", 24)
    owner = f.resident()
    db.session.commit()
    old = f.upload(owner)
    fresh = f.upload(owner)
    in_report = f.upload(owner)
    # attached, but its attached_at lost (an old row, a bug): a table points at it, so it
    # is in use; ticket_photos would lose the link silently (ON DELETE CASCADE)
    lost_mark = f.upload(owner)
    ticket_id = _ticket_with_photo(client, owner, in_report.id)
    from backend.tickets.models import TicketPhoto

    db.session.add(TicketPhoto(ticket_id=ticket_id, upload_id=lost_mark.id, phase="report"))
    db.session.commit()
    for upload in (old, in_report, lost_mark):
        upload.created_at = _ago(hours=30)
    lost_mark.attached_at = None
    db.session.commit()
    old_id, kept_ids = old.id, sorted([fresh.id, in_report.id, lost_mark.id])
    files = {u.id: [media / u.display_key, media / u.thumb_key]
             for u in (old, fresh, in_report, lost_mark)}
    assert all(p.exists() for paths in files.values() for p in paths)

    assert "1 unattached uploads (2 files)" in _maintenance(app)
    db.session.expire_all()
    assert sorted(db.session.execute(sa.select(Upload.id)).scalars()) == kept_ids
    assert not any(p.exists() for p in files[old_id])
    assert all(p.exists() for upload_id in kept_ids for p in files[upload_id])
    photos = db.session.execute(sa.select(TicketPhoto.upload_id)
                                .where(TicketPhoto.ticket_id == ticket_id)).scalars().all()
    assert sorted(photos) == sorted([kept_ids[1], kept_ids[2]])


def test_every_table_pointing_at_uploads_protects_them():
    from backend.uploads.operations import upload_references

    names = {f"{c.table.name}.{c.name}" for c in upload_references()}
    assert {"ticket_photos.upload_id", "proposal_photos.upload_id",
            "expense_receipts.upload_id"} <= names


def test_the_worker_runs_the_maintenance(app, ctx, monkeypatch):
    user = f.resident()
    db.session.flush()
    db.session.add(IdempotencyRecord(user_id=user.id, key="old", fingerprint="x" * 64,
                                     status_code=201, created_at=_ago(days=3)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "maintenance: deleted 1 idempotency keys" in result.output
    db.session.expire_all()
    assert db.session.execute(sa.select(IdempotencyRecord)).first() is None


def test_the_worker_runs_it_every_maintenance_every_minutes_only(app, ctx, monkeypatch):
    from backend.notify import cli as notify_cli
    from backend.notify.delivery import BatchResult

    clock = [1000.0]
    runs = []

    class Stop(Exception):
        pass

    def sleep(seconds):
        clock[0] += seconds
        if clock[0] > 1000 + 50 * 60:
            raise Stop

    monkeypatch.setitem(app.config, "MAINTENANCE_EVERY_MINUTES", 20)
    monkeypatch.setattr(notify_cli.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(notify_cli.time, "sleep", sleep)
    monkeypatch.setattr(notify_cli, "run_batch", lambda *a: BatchResult())
    monkeypatch.setattr(maintenance, "run", lambda: runs.append(clock[0]) or
                        maintenance.MaintenanceResult())
    result = app.test_cli_runner().invoke(args=["worker", "--interval", "300"])
    assert isinstance(result.exception, Stop), result.output
    assert [t - 1000 for t in runs] == [0, 1200, 2400]  # at start, then every 20 minutes

    runs.clear()
    clock[0] = 1000.0
    monkeypatch.setitem(app.config, "MAINTENANCE_EVERY_MINUTES", 0)  # 0: never
    result = app.test_cli_runner().invoke(args=["worker", "--interval", "300"])
    assert isinstance(result.exception, Stop)
    assert runs == []


def test_a_failing_maintenance_does_not_stop_delivery(app, ctx, monkeypatch, caplog):
    def broken():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(maintenance, "run", broken)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "maintenance failed" in caplog.text
