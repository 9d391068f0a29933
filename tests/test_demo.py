"""`flask demo seed` and `flask demo accounts`: the demo community (晋阳社区) and its people."""
from __future__ import annotations

import re
from collections import defaultdict

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from shapely import union_all
from shapely.geometry import shape

from backend.demo.grid import COMMUNITY, DISTRICT, STREET

# a tolerance far below a metre (1e-7° is about 1 cm): the shapes are cut on a 1e-7 grid
TOLERANCE = 1e-7


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def seeded(app):
    return run(app, "seed")


def all_places(app) -> list:
    from backend.extensions import db
    from backend.places.models import Place

    with app.app_context():
        places = db.session.execute(sa.select(Place).options(so.undefer(Place.geometry))
                                    .order_by(Place.code)).scalars().all()
        db.session.expunge_all()
    return places


def counts(app) -> dict:
    from backend.accounts.models import User, worker_cells
    from backend.extensions import db
    from backend.places.models import Place

    with app.app_context():
        scalar = lambda q: db.session.execute(q).scalar_one()  # noqa: E731
        return {
            "places": scalar(sa.select(sa.func.count()).select_from(Place)),
            "users": scalar(sa.select(sa.func.count()).select_from(User)),
            "worker_cells": scalar(sa.select(sa.func.count()).select_from(worker_cells)),
        }


# ---------------------------------------------------------------- the grid

def test_seed_builds_the_four_level_grid(app, seeded):
    # 3 staff, 3 grid workers, 3 residents and Mary, who reads English
    assert "23 places created, 0 updated, 10 accounts created" in seeded
    places = all_places(app)
    by_level = defaultdict(list)
    for p in places:
        by_level[p.level].append(p)
    assert {level: len(ps) for level, ps in by_level.items()} == {
        "district": 1, "street": 1, "community": 1, "grid2": 4, "grid3": 12, "grid4": 4}
    (district,), (street,), (community,) = (by_level["district"], by_level["street"],
                                            by_level["community"])
    assert (district.code, district.name) == DISTRICT
    assert (street.code, street.name) == STREET
    assert (community.code, community.name) == COMMUNITY
    by_id = {p.id: p for p in places}
    for p in places:
        parent = by_id.get(p.parent_id)
        if p.level == "district":
            assert parent is None
        else:
            assert parent is not None and p.code.startswith(parent.code)
    # every level-2 area has three level-3 cells, each one of the three kinds of level 3
    for l2 in by_level["grid2"]:
        children = [p for p in by_level["grid3"] if p.parent_id == l2.id]
        assert len(children) == 3
        assert {c.kind for c in children} <= {"yard", "estate", "unit"}
    # level-4 units sit in the two largest estates
    assert {by_id[p.parent_id].kind for p in by_level["grid4"]} == {"estate"}


def test_every_cell_lies_within_its_parent_and_siblings_do_not_overlap(app, seeded):
    places = all_places(app)
    geoms = {p.id: shape(p.geometry) for p in places if p.geometry}
    children = defaultdict(list)
    for p in places:
        if p.geometry:
            assert geoms[p.id].is_valid, p
            assert geoms[p.id].geom_type in ("Polygon", "MultiPolygon"), p
            assert geoms[p.id].area > 0, p
            children[p.parent_id].append(p)
    checked = 0
    for parent_id, kids in children.items():
        parent = geoms.get(parent_id)
        if parent is not None:  # the community's parent (the street) has no outline
            grown = parent.buffer(TOLERANCE)
            for kid in kids:
                assert grown.covers(geoms[kid.id]), f"{kid.code} is not within its parent"
                checked += 1
        for i, a in enumerate(kids):
            for b in kids[i + 1:]:
                overlap = geoms[a.id].intersection(geoms[b.id]).area
                assert overlap < 1e-12, f"{a.code} overlaps {b.code} ({overlap})"
    assert checked == 4 + 12 + 4


def test_children_tile_their_parent(app, seeded):
    """Level 2 cuts the community along two streets and level 3 cuts each level-2 area: no
    real gaps, so a point inside the community has a level-3 cell."""
    places = all_places(app)
    geoms = {p.id: shape(p.geometry) for p in places if p.geometry}
    for p in places:
        kids = [geoms[k.id] for k in places if k.parent_id == p.id and k.geometry]
        if p.level in ("community", "grid2") and kids:
            union = union_all(kids)
            # snapping the cut points to the 1e-7° grid leaves centimetre slivers at most
            assert union.symmetric_difference(geoms[p.id]).area < 1e-5 * geoms[p.id].area, \
                p.code


