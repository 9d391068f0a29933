"""Admins disable and enable accounts (grid workers, staff, admins) and reset a staff or
admin password (issue 20): the rules as tables, the API per role, what a disabled account
and a reset password do to sessions and tokens, and the console's buttons."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from backend.accounts import permissions as p
from backend.accounts.models import AuthToken, User
from backend.extensions import db
from tests import factories as f
from tests.browser.world import PASSWORD, build, csrf_token, login

Y, N = True, False


# --- the rules --------------------------------------------------------------------------

@pytest.fixture
def people(ctx):
    g = f.two_communities()
    w = {
        "resident": f.resident(openid="o-resident"),
        "worker": f.worker([g["a3"]], openid="o-worker"),
        "staff_a": f.staff(g["a"], username="staff-a"),
        "staff_b": f.staff(g["b"], username="staff-b"),
        "admin": f.staff(None, role="admin", username="admin"),
        "admin2": f.staff(None, role="admin", username="admin2"),
        "admin_off": f.staff(None, role="admin", username="admin-off"),
    }
    w["admin_off"].is_active = False
    db.session.commit()
    return w


TARGETS = ("resident", "worker", "staff_a", "admin2", "admin")   # the last: the admin self

CAN_SWITCH_ACCOUNT = {
    #             resident worker staff_a admin2 self(admin)
    "resident":  (N, N, N, N, N),
    "worker":    (N, N, N, N, N),
    "staff_a":   (N, N, N, N, N),
    "staff_b":   (N, N, N, N, N),
    "admin":     (N, Y, Y, Y, N),
    "admin_off": (N, N, N, N, N),
}

CAN_RESET_PASSWORD = {
    "resident":  (N, N, N, N, N),
    "worker":    (N, N, N, N, N),
    "staff_a":   (N, N, N, N, N),
    "staff_b":   (N, N, N, N, N),
    "admin":     (N, N, Y, Y, N),
    "admin_off": (N, N, N, N, N),
}


def _cases(table):
    return [pytest.param(actor, target, expected, id=f"{actor}-{target}")
            for actor, row in table.items() for target, expected in zip(TARGETS, row)]


@pytest.mark.parametrize("actor, target, expected", _cases(CAN_SWITCH_ACCOUNT))
def test_can_switch_account(people, actor, target, expected):
    assert p.can_switch_account(people[actor], people[target]) is expected


@pytest.mark.parametrize("actor, target, expected", _cases(CAN_RESET_PASSWORD))
def test_can_reset_password(people, actor, target, expected):
    assert p.can_reset_password(people[actor], people[target]) is expected


# --- the API ----------------------------------------------------------------------------

@pytest.fixture
def api(ctx):
    """Actors with tokens, and targets; ids and raw tokens only."""
    g = f.two_communities()
    users = {
        "resident": f.resident(openid="o-resident"),
        "worker": f.worker([g["a3"]], openid="o-worker"),
        "staff": f.staff(g["a"], username="staff-a", password=PASSWORD),
        "admin": f.staff(None, role="admin", username="admin", password=PASSWORD),
        "target_staff": f.staff(g["b"], username="target", password=PASSWORD),
        "target_worker": f.worker([g["b3"]], openid="o-target-worker"),
    }
    db.session.commit()
    tokens = {k: f.token_for(users[k]) for k in ("resident", "worker", "staff", "admin",
                                                 "target_staff", "target_worker")}
    db.session.commit()
    return {"ids": {k: u.id for k, u in users.items()}, "tokens": tokens}


ENDPOINTS = {
    "disable": ("/api/v1/accounts/{id}/disable", None),
    "enable": ("/api/v1/accounts/{id}/enable", None),
    "reset": ("/api/v1/staff/{id}/password", {"password": "temporary-123"}),
}
HTTP = {
    #             disable enable reset   (of another staff member's account)
    None:        (401, 401, 401),
    "resident":  (403, 403, 403),
    "worker":    (403, 403, 403),
    "staff":     (403, 403, 403),
    "admin":     (200, 200, 200),
}


@pytest.mark.parametrize("role, endpoint, status", [
    pytest.param(role, endpoint, status, id=f"{role}-{endpoint}")
    for role, row in HTTP.items() for endpoint, status in zip(ENDPOINTS, row)])
def test_http_policy(client, api, role, endpoint, status):
    path, body = ENDPOINTS[endpoint]
    headers = f.auth(api["tokens"][role]) if role else {}
    response = client.post(path.format(id=api["ids"]["target_staff"]), json=body or {},
                           headers=headers)
    assert response.status_code == status, response.get_json()
    if status >= 400:
        assert set(response.get_json()["error"]) >= {"code", "message"}


def test_a_disabled_account_loses_its_tokens_and_cannot_log_in(client, api):
    admin = f.auth(api["tokens"]["admin"])
    staff_token = f.auth(api["tokens"]["target_staff"])
    assert client.get("/api/v1/me", headers=staff_token).status_code == 200
    answer = client.post(f"/api/v1/accounts/{api['ids']['target_staff']}/disable",
                         headers=admin).get_json()
    assert answer == {"id": api["ids"]["target_staff"], "role": "staff", "username": "target",
                      "display_name": answer["display_name"], "is_active": False}
    assert client.get("/api/v1/me", headers=staff_token).status_code == 401
    login = client.post("/api/v1/auth/login", json={"username": "target",
                                                     "password": PASSWORD})
    assert (login.status_code, login.get_json()["error"]["code"]) == (401, "account_disabled")
    # enabled again: a new login works; the old token stays revoked
    client.post(f"/api/v1/accounts/{api['ids']['target_staff']}/enable", headers=admin)
    assert client.post("/api/v1/auth/login", json={"username": "target",
                                                   "password": PASSWORD}).status_code == 200
    assert client.get("/api/v1/me", headers=staff_token).status_code == 401


def test_a_disabled_grid_worker_loses_the_mini_program(client, api):
    worker = f.auth(api["tokens"]["target_worker"])
    assert client.get("/api/v1/me", headers=worker).status_code == 200
    response = client.post(f"/api/v1/accounts/{api['ids']['target_worker']}/disable",
                           headers=f.auth(api["tokens"]["admin"]))
    assert response.status_code == 200 and response.get_json()["is_active"] is False
    assert client.get("/api/v1/me", headers=worker).status_code == 401
    assert db.session.execute(sa.select(sa.func.count()).select_from(AuthToken).where(
        AuthToken.user_id == api["ids"]["target_worker"],
        AuthToken.revoked_at.is_(None))).scalar_one() == 0


def test_an_admin_cannot_disable_or_reset_themselves(client, api):
    admin = f.auth(api["tokens"]["admin"])
    me = api["ids"]["admin"]
    response = client.post(f"/api/v1/accounts/{me}/disable", headers=admin)
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == "不能停用自己的账号。"
    response = client.post(f"/api/v1/staff/{me}/password", json={}, headers=admin)
    assert response.status_code == 403
    assert client.get("/api/v1/me", headers=admin).status_code == 200
    assert db.session.get(User, me).is_active


@pytest.mark.parametrize("path, target", [
    ("/api/v1/accounts/{id}/disable", "resident"),     # a resident is not such an account
    ("/api/v1/staff/{id}/password", "target_worker"),  # a worker has no password
    ("/api/v1/staff/{id}/password", "missing"),
    ("/api/v1/accounts/{id}/enable", "missing"),
])
def test_accounts_out_of_reach_are_404(client, api, path, target):
    user_id = api["ids"].get(target, 987654)
    response = client.post(path.format(id=user_id), json={},
                           headers=f.auth(api["tokens"]["admin"]))
    assert response.status_code == 404


def test_a_password_reset_ends_sessions_and_the_old_password(client, api):
    admin = f.auth(api["tokens"]["admin"])
    staff_token = f.auth(api["tokens"]["target_staff"])
    target = api["ids"]["target_staff"]
    short = client.post(f"/api/v1/staff/{target}/password", json={"password": "short"},
                        headers=admin)
    assert short.status_code == 422 and "password" in short.get_json()["error"]["fields"]
    assert client.get("/api/v1/me", headers=staff_token).status_code == 200
    answer = client.post(f"/api/v1/staff/{target}/password", json={}, headers=admin).get_json()
    generated = answer["generated_password"]
    assert answer["username"] == "target" and re.fullmatch(r"[a-z2-9]{12}", generated)
    assert client.get("/api/v1/me", headers=staff_token).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "target",
                                                   "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "target",
                                                   "password": generated}).status_code == 200
    # chosen by the admin: nothing generated, the chosen one works
    answer = client.post(f"/api/v1/staff/{target}/password",
                         json={"password": "chosen-by-admin"}, headers=admin).get_json()
    assert answer["generated_password"] is None
    assert client.post("/api/v1/auth/login", json={"username": "target",
                                                   "password": "chosen-by-admin"}
                       ).status_code == 200


# --- the console ------------------------------------------------------------------------

@pytest.fixture
def world(app):
    return build(app, with_tickets=False)


@pytest.fixture
def admin(app, world):
    client = app.test_client()
    login(client, "admin")
    return client


def _post(client, path, data=None, status=303):
    data = dict(data or {})
    data["csrf_token"] = csrf_token(client, "/console/")
    response = client.post(path, data=data)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def _page(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_staff_page_offers_disable_and_reset_behind_a_confirmation(admin, world):
    body = _page(admin, "/console/admin/staff")
    zhang = re.search(rf'<tr id="account-{world.users["staff_a"]}".*?</tr>', body, re.S).group(0)
    assert "<details class=\"confirm-box switch\">" in zhang and "确认停用" in zhang
    assert "<details class=\"confirm-box reset\">" in zhang and "确认重置 zhang 的密码" in zhang
    me = re.search(rf'<tr id="account-{world.users["admin"]}".*?</tr>', body, re.S).group(0)
    assert "（本人）" in me and "确认停用" not in me and "重置密码" not in me


def test_disabling_staff_ends_their_console_session(app, admin, world):
    zhang = app.test_client()
    login(zhang, "zhang")
    assert zhang.get("/console/").status_code == 200
    response = _post(admin, f"/console/admin/accounts/{world.users['staff_a']}/disable")
    assert response.headers["Location"].endswith(f"/console/admin/staff#account-"
                                                 f"{world.users['staff_a']}")
    body = _page(admin, "/console/admin/staff")
    assert "已停用账号" in body
    row = re.search(rf'<tr id="account-{world.users["staff_a"]}".*?</tr>', body, re.S).group(0)
    assert "已停用" in row and "启用账号" in row
    # the open session ends at its next request
    assert zhang.get("/console/").status_code == 302
    refused = app.test_client()
    response = refused.post("/console/login", data={
        "username": "zhang", "password": PASSWORD,
        "csrf_token": csrf_token(refused)})
    assert response.status_code == 401 and "账号已停用" in response.get_data(as_text=True)
    _post(admin, f"/console/admin/accounts/{world.users['staff_a']}/enable")
    assert "已启用账号" in _page(admin, "/console/admin/staff")
    again = app.test_client()
    login(again, "zhang")
    assert again.get("/console/").status_code == 200


def test_admins_disable_a_grid_worker_from_the_workers_page(app, admin, world):
    worker = world.users["worker_a"]
    body = _page(admin, "/console/workers")
    assert "确认停用 李师傅" in body
    response = _post(admin, f"/console/admin/accounts/{worker}/disable")
    assert response.headers["Location"].endswith(f"/console/workers#worker-{worker}")
    body = _page(admin, "/console/workers")
    assert "已停用账号 李师傅" in body and "（已停用）" in body
    with app.app_context():
        assert not db.session.get(User, worker).is_active
    # staff see no such button, and may not post it
    zhang = app.test_client()
    login(zhang, "zhang")
    assert "确认停用" not in _page(zhang, "/console/workers")
    _post(zhang, f"/console/admin/accounts/{worker}/enable", status=403)
    _post(zhang, f"/console/admin/staff/{world.users['street']}/password", status=403)
    with app.app_context():
        assert not db.session.get(User, worker).is_active


def test_an_admin_cannot_disable_themselves_in_the_console(app, admin, world):
    _post(admin, f"/console/admin/accounts/{world.users['admin']}/disable")
    assert "未能停用账号" in _page(admin, "/console/admin/staff")
    with app.app_context():
        assert db.session.get(User, world.users["admin"]).is_active
    _post(admin, f"/console/admin/accounts/{world.users['reporter']}/disable", status=404)
    _post(admin, "/console/admin/accounts/99999999/disable", status=404)


def test_a_generated_password_is_shown_once(app, admin, world):
    zhang = app.test_client()
    login(zhang, "zhang")
    shown = f"/console/admin/staff/{world.users['staff_a']}/password"
    response = _post(admin, shown)
    assert response.headers["Location"] == shown  # redirect after POST: F5 resets nothing
    response = admin.get(shown)
    body = response.get_data(as_text=True)
    password = re.search(r'<p class="binding-code" id="temporary-password">(\w+)</p>',
                         body).group(1)
    assert response.headers["Cache-Control"] == "no-store"
    again = _page(admin, shown)  # a reload: the password is gone, and still valid
    assert password not in again and 'id="password-gone"' in again
    assert password not in _page(admin, "/console/admin/staff")
    assert zhang.get("/console/").status_code == 302     # the old session ended
    fresh = app.test_client()
    login(fresh, "zhang", password)
    assert fresh.get("/console/").status_code == 200
    # the page is an admin's, for an account they may reset
    assert fresh.get(shown).status_code == 403


def test_a_chosen_password_that_is_too_short_is_refused_next_to_its_field(app, admin, world):
    target = world.users["staff_a"]
    response = _post(admin, f"/console/admin/staff/{target}/password", {"password": "short"})
    assert response.headers["Location"] == f"/console/admin/staff#account-{target}"
    body = _page(admin, response.headers["Location"])
    assert "密码至少需要 10 个字符" not in _page(admin, "/console/admin/staff")  # shown once
    row = re.search(rf'<tr id="account-{target}".*?</tr>', body, re.S).group(0)
    assert '<details class="confirm-box reset" open>' in row
    assert f'<span class="field-error" id="reset-error-{target}" role="alert">' in row
    assert "密码至少需要 10 个字符" in row
    response = _post(admin, f"/console/admin/staff/{target}/password",
                     {"password": "a chosen password"})
    assert "已为 zhang 设置新密码" in _page(admin, response.headers["Location"])
    fresh = app.test_client()
    login(fresh, "zhang", "a chosen password")
    assert fresh.get("/console/").status_code == 200
