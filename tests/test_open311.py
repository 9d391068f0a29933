"""Open311 GeoReport v2: every JSON answer validated against the published JSON Schemas
(tests/open311_schemas/, from the Open311 schema-validation project), every XML answer checked field by field against its JSON twin."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import sqlalchemy as sa
from referencing import Registry
from referencing.jsonschema import DRAFT7

from backend.core.models import utcnow
from backend.extensions import db
from backend.open311 import operations as o311
from backend.open311.models import Open311Key
from backend.tickets.models import Ticket, TicketEvent
from tests import factories as f
from tests.tickets_world import IN_A3, IN_B3, OUTSIDE, build_world, report

SCHEMAS = Path(__file__).resolve().parent / "open311_schemas"
BASE = "/open311/v2"


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


_REGISTRY = Registry().with_resources(
    (name, DRAFT7.create_resource(_schema(name)))
    for name in ("request.json", "requests.json", "service.json", "services.json",
                 "service-definition.json"))


def validate(data, schema_name: str) -> None:
    validator = jsonschema.Draft7Validator(
        _schema(schema_name), registry=_REGISTRY,
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    validator.validate(data)
    if schema_name in ("requests.json", "request.json"):
        for item in data if isinstance(data, list) else [data]:
            for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
                if item.get(name):
                    assert datetime.fromisoformat(item[name]).utcoffset() == timedelta(hours=8)
            if item.get("media_url"):
                parts = urlsplit(item["media_url"])
                assert parts.scheme in ("http", "https") and parts.netloc, item["media_url"]


# --- comparing the XML twin ---------------------------------------------------------------

def _same(xml_text, value, where):
    if value is None or value == "":  # XML has no null: an empty element
        assert xml_text in (None, ""), (where, xml_text)
    elif isinstance(value, bool):
        assert xml_text == ("true" if value else "false"), (where, xml_text)
    elif isinstance(value, (int, float)):
        assert float(xml_text) == pytest.approx(value), (where, xml_text)
    else:
        assert xml_text == value, (where, xml_text)


def _compare(element: ET.Element, value, where: str = "") -> None:
    if isinstance(value, dict):
        names = [child.tag for child in element]
        assert sorted(names) == sorted(value), (where, names, list(value))
        for name, child_value in value.items():
            _compare(element.find(name), child_value, f"{where}/{name}")
    elif isinstance(value, list):
        children = list(element)
        assert len(children) == len(value), (where, len(children), len(value))
        for i, (child, item) in enumerate(zip(children, value)):
            _compare(child, item, f"{where}[{i}]")
    else:
        _same(element.text, value, where)


def both(client, path: str, root: str, item_tag: str | None, schema: str | None,
         expect: int = 200, **params):
    """GET path.json and path.xml; validate the JSON, match the XML to it; the JSON."""
    as_json = client.get(f"{BASE}/{path}.json", query_string=params)
    assert as_json.status_code == expect, as_json.get_data(as_text=True)
    assert as_json.content_type.startswith("application/json")
    data = as_json.get_json()
    if schema:
        validate(data, schema)
    as_xml = client.get(f"{BASE}/{path}.xml", query_string=params)
    assert as_xml.status_code == expect
    assert as_xml.content_type.startswith("text/xml")
    tree = ET.fromstring(as_xml.data)
    assert tree.tag == root
    if item_tag:
        assert all(child.tag == item_tag for child in tree)
    _compare(tree, data, root)
    return data


def error_of(response, status: int, fmt: str = "json") -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    if fmt == "xml":
        tree = ET.fromstring(response.data)
        assert tree.tag == "errors" and [e.tag for e in tree] == ["error"]
        assert tree.find("error/code").text == str(status)
        return tree.find("error/description").text
    body = response.get_json()
    assert isinstance(body, list) and len(body) == 1 and body[0]["code"] == status
    assert set(body[0]) == {"code", "description"} and body[0]["description"]
    return body[0]["description"]


# --- the world -----------------------------------------------------------------------------

@pytest.fixture
def world(ctx):
    return build_world()


@pytest.fixture
def key(world):
    raw, _ = o311.create_key("FixMyStreet 成都")
    db.session.commit()
    return raw


@pytest.fixture
def no_checks(app, monkeypatch):
    """WeChat not configured: nothing to check, reports are public at once."""
    monkeypatch.setitem(app.config, "WECHAT_APPID", "")


def file(client, key, fmt="json", **form):
    body = {"api_key": key, "service_code": "0101", "description": "3栋楼道灯不亮",
            "lat": str(IN_A3[0]), "long": str(IN_A3[1])}
    body.update(form)
    body = {k: v for k, v in body.items() if v is not None}
    return client.post(f"{BASE}/requests.{fmt}", data=body)


def _flow(client, world, ticket_id, note="已更换灯泡"):
    h = world.h
    assert client.post(f"/api/v1/tickets/{ticket_id}/accept", json={},
                       headers=h("staff_a")).status_code == 200
    assert client.post(f"/api/v1/tickets/{ticket_id}/dispatch",
                       json={"assignee_id": world.worker_a.id},
                       headers=h("staff_a")).status_code == 200
    assert client.post(f"/api/v1/tickets/{ticket_id}/resolve", json={"note": note},
                       headers=h("worker_a")).status_code == 200


# --- discovery and services ----------------------------------------------------------------

def test_discovery_names_the_endpoint_and_its_formats(client, world):
    data = both(client, "discovery", "discovery", None, None)
    endpoint = data["endpoints"][0]
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}


def test_services_are_the_public_leaf_categories_grouped_by_their_parent(client, world):
    data = both(client, "services", "services", "service", "services.json")
    codes = [s["service_code"] for s in data]
    assert "0101" in codes and "0503" in codes
    # private categories (电瓶车被盗, 邻里纠纷) and the 大类 themselves never appear
    assert "0401" not in codes and "0502" not in codes and "01" not in codes
    light = next(s for s in data if s["service_code"] == "0101")
    assert light == {"service_code": "0101", "service_name": "楼道灯损坏",
                     "description": "Stairwell light broken", "metadata": False,
                     "type": "realtime", "keywords": "Stairwell light broken,公共设施",
                     "group": "公共设施"}


def test_service_definitions_have_no_attributes_and_private_ones_are_unknown(client, world):
    data = both(client, "services/0101", "service_definition", None,
                "service-definition.json")
    assert data == {"service_code": "0101", "attributes": []}
    for code in ("0401", "01", "9999", "x.y"):
        error_of(client.get(f"{BASE}/services/{code}.json"), 404)
        error_of(client.get(f"{BASE}/services/{code}.xml"), 404, "xml")


# --- filing and reading back ---------------------------------------------------------------

def test_a_request_filed_by_form_reads_back_by_id_and_in_the_list(client, world, key, no_checks):
    response = file(client, key, email="citizen@example.com", first_name="Ada",
                    phone="13911112222", media_url="https://example.com/p.jpg",
                    address_string="晋阳路 5 栋 2 单元")
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer[0]["service_request_id"] and answer[0]["account_id"] is None
    assert "受理" in answer[0]["service_notice"]
    rid = answer[0]["service_request_id"]
    xml = ET.fromstring(file(client, key, fmt="xml").data)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text

    one = both(client, f"requests/{rid}", "service_requests", "request", "requests.json")
    assert len(one) == 1
    item = one[0]
    assert item["service_request_id"] == rid and item["status"] == "open"
    assert item["service_code"] == "0101" and item["service_name"] == "楼道灯损坏"
    assert item["description"] == "3栋楼道灯不亮"
    assert item["address"] == world.places["a3"].name  # the cell, never the building
    assert item["lat"] == round(IN_A3[0], 3) and item["long"] == round(IN_A3[1], 3)
    assert item["expected_datetime"] and item["requested_datetime"].endswith("+08:00")
    listed = both(client, "requests", "service_requests", "request", "requests.json")
    assert rid in [r["service_request_id"] for r in listed]
    # the ticket: filed by the key's client account, in its cell, the extras kept for staff
    ticket = db.session.get(Ticket, int(rid))
    key_row = db.session.execute(sa.select(Open311Key)).scalar_one()
    assert ticket.reporter_id == key_row.user_id and ticket.source == "open311"
    assert ticket.place_id == world.places["a3"].id and ticket.state == "submitted"
    assert ticket.address == "晋阳路 5 栋 2 单元"
    created = db.session.execute(sa.select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id)).scalars().first()
    assert created.data["open311"]["media_url"] == "https://example.com/p.jpg"
    assert created.data["open311"]["contact"]["email"] == "citizen@example.com"
    assert key_row.last_used_at is not None
    # the token is the request id (filing is synchronous)
    tokens = both(client, f"tokens/{rid}", "service_requests", "request", None)
    assert tokens == [{"service_request_id": rid, "token": rid}]
    # what was only for staff is nowhere in any answer
    for fmt in ("json", "xml"):
        for path in (f"requests/{rid}", "requests"):
            text = client.get(f"{BASE}/{path}.{fmt}").get_data(as_text=True)
            for secret in ("citizen@example.com", "13911112222", "Ada", "example.com/p.jpg",
                           "2 单元", "Open311 FixMyStreet", key):
                assert secret not in text, (path, fmt, secret)


def test_an_address_string_naming_a_grid_place_locates_the_request(client, world, key,
                                                                   no_checks):
    response = file(client, key, lat=None, long=None, address_string="A 三级网格 2")
    assert response.status_code == 201, response.get_json()
    ticket = db.session.get(Ticket, int(response.get_json()[0]["service_request_id"]))
    assert ticket.place_id == world.places["a3b"].id
    assert "lat and long" in error_of(
        file(client, key, lat=None, long=None, address_string="不存在的地方"), 400)


def test_status_notes_agency_and_dates_follow_the_case(client, world, key, no_checks):
    ticket = report(client, world)
    rid = str(ticket["id"])
    item = both(client, f"requests/{rid}", "service_requests", "request", "requests.json")[0]
    assert item["status"] == "open" and item["status_notes"] is None
    assert item["agency_responsible"] is None
    _flow(client, world, ticket["id"], note="已更换灯泡")
    # a supplement by the reporter is never a status note
    client.post(f"/api/v1/tickets/{ticket['id']}/supplements", json={"note": "补充：二楼也坏了"},
                headers=world.h("reporter"))
    item = both(client, f"requests/{rid}", "service_requests", "request", "requests.json")[0]
    assert item["status"] == "open" and item["status_notes"] == "已更换灯泡"
    assert item["agency_responsible"] == "李师傅"
    client.post(f"/api/v1/tickets/{ticket['id']}/close", json={"note": "核查通过"},
                headers=world.h("staff_a"))
    item = both(client, f"requests/{rid}", "service_requests", "request", "requests.json")[0]
    closed_at = db.session.get(Ticket, ticket["id"]).closed_at
    assert item["status"] == "closed" and item["status_notes"] == "核查通过"
    assert item["expected_datetime"] is None
    assert datetime.fromisoformat(item["updated_datetime"]) == closed_at.replace(microsecond=0)
    # the reporter reopens it (unsatisfied within 7 days): the closing note no longer holds
    reopened = client.post(f"/api/v1/tickets/{ticket['id']}/rating",
                           json={"rating": "unsatisfied", "comment": "灯还是不亮"},
                           headers=world.h("reporter"))
    assert reopened.status_code == 200 and reopened.get_json()["state"] == "accepted"
    item = both(client, f"requests/{rid}", "service_requests", "request", "requests.json")[0]
    assert item["status"] == "open" and item["status_notes"] is None
    assert item["agency_responsible"] is None and item["expected_datetime"]
    # a department handles manhole covers
    manhole = report(client, world, category="井盖缺失")
    client.post(f"/api/v1/tickets/{manhole['id']}/accept", json={}, headers=world.h("staff_a"))
    client.post(f"/api/v1/tickets/{manhole['id']}/dispatch",
                json={"department_id": world.cats["井盖缺失"].department_id},
                headers=world.h("staff_a"))
    item = both(client, f"requests/{manhole['id']}", "service_requests", "request",
                "requests.json")[0]
    assert item["agency_responsible"] == "武侯区排水管理所"
    assert datetime.fromisoformat(item["expected_datetime"]) == \
        db.session.get(Ticket, manhole["id"]).due_at.replace(microsecond=0)


def test_media_url_is_an_absolute_signed_thumbnail(client, world, no_checks):
    photo = f.upload(world.reporter)
    ticket = report(client, world, photo_ids=[photo.id])
    item = both(client, f"requests/{ticket['id']}", "service_requests", "request",
                "requests.json")[0]
    assert item["media_url"].startswith(f"http://localhost/media/{photo.id}/thumb?")
    fetched = client.get(item["media_url"].replace("http://localhost", ""))
    assert fetched.status_code == 200 and fetched.content_type.startswith("image/")


# --- the list and its filters --------------------------------------------------------------

def test_filters_by_ids_service_status_and_dates(client, world, key, no_checks):
    light = report(client, world)
    noise = report(client, world, category="噪音扰民", where=IN_B3)
    done = report(client, world)
    _flow(client, world, done["id"])
    client.post(f"/api/v1/tickets/{done['id']}/close", json={}, headers=world.h("staff_a"))
    old = report(client, world)
    db.session.get(Ticket, old["id"]).created_at = utcnow() - timedelta(days=120)
    db.session.commit()

    def ids(**params):
        data = both(client, "requests", "service_requests", "request", "requests.json",
                    **params)
        return [int(r["service_request_id"]) for r in data]

    assert ids() == [done["id"], noise["id"], light["id"]]  # the last 90 days, newest first
    assert ids(service_code="0501") == [noise["id"]]
    assert ids(service_code="0101,0501", status="open") == [noise["id"], light["id"]]
    assert ids(status="closed") == [done["id"]]
    assert ids(status="open,closed") == [done["id"], noise["id"], light["id"]]
    # ids: every other filter is ignored; unknown and malformed ids are left out
    assert ids(service_request_id=f"{light['id']},{old['id']},999999,abc",
               service_code="0501") == [old["id"], light["id"]]
    then = utcnow() - timedelta(days=130)
    assert ids(start_date=then.isoformat(), end_date=(then + timedelta(days=89)).isoformat()) \
        == [old["id"]]
    assert ids(start_date=then.isoformat()) == [old["id"]]  # start + 90 days
    assert ids(end_date=(utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")) == \
        [done["id"], noise["id"], light["id"]]  # naive: Asia/Shanghai
    assert ids(start_date="2020-01-01T00:00:00Z", end_date="2020-02-01T00:00:00Z") == []


def test_bad_filters_are_400_in_the_error_list(client, world):
    now = utcnow()
    cases = [
        {"start_date": "yesterday"},
        {"end_date": "2026-13-40"},
        {"start_date": (now - timedelta(days=91)).isoformat(), "end_date": now.isoformat()},
        {"start_date": now.isoformat(), "end_date": (now - timedelta(days=1)).isoformat()},
        {"status": "pending"},
        {"service_code": "9999"},
        {"service_code": "0401"},  # private: as unknown as a code that does not exist
        {"service_request_id": ",".join(str(i) for i in range(1, 102))},
    ]
    for params in cases:
        error_of(client.get(f"{BASE}/requests.json", query_string=params), 400)
        error_of(client.get(f"{BASE}/requests.xml", query_string=params), 400, "xml")


def test_private_rejected_and_held_requests_never_appear(client, world, key, fake_wechat):
    # held: WeChat's check is on and needs an openid a client account lacks
    held = file(client, key)
    assert held.status_code == 201
    held_id = held.get_json()[0]["service_request_id"]
    assert db.session.get(Ticket, int(held_id)).content_status == "review"
    private = report(client, world, category="电瓶车被盗")
    fake_wechat.reset()
    rejected = report(client, world)
    client.post(f"/api/v1/tickets/{rejected['id']}/reject", json={"reason": "不属于受理范围"},
                headers=world.h("staff_a"))
    visible = report(client, world)
    hidden = [held_id, str(private["id"]), str(rejected["id"])]
    listed = both(client, "requests", "service_requests", "request", "requests.json")
    assert [r["service_request_id"] for r in listed] == [str(visible["id"])]
    by_id = both(client, "requests", "service_requests", "request", "requests.json",
                 service_request_id=",".join(hidden + [str(visible["id"])]))
    assert [r["service_request_id"] for r in by_id] == [str(visible["id"])]
    for rid in hidden:
        error_of(client.get(f"{BASE}/requests/{rid}.json"), 404)
        error_of(client.get(f"{BASE}/requests/{rid}.xml"), 404, "xml")
        error_of(client.get(f"{BASE}/tokens/{rid}.json"), 404)
    # once staff release it, the held request appears
    released = client.post(f"/api/v1/tickets/{held_id}/release", json={"note": "已核实"},
                           headers=world.h("staff_a"))
    assert released.status_code == 200
    assert client.get(f"{BASE}/requests/{held_id}.json").status_code == 200


def test_reporters_and_their_contacts_appear_in_no_answer(client, world, no_checks):
    ticket = report(client, world, description="楼道灯坏了", address="晋阳路 5 栋",
                    building="5栋", unit="2单元")
    _flow(client, world, ticket["id"])
    reporter = world.reporter
    for fmt in ("json", "xml"):
        for path in (f"requests/{ticket['id']}", "requests", "services", "discovery"):
            text = client.get(f"{BASE}/{path}.{fmt}").get_data(as_text=True)
            for secret in (reporter.display_name, reporter.phone, reporter.openid,
                           "晋阳路 5 栋", "2单元", world.worker_a.phone or "13-no-phone"):
                assert secret not in text, (path, fmt, secret)


# --- errors on filing ----------------------------------------------------------------------

def test_filing_errors(client, world, key, no_checks):
    assert "not provided" in error_of(file(client, None), 403)
    error_of(file(client, None, fmt="xml"), 403, "xml")
    error_of(file(client, "o311_wrong"), 403)
    cases = [
        ({"service_code": None}, "service_code"),
        ({"service_code": "9999"}, "service_code"),
        ({"service_code": "0401"}, "service_code"),   # private
        ({"service_code": "01"}, "service_code"),     # a 大类 is not a service
        ({"description": "x" * 4001}, "description"),
        ({"description": "  "}, "description"),
        ({"lat": None, "long": None}, "location"),
        ({"long": None}, "lat and long"),
        ({"lat": "北纬"}, "lat"),
        ({"lat": "91"}, "lat"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
    ]
    for form, word in cases:
        description = error_of(file(client, key, **form), 400)
        assert word in description, (form, description)
        error_of(file(client, key, fmt="xml", **form), 400, "xml")
    assert file(client, key, description="y" * 4000).status_code == 201
    assert db.session.execute(sa.select(sa.func.count()).select_from(Ticket)).scalar_one() == 1
    # outside every cell: filed, waiting for manual triage
    outside = file(client, key, lat=str(OUTSIDE[0]), long=str(OUTSIDE[1]))
    assert outside.status_code == 201
    assert db.session.get(Ticket, int(outside.get_json()[0]["service_request_id"])).needs_triage


def test_a_revoked_key_is_refused(client, world, key, no_checks):
    assert file(client, key).status_code == 201
    key_row = db.session.execute(sa.select(Open311Key)).scalar_one()
    o311.revoke_key(key_row.id)
    db.session.commit()
    assert "invalid" in error_of(file(client, key), 403)


def test_unknown_requests_and_paths(client, world):
    for rid in ("999999", "abc", "0", "99999999999"):
        error_of(client.get(f"{BASE}/requests/{rid}.json"), 404)
        error_of(client.get(f"{BASE}/requests/{rid}.xml"), 404, "xml")
        error_of(client.get(f"{BASE}/tokens/{rid}.json"), 404)
    error_of(client.delete(f"{BASE}/requests.json"), 405)
    error_of(client.put(f"{BASE}/services.xml"), 405, "xml")
    error_of(client.get(f"{BASE}/requests.csv"), 404)
    error_of(client.get(f"{BASE}/nothing.xml"), 404, "xml")
    # elsewhere, Linli's own error shape is untouched
    assert "error" in client.get("/api/v1/nothing").get_json()
    assert "error" in client.delete("/api/v1/categories").get_json()


def test_filing_is_rate_limited_per_key(app, client, world, key, no_checks, monkeypatch):
    monkeypatch.setitem(app.config, "OPEN311_RATE_LIMIT", "2/minute")
    assert file(client, key).status_code == 201
    assert file(client, key).status_code == 201
    limited = file(client, key)
    error_of(limited, 429)
    assert limited.headers.get("Retry-After")
    error_of(file(client, key, fmt="xml"), 429, "xml")
    # another client's key has its own allowance; made-up keys share the address's
    other, _ = o311.create_key("另一个客户端")
    db.session.commit()
    assert file(client, other).status_code == 201
    assert file(client, "o311_made_up_1").status_code == 403
    assert file(client, "o311_made_up_2").status_code == 403
    error_of(file(client, "o311_made_up_3"), 429)


def test_reading_is_rate_limited_per_address(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "OPEN311_READ_RATE_LIMIT", "2/minute")
    assert client.get(f"{BASE}/services.json").status_code == 200
    assert client.get(f"{BASE}/services.xml").status_code == 200
    error_of(client.get(f"{BASE}/services.xml"), 429, "xml")
    # another address has its own allowance
    other = client.get(f"{BASE}/services.json", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_the_xml_answer_to_filing_matches_the_json_one(client, world, key, no_checks):
    as_json = file(client, key).get_json()
    response = file(client, key, fmt="xml")
    assert response.status_code == 201 and response.content_type.startswith("text/xml")
    tree = ET.fromstring(response.data)
    assert tree.tag == "service_requests" and [c.tag for c in tree] == ["request"]
    item = tree.find("request")
    assert sorted(c.tag for c in item) == sorted(as_json[0])
    assert int(item.find("service_request_id").text) == int(as_json[0]["service_request_id"]) + 1
    assert item.find("account_id").text is None and "受理" in item.find("service_notice").text