def test_the_community_is_in_chengdu_wuhou(app, seeded):
    community = next(p for p in all_places(app) if p.level == "community")
    centroid = shape(community.geometry).centroid
    assert abs(centroid.y - 30.63) < 0.02
    assert abs(centroid.x - 104.04) < 0.02
    assert community.min_lng < centroid.x < community.max_lng


def test_a_point_in_the_demo_community_locates_to_a_cell(app, client, seeded):
    from tests import factories as f

    with app.app_context():
        headers = f.auth(f.token_for(f.resident()))
    community = next(p for p in all_places(app) if p.level == "community")
    point = shape(community.geometry).representative_point()
    body = client.get("/api/v1/places/locate", query_string={"lng": point.x, "lat": point.y},
                      headers=headers).get_json()
    assert body["found"] is True
    assert body["cell"]["level"] in ("grid3", "grid4")
    assert [a["code"] for a in body["ancestors"]][:3] == [DISTRICT[0], STREET[0], COMMUNITY[0]]


# ---------------------------------------------------------------- idempotence

def test_seeding_twice_creates_nothing_new(app, seeded):
    before = counts(app)
    places_before = {p.code: (p.id, p.name, p.geometry) for p in all_places(app)}
    output = run(app, "seed")
    assert "0 places created, 23 updated, 0 accounts created" in output
    assert counts(app) == before
    assert {p.code: (p.id, p.name, p.geometry) for p in all_places(app)} == places_before


# ---------------------------------------------------------------- people

def _printed_staff(output: str) -> dict[str, str]:
    found = dict(re.findall(r"^\s+(?:admin|staff)\s+(\S+)\s+password\s+(\S+)", output, re.M))
    assert found, output
    return found


def test_demo_accounts_prints_the_staff_passwords(app):
    from backend.demo.operations import ENGLISH_RESIDENTS, RESIDENTS, STAFF, WORKERS

    output = run(app, "accounts")
    assert _printed_staff(output) == {s.username: s.password for s in STAFF}
    for person in (*WORKERS, *RESIDENTS, *ENGLISH_RESIDENTS):
        assert person.openid in output
    assert "demo-resident-mary   Mary (reads English)" in output


def test_demo_staff_log_in_with_the_printed_passwords(app, client, seeded):
    from backend.demo.operations import STAFF

    printed = _printed_staff(run(app, "accounts"))
    expected_scope = {s.username: s.scope_code for s in STAFF}
    for username, password in printed.items():
        response = client.post("/api/v1/auth/login",
                               json={"username": username, "password": password})
        assert response.status_code == 200, (username, response.get_json())
        body = response.get_json()
        assert body["token"]
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
        assert me.status_code == 200
        scope = me.get_json()["scope"]
        assert (scope["code"] if scope else None) == expected_scope[username]
    # a wrong password is still refused
    response = client.post("/api/v1/auth/login",
                           json={"username": "admin", "password": "linli-admin-dem0"})
    assert response.status_code == 401


def test_demo_grid_workers_each_own_cells(app, seeded):
    from backend.accounts.models import Role, User
    from backend.demo.operations import WORKERS
    from backend.extensions import db

    with app.app_context():
        workers = db.session.execute(
            sa.select(User).where(User.role == Role.grid_worker.value)).scalars().all()
        assert len(workers) == len(WORKERS)
        owned = {w.openid: [c.code for c in w.cells] for w in workers}
        levels = {c.level for w in workers for c in w.cells}
    assert owned == {w.openid: sorted(w.cell_codes) for w in WORKERS}
    assert all(owned.values())
    assert levels <= {"grid2", "grid3", "grid4"}
    # no cell has two demo workers, and every level-2 area has one
    codes = [code for cells in owned.values() for code in cells]
    assert len(codes) == len(set(codes))
    assert {p.code for p in all_places(app) if p.level == "grid2"} <= set(codes)


def test_demo_workers_and_residents_log_in_with_the_development_login(app, client, seeded):
    from backend.demo.operations import RESIDENTS, WORKERS

    for person, role in ((WORKERS[0], "grid_worker"), (RESIDENTS[0], "resident")):
        response = client.post("/api/v1/auth/dev-login", json={"openid": person.openid})
        assert response.status_code == 200, response.get_json()
        user = response.get_json()["user"]
        assert user["role"] == role
        assert user["display_name"] == person.display_name
