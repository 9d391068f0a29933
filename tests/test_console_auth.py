"""Console login: cookie session, CSRF on every form, session timeout, revocation."""
from __future__ import annotations

import re
import time

import sqlalchemy as sa

from backend.accounts.models import AuthToken
from tests import factories as f

PASSWORD = "correct horse battery"


def _csrf(client, path="/console/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def _login(client, username, password=PASSWORD, next_path=""):
    return client.post("/console/login", data={
        "csrf_token": _csrf(client), "username": username, "password": password,
        "next": next_path})


def _staff(app, username="zhang") -> int:
    """Staff of community A. Built in its own app context: the requests below must not
    share one (Flask would then share ``g`` between them, which real requests never do)."""
    from backend.extensions import db

    with app.app_context():
        places = f.two_communities()
        user = f.staff(places["a"], username=username, password=PASSWORD)
        db.session.commit()
        return user.id


def test_pages_need_a_session(client):
    response = client.get("/console/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login")


def test_login_sets_a_safe_cookie_and_shows_the_home_page(app, client):
    _staff(app)
    response = _login(client, "zhang")
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = client.get("/console/")
    assert home.status_code == 200
    assert "晋阳社区" in home.get_data(as_text=True)


def test_login_form_without_csrf_token_is_refused(app, client):
    _staff(app)
    response = client.post("/console/login", data={"username": "zhang", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


def test_wrong_password_and_non_staff_are_refused(app, client):
    _staff(app)
    response = _login(client, "zhang", "wrong password!")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


def test_logout_needs_csrf_and_revokes_the_session(app, client):
    user_id = _staff(app)
    _login(client, "zhang")
    assert client.post("/console/logout").status_code == 400  # no token: refused
    assert client.get("/console/").status_code == 200          # still logged in
    token = _csrf(client, "/console/")
    response = client.post("/console/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 302
    from backend.extensions import db

    with app.app_context():
        tokens = db.session.execute(
            sa.select(AuthToken).where(AuthToken.user_id == user_id,
                                       AuthToken.source == "console")
        ).scalars().all()
        assert tokens and all(t.revoked_at is not None for t in tokens)


def test_session_times_out_after_inactivity(app, client):
    _staff(app)
    _login(client, "zhang")
    limit = app.config["CONSOLE_SESSION_MINUTES"] * 60
    with client.session_transaction() as session:
        session["console_last_seen"] = int(time.time()) - limit - 5
    response = client.get("/console/")
    assert response.status_code == 302
    assert "expired=1" in response.headers["Location"]
    assert "登录已超时" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_deactivated_account_loses_its_session(app, client):
    user_id = _staff(app)
    _login(client, "zhang")
    from backend.accounts.models import User
    from backend.extensions import db

    with app.app_context():
        db.session.get(User, user_id).is_active = False
        db.session.commit()
    assert client.get("/console/").status_code == 302


def test_next_never_redirects_off_site(app, client):
    _staff(app)
    response = _login(client, "zhang", next_path="https://evil.example/")
    assert response.headers["Location"] == "/console/"
    client.post("/console/logout", data={"csrf_token": _csrf(client, "/console/")})
    response = _login(client, "zhang", next_path="//evil.example/console")
    assert response.headers["Location"] == "/console/"
