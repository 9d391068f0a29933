"""The permission policy, read as tables.

Part 1 runs every rule of ``backend.accounts.permissions`` (places, accounts) over every
actor and object (each feature's own rules have their tables in its ``test_*_access.py``
or ``test_participation_*.py``); part 2 sends the same people to the API and checks the
status each one gets. Each table row is the policy for one actor: change the policy here
first, then the code.

The world (``tests.factories.two_communities``): district → street → communities A and B,
A with L2 ``a2`` and L3 cells ``a3``, ``a3b``; B with L2 ``b2`` and L3 ``b3``.
"""
from __future__ import annotations

import pytest

from backend.accounts import permissions as p
from backend.extensions import db
from tests import factories as f

Y, N = True, False

# Who acts. ``worker_a2`` owns A's L2 cell (and so every cell inside it).
ACTORS = ("anonymous", "resident", "worker_a3", "worker_a2", "worker_b3",
          "staff_a", "staff_b", "staff_street", "admin", "staff_a_off")


def build_world() -> dict:
    """Places, actors and target workers, committed, keyed by the names the tables use."""
    g = f.two_communities()
    w = dict(g)
    w["anonymous"] = None
    w["resident"] = f.resident(openid="o-resident")
    w["worker_a3"] = f.worker([g["a3"]], openid="o-worker-a3", name="A 网格员")
    w["worker_a2"] = f.worker([g["a2"]], name="A 二级网格员")
    w["worker_b3"] = f.worker([g["b3"]], openid="o-worker-b3", name="B 网格员")
    w["staff_a"] = f.staff(g["a"], username="staff-a")
    w["staff_b"] = f.staff(g["b"], username="staff-b")
    w["staff_street"] = f.staff(g["street"], username="staff-street")
    w["admin"] = f.staff(None, role="admin", username="admin")
    w["staff_a_off"] = f.staff(g["a"], username="staff-a-off")
    w["staff_a_off"].is_active = False
    # Workers as objects of can_manage_worker.
    w["w_in_a"] = f.worker([g["a3b"]], name="只在 A")
    w["w_in_b"] = f.worker([g["b3"]], name="只在 B")
    w["w_in_ab"] = f.worker([g["a3"], g["b3"]], name="A 和 B")
    w["w_no_cells"] = f.worker([], name="无网格")
    db.session.commit()
    return w


def cases(table: dict[str, tuple], objects: tuple[str, ...]) -> list:
    """One pytest case per (actor, object) cell of ``table``."""
    assert tuple(table) == ACTORS, "every table lists every actor, in order"
    out = []
    for actor, row in table.items():
        assert len(row) == len(objects), actor
        for obj, expected in zip(objects, row):
            out.append(pytest.param(actor, obj, expected, id=f"{actor}-{obj}"))
    return out


@pytest.fixture
def world(ctx):
    # Five staff accounts per test (the tests' one-round password hash keeps ~400 cases
    # fast; tokens come from factories.token_for).
    return build_world()


# --------------------------------------------------------------------------------------
# Part 1: the rules, one table per rule
# --------------------------------------------------------------------------------------

PLACES = ("district", "street", "a", "a3", "b")

CAN_MANAGE_PLACE = {
    #               district street a  a3 b
    "anonymous":    (N, N, N, N, N),
    "resident":     (N, N, N, N, N),
    "worker_a3":    (N, N, N, N, N),
    "worker_a2":    (N, N, N, N, N),
    "worker_b3":    (N, N, N, N, N),
    "staff_a":      (N, N, Y, Y, N),
    "staff_b":      (N, N, N, N, Y),
    "staff_street": (N, Y, Y, Y, Y),
    "admin":        (Y, Y, Y, Y, Y),
    "staff_a_off":  (N, N, N, N, N),
}

CAN_IMPORT_PLACES = {
    "anonymous":    (N,),
    "resident":     (N,),
    "worker_a3":    (N,),
    "worker_a2":    (N,),
    "worker_b3":    (N,),
    "staff_a":      (N,),
    "staff_b":      (N,),
    "staff_street": (N,),
    "admin":        (Y,),
    "staff_a_off":  (N,),
}

WORK_CELLS = ("a3", "a3b", "a2", "b3")

CAN_WORK_IN_CELL = {
    #               a3 a3b a2 b3
    "anonymous":    (N, N, N, N),
    "resident":     (N, N, N, N),
    "worker_a3":    (Y, N, N, N),
    "worker_a2":    (Y, Y, Y, N),  # an L2 owner works in the L3 cells inside it
    "worker_b3":    (N, N, N, Y),
    "staff_a":      (N, N, N, N),  # staff dispatch; they are not grid workers
    "staff_b":      (N, N, N, N),
    "staff_street": (N, N, N, N),
    "admin":        (N, N, N, N),
    "staff_a_off":  (N, N, N, N),
}

WORKERS = ("w_in_a", "w_in_b", "w_in_ab", "w_no_cells", "resident")

