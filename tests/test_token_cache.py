"""Resolved tokens kept by each process (backend/accounts/token_cache.py): a kept token
costs no statement, and anything that would change the answer is seen by the very next
request: a logout, a disabled account, a new name or role, an expiry, whichever process
of the host takes the request (real gunicorn workers below); a change the host's marker
cannot see is seen once ``TOKEN_CACHE_SECONDS`` have passed."""
from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.accounts import auth as accounts_auth
from backend.accounts import token_cache
from backend.accounts.models import AuthToken, User
from backend.core.models import utcnow
from backend.extensions import db
from tests import factories as f
from tests.test_kept_reads import counted

ME = "/api/v1/me"


def token_reads(statements: list[str]) -> list[str]:
    return [statement for statement in statements if "auth_tokens" in statement]


def me(client, raw):
    return client.get(ME, headers=f.auth(raw))


def refused(client, raw, code: str) -> None:
    answer = me(client, raw)
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == code


def a_resident(name="王阿姨"):
    user = f.resident(name=name)
    raw = f.token_for(user)
    db.session.commit()
    return user.id, raw


def test_a_kept_token_costs_no_statement(client, ctx):
    _, raw = a_resident()
    with counted() as first:
        assert me(client, raw).status_code == 200
    with counted() as again:
        for _ in range(3):
            answer = me(client, raw)
            assert answer.status_code == 200
            assert answer.get_json()["display_name"] == "王阿姨"
    assert len(token_reads(first)) == 1 and token_reads(again) == []


def test_logout_is_seen_by_the_next_request(client, ctx):
    _, raw = a_resident()
    assert me(client, raw).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=f.auth(raw)).status_code == 204
    refused(client, raw, "token_invalid")


def test_a_change_to_the_user_through_the_orm_is_seen_at_once(client, ctx):
    user_id, raw = a_resident()
    assert me(client, raw).status_code == 200
    db.session.get(User, user_id).display_name = "王大姐"
    db.session.commit()
    assert me(client, raw).get_json()["display_name"] == "王大姐"
    db.session.get(User, user_id).is_active = False
    db.session.commit()
    refused(client, raw, "account_disabled")


def test_a_statement_through_the_session_is_seen_at_once(client, ctx):
    user_id, raw = a_resident()
    assert me(client, raw).status_code == 200
    db.session.execute(sa.update(AuthToken).where(AuthToken.user_id == user_id)
                       .values(revoked_at=utcnow()))
    db.session.commit()
    assert me(client, raw).status_code == 401

    other_id, other = a_resident("李叔")
    assert me(client, other).status_code == 200
    db.session.execute(sa.text("UPDATE users SET display_name = '李大爷' WHERE id = :id"),
                       {"id": other_id})
    db.session.commit()
    assert me(client, other).get_json()["display_name"] == "李大爷"


def test_a_rolled_back_change_moves_nothing(client, ctx):
    user_id, raw = a_resident()
    assert me(client, raw).status_code == 200
    marker = token_cache.cache().marker.read()
    db.session.get(User, user_id).display_name = "不保存"
    db.session.flush()
    db.session.rollback()
    assert token_cache.cache().marker.read() == marker
    with counted() as seen:
        assert me(client, raw).get_json()["display_name"] == "王阿姨"
    assert token_reads(seen) == []


def test_an_expiry_while_kept_is_seen(client, ctx, monkeypatch):
    _, raw = a_resident()  # token_for: valid for one hour
    assert me(client, raw).status_code == 200
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr(accounts_auth, "utcnow", lambda: later)
    refused(client, raw, "token_expired")


def test_a_change_the_marker_cannot_see_waits_out_the_seconds(app, client, ctx, monkeypatch):
    """SQL typed into the database by hand (here: another connection, not the session)."""
    user_id, raw = a_resident()
    assert me(client, raw).status_code == 200
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET display_name = '改名' WHERE id = :id"),
                     {"id": user_id})
    assert me(client, raw).get_json()["display_name"] == "王阿姨"  # still the kept one
    clock = token_cache.time.monotonic() + app.config["TOKEN_CACHE_SECONDS"] + 1
    monkeypatch.setattr(token_cache.time, "monotonic", lambda: clock)
    assert me(client, raw).get_json()["display_name"] == "改名"


def test_another_process_moving_the_marker_drops_what_is_kept(client, ctx):
    _, raw = a_resident()
    assert me(client, raw).status_code == 200
    path = token_cache.cache().marker.path
    code = ("import sys; sys.path.insert(0, sys.argv[2]); "
            "from backend.accounts.token_cache import ChangeMarker; ChangeMarker(sys.argv[1]).move()")
    subprocess.run([sys.executable, "-c", code, path, str(Path(__file__).parent.parent)],
                   check=True, timeout=60)
    with counted() as seen:
        assert me(client, raw).status_code == 200
    assert len(token_reads(seen)) == 1  # read again


def test_with_no_seconds_nothing_is_kept(database, wechat_server):
    from tests.conftest import make_test_app

    url, options = database
    app = make_test_app(url, options, wechat_server.base_url, TOKEN_CACHE_SECONDS=0)
    with app.app_context():
        assert token_cache.cache() is None


def test_a_read_only_instance_folder_keeps_nothing_and_still_starts(
        app, database, wechat_server, monkeypatch, caplog):
    """(``app``: its tables are emptied after this test, like every test's.)"""
    from tests.conftest import make_test_app

    def read_only(path):
        raise OSError(errno.EROFS, "Read-only file system", path)

    monkeypatch.setattr(token_cache, "ChangeMarker", read_only)
    url, options = database
    second = make_test_app(url, options, wechat_server.base_url)
    with second.app_context():
        assert token_cache.cache() is None
        user = f.resident()
        raw = f.token_for(user)
        db.session.commit()
        client = second.test_client()
        with counted() as seen:
            assert me(client, raw).status_code == 200
            assert me(client, raw).status_code == 200
        assert len(token_reads(seen)) == 2  # each request reads its token
    assert "resolved tokens are not kept" in caplog.text


