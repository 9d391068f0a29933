"""Grid-worker records, binding codes, staff accounts and /me, through the API."""
from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from backend.accounts.models import BindingCode, Role, User
from backend.accounts.operations import BINDING_ALPHABET
from backend.core.i18n import MESSAGES
from backend.extensions import db
from tests import factories as f
from tests.passwords import TEST_PASSWORD_HASH_METHOD

PASSWORD = "a long enough password"


def message(key: str, **params) -> str:
    """The Chinese (default) text of an i18n message."""
    return MESSAGES[key]["zh"].format(**params)


def error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


@pytest.fixture
def world(ctx):
    w = f.two_communities()
    w["staff_a"] = f.staff(w["a"], username="staff-a")
    w["staff_b"] = f.staff(w["b"], username="staff-b")
    w["staff_street"] = f.staff(w["street"], username="staff-street")
    w["admin"] = f.staff(None, role="admin", username="admin")
    db.session.commit()
    return w


def as_(w: dict, who: str) -> dict:
    return f.auth(f.token_for(w[who]))


def codes(cells: list[dict]) -> list[str]:
    return [c["code"] for c in cells]


def worker_count() -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.grid_worker.value)
    ).scalar_one()


# --------------------------------------------------------------------------------------
# Creating workers
# --------------------------------------------------------------------------------------

def test_staff_creates_a_worker_with_cells_of_their_community(client, world):
    response = client.post("/api/v1/workers", headers=as_(world, "staff_a"), json={
        "display_name": "张网格", "phone": "13800000000",
        "cell_ids": [world["a3b"].id, world["a3"].id]})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["display_name"] == "张网格"
    assert body["phone"] == "13800000000"
    assert body["bound"] is False
    assert body["is_active"] is True
    # listed in code order, each with its id, code, name and level
    assert codes(body["cells"]) == [world["a3"].code, world["a3b"].code]
    assert body["cells"][0] == {"id": world["a3"].id, "code": world["a3"].code,
                                "name": world["a3"].name, "level": "grid3"}
    assert "openid" not in body and "binding_code" not in body
    worker = db.session.get(User, body["id"])
    assert worker.role == Role.grid_worker.value and worker.openid is None


def test_an_l2_cell_and_repeated_ids_are_accepted(client, world):
    response = client.post("/api/v1/workers", headers=as_(world, "staff_a"), json={
        "display_name": "二级网格员", "cell_ids": [world["a2"].id, world["a2"].id]})
    assert response.status_code == 201
    assert codes(response.get_json()["cells"]) == [world["a2"].code]


@pytest.mark.parametrize("cells", [["b3"], ["a3", "b3"], ["b2"]])
def test_cells_outside_my_area_are_403_on_cell_ids(client, world, cells):
    response = client.post("/api/v1/workers", headers=as_(world, "staff_a"), json={
        "display_name": "越界", "cell_ids": [world[c].id for c in cells]})
    assert error(response, 403)["fields"] == {"cell_ids": [message("place_outside_scope")]}
    assert worker_count() == 0


@pytest.mark.parametrize("who", ["staff_a", "staff_street", "admin"])
@pytest.mark.parametrize("place", ["a", "street", "district"])
def test_a_community_or_anything_above_is_not_a_cell(client, world, who, place):
    response = client.post("/api/v1/workers", headers=as_(world, who), json={
        "display_name": "x", "cell_ids": [world[place].id]})
    assert error(response, 422)["fields"] == {"cell_ids": [message("cell_required")]}
    assert worker_count() == 0


def test_an_unknown_cell_is_422(client, world):
    response = client.post("/api/v1/workers", headers=as_(world, "staff_a"), json={
        "display_name": "x", "cell_ids": [world["a3"].id, 999999]})
    assert error(response, 422)["fields"] == {"cell_ids": [message("place_not_found")]}
    assert worker_count() == 0


BAD_CELL_IDS = [
    pytest.param([], id="empty"),
    pytest.param(None, id="null"),
    pytest.param("1", id="string"),
    pytest.param(["1"], id="string-id"),
    pytest.param([1.5], id="float"),
    pytest.param([True], id="bool"),
    pytest.param([None], id="null-id"),
    pytest.param([[1]], id="nested-list"),
    pytest.param({"0": 1}, id="object"),
    pytest.param([0], id="zero"),
    pytest.param([-1], id="negative"),
    pytest.param([2**31], id="2**31"),
    pytest.param([2**63], id="2**63"),
    pytest.param([10**30], id="10**30"),
    pytest.param(list(range(1, 102)), id="101-ids"),
]