CAN_MANAGE_WORKER = {
    #               in A  in B  A and B  no cells  a resident (not a worker)
    "anonymous":    (N, N, N, N, N),
    "resident":     (N, N, N, N, N),
    "worker_a3":    (N, N, N, N, N),
    "worker_a2":    (N, N, N, N, N),
    "worker_b3":    (N, N, N, N, N),
    "staff_a":      (Y, N, N, N, N),
    "staff_b":      (N, Y, N, N, N),
    "staff_street": (Y, Y, Y, N, N),
    "admin":        (Y, Y, Y, Y, N),
    "staff_a_off":  (N, N, N, N, N),
}

ASSIGNABLE = ("street", "a", "a2", "a3", "b3")

CAN_ASSIGN_CELL = {
    #               street a(community: never a cell) a2 a3 b3
    "anonymous":    (N, N, N, N, N),
    "resident":     (N, N, N, N, N),
    "worker_a3":    (N, N, N, N, N),
    "worker_a2":    (N, N, N, N, N),
    "worker_b3":    (N, N, N, N, N),
    "staff_a":      (N, N, Y, Y, N),
    "staff_b":      (N, N, N, N, Y),
    "staff_street": (N, N, Y, Y, Y),
    "admin":        (N, N, Y, Y, Y),
    "staff_a_off":  (N, N, N, N, N),
}

STAFF_TARGETS = ("new", "staff_a", "admin")

CAN_MANAGE_STAFF = {
    #               a new account  staff_a  admin
    "anonymous":    (N, N, N),
    "resident":     (N, N, N),
    "worker_a3":    (N, N, N),
    "worker_a2":    (N, N, N),
    "worker_b3":    (N, N, N),
    "staff_a":      (N, N, N),
    "staff_b":      (N, N, N),
    "staff_street": (N, N, N),
    "admin":        (Y, Y, Y),
    "staff_a_off":  (N, N, N),
}


@pytest.mark.parametrize("actor, place, expected", cases(CAN_MANAGE_PLACE, PLACES))
def test_can_manage_place(world, actor, place, expected):
    assert p.can_manage_place(world[actor], world[place]) is expected


@pytest.mark.parametrize("actor, _, expected", cases(CAN_IMPORT_PLACES, ("any",)))
def test_can_import_places(world, actor, _, expected):
    assert p.can_import_places(world[actor]) is expected


@pytest.mark.parametrize("actor, cell, expected", cases(CAN_WORK_IN_CELL, WORK_CELLS))
def test_can_work_in_cell(world, actor, cell, expected):
    assert p.can_work_in_cell(world[actor], world[cell]) is expected


@pytest.mark.parametrize("actor, worker, expected", cases(CAN_MANAGE_WORKER, WORKERS))
def test_can_manage_worker(world, actor, worker, expected):
    assert p.can_manage_worker(world[actor], world[worker]) is expected


@pytest.mark.parametrize("actor, cell, expected", cases(CAN_ASSIGN_CELL, ASSIGNABLE))
def test_can_assign_cell(world, actor, cell, expected):
    assert p.can_assign_cell(world[actor], world[cell]) is expected


@pytest.mark.parametrize("actor, target, expected", cases(CAN_MANAGE_STAFF, STAFF_TARGETS))
def test_can_manage_staff(world, actor, target, expected):
    assert p.can_manage_staff(world[actor], world.get(target)) is expected


def test_a_worker_deactivated_works_nowhere(world):
    worker = world["worker_a3"]
    worker.is_active = False
    db.session.commit()
    assert not p.can_work_in_cell(worker, world["a3"])


# --------------------------------------------------------------------------------------
# Part 2: the same policy through HTTP
# --------------------------------------------------------------------------------------

ROLES = ("anonymous", "resident", "worker_a3", "staff_a", "staff_b", "staff_street", "admin")


def _request(name: str, w: dict) -> tuple[str, str, dict | None]:
    """(method, URL, JSON body) for an endpoint of the table, in world ``w``."""
    worker_a, worker_b, worker_ab = w["w_in_a"].id, w["w_in_b"].id, w["w_in_ab"].id
    return {
        "GET /workers": ("GET", "/api/v1/workers", None),
        "GET /workers?place_id=A": ("GET", f"/api/v1/workers?place_id={w['a'].id}", None),
        "POST /workers (cells of A)": (
            "POST", "/api/v1/workers", {"display_name": "新网格员", "cell_ids": [w["a3b"].id]}),
        "PUT /workers/<A>/cells": (
            "PUT", f"/api/v1/workers/{worker_a}/cells", {"cell_ids": [w["a3"].id]}),
        "PUT /workers/<B>/cells": (
            "PUT", f"/api/v1/workers/{worker_b}/cells", {"cell_ids": [w["b3"].id]}),
        "PUT /workers/<A+B>/cells": (
            "PUT", f"/api/v1/workers/{worker_ab}/cells", {"cell_ids": [w["b3"].id]}),
        "POST /workers/<A>/binding-code": (
            "POST", f"/api/v1/workers/{worker_a}/binding-code", None),
        "POST /workers/<B>/binding-code": (
            "POST", f"/api/v1/workers/{worker_b}/binding-code", None),
        "GET /staff": ("GET", "/api/v1/staff", None),
        "POST /staff": ("POST", "/api/v1/staff", {
            "username": "new-staff", "password": "a long enough password",
            "display_name": "新同事", "scope_place_id": w["a"].id}),
        "GET /places": ("GET", "/api/v1/places", None),
        "GET /places/<a3>": ("GET", f"/api/v1/places/{w['a3'].id}", None),
        "GET /places/locate": ("GET", "/api/v1/places/locate?lng=104.005&lat=30.61", None),
        "GET /me": ("GET", "/api/v1/me", None),
        # An unknown code: 422 shows the caller got past the role check.
        "POST /auth/bind": ("POST", "/api/v1/auth/bind", {"binding_code": "ABCDEFGH"}),
    }[name]


