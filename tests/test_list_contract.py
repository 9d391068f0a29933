"""Issue 17.3: every list of the API pages one way, and a page parameter out of range is a
422 on that field, never a 500.

The lists are read from the OpenAPI document (every GET with ``limit`` or ``cursor``, or
the older ``page`` / ``page_size`` / ``per_page``), so a list added later is checked too.
"""
from __future__ import annotations

import base64
import re
from urllib.parse import parse_qsl

import pytest

from tests.volunteers_world import activity, build_world

API = "/api/v1"
PAGING = {"limit", "cursor", "page", "page_size", "per_page"}
INT_PAGING = {"limit", "page", "page_size", "per_page"}
# Open311 is a standard with its own paging; the CSV export is a file, not a list
NOT_LISTS = {"/api/v1/tickets/export.csv"}


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD_NUMBERS = ["3163910514281720832", "-1", "0", "abc", "1.5", "1e3", "", "9" * 400,
               "99999999999999999999999"]
BAD_CURSORS = ["not a cursor!", "%%%", "W10", _b64("[]"), _b64('{"a": 1}'), _b64("[1e999]"),
               _b64("[99999999999999999999]"), _b64("[-1]"), _b64('["2024-01-01T00:00", -1]'),
               _b64("[true, true, true, true, true]"), _b64("[" * 5000), "a" * 201,
               _b64('[null, null]'), "\x00", _b64('["\\u0000"]')]


def _spec(client) -> dict:
    return client.get(f"{API}/openapi.json").get_json()


def _lists(spec) -> list[tuple[str, dict]]:
    """(path, operation) of every paged list."""
    found = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if not get or not path.startswith(API) or path in NOT_LISTS:
            continue
        names = {p["name"] for p in get.get("parameters", []) if p["in"] == "query"}
        if names & PAGING:
            found.append((path, get))
    return found


@pytest.fixture
def world(app, ctx, monkeypatch):
    """A community with a volunteer team and an activity (the parents of nested lists: a
    list of a parent that is not there is a 404 before its cursor is read)."""
    world = build_world(monkeypatch)
    world.paths = {"community_id": world.places["a"].id, "yard_id": world.places["a3"].id,
                   "team_id": world.teams["huzhu"].id,
                   "activity_id": activity(world).id}
    return world


@pytest.fixture
def tokens(world):
    """A token of each role: a list's role check comes before its parameters."""
    return {name: world.h(name) for name in ("admin", "leader", "worker")}


@pytest.fixture
def url(world):
    def for_path(path: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: str(world.paths[m.group(1)]), path)
    return for_path


def _check_refused(client, tokens, url: str, field: str, value: str):
    """The value is refused with a 422 on ``field`` by every role the list admits (a role
    it does not admit gets its 401/403, or the 404 of a parent it may not see, before the
    parameters are read); never a 500."""
    refused = 0
    for name, headers in tokens.items():
        r = client.get(url, query_string={field: value}, headers=headers)
        assert r.status_code != 500, (url, field, value, name)
        if r.status_code in (401, 403) and "fields" not in r.get_json()["error"]:
            continue
        # a list below a parent this role may not even see (another yard's): 404 first
        if r.status_code == 404 and r.get_json()["error"]["code"] == "not_found":
            continue
        assert r.status_code == 422, (url, field, value, name, r.status_code, r.get_json())
        error = r.get_json()["error"]
        assert error["code"] == "validation_error"
        assert list(error["fields"]) == [field], (url, value, error)
        assert error["fields"][field] and all(isinstance(m, str) and m
                                              for m in error["fields"][field])
        refused += 1
    assert refused, f"no role reached the parameters of {url}"


def test_the_document_lists_the_lists(client):
    paths = {path for path, _ in _lists(_spec(client))}
    for path in ("/api/v1/tickets", "/api/v1/me/tickets", "/api/v1/worker/tasks",
                 "/api/v1/public/tickets", "/api/v1/places", "/api/v1/residencies",
                 "/api/v1/communities/{community_id}/households", "/api/v1/me/notices",
                 "/api/v1/communities/{community_id}/notices", "/api/v1/proposals",
                 "/api/v1/communities/{community_id}/meetings", "/api/v1/me/bookings",
                 "/api/v1/me/notifications", "/api/v1/volunteer-activities",
                 "/api/v1/me/service-records", "/api/v1/volunteer-teams/{team_id}/members",
                 "/api/v1/residents"):
        assert path in paths, path