@pytest.mark.parametrize("cell_ids", BAD_CELL_IDS)
def test_bad_cell_ids_are_422_never_500(client, world, cell_ids):
    headers = as_(world, "admin")
    response = client.post("/api/v1/workers", headers=headers,
                           json={"display_name": "x", "cell_ids": cell_ids})
    assert "cell_ids" in error(response, 422)["fields"]
    worker = f.worker([world["a3"]])
    response = client.put(f"/api/v1/workers/{worker.id}/cells", headers=headers,
                          json={"cell_ids": cell_ids})
    assert "cell_ids" in error(response, 422)["fields"]


def test_missing_or_unknown_fields_are_422(client, world):
    headers = as_(world, "staff_a")
    fields = error(client.post("/api/v1/workers", headers=headers, json={}), 422)["fields"]
    assert set(fields) == {"display_name", "cell_ids"}
    fields = error(client.post("/api/v1/workers", headers=headers, json={
        "display_name": "x", "cell_ids": [world["a3"].id], "openid": "o-steal"}), 422)["fields"]
    assert set(fields) == {"openid"}


# --------------------------------------------------------------------------------------
# Listing workers
# --------------------------------------------------------------------------------------

@pytest.fixture
def crew(world):
    """Workers in A (a3), in A (a3b), in B (b3), in both, and one without cells."""
    crew = {
        "a3": f.worker([world["a3"]], name="a3 网格员"),
        "a3b": f.worker([world["a3b"]], name="a3b 网格员"),
        "b3": f.worker([world["b3"]], name="b3 网格员"),
        "ab": f.worker([world["a3"], world["b3"]], name="A+B 网格员"),
        "none": f.worker([], name="无网格"),
    }
    db.session.commit()
    return crew


