"""Hostile input, table-driven: oversized and deeply nested bodies, wrong types in every
field of the creating endpoints, huge and negative pagination limits, SQL and script
injection in every text field (stored verbatim, returned as data, shown escaped in the
console), forged / expired / revoked tokens, and another person's ids in every path a
resident can call.

To cover a new endpoint, add a row to the table it belongs to (CREATING, TEXT_FIELDS,
FOREIGN_PATHS); pagination limits are found in the OpenAPI document by themselves.
"""
from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core.models import utcnow
from backend.extensions import db
from tests import demo_world

INJECTIONS = (
    "'; DROP TABLE tickets; --",
    "\" OR \"1\"=\"1\" -- 注释",
    "1; SELECT pg_sleep(5); --",
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} %(x)s %s",
    "Robert'); DELETE FROM users WHERE ('1'='1",
)


@pytest.fixture
def world(app):
    return demo_world.built(app)


def h(world, who: str) -> dict:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def _fresh_limits(app) -> None:
    """The login's rate limit is not under test here: every hostile request gets a try."""
    from backend.extensions import limiter

    with app.app_context():
        limiter.reset()


def assert_one_error_shape(response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code,
                                              response.get_data(as_text=True)[:500])
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) <= {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def _slot(client, world, offset: int = 3) -> str:
    """A free slot's start for the world's item (the caller holds the first few)."""
    answer = client.get(f"/api/v1/service-centres/{world.ids['centre']}/slots",
                        query_string={"item": world.ids["item"]}, headers=h(world, "caller"))
    assert answer.status_code == 200, answer.get_json()
    starts = [s["start"] for d in answer.get_json()["days"] for s in d["slots"]
              if s.get("free", 1)]
    return starts[offset]


def _soon(days: int, hours: int = 0) -> str:
    from backend.core.workcalendar import SHANGHAI

    return (utcnow() + timedelta(days=days, hours=hours)).astimezone(SHANGHAI).isoformat(
        timespec="seconds")


# --- the creating endpoints: (name, who, method, path, a valid body) ----------------------
CREATING = (
    ("ticket", "caller", "POST", "/api/v1/tickets", lambda w, c: {
        "category_id": w.ids["category"], "description": "楼道灯坏了", "lat": 30.6331,
        "lng": 104.0334, "address": "晋阳社区", "building": "1栋", "unit": "2单元",
        "photo_ids": []}),
    ("supplement", "caller", "POST", "/api/v1/tickets/{caller_ticket}/supplements",
     lambda w, c: {"note": "补充一句", "photo_ids": []}),
    ("rating", "victim", "POST", "/api/v1/tickets/{victim_public_ticket}/rating",
     lambda w, c: {"rating": "satisfied", "comment": "好"}),
    ("booking", "caller", "POST", "/api/v1/bookings", lambda w, c: {
        "centre_id": w.ids["centre"], "item_id": w.ids["item"], "start_at": _slot(c, w)}),
    ("reschedule", "caller", "POST", "/api/v1/bookings/{caller_booking}/reschedule",
     lambda w, c: {"start_at": _slot(c, w)}),
    ("cancel", "caller", "POST", "/api/v1/bookings/{caller_booking}/cancel",
     lambda w, c: {"reason": "有事"}),
    ("booking on behalf", "staff", "POST", "/api/v1/service-centres/{centre}/bookings",
     lambda w, c: {"item_id": w.ids["item"], "start_at": _slot(c, w), "phone": "13600000077",
                   "name": "来电居民"}),
    ("volunteer profile", "caller", "PUT", "/api/v1/me/volunteer-profile", lambda w, c: {
        "real_name": "来访真名", "phone": "13600000009", "skills": ["陪伴"],
        "service_categories": ["助老"], "id_number": None, "consent": True}),
    ("volunteer activity", "staff", "POST", "/api/v1/volunteer-teams/{team}/activities",
     lambda w, c: {"title": "清理楼道", "content": "一起打扫", "start_at": _soon(3),
                   "end_at": _soon(3, 2), "place_name": "晋阳社区", "lat": 30.63,
                   "lng": 104.03, "capacity": 5, "signup_deadline": _soon(2)}),
    ("patrol report", "worker", "POST", "/api/v1/worker/patrol-reports", lambda w, c: {
        "category_id": w.ids["category"], "description": "巡查发现路灯不亮", "lat": 30.6331,
        "lng": 104.0334, "address": "晋阳社区"}),
    ("staff login", None, "POST", "/api/v1/auth/login",
     lambda w, c: {"username": "zhang", "password": "linli-staff-demo"}),
)


def _path(world, template: str) -> str:
    return template.format(**world.ids)


def _wrong_values(valid):
    """Values of another JSON type than ``valid``."""
    if isinstance(valid, bool):
        return ["maybe", 7, [], {}]
    if isinstance(valid, int):
        return ["abc", 1.5, True, [], {}, 10**30]
    if isinstance(valid, float):
        return ["abc", True, [], {}]
    if isinstance(valid, str):
        return [123, 4.5, True, [], {}]
    if isinstance(valid, list):
        return ["x", 5, {}, [[1]], [{"a": 1}]]
    return [[], {}, 123]  # null: an optional field


@pytest.mark.parametrize("name,who,method,template,body", CREATING, ids=[c[0] for c in CREATING])
def test_wrong_types_in_every_field_are_a_clear_422(app, world, name, who, method, template,
                                                     body):
    client = app.test_client()
    headers = h(world, who) if who else {}
    valid = body(world, client)
    for field, value in valid.items():
        for wrong in _wrong_values(value):
            sent = dict(valid, **{field: wrong})
            _fresh_limits(app)
            response = client.open(_path(world, template), method=method, json=sent,
                                   headers=headers)
            error = assert_one_error_shape(response, 422)
            assert field in error.get("fields", {}), (name, field, wrong, error)
    # a body that is no object at all
    for body_text in ("[]", "42", '"text"', "null", "{", "\u00ff"):
        _fresh_limits(app)
        response = client.open(_path(world, template), method=method, data=body_text,
                               content_type="application/json", headers=headers)
        assert_one_error_shape(response, 400, 422)


@pytest.mark.parametrize("name,who,method,template,body", CREATING, ids=[c[0] for c in CREATING])
def test_oversized_and_deeply_nested_bodies_are_refused(app, world, name, who, method,
                                                        template, body):
    client = app.test_client()
    headers = h(world, who) if who else {}
    limit = app.config["MAX_CONTENT_LENGTH"]
    huge = json.dumps({"description": "灯" * (limit // 3 + 10)})
    response = client.open(_path(world, template), method=method, data=huge,
                           content_type="application/json", headers=headers)
    assert_one_error_shape(response, 413)
    deep_extra = json.dumps(dict(body(world, client), extra=json.loads("[" * 200 + "]" * 200)))
    for depth in (200, 5000, 100_000):
        nested = "[" * depth + "]" * depth
        deep_object = '{"a":' * depth + "1" + "}" * depth
        for text in (nested, deep_object, deep_extra):
            _fresh_limits(app)
            response = client.open(_path(world, template), method=method, data=text,
                                   content_type="application/json", headers=headers)
            assert_one_error_shape(response, 400, 413, 422)


def test_an_oversized_upload_is_413_in_the_one_shape(app, world):
    client = app.test_client()
    limit = app.config["MAX_CONTENT_LENGTH"]
    import io

    response = client.post("/api/v1/uploads", headers=h(world, "caller"),
                           data={"file": (io.BytesIO(b"\xff" * (limit + 1)), "big.jpg")},
                           content_type="multipart/form-data")
    assert_one_error_shape(response, 413)


# --- pagination: every documented `limit`-like query parameter -------------------------------
PAGE_PARAMETERS = {"limit", "page_size", "per_page"}
WORLD_IDS = {"yard_id": "yard", "team_id": "team", "activity_id": "activity", "centre_id": "centre",
             "community_id": "community", "place_id": "community"}


def _paginated_operations(client) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(path, parameter) of every GET with a page limit; the roles of each operation."""
    spec = client.get("/api/v1/openapi.json").get_json()
    found, roles = [], {}
    for path, item in spec["paths"].items():
        get = item.get("get")
        if not get:
            continue
        roles[path] = get.get("x-roles", "")
        for parameter in get.get("parameters", []):
            if parameter.get("in") == "query" and parameter["name"] in PAGE_PARAMETERS:
                found.append((path, parameter["name"]))
    return found, roles


def test_huge_negative_and_odd_page_limits_are_a_clear_422(app, world):
    client = app.test_client()
    operations, operations_roles = _paginated_operations(client)
    assert len(operations) >= 5, operations  # the finder works
    for path, name in operations:
        roles = operations_roles[path]
        # a list below an object: the world's object of that kind (or the first row)
        path = re.sub(r"{(\w+)}", lambda m: str(world.ids.get(
            WORLD_IDS.get(m.group(1), m.group(1)), 1)), path)
        who = "worker" if roles == "grid_worker" else "staff" if "resident" not in roles \
            and roles.startswith("staff") else "caller"
        for value in ("0", "-1", "-99999999999999999999", "1000000", str(2**63), "1e9",
                      "abc", "", "NaN", "20.5"):
            response = client.get(path, query_string={name: value}, headers=h(world, who))
            assert response.status_code == 422, (path, value, response.get_json())
            error = assert_one_error_shape(response, 422)
            assert name in error.get("fields", {}), (path, value, error)
        # the largest allowed limit answers (for one of the people who may see the list)
        answers = [client.get(path, query_string={name: "100"}, headers=h(world, someone))
                   for someone in ("caller", "staff", "worker", "street")]
        assert 200 in [a.status_code for a in answers], (path, answers[0].get_json())


# --- injection in every text field: stored verbatim, returned as data --------------------
def _ticket_of(client, world, description: str, who: str = "caller") -> dict:
    response = client.post("/api/v1/tickets", headers=h(world, who), json={
        "category_id": world.ids["category"], "description": description, "lat": 30.6331,
        "lng": 104.0334, "address": description[:200], "building": description[:50],
        "unit": description[:50]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _resolved_ticket(app, client, world, text: str) -> int:
    from backend.accounts.models import User
    from backend.tickets import operations as ops

    ticket_id = _ticket_of(client, world, text)["id"]
    with app.app_context():
        staff = db.session.get(User, world.ids["staff"])
        worker = db.session.get(User, world.ids["worker"])
        ticket = ops.get_ticket(ticket_id)
        ops.accept(staff, ticket)
        ops.dispatch(staff, ticket, assignee_id=worker.id)
        ops.resolve(worker, ticket, "已处理", [])
        db.session.commit()
    return ticket_id


def _stored_ticket_texts(client, world, text):
    ticket = _ticket_of(client, world, text)
    answer = client.get(f"/api/v1/tickets/{ticket['id']}", headers=h(world, "caller")).get_json()
    return [answer["description"], answer["address"], answer["building"], answer["unit"]]


def _stored_supplement(client, world, text):
    path = f"/api/v1/tickets/{world.ids['caller_ticket']}/supplements"
    response = client.post(path, headers=h(world, "caller"), json={"note": text})
    assert response.status_code == 201, response.get_json()
    answer = client.get(f"/api/v1/tickets/{world.ids['caller_ticket']}",
                        headers=h(world, "caller")).get_json()
    return [e.get("note") for e in answer["events"] if e.get("note") == text][:1]


def _stored_rating(client, world, text, app=None):
    ticket_id = _resolved_ticket(app, client, world, "灯坏了")
    response = client.post(f"/api/v1/tickets/{ticket_id}/rating", headers=h(world, "caller"),
                           json={"rating": "satisfied", "comment": text[:500]})
    assert response.status_code == 200, response.get_json()
    answer = client.get(f"/api/v1/tickets/{ticket_id}", headers=h(world, "caller")).get_json()
    return [answer["rating_comment"]]


def _stored_cancel_reason(client, world, text):
    booking = client.post("/api/v1/bookings", headers=h(world, "caller"), json={
        "centre_id": world.ids["centre"], "item_id": world.ids["item"],
        "start_at": _slot(client, world, 5 + secrets.randbelow(20))})
    assert booking.status_code == 201, booking.get_json()
    path = f"/api/v1/bookings/{booking.get_json()['id']}/cancel"
    response = client.post(path, headers=h(world, "caller"), json={"reason": text[:200]})
    assert response.status_code == 200, response.get_json()
    return [response.get_json()["cancel_reason"]]


def _stored_guest_booking(client, world, text):
    response = client.post(f"/api/v1/service-centres/{world.ids['centre']}/bookings",
                           headers=h(world, "staff"), json={
                               "item_id": world.ids["item"],
                               "phone": f"136{secrets.randbelow(10**8):08d}",
                               "name": text[:50],
                               "start_at": _slot(client, world, 5 + secrets.randbelow(20))})
    assert response.status_code == 201, response.get_json()
    answer = client.get(f"/api/v1/bookings/{response.get_json()['id']}",
                        headers=h(world, "staff")).get_json()
    return [answer["person"]["name"]]


def _stored_profile(client, world, text):
    response = client.put("/api/v1/me/volunteer-profile", headers=h(world, "caller"), json={
        "real_name": text[:50], "phone": "13600000009", "skills": [text[:20]],
        "service_categories": [text[:20]], "consent": True})
    assert response.status_code == 200, response.get_json()
    answer = client.get("/api/v1/me/volunteer-profile", headers=h(world, "caller")).get_json()
    return [answer["real_name"], answer["skills"][0], answer["service_categories"][0]]


def _stored_activity(client, world, text):
    response = client.post(f"/api/v1/volunteer-teams/{world.ids['team']}/activities",
                           headers=h(world, "staff"), json={
                               "title": text[:100], "content": text, "place_name": text[:100],
                               "start_at": _soon(3), "end_at": _soon(3, 2), "capacity": 5,
                               "signup_deadline": _soon(2)})
    assert response.status_code == 201, response.get_json()
    answer = client.get(f"/api/v1/volunteer-activities/{response.get_json()['id']}",
                        headers=h(world, "staff")).get_json()
    return [answer["title"], answer["content"], answer["place_name"]]


# (what, how to store the text and read back what was stored, how much of it fits)
TEXT_FIELDS = (
    ("ticket description, address, building, unit", _stored_ticket_texts, 50),
    ("supplement note", _stored_supplement, 2000),
    ("rating comment", _stored_rating, 500),
    ("booking cancel reason", _stored_cancel_reason, 200),
    ("guest name of a booking on behalf", _stored_guest_booking, 50),
    ("volunteer profile real name, skills, categories", _stored_profile, 20),
    ("volunteer activity title, content, place", _stored_activity, 100),
)


@pytest.mark.parametrize("what,store,fits", TEXT_FIELDS, ids=[t[0] for t in TEXT_FIELDS])
def test_injection_strings_are_stored_verbatim_and_returned_as_data(app, world, what, store,
                                                                    fits):
    client = app.test_client()
    for text in INJECTIONS:
        text = text[:fits]
        kwargs = {"app": app} if store is _stored_rating else {}
        stored = store(client, world, text, **kwargs)
        assert stored and all(value == text for value in stored), (what, text, stored)
    # the tables are all still there
    with app.app_context():
        assert db.session.execute(sa.text("SELECT count(*) FROM tickets")).scalar_one() > 0
        assert db.session.execute(sa.text("SELECT count(*) FROM users")).scalar_one() > 0


def _each_text_field_spoiled(app, world, client, bad: str):
    """Every text (or list of text) field of every creating endpoint with ``bad`` in it,
    sent as JSON escaped the way json.dumps escapes (ASCII): a 422 on that field."""
    for name, who, method, template, body in CREATING:
        valid = body(world, client)
        for field, value in valid.items():
            if not isinstance(value, (str, list)) or field == "start_at":
                continue
            wrong = [f"x{bad}{v}" for v in value] if isinstance(value, list) else value + bad
            if isinstance(value, list) and not value:
                wrong = [f"x{bad}"]
            _fresh_limits(app)
            response = client.open(_path(world, template), method=method,
                                   data=json.dumps(dict(valid, **{field: wrong})),
                                   content_type="application/json",
                                   headers=h(world, who) if who else {})
            error = assert_one_error_shape(response, 422)
            assert field in error.get("fields", {}), (name, field, error)
        yield name, who, method, template, valid


def test_a_nul_character_is_a_422_on_its_field_never_a_500(app, world):
    """PostgreSQL cannot store NUL in text (SQLite can): refused alike on both."""
    client = app.test_client()
    for _creating in _each_text_field_spoiled(app, world, client, "\x00"):
        pass
    for path, query in (("/api/v1/tickets", {"q": "灯\x00"}),
                        ("/api/v1/me/tickets", {"cursor": "\x00"})):
        response = client.get(path, query_string=query, headers=h(world, "staff"
                                                                   if path == "/api/v1/tickets"
                                                                   else "caller"))
        error = assert_one_error_shape(response, 422)
        assert set(query) <= set(error["fields"]), (path, error)


def test_a_lone_surrogate_is_a_422_on_its_field_never_a_500(app, world):
    """JSON may escape half of a UTF-16 pair ("\\ud800"): Python reads it as text no
    database and no answer can encode. Refused like NUL, on its field, even in a field's
    name; an emoji escaped as a whole pair is text and is kept."""
    client = app.test_client()
    for bad in ("\ud800", "\udfff"):
        for name, who, method, template, valid in _each_text_field_spoiled(app, world, client,
                                                                           bad):
            _fresh_limits(app)
            response = client.open(_path(world, template), method=method,
                                   data=json.dumps(dict(valid, **{f"x{bad}": 1})),
                                   content_type="application/json",
                                   headers=h(world, who) if who else {})
            error = assert_one_error_shape(response, 422)
            assert f"x\\u{ord(bad):x}" in error.get("fields", {}), (name, error)
    _fresh_limits(app)
    response = client.post("/api/v1/tickets", headers=h(world, "caller"),
                           json=dict(CREATING[0][4](world, client),
                                     description="楼道灯不亮 🏮 已经两周"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["description"] == "楼道灯不亮 🏮 已经两周"


def test_script_in_a_report_is_shown_escaped_in_the_console(app, world):
    client = app.test_client()
    script = "<script>alert('x')</script>"
    ticket = _ticket_of(client, world, f"灯坏了{script}")
    client.post(f"/api/v1/tickets/{ticket['id']}/supplements", headers=h(world, "caller"),
                json={"note": f"补充<img src=x onerror=alert(1)>{script}"})
    start = _slot(client, world, 4)
    booking = client.post(f"/api/v1/service-centres/{world.ids['centre']}/bookings",
                          headers=h(world, "staff"), json={
                              "item_id": world.ids["item"], "phone": "13600000079",
                              "name": f"张{script}"[:50], "start_at": start})
    assert booking.status_code == 201, booking.get_json()
    console = app.test_client()
    from tests.browser.world import login

    login(console, "zhang", "linli-staff-demo")
    pages = ((f"/console/tickets/{ticket['id']}", "灯坏了"), ("/console/tickets", "灯坏了"),
             (f"/console/service/{world.ids['centre']}?date={start[:10]}", "张"))
    for path, shown in pages:
        page = console.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert shown in html, path
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(" in html, path


# --- tokens -----------------------------------------------------------------------------
def test_forged_expired_and_revoked_tokens_are_401_in_the_one_shape(app, world):
    from backend.accounts.models import AuthToken, User
    from backend.accounts.auth import hash_token

    client = app.test_client()
    with app.app_context():
        caller = db.session.get(User, world.ids["caller"])
        from tests import factories as f

        expired = f.token_for(caller)
        token = db.session.execute(sa.select(AuthToken).where(
            AuthToken.token_hash == hash_token(expired))).scalar_one()
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        revoked = f.token_for(caller)
    assert client.post("/api/v1/auth/logout", headers={
        "Authorization": f"Bearer {revoked}"}).status_code == 204
    headers = {
        "forged": {"Authorization": "Bearer " + secrets.token_urlsafe(32)},
        "expired": {"Authorization": f"Bearer {expired}"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "not bearer": {"Authorization": f"Basic {world.tokens['caller']}"},
        "empty bearer": {"Authorization": "Bearer "},
        "sql in a token": {"Authorization": "Bearer ' OR '1'='1"},
        "huge token": {"Authorization": "Bearer " + "x" * 8000},
        "a hash as a token": {"Authorization": "Bearer " + hash_token(world.tokens["caller"])},
    }
    for name, header in headers.items():
        for method, path in (("GET", "/api/v1/me"), ("GET", "/api/v1/me/tickets"),
                             ("POST", "/api/v1/tickets"), ("GET", "/api/v1/me/bookings")):
            response = client.open(path, method=method, headers=header, json={})
            error = assert_one_error_shape(response, 401)
            assert error["code"] in ("token_invalid", "token_expired", "unauthorized"), name
            if name == "expired":
                assert error["code"] == "token_expired"


# --- another person's ids in every path a resident can call ------------------------------
# (method, path with the victim's ids, body): the caller gets 403 or 404, never their data
FOREIGN_PATHS = (
    ("GET", "/api/v1/tickets/{victim_private_ticket}", None),
    ("POST", "/api/v1/tickets/{victim_private_ticket}/follow", None),
    ("DELETE", "/api/v1/tickets/{victim_private_ticket}/follow", None),
    ("POST", "/api/v1/tickets/{victim_private_ticket}/supplements", {"note": "我来补充"}),
    ("POST", "/api/v1/tickets/{victim_public_ticket}/supplements", {"note": "我来补充"}),
    ("POST", "/api/v1/tickets/{victim_public_ticket}/rating", {"rating": "unsatisfied"}),
    ("POST", "/api/v1/tickets/{victim_private_ticket}/rating", {"rating": "unsatisfied"}),
    ("GET", "/api/v1/public/tickets/{victim_private_ticket}", None),
    ("GET", "/api/v1/bookings/{victim_booking}", None),
    ("POST", "/api/v1/bookings/{victim_booking}/cancel", {"reason": "x"}),
    ("POST", "/api/v1/bookings/{victim_booking}/reschedule", {"start_at": "2030-01-01T09:00"}),
    ("POST", "/api/v1/bookings/{victim_booking}/complete", None),
    ("POST", "/api/v1/bookings/{victim_booking}/no-show", None),
    ("POST", "/api/v1/me/notifications/{victim_notification}/read", None),
    ("GET", "/api/v1/service-records/{victim_record}", None),
    ("PATCH", "/api/v1/service-records/{victim_record}",
     {"reason": "改", "check_out_at": "2030-01-01T10:00"}),
    ("POST", "/api/v1/service-records/{victim_record}/approve", {}),
    ("POST", "/api/v1/service-records/{victim_record}/reject", {"reason": "x"}),
    ("GET", "/api/v1/volunteer-activities/{activity}/signups", None),
    ("GET", "/api/v1/volunteer-activities/{activity}/records", None),
    ("GET", "/api/v1/volunteer-activities/{activity}/check-in-code", None),
    ("POST", "/api/v1/volunteer-activities/{activity}/records",
     {"user_id": "{victim}", "check_in_at": "2030-01-01T09:00",
      "check_out_at": "2030-01-01T10:00"}),
    ("GET", "/api/v1/volunteer-teams/{team}/pending-records", None),
    ("POST", "/api/v1/volunteer-teams/{team}/members/{victim}/remove", {"reason": "x"}),
    ("POST", "/api/v1/volunteer-teams/{team}/members/{victim}/leader", {"is_leader": True}),
    ("POST", "/api/v1/volunteer-teams/{team}/members/{victim}/approve", None),
    ("POST", "/api/v1/residents/{victim}/booking-pause/lift", None),
    ("GET", "/media/{victim_private_photo}/display", None),
    ("GET", "/media/{victim_private_photo}/original", None),
)


def _victim_extras(app, world) -> dict:
    """Ids only the victim's own world has: a notification, a service record, the photo
    of their private report."""
    from backend.accounts.models import User
    from backend.notify.models import Notification
    from backend.volunteers.models import ServiceRecord
    from tests import factories as f

    with app.app_context():
        victim = db.session.get(User, world.ids["victim"])
        note = Notification(user_id=victim.id, kind="ticket", title="你的报告已受理",
                            body=f"电话 {demo_world.VICTIM_PHONE}")
        db.session.add(note)
        record = ServiceRecord(activity_id=world.ids["activity"], user_id=victim.id,
                               minutes=60, status="pending")
        db.session.add(record)
        photo = f.upload(victim)
        db.session.commit()
        return {"victim_notification": note.id, "victim_record": record.id,
                "victim_private_photo": photo.id}


def test_another_residents_ids_in_every_path_are_refused(app, world):
    ids = dict(world.ids, **_victim_extras(app, world))
    client = app.test_client()
    for method, template, body in FOREIGN_PATHS:
        path = template.format(**ids)
        if body and body.get("user_id") == "{victim}":
            body = dict(body, user_id=ids["victim"])
        response = client.open(path, method=method, json=body, headers=h(world, "caller"))
        text = response.get_data(as_text=True)
        assert response.status_code in (403, 404), (method, template, response.status_code,
                                                    text[:300])
        for name, secret in world.secrets.items():
            assert secret not in text, (method, template, name)


# --- Open311: the form-encoded filing of other systems ----------------------------------
def test_open311_filing_keeps_injection_verbatim_and_refuses_nul(app, world, monkeypatch):
    from backend.open311 import operations as o311

    monkeypatch.setitem(app.config, "WECHAT_APPID", "")  # no content check: public at once
    with app.app_context():
        key, _ = o311.create_key("外部平台")
        db.session.commit()
    client = app.test_client()
    base = {"api_key": key, "service_code": "0101", "lat": "30.6305", "long": "104.0355"}
    for text in INJECTIONS:
        filed = client.post("/open311/v2/requests.json", data=dict(base, description=text,
                                                                   first_name=text[:50]))
        assert filed.status_code == 201, filed.get_data(as_text=True)
        request_id = filed.get_json()[0]["service_request_id"]
        shown = client.get(f"/open311/v2/requests/{request_id}.json").get_json()
        assert shown[0]["description"] == text
        xml = client.get(f"/open311/v2/requests/{request_id}.xml").get_data(as_text=True)
        if "<" in text:  # the XML answer escapes markup
            assert text not in xml and "&lt;" in xml
    for field in ("description", "address_string", "first_name", "email", "media_url",
                  "service_code"):
        form = dict(base, description="路灯不亮")
        form[field] = form.get(field, "x") + "\x00"
        _fresh_limits(app)
        refused = client.post("/open311/v2/requests.json", data=form)
        assert refused.status_code == 400, (field, refused.get_data(as_text=True))
        errors = refused.get_json()
        assert errors[0]["code"] == 400 and field in errors[0]["description"], errors
