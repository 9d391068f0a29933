"""Delivering the outbox: inbox, WeChat subscribe messages against the fake WeChat server,
errors, retries, racing workers, a killed worker, and the shared access token."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core.models import utcnow
from backend.extensions import db
from backend.notify import delivery
from backend.notify.models import Notification, OutboxMessage, SubscriptionGrant
from backend.notify.operations import enqueue
from tests import factories as f


def _grant(user, template="tmpl-ticket", remaining=1):
    db.session.merge(SubscriptionGrant(user_id=user.id, template_id=template,
                                       remaining=remaining))
    db.session.commit()


def _message(user, kind="ticket_dispatched", title="楼道灯损坏：已派遣", body="已派遣给李师傅"):
    assert enqueue([user.id], kind, title, body, "pages/ticket/ticket?id=1") == 1
    db.session.commit()
    row = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.user_id == user.id).order_by(OutboxMessage.id.desc())).scalars().first()
    db.session.commit()  # no transaction left open (on SQLite it would hold the write lock)
    return row


def _rows():
    db.session.expire_all()
    return db.session.execute(sa.select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_enqueue_writes_each_recipient_once_and_a_key_once_per_recipient(ctx):
    """Several recipients in one INSERT, each in their language; with a dedupe key, a
    recipient who already has a row for it is skipped and the others are written (the
    count says how many rows were written)."""
    from backend.core.bilingual import Text

    wang, mary, li = f.resident(), f.resident(), f.worker([])
    mary.language = "en"
    db.session.commit()
    title = Text("预约提醒", "Booking reminder")
    assert enqueue([wang.id, mary.id, wang.id, 0], "booking_reminder", title, "",
                   dedupe_key="booking:1:0:eve") == 2
    assert enqueue([wang.id, mary.id, li.id], "booking_reminder", title, "",
                   dedupe_key="booking:1:0:eve") == 1
    assert enqueue([wang.id], "booking_reminder", title, "", dedupe_key="booking:2:0:eve") == 1
    assert enqueue([], "booking_reminder", title) == 0
    db.session.commit()
    assert sorted((r.user_id, r.dedupe_key, r.title) for r in _rows()) == sorted([
        (wang.id, "booking:1:0:eve", "预约提醒"), (mary.id, "booking:1:0:eve", "Booking reminder"),
        (li.id, "booking:1:0:eve", "预约提醒"), (wang.id, "booking:2:0:eve", "预约提醒")])


def test_delivery_writes_the_inbox_and_sends_with_an_accepted_template(ctx, fake_wechat):
    user = f.resident(openid="o-wang")
    _grant(user)
    row = _message(user, title="楼道灯损坏：已派遣给李师傅，预计明天处理完毕，请留意")
    result = delivery.run_batch("w1")
    assert (result.claimed, result.sent) == (1, 1)
    sent = fake_wechat.sent_messages[0]
    assert sent["touser"] == "o-wang" and sent["template_id"] == "tmpl-ticket"
    assert len(sent["data"]["thing1"]["value"]) <= 20  # shortened, not refused
    assert sent["data"]["phrase2"]["value"] == "已派遣"
    assert sent["page"] == "pages/ticket/ticket?id=1"
    assert db.session.get(SubscriptionGrant, (user.id, "tmpl-ticket")).remaining == 0
    row = _rows()[0]
    assert (row.status, row.wechat_status) == ("sent", "sent")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Notification)).scalar_one() == 1


@pytest.mark.parametrize("kind,template", [
    ("hours_rejected", "tmpl-volunteer"), ("activity_cancelled", "tmpl-volunteer"),
    ("proposal_answered", "tmpl-participation"), ("objection_answered", "tmpl-participation"),
    ("residency_confirmed", "tmpl-participation"),
])
def test_every_kind_goes_out_on_its_own_configured_template(ctx, fake_wechat, kind, template):
    user = f.resident(openid="o-kind")
    _grant(user, template=template)
    _message(user, kind=kind, title="议题已答复", body="已采纳")
    assert delivery.run_batch("w1").sent == 1
    assert fake_wechat.sent_messages[0]["template_id"] == template


def test_without_an_acceptance_only_the_inbox_gets_it(ctx, fake_wechat):
    user = f.resident(openid="o-chen")
    _message(user)
    result = delivery.run_batch("w1")
    assert result.inbox_only == 1 and fake_wechat.sent_messages == []
    assert _rows()[0].wechat_status == "skipped"


def test_a_one_time_acceptance_is_spent_by_one_message(ctx, fake_wechat):
    user = f.resident(openid="o-liu")
    _grant(user)
    _message(user)
    _message(user, kind="ticket_resolved", title="已处置")
    delivery.run_batch("w1")
    assert len(fake_wechat.sent_messages) == 1
    assert [r.wechat_status for r in _rows()] == ["sent", "skipped"]


@pytest.mark.parametrize("setup, code, grant_left", [
    (lambda fake, user: fake.refused_openids.add(user.openid), "43101", 0),
    (lambda fake, user: fake.send_errors.append(40003), "40003", 1),
    (lambda fake, user: fake.send_errors.append(40037), "40037", 1),
    (lambda fake, user: fake.send_errors.append(47003), "47003", 1),
])
def test_permanent_errors_are_recorded_and_not_retried(ctx, fake_wechat, setup, code, grant_left):
    user = f.resident(openid="o-perm")
    _grant(user)
    setup(fake_wechat, user)
    _message(user)
    result = delivery.run_batch("w1")
    assert result.failed == 1 and result.retried == 0
    row = _rows()[0]
    assert (row.status, row.wechat_status) == ("sent", "failed")
    assert code in row.last_error
    assert db.session.get(SubscriptionGrant, (user.id, "tmpl-ticket")).remaining == grant_left
    assert delivery.run_batch("w1").claimed == 0  # never taken again


def test_transient_errors_are_retried_with_back_off(ctx, fake_wechat):
    user = f.resident(openid="o-busy")
    _grant(user)
    fake_wechat.send_errors.extend([-1, -1])
    _message(user)
    before = utcnow()
    assert delivery.run_batch("w1").retried == 1
    row = _rows()[0]
    assert row.status == "pending" and row.attempts == 1
    assert row.not_before >= before + delivery.backoff(1) - timedelta(seconds=1)
    assert delivery.run_batch("w1").claimed == 0  # not due yet
    row.not_before = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert delivery.run_batch("w1").retried == 1
    assert _rows()[0].attempts == 2 and delivery.backoff(2) == 2 * delivery.backoff(1)
    _rows()[0].not_before = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert delivery.run_batch("w1").sent == 1
    # the inbox shows it once, however many attempts it took
    assert db.session.execute(sa.select(sa.func.count()).select_from(Notification)).scalar_one() == 1


def test_wechat_timing_out_is_a_retry(app, ctx, fake_wechat, monkeypatch):
    user = f.resident(openid="o-slow")
    _grant(user)
    _message(user)
    monkeypatch.setitem(app.config, "WECHAT_TIMEOUT", 0.3)
    fake_wechat.delay_seconds = 1.0
    started = time.monotonic()
    assert delivery.run_batch("w1").retried == 1
    assert time.monotonic() - started < 3
    assert db.session.get(SubscriptionGrant, (user.id, "tmpl-ticket")).remaining == 1


def test_the_token_expiring_mid_batch_is_refetched(ctx, fake_wechat):
    users = [f.resident(openid=f"o-batch-{i}") for i in range(3)]
    for user in users:
        _grant(user)
        _message(user)
    original = fake_wechat._subscribe_send
    calls = {"n": 0}

    def expire_after_first(request):
        calls["n"] += 1
        if calls["n"] == 2:
            fake_wechat.tokens.clear()  # the token dies between two messages (lock held)
        return original(request)

    fake_wechat._subscribe_send = expire_after_first
    try:
        result = delivery.run_batch("w1")
    finally:
        fake_wechat._subscribe_send = original
    assert result.sent == 3, [r.last_error for r in _rows()]
    assert len(fake_wechat.sent_messages) == 3
    assert fake_wechat.count("/cgi-bin/token") >= 1


def test_the_inbox_api(client, ctx):
    user, other = f.resident(), f.resident()
    for i in range(3):
        _message(user, title=f"消息 {i}")
    _message(other)
    delivery.run_batch("w1")
    h = f.auth(f.token_for(user))
    page = client.get("/api/v1/me/notifications?limit=2", headers=h).get_json()
    assert page["unread_count"] == 3 and [n["title"] for n in page["items"]] == ["消息 2", "消息 1"]
    rest = client.get(f"/api/v1/me/notifications?cursor={page['next_cursor']}", headers=h).get_json()
    assert [n["title"] for n in rest["items"]] == ["消息 0"]
    first = page["items"][0]["id"]
    assert client.post(f"/api/v1/me/notifications/{first}/read", headers=h).get_json()["read"]
    assert client.get("/api/v1/me/notifications", headers=h).get_json()["unread_count"] == 2
    theirs = db.session.execute(sa.select(Notification.id).where(
        Notification.user_id == other.id)).scalar_one()
    assert client.post(f"/api/v1/me/notifications/{theirs}/read", headers=h).status_code == 404
    assert client.post("/api/v1/me/notifications/read-all", headers=h).get_json()["marked"] == 2


def test_subscription_answers_are_recorded(client, ctx):
    user = f.resident()
    h = f.auth(f.token_for(user))
    templates = client.get("/api/v1/notifications/templates", headers=h).get_json()["templates"]
    assert templates["ticket"] == "tmpl-ticket"
    answer = {"tmpl-ticket": "accept", "tmpl-task": "reject"}
    client.post("/api/v1/me/subscriptions", json={"results": answer}, headers=h)
    grants = client.post("/api/v1/me/subscriptions", json={"results": {"tmpl-ticket": "accept"}},
                         headers=h).get_json()
    assert grants == [{"template_id": "tmpl-ticket", "remaining": 2}]
    banned = client.post("/api/v1/me/subscriptions", json={"results": {"tmpl-ticket": "ban"}},
                         headers=h).get_json()
    assert banned[0]["remaining"] == 0
    bad = client.post("/api/v1/me/subscriptions", json={"results": {"tmpl-nope": "accept"}},
                      headers=h)
    assert bad.status_code == 422
    four = {f"tmpl-{i}": "accept" for i in range(4)}
    assert client.post("/api/v1/me/subscriptions", json={"results": four},
                       headers=h).status_code == 422


def test_two_workers_never_deliver_a_row_twice(app, ctx, fake_wechat):
    users = [f.resident(openid=f"o-race-{i}") for i in range(40)]
    for user in users:
        _grant(user)
        _message(user)
    results = []

    def work(name):
        with app.app_context():
            while True:
                r = delivery.run_batch(name, batch_size=5)
                results.append((name, r.claimed, r.sent))
                if not r.claimed:
                    break

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake_wechat.sent_messages) == 40
    assert len({m["touser"] for m in fake_wechat.sent_messages}) == 40
    assert db.session.execute(sa.select(sa.func.count()).select_from(Notification)).scalar_one() == 40
    assert {r.status for r in _rows()} == {"sent"}


def _server_env(app, database):
    url, options = database
    env = dict(os.environ, DEV_LOGIN="0", LINLI_INSTANCE_PATH=app.instance_path,
               WECHAT_APPID=app.config["WECHAT_APPID"], WECHAT_SECRET=app.config["WECHAT_SECRET"],
               WECHAT_API_BASE=app.config["WECHAT_API_BASE"], WECHAT_TIMEOUT="5",
               WECHAT_TEMPLATE_TICKET="tmpl-ticket", SECRET_KEY="test")
    search_path = options.get("connect_args", {}).get("options")
    env["DATABASE_URL"] = url if not search_path else \
        url + "?options=" + search_path.replace("=", "%3D")
    env.pop("TEST_DATABASE_URL", None)
    return env


def test_a_killed_worker_loses_nothing(app, ctx, fake_wechat, database):
    users = [f.resident(openid=f"o-kill-{i}") for i in range(6)]
    for user in users:
        _grant(user)
        _message(user)
    fake_wechat.delay_seconds = 2.0  # each message takes a while: the worker dies mid-batch
    db.session.rollback()
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "backend", "worker", "--batch", "6",
         "--lease", "10"], env=_server_env(app, database),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    claimed = False
    try:
        deadline = time.monotonic() + 90  # a loaded machine starts Python slowly
        while time.monotonic() < deadline and worker.poll() is None:
            leased = db.session.execute(sa.select(sa.func.count()).select_from(
                OutboxMessage).where(OutboxMessage.leased_by.is_not(None))).scalar_one()
            db.session.rollback()  # hold no SQLite lock while the worker runs
            if leased == 6:
                claimed = True
                break
            time.sleep(0.1)
        db.session.rollback()
        time.sleep(0.5)  # inside the batch, with WeChat slow to answer
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    fake_wechat.delay_seconds = 0
    db.session.rollback()
    assert claimed, worker.stdout.read().decode(errors="replace")[-2000:]
    leased = [r for r in _rows() if r.status == "pending"]
    assert leased, "the killed worker had finished everything; nothing was tested"
    assert delivery.run_batch("w2").claimed == 0  # still leased by the dead worker
    for row in leased:
        row.lease_until = utcnow() - timedelta(seconds=1)  # the lease runs out
    db.session.commit()
    delivery.run_batch("w2")
    assert {r.status for r in _rows()} == {"sent"}
    assert db.session.execute(sa.select(sa.func.count()).select_from(Notification)).scalar_one() == 6
    assert len({m["touser"] for m in fake_wechat.sent_messages}) == 6


def test_the_file_token_store_is_shared_between_processes(tmp_path):
    from backend.core.tokenstore import FileTokenStorage

    path = tmp_path / "token.json"
    FileTokenStorage(path).set("wx_access_token", "shared-token", 7200)
    code = ("from backend.core.tokenstore import FileTokenStorage;"
            f"print(FileTokenStorage({str(path)!r}).get('wx_access_token'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "shared-token"
    FileTokenStorage(path).set("expired", "x", ttl=-1)
    assert FileTokenStorage(path).get("expired") is None


def test_processes_share_one_access_token(app, ctx, fake_wechat, monkeypatch, tmp_path):
    """Two app instances (two gunicorn workers) fetch the token once between them."""
    from backend.core import wechat

    monkeypatch.setitem(app.config, "WECHAT_TOKEN_STORE", "file")
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    app.extensions.pop("linli_wechat_storage", None)
    first = wechat.get_client()
    first.fetch_access_token()
    app.extensions.pop("linli_wechat_storage", None)  # a fresh process's view
    second = wechat.get_client()
    assert second.access_token == first.access_token
    assert fake_wechat.count("/cgi-bin/token") == 1
    app.extensions.pop("linli_wechat_storage", None)


def test_the_worker_command_says_one_worker_on_sqlite(app):
    from backend.extensions import db as _db

    runner = app.test_cli_runner()
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        if _db.engine.dialect.name == "sqlite":
            assert "SQLite: run one worker" in result.output


def test_with_redis_every_server_shares_one_access_token(app, ctx, fake_wechat, monkeypatch):
    """REDIS_URL set: the token lives in Redis (wechatpy's RedisStorage), so app servers on
    different machines fetch it once between them."""
    import redis
    from wechatpy.session.redisstorage import RedisStorage

    from backend.core import wechat

    url = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(url).flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    app.extensions.pop("linli_wechat_storage", None)
    first = wechat.get_client()
    assert isinstance(first.session, RedisStorage)
    first.fetch_access_token()
    app.extensions.pop("linli_wechat_storage", None)  # another server's process
    second = wechat.get_client()
    assert second.access_token == first.access_token
    assert fake_wechat.count("/cgi-bin/token") == 1
    app.extensions.pop("linli_wechat_storage", None)
    redis.Redis.from_url(url).flushdb()