def test_every_list_takes_limit_and_cursor_with_bounds_and_answers_one_page_shape(client):
    spec = _spec(client)
    schemas = spec["components"]["schemas"]
    for path, get in _lists(spec):
        params = {p["name"]: p for p in get["parameters"] if p["in"] == "query"}
        assert {"limit", "cursor"} <= set(params), path
        assert not {"page", "page_size", "per_page"} & set(params), path
        limit = params["limit"]["schema"]
        assert limit["type"] == "integer"
        assert limit["minimum"] == 1 and limit["maximum"] == 200, path
        assert 1 <= limit["default"] <= 200
        assert params["cursor"]["schema"]["maxLength"] == 200, path
        answer = get["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in answer, path
        page = schemas[answer["$ref"].rsplit("/", 1)[1]]
        assert {"items", "next_cursor", "total"} <= set(page["properties"]), path
        assert page["properties"]["items"]["type"] == "array"
        assert "X-Pagination" not in get["responses"]["200"].get("headers", {}), path
        assert "X-Next-Cursor" not in get["responses"]["200"].get("headers", {}), path


def test_every_integer_query_parameter_of_a_list_is_bounded(client):
    for path, get in _lists(_spec(client)):
        for param in get["parameters"]:
            if param["in"] != "query":
                continue
            schema = param["schema"]
            if schema.get("type") in ("integer", "number"):
                assert "minimum" in schema and "maximum" in schema, (path, param["name"])
            if schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(schema):
                assert "maxLength" in schema, (path, param["name"])


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_a_page_size_out_of_range_is_a_422_on_it_for_every_list(client, tokens, url, value):
    for path, get in _lists(_spec(client)):
        names = {p["name"] for p in get["parameters"] if p["in"] == "query"}
        for field in sorted(names & INT_PAGING):
            _check_refused(client, tokens, url(path), field, value)


@pytest.mark.parametrize("value", BAD_CURSORS)
def test_a_cursor_that_is_not_one_is_a_422_on_it_for_every_list(client, tokens, url, value):
    for path, get in _lists(_spec(client)):
        names = {p["name"] for p in get["parameters"] if p["in"] == "query"}
        if "cursor" in names:
            _check_refused(client, tokens, url(path), "cursor", value)


def test_an_id_filter_beyond_the_database_range_is_a_422_on_it(client, tokens, url):
    for path, get in _lists(_spec(client)):
        for param in get["parameters"]:
            if param["in"] == "query" and param["schema"].get("type") == "integer" \
                    and param["name"] not in INT_PAGING:
                for value in ("2147483648", "3163910514281720832", "-5"):
                    _check_refused(client, tokens, url(path), param["name"], value)


@pytest.mark.parametrize("url", [
    "/api/v1/me/notices", "/api/v1/places", "/api/v1/residencies", "/api/v1/proposals",
    "/api/v1/communities/1/households", "/api/v1/communities/1/notices",
    "/api/v1/communities/1/meetings"])
def test_the_reported_huge_page_number_is_no_500(client, tokens, url):
    """The issue's request: ``?page=3163910514281720832`` (a page number no list takes
    any more: it is ignored like any unknown query parameter)."""
    for headers in tokens.values():
        r = client.get(url, query_string={"page": "3163910514281720832"}, headers=headers)
        assert r.status_code < 500, (url, r.get_json())


# --- walking the pages: every row once, in the order of one big page --------------------

def _get(client, headers, url: str, **query):
    path, _, filters = url.partition("?")
    return client.get(path, query_string={**dict(parse_qsl(filters)), **query}, headers=headers)


def _walk(client, headers, url: str, limit: int) -> tuple[list[int], list[dict]]:
    ids, pages, cursor = [], [], None
    while True:
        r = _get(client, headers, url, limit=limit, **({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, (url, r.get_json())
        body = r.get_json()
        assert set(body) == {"items", "next_cursor", "total"}, body.keys()
        assert "X-Pagination" not in r.headers and "X-Next-Cursor" not in r.headers
        assert len(body["items"]) <= limit
        ids += [row["id"] for row in body["items"]]
        pages.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages
        assert len(body["items"]) == limit and len(pages) < 50


def test_the_participation_lists_and_places_walk_every_row_once(app, ctx, client, monkeypatch):
    from datetime import timedelta

    from backend.extensions import db
    from backend.participation.models import Household, Meeting
    from backend.participation.residency import address_key
    from tests import factories as f
    from tests import participation_world as pw

    world = pw.build_world(monkeypatch, residents=5)
    a = world.places["a"]
    # ties on every leading key: the same start (and pinned or not), the same support count,
    # the same meeting time, the same address
    for i in range(7):
        pw.notice(world, title=f"公告{i}", pinned=i % 3 == 0,
                  start="2026-10-08 09:00" if i % 2 else "2026-10-07 09:00")
        pw.proposal(world, title=f"议题{i}")
    for i in range(5):
        db.session.add(Meeting(community_id=a.id, title=f"会议{i}", created_by_id=world.id("staff_a"),
                               held_at=world.now - timedelta(days=i // 2)))
        db.session.add(Household(community_id=a.id, building="1栋", unit="", room=str(100 + i // 2),
                                 address_key=address_key("1栋", "", str(100 + i // 2)),
                                 phone=f"1390000{i:04d}"))
    for i in range(6):
        f.place(f"51010702100301{i + 3:02d}", parent=world.places["a2"])
    db.session.commit()
    lists = [
        ("staff_a", f"/api/v1/communities/{a.id}/notices?include_all=true"),
        ("wang", "/api/v1/me/notices"),
        ("wang", "/api/v1/proposals"),
        ("wang", "/api/v1/proposals?sort=support"),
        ("wang", f"/api/v1/communities/{a.id}/meetings"),
        ("staff_a", f"/api/v1/communities/{a.id}/households"),
        ("staff_a", "/api/v1/residencies"),
        ("admin", "/api/v1/residencies?status=confirmed"),
        ("wang", "/api/v1/places"),
        ("wang", f"/api/v1/places?parent_id={world.places['a2'].id}"),
    ]
    for who, url in lists:
        whole = _get(client, world.h(who), url, limit=200).get_json()
        expected = [row["id"] for row in whole["items"]]
        assert len(expected) >= 5, (url, expected)
        assert whole["next_cursor"] is None and whole["total"] == len(expected), url
        for limit in (1, 2, 3):
            ids, pages = _walk(client, world.h(who), url, limit)
            assert ids == expected, (url, limit)
            # counted once, on the first page
            assert pages[0]["total"] == len(expected), url
            assert all(page["total"] is None for page in pages[1:]), url