def listed(client, headers, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/workers{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [w["display_name"] for w in response.get_json()]


@pytest.mark.parametrize("who, expected", [
    ("staff_a", ["a3 网格员", "a3b 网格员"]),
    ("staff_b", ["b3 网格员"]),
    ("staff_street", ["a3 网格员", "a3b 网格员", "b3 网格员", "A+B 网格员"]),
    ("admin", ["a3 网格员", "a3b 网格员", "b3 网格员", "A+B 网格员", "无网格"]),
])
def test_the_list_holds_only_workers_in_my_area(client, world, crew, who, expected):
    assert listed(client, as_(world, who)) == expected


def test_the_list_filters_by_place(client, world, crew):
    street = as_(world, "staff_street")
    assert listed(client, street, f"?place_id={world['a3b'].id}") == ["a3b 网格员"]
    assert listed(client, street, f"?place_id={world['b'].id}") == ["b3 网格员", "A+B 网格员"]
    assert listed(client, street, f"?place_id={world['a2'].id}") == [
        "a3 网格员", "a3b 网格员", "A+B 网格员"]
    staff_a = as_(world, "staff_a")
    assert listed(client, staff_a, f"?place_id={world['a3'].id}") == ["a3 网格员"]


@pytest.mark.parametrize("query, status", [
    ("?place_id={b}", 404),        # outside my area: as if it did not exist
    ("?place_id={street}", 404),   # above my area
    ("?place_id=999999", 404),
    ("?place_id=0", 422),
    ("?place_id=abc", 422),
    (f"?place_id={2**63}", 422),
])
def test_the_place_filter_outside_my_area_or_malformed(client, world, crew, query, status):
    url = "/api/v1/workers" + query.format(b=world["b"].id, street=world["street"].id)
    error(client.get(url, headers=as_(world, "staff_a")), status)


# --------------------------------------------------------------------------------------
# Changing a worker's cells
# --------------------------------------------------------------------------------------

def test_put_cells_replaces_the_cells(client, world, crew):
    headers = as_(world, "staff_a")
    worker = crew["a3"]
    response = client.put(f"/api/v1/workers/{worker.id}/cells", headers=headers,
                          json={"cell_ids": [world["a3b"].id, world["a2"].id]})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert codes(response.get_json()["cells"]) == [world["a2"].code, world["a3b"].code]
    db.session.expire_all()
    assert [c.code for c in db.session.get(User, worker.id).cells] == [
        world["a2"].code, world["a3b"].code]


def test_put_cells_outside_my_area_changes_nothing(client, world, crew):
    worker = crew["a3"]
    response = client.put(f"/api/v1/workers/{worker.id}/cells", headers=as_(world, "staff_a"),
                          json={"cell_ids": [world["a3b"].id, world["b3"].id]})
    assert error(response, 403)["fields"] == {"cell_ids": [message("place_outside_scope")]}
    db.session.expire_all()
    assert [c.code for c in db.session.get(User, worker.id).cells] == [world["a3"].code]


def test_street_staff_move_a_worker_from_a_to_b(client, world, crew):
    worker = crew["a3"]
    response = client.put(f"/api/v1/workers/{worker.id}/cells",
                          headers=as_(world, "staff_street"), json={"cell_ids": [world["b3"].id]})
    assert codes(response.get_json()["cells"]) == [world["b3"].code]
    # now the worker belongs to B's staff, and A's staff no longer see them
    assert "a3 网格员" not in listed(client, as_(world, "staff_a"))
    assert "a3 网格员" in listed(client, as_(world, "staff_b"))


@pytest.mark.parametrize("worker_id", ["999999", str(2**31), str(2**63), str(10**30)])
def test_put_cells_of_a_missing_worker_is_404(client, world, worker_id):
    response = client.put(f"/api/v1/workers/{worker_id}/cells", headers=as_(world, "admin"),
                          json={"cell_ids": [world["a3"].id]})
    error(response, 404)


# --------------------------------------------------------------------------------------
# Binding codes
# --------------------------------------------------------------------------------------

def issue(client, world, worker, who: str = "staff_a") -> dict:
    response = client.post(f"/api/v1/workers/{worker.id}/binding-code",
                           headers=as_(world, who))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_a_binding_code_is_8_unambiguous_characters(client, world, crew):
    assert not set("01OIL") & set(BINDING_ALPHABET)
    seen = set()
    for _ in range(20):
        body = issue(client, world, crew["a3"])
        code = body["binding_code"]
        assert body["worker_id"] == crew["a3"].id and body["expires_at"]
        assert len(code) == 8 and set(code) <= set(BINDING_ALPHABET), code
        seen.add(code)
    assert len(seen) == 20


def test_a_binding_code_is_stored_hashed_and_shown_only_once(client, world, crew):
    code = issue(client, world, crew["a3"])["binding_code"]
    rows = db.session.execute(sa.select(BindingCode.__table__)).mappings().all()
    assert len(rows) == 1
    assert rows[0]["code_hash"] == hashlib.sha256(code.encode()).hexdigest()
    assert not any(code in str(value) for row in rows for value in row.values())
    # no other answer repeats it
    headers = as_(world, "staff_a")
    for url in ("/api/v1/workers", f"/api/v1/workers?place_id={world['a3'].id}", "/api/v1/me"):
        assert code not in client.get(url, headers=headers).get_data(as_text=True)


def test_a_resident_binds_once_and_becomes_the_worker(client, world, crew):
    worker = crew["a3"]
    code = issue(client, world, worker)["binding_code"]
    resident = f.resident(openid="o-zhang")
    resident_token = f.token_for(resident)
    # typed in lower case with spaces on a phone: still the code
    response = client.post("/api/v1/auth/bind", headers=f.auth(resident_token),
                           json={"binding_code": f" {code.lower()} "})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["user"]["id"] == worker.id and body["user"]["role"] == "grid_worker"
    me = client.get("/api/v1/me", headers=f.auth(body["token"])).get_json()
    assert codes(me["cells"]) == [world["a3"].code]
    # the resident's token is gone, the code is spent, the record shows as bound
    assert client.get("/api/v1/me", headers=f.auth(resident_token)).status_code == 401
    other = f.token_for(f.resident(openid="o-li"))
    response = client.post("/api/v1/auth/bind", headers=f.auth(other),
                           json={"binding_code": code})
    assert error(response, 422)["fields"] == {"binding_code": [message("binding_code_invalid")]}
    workers = client.get("/api/v1/workers", headers=as_(world, "staff_a")).get_json()
    assert {w["id"]: w["bound"] for w in workers}[worker.id] is True


def test_a_new_binding_code_replaces_the_old_one(client, world, crew):
    old = issue(client, world, crew["a3"])["binding_code"]
    new = issue(client, world, crew["a3"])["binding_code"]
    token = f.token_for(f.resident())
    response = client.post("/api/v1/auth/bind", headers=f.auth(token), json={"binding_code": old})
    error(response, 422)
    response = client.post("/api/v1/auth/bind", headers=f.auth(token), json={"binding_code": new})
    assert response.status_code == 200


# --------------------------------------------------------------------------------------
# Staff accounts
# --------------------------------------------------------------------------------------

def create_staff(client, world, **body):
    payload = {"username": "wang", "password": PASSWORD, "display_name": "王老师",
               "scope_place_id": world["a"].id}
    payload.update(body)
    payload = {k: v for k, v in payload.items() if v is not ...}
    return client.post("/api/v1/staff", headers=as_(world, "admin"), json=payload)


def test_admin_creates_staff_who_can_then_log_in(client, world):
    response = create_staff(client, world)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["username"] == "wang" and body["role"] == "staff" and body["is_active"] is True
    assert body["scope"]["code"] == world["a"].code
    assert "password" not in body and "password_hash" not in body
    stored = db.session.get(User, body["id"]).password_hash
    assert stored and PASSWORD not in stored
    # hashed by the configured method (scrypt in service: test_password_hashing.py)
    assert stored.startswith(TEST_PASSWORD_HASH_METHOD + "$")

    response = client.post("/api/v1/auth/login", json={"username": "wang", "password": PASSWORD})
    assert response.status_code == 200, response.get_data(as_text=True)
    token = response.get_json()["token"]
    me = client.get("/api/v1/me", headers=f.auth(token)).get_json()
    assert me["role"] == "staff" and me["scope"]["code"] == world["a"].code
    # and acts in their area at once
    assert client.get("/api/v1/workers", headers=f.auth(token)).status_code == 200

    wrong = client.post("/api/v1/auth/login", json={"username": "wang", "password": "x" * 12})
    assert error(wrong, 401)["code"] == "bad_credentials"
    staff = client.get("/api/v1/staff", headers=as_(world, "admin")).get_json()
    assert "wang" in [s["username"] for s in staff]


def test_admin_creates_an_admin_without_scope(client, world):
    response = create_staff(client, world, username="root2", role="admin", scope_place_id=...)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["scope"] is None


def test_a_password_under_10_characters_is_422(client, world):
    fields = error(create_staff(client, world, password="123456789"), 422)["fields"]
    assert set(fields) == {"password"}


def test_a_taken_username_is_409(client, world):
    assert create_staff(client, world).status_code == 201
    fields = error(create_staff(client, world, display_name="另一个王"), 409)["fields"]
    assert fields == {"username": [message("username_taken")]}
    # an existing account's username, too
    fields = error(create_staff(client, world, username="staff-b"), 409)["fields"]
    assert set(fields) == {"username"}


@pytest.mark.parametrize("scope", [..., None])
def test_staff_without_scope_is_422(client, world, scope):
    fields = error(create_staff(client, world, scope_place_id=scope), 422)["fields"]
    assert fields == {"scope_place_id": [message("scope_required")]}


@pytest.mark.parametrize("scope, key", [
    (999999, "place_not_found"),
    (0, None),
    (-1, None),
    (2**31, None),
    (2**63, None),
    ("1", None),
    (1.5, None),
    (True, None),
])
def test_an_unknown_or_malformed_scope_is_422(client, world, scope, key):
    fields = error(create_staff(client, world, scope_place_id=scope), 422)["fields"]
    assert set(fields) == {"scope_place_id"}
    if key:
        assert fields["scope_place_id"] == [message(key)]


@pytest.mark.parametrize("body", [
    {"username": "a b"},          # not a login name
    {"username": "ab"},           # too short
    {"role": "grid_worker"},      # staff endpoint makes staff and admins only
    {"role": "resident"},
    {"display_name": ""},
    {"display_name": "   "},      # blank once trimmed
])
def test_other_bad_staff_fields_are_422(client, world, body):
    fields = error(create_staff(client, world, **body), 422)["fields"]
    assert set(fields) == set(body)


# --------------------------------------------------------------------------------------
# /me
# --------------------------------------------------------------------------------------

def test_me_shows_the_scope_of_staff(client, world):
    me = client.get("/api/v1/me", headers=as_(world, "staff_street")).get_json()
    assert me["role"] == "staff" and me["username"] == "staff-street"
    assert me["scope"] == {"id": world["street"].id, "code": world["street"].code,
                           "name": world["street"].name, "level": "street"}
    assert me["cells"] == []
    assert "password_hash" not in me and "openid" not in me


def test_me_shows_the_cells_of_a_worker(client, world):
    worker = f.worker([world["a3b"], world["a3"]], openid="o-worker")
    me = client.get("/api/v1/me", headers=f.auth(f.token_for(worker))).get_json()
    assert me["role"] == "grid_worker" and me["scope"] is None
    assert codes(me["cells"]) == [world["a3"].code, world["a3b"].code]
    assert me["cells"][0]["level"] == "grid3"
    assert "openid" not in me


def test_me_for_a_resident_has_neither(client, world):
    me = client.get("/api/v1/me", headers=f.auth(f.token_for(f.resident()))).get_json()
    assert me["role"] == "resident" and me["scope"] is None and me["cells"] == []