HTTP = {
    #                                   anon res  worker staffA staffB street admin
    "GET /workers":                     (401, 403, 403, 200, 200, 200, 200),
    "GET /workers?place_id=A":          (401, 403, 403, 200, 404, 200, 200),
    "POST /workers (cells of A)":       (401, 403, 403, 201, 403, 201, 201),
    "PUT /workers/<A>/cells":           (401, 403, 403, 200, 404, 200, 200),
    "PUT /workers/<B>/cells":           (401, 403, 403, 404, 200, 200, 200),
    "PUT /workers/<A+B>/cells":         (401, 403, 403, 404, 404, 200, 200),
    "POST /workers/<A>/binding-code":   (401, 403, 403, 201, 404, 201, 201),
    "POST /workers/<B>/binding-code":   (401, 403, 403, 404, 201, 201, 201),
    "GET /staff":                       (401, 403, 403, 403, 403, 403, 200),
    "POST /staff":                      (401, 403, 403, 403, 403, 403, 201),
    "GET /places":                      (401, 200, 200, 200, 200, 200, 200),
    "GET /places/<a3>":                 (401, 200, 200, 200, 200, 200, 200),
    "GET /places/locate":               (401, 200, 200, 200, 200, 200, 200),
    "GET /me":                          (401, 200, 200, 200, 200, 200, 200),
    "POST /auth/bind":                  (401, 422, 422, 403, 403, 403, 403),
}


def _http_cases() -> list:
    out = []
    for endpoint, row in HTTP.items():
        assert len(row) == len(ROLES), endpoint
        for role, status in zip(ROLES, row):
            out.append(pytest.param(endpoint, role, status, id=f"{endpoint}-{role}"))
    return out


@pytest.mark.parametrize("endpoint, role, status", _http_cases())
def test_http_policy(client, world, endpoint, role, status):
    method, url, body = _request(endpoint, world)
    user = world[role]
    headers = f.auth(f.token_for(user)) if user is not None else {}
    response = client.open(url, method=method, json=body, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    if status >= 400:
        error = response.get_json()["error"]
        expected_code = {401: "unauthorized", 403: {"forbidden", "validation_error"},
                         404: "not_found", 422: "validation_error"}[status]
        assert error["code"] in (expected_code if isinstance(expected_code, set)
                                 else {expected_code})


def test_a_worker_out_of_scope_is_indistinguishable_from_a_missing_one(client, world):
    """Staff of B learn nothing about A's worker: the same 404 as for no worker at all."""
    headers = f.auth(f.token_for(world["staff_b"]))
    body = {"cell_ids": [world["b3"].id]}
    foreign = client.put(f"/api/v1/workers/{world['w_in_a'].id}/cells", json=body,
                         headers=headers)
    missing = client.put("/api/v1/workers/999999/cells", json=body, headers=headers)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json() == missing.get_json()
    foreign = client.post(f"/api/v1/workers/{world['w_in_a'].id}/binding-code",
                          headers=headers)
    missing = client.post("/api/v1/workers/999999/binding-code", headers=headers)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json() == missing.get_json()


def test_a_resident_or_staff_is_not_a_worker_record(client, world):
    headers = f.auth(f.token_for(world["admin"]))
    for who in ("resident", "staff_a", "admin"):
        response = client.post(f"/api/v1/workers/{world[who].id}/binding-code",
                               headers=headers)
        assert response.status_code == 404, who


def test_a_deactivated_staff_member_is_refused_everywhere(client, world):
    headers = f.auth(f.token_for(world["staff_a_off"]))
    for url in ("/api/v1/me", "/api/v1/workers", "/api/v1/places"):
        response = client.get(url, headers=headers)
        assert response.status_code == 401, url
        assert response.get_json()["error"]["code"] == "account_disabled"


def test_staff_b_cannot_see_a_workers_in_the_list(client, world):
    headers = f.auth(f.token_for(world["staff_b"]))
    names = {w["display_name"] for w in client.get("/api/v1/workers", headers=headers).get_json()}
    assert names == {"B 网格员", "只在 B"}