# --- several processes: real gunicorn workers ------------------------------------------

@pytest.fixture
def served():
    """The app under gunicorn with three workers, on its own database."""
    yield from serve_on_own_database()


def serve_on_own_database():
    """(``served``'s body: other tests use it with settings of their own.)"""
    from tests.test_faults import GunicornApp

    instance = Path(tempfile.mkdtemp(prefix="linli-tokens-"))
    url = os.environ.get("TEST_DATABASE_URL", "")
    schema = None
    if url.startswith("postgresql"):
        schema = "linli_tokens_" + uuid.uuid4().hex[:8]
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                                  isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url += ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{instance / 'linli.db'}"
    server = GunicornApp(url, instance)
    try:
        yield server
    finally:
        server.stop()
        if schema:
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            engine.dispose()


def on_each_worker(server, call, rounds: int = 20) -> list:
    """``call()``'s answers, with every worker but one held busy reading a request not
    yet sent whole, so the free one answers (one request after another, the same idle
    worker may take them all); which one is free varies, so over ``rounds`` every one of
    the three answers some (each missed with a chance of (2/3)^20)."""
    answers = []
    for _ in range(rounds):
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
        try:
            for conn in held:
                conn.sendall(b"GET /livez HTTP/1.1\r\nHost: linli\r\n")
            time.sleep(0.05)  # each taken by a worker of its own
            answers.append(call())
        finally:
            for conn in held:
                conn.close()
    return answers


def _statuses(server, raw) -> set[int]:
    return {answer[0] for answer in on_each_worker(
        server, lambda: server.call("GET", ME, headers=f.auth(raw)))}


def test_every_worker_sees_a_logout_and_a_disabled_account_at_once(served):
    def dev_login(openid):
        answer = served.call("POST", "/api/v1/auth/dev-login", {"openid": openid})
        assert answer[0] == 200, answer
        return answer[1]["token"], answer[1]["user"]["id"]

    resident, _ = dev_login("o-tokens-wang")
    her_other_phone, _ = dev_login("o-tokens-wang")
    assert _statuses(served, resident) == {200}  # every worker has resolved and kept it
    assert _statuses(served, her_other_phone) == {200}
    assert served.call("POST", "/api/v1/auth/logout", headers=f.auth(resident))[0] == 204
    assert _statuses(served, resident) == {401}
    assert _statuses(served, her_other_phone) == {200}

    worker, worker_id = dev_login("demo-worker-li")  # 李师傅, a grid worker of the demo
    assert _statuses(served, worker) == {200}
    admin = served.call("POST", "/api/v1/auth/login",
                        {"username": "admin", "password": "linli-admin-demo"})[1]["token"]
    disabled = served.call("POST", f"/api/v1/accounts/{worker_id}/disable",
                           headers=f.auth(admin))
    assert disabled[0] == 200, disabled
    assert _statuses(served, worker) == {401}


def test_a_token_already_in_the_session_is_used_as_it_stands_there(client, ctx):
    """Revoked in the session and not yet committed (a test's session, shared with the
    request): refused, as the token's read would have found it after the autoflush."""
    user_id, raw = a_resident()
    assert me(client, raw).status_code == 200
    token = db.session.execute(sa.select(AuthToken).where(AuthToken.user_id == user_id)).scalar_one()
    token.revoked_at = utcnow()
    refused(client, raw, "token_invalid")
    db.session.rollback()


def test_each_app_of_a_process_moves_its_own_marker(app, database, wechat_server, tmp_path,
                                                    client, ctx, monkeypatch):
    """Two apps in one process (the tests make several): a change moves both markers, not
    only the first app's (their listeners share the sessions' events)."""
    from tests.conftest import make_test_app

    url, options = database
    monkeypatch.setenv("LINLI_INSTANCE_PATH", str(tmp_path))  # a marker file of its own
    second = make_test_app(url, options, wechat_server.base_url)
    with second.app_context():
        other_marker = token_cache.cache().marker
    first_marker = token_cache.cache().marker
    assert other_marker.path != first_marker.path
    before = (first_marker.read(), other_marker.read())
    user_id, raw = a_resident()
    assert me(client, raw).status_code == 200
    db.session.get(User, user_id).display_name = "王大姐"
    db.session.commit()
    assert first_marker.read() != before[0] and other_marker.read() != before[1]


def test_a_savepoint_neither_moves_the_marker_early_nor_forgets_a_change(client, ctx):
    """A savepoint's release is not the commit (moving the marker then would let another
    process keep the old token again before the change is committed), and a savepoint
    rolled back does not undo what the transaction changed before it."""
    user_id, raw = a_resident()
    marker = token_cache.cache().marker
    assert me(client, raw).status_code == 200
    before = marker.read()
    db.session.get(User, user_id).display_name = "王大姐"
    with db.session.begin_nested():
        db.session.flush()
    assert marker.read() == before  # released, not committed
    db.session.commit()
    assert marker.read() != before
    assert me(client, raw).get_json()["display_name"] == "王大姐"
    before = marker.read()
    db.session.get(User, user_id).display_name = "王阿姨"
    db.session.flush()
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    db.session.commit()
    assert marker.read() != before
    assert me(client, raw).get_json()["display_name"] == "王阿姨"
