"""登记 (issue 19.1): staff file a case through POST /api/v1/tickets for a phone caller, a
walk-in or a 12345 transfer; the resident lookup; masking of the caller's phone; the
source filter; urgent alerts on every creation path (19.3)."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.notify.models import OutboxMessage
from backend.tickets.models import CommunitySettings, Ticket, TicketEvent
from tests import factories as f
from tests.tickets_world import IN_A3, OUTSIDE, build_world, report

CALLER = "13800000001"


def intake_body(world, category="楼道灯损坏", where=IN_A3, **extra) -> dict:
    body = {"category_id": world.cats[category].id, "description": "来电反映：5栋楼道灯不亮",
            "lat": where[0], "lng": where[1], "address": "晋阳路 5 栋", "source": "phone",
            "caller_name": "张先生", "caller_phone": CALLER}
    body.update(extra)
    return body


def file(client, world, who="staff_a", **extra):
    return client.post("/api/v1/tickets", json=intake_body(world, **extra),
                       headers=world.h(who))


def outbox(kind: str) -> list[OutboxMessage]:
    return list(db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
                                   .order_by(OutboxMessage.id)).scalars())


# --- who may file where: a table -----------------------------------------------------

# who, where → status, state (None: refused), the field an error names
INTAKE_MATRIX = [
    ("reporter", IN_A3, 422, None, "source"),     # a resident sending staff-only fields
    ("worker_a", IN_A3, 403, None, None),          # workers file patrol reports instead
    ("staff_a", IN_A3, 201, "accepted", None),     # a cell of their community
    ("staff_b", IN_A3, 403, None, "lat"),          # a cell of another community
    ("street", IN_A3, 201, "accepted", None),      # inside the street
    ("admin", IN_A3, 201, "accepted", None),
    ("staff_a", OUTSIDE, 403, None, "lat"),        # community staff do not triage
    ("street", OUTSIDE, 201, "submitted", None),   # waits for triage
    ("admin", OUTSIDE, 201, "submitted", None),
]


@pytest.mark.parametrize("who,where,status,state,field", INTAKE_MATRIX)
def test_who_may_file_a_case_where(client, ctx, who, where, status, state, field):
    world = build_world()
    response = file(client, world, who=who, where=where)
    body = response.get_json()
    assert response.status_code == status, body
    if state is None:
        if field:
            assert list(body["error"]["fields"]) == [field], body
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
        return
    assert body["state"] == state
    assert body["needs_triage"] is (state == "submitted")
    assert body["source"] == "phone" and body["source_name"] == "电话"
    assert body["caller_phone"] == CALLER  # the staff case page: in full
    ticket = db.session.get(Ticket, body["id"])
    assert ticket.filed_by_id == getattr(world, who).id and ticket.reporter_id is None
    event = db.session.execute(sa.select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id)).scalars().first()
    assert (event.from_state, event.to_state, event.actor_role) == (None, state, "staff")
    assert event.data["source"] == "phone" and event.data["filed_by"] == ticket.filed_by_id


@pytest.mark.parametrize("field,value", [
    ("source", "phone"), ("external_ref", "123"), ("caller_name", "张"),
    ("caller_phone", CALLER), ("priority", "urgent"), ("resident_id", 1)])
def test_a_resident_sending_a_staff_only_field_gets_a_422_on_it(client, ctx, field, value):
    world = build_world()
    body = {"category_id": world.cats["楼道灯损坏"].id, "description": "楼道灯不亮",
            "lat": IN_A3[0], "lng": IN_A3[1], field: value}
    response = client.post("/api/v1/tickets", json=body, headers=world.h("reporter"))
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [field]
    assert "工作人员" in response.get_json()["error"]["fields"][field][0]


def test_a_resident_keeps_their_own_flow(client, ctx):
    world = build_world()
    body = report(client, world)
    assert body["state"] == "submitted"
    assert db.session.get(Ticket, body["id"]).source == "resident"


# --- the fields ------------------------------------------------------------------------

def test_staff_must_name_the_source(client, ctx):
    world = build_world()
    body = intake_body(world)
    del body["source"]
    response = client.post("/api/v1/tickets", json=body, headers=world.h("staff_a"))
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["source"]
    for bad in ("patrol", "resident", "open311", "fax"):
        response = file(client, world, source=bad)
        assert response.status_code == 422, bad
        assert list(response.get_json()["error"]["fields"]) == ["source"]


def test_a_12345_transfer_needs_its_number_once(client, ctx):
    world = build_world()
    missing = file(client, world, source="hotline")
    assert missing.status_code == 422
    assert list(missing.get_json()["error"]["fields"]) == ["external_ref"]
    refused = file(client, world, source="walk_in", external_ref="2026120500123")
    assert refused.status_code == 422
    assert list(refused.get_json()["error"]["fields"]) == ["external_ref"]

    first = file(client, world, source="hotline", external_ref="2026120500123")
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["external_ref"] == "2026120500123"
    assert first.get_json()["source_name"] == "12345 转办"
    again = file(client, world, who="street", source="hotline", external_ref="2026120500123")
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["code"] == "duplicate_work_order"
    assert error["ticket_id"] == first.get_json()["id"]
    assert f"#{first.get_json()['id']}" in error["fields"]["external_ref"][0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


@pytest.mark.parametrize("phone", ["abc", "1", "13800000001" * 3, "+86 abc"])
def test_a_caller_phone_that_is_not_one_is_refused(client, ctx, phone):
    world = build_world()
    response = file(client, world, caller_phone=phone)
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["caller_phone"]


def test_on_behalf_of_a_resident_who_then_follows_it(client, ctx):
    world = build_world()
    response = file(client, world, resident_id=world.reporter.id)
    assert response.status_code == 201, response.get_json()
    ticket_id = response.get_json()["id"]
    assert response.get_json()["reporter"]["id"] == world.reporter.id
    mine = client.get("/api/v1/me/tickets", headers=world.h("reporter")).get_json()
    assert [t["id"] for t in mine["items"]] == [ticket_id]
    own = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.h("reporter")).get_json()
    assert own["state"] == "accepted" and "caller_phone" not in own
    # a worker, a disabled resident or nobody is not a resident to file for
    gone = f.resident(name="搬走了")
    gone.is_active = False
    db.session.commit()
    for bad in (world.worker_a.id, gone.id, 999999):
        refused = file(client, world, resident_id=bad)
        assert refused.status_code == 422
        assert list(refused.get_json()["error"]["fields"]) == ["resident_id"]


def test_priority_defaults_from_the_category_and_staff_may_set_it(client, ctx):
    world = build_world()
    assert file(client, world).get_json()["priority"] == "normal"
    assert file(client, world, category="井盖缺失").get_json()["priority"] == "urgent"
    assert file(client, world, priority="urgent").get_json()["priority"] == "urgent"
    assert file(client, world, priority="low").status_code == 422


def test_an_intake_is_auto_dispatched_where_the_community_says_so(client, ctx):
    world = build_world()
    db.session.add(CommunitySettings(place_id=world.places["a"].id, auto_dispatch=True))
    db.session.commit()
    body = file(client, world).get_json()
    assert body["state"] == "dispatched" and body["assignee"]["id"] == world.worker_a.id


def test_an_intake_retried_with_its_key_files_one_case(client, ctx):
    world = build_world()
    headers = {**world.h("staff_a"), "Idempotency-Key": "intake-1"}
    first = client.post("/api/v1/tickets", json=intake_body(world), headers=headers)
    again = client.post("/api/v1/tickets", json=intake_body(world), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


# --- masking and the source filter ----------------------------------------------------

def test_the_caller_phone_is_masked_beyond_the_staff_case_page(client, ctx):
    world = build_world()
    ticket_id = file(client, world, resident_id=world.reporter.id).get_json()["id"]
    full = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.h("staff_a")).get_json()
    assert full["caller_phone"] == CALLER and full["reporter"]["phone"] == "13900000001"
    row = client.get("/api/v1/tickets", headers=world.h("staff_a")).get_json()["items"][0]
    assert row["caller_phone"] == "138****0001" and row["caller_name"] == "张先生"
    client.post(f"/api/v1/tickets/{ticket_id}/dispatch", headers=world.h("staff_a"),
                json={"assignee_id": world.worker_a.id})
    task = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.h("worker_a")).get_json()
    assert task["caller_phone"] == "138****0001"
    # the reporter consented to the handling worker seeing her phone: in full on the task
    assert task["reporter"]["phone"] == "13900000001"
    tasks = client.get("/api/v1/worker/tasks", headers=world.h("worker_a")).get_json()
    assert tasks["items"][0]["caller_phone"] == "138****0001"
    assert CALLER not in str(tasks) and "13900000001" not in str(tasks)
    exported = client.get("/api/v1/tickets/export.csv", headers=world.h("staff_a"))
    text = exported.get_data().decode("utf-8-sig")
    assert CALLER not in text
    rows = list(csv.reader(io.StringIO(text)))
    record = dict(zip(rows[0], rows[1]))
    assert record["联系电话"] == "138****0001" and record["来源"] == "电话"


def test_the_queue_filters_by_source(client, ctx):
    world = build_world()
    hotline = file(client, world, source="hotline", external_ref="A-1").get_json()["id"]
    walk_in = file(client, world, source="walk_in").get_json()["id"]
    own = report(client, world)["id"]

    def ids(query):
        body = client.get(f"/api/v1/tickets?{query}", headers=world.h("staff_a")).get_json()
        return sorted(t["id"] for t in body["items"])

    assert ids("source=hotline") == [hotline]
    assert ids("source=walk_in,resident") == sorted([walk_in, own])
    assert client.get("/api/v1/tickets?source=fax",
                      headers=world.h("staff_a")).status_code == 422


# --- the resident lookup ----------------------------------------------------------------

LOOKUP_MATRIX = [("reporter", 403), ("worker_a", 403), ("staff_a", 200), ("staff_b", 200),
                 ("street", 200), ("admin", 200)]


@pytest.mark.parametrize("who,status", LOOKUP_MATRIX)
def test_who_may_look_residents_up(client, ctx, who, status):
    world = build_world()
    response = client.get("/api/v1/residents?phone=13900000001", headers=world.h(who))
    assert response.status_code == status
    if status == 200:
        body = response.get_json()
        assert body["items"] == [{"id": world.reporter.id, "display_name": "王阿姨",
                                  "phone": "139****0001"}]
        assert body["next_cursor"] is None and body["total"] == 1


def test_the_lookup_is_exact_and_finds_active_residents_only(client, ctx):
    world = build_world()
    f.resident(name="同号的人", phone="13900000009").is_active = False
    f.worker([world.places["a2"]], name="网格员同号").phone = "13900000009"
    db.session.commit()

    def found(query):
        return client.get(f"/api/v1/residents?{query}",
                          headers=world.h("staff_a")).get_json()["items"]

    assert found("phone=13900000009") == []
    assert found("phone=1390000000") == []   # no prefix match
    assert found("") == []                   # no phone: no directory
    assert client.get("/api/v1/residents?phone=abc",
                      headers=world.h("staff_a")).status_code == 422


# --- urgent alerts on every creation path ----------------------------------------------

def _alerted(ticket_id: int) -> set[int]:
    return {m.user_id for m in outbox("ticket_urgent") if m.data["ticket_id"] == ticket_id}


def test_an_urgent_intake_alerts_the_cells_worker_and_the_communitys_staff(client, ctx):
    world = build_world()
    ticket_id = file(client, world, category="井盖缺失").get_json()["id"]
    assert _alerted(ticket_id) == {world.worker_a.id, world.staff_a.id, world.street.id}
    kinds = db.session.execute(sa.select(TicketEvent.kind).where(
        TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)).scalars().all()
    assert "alert" in kinds
    page = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.h("staff_a")).get_json()
    assert any(e["kind"] == "alert" and "紧急" in e["text"] for e in page["events"])
    # a normal case alerts nobody
    normal = file(client, world).get_json()["id"]
    assert _alerted(normal) == set()


def test_every_creation_path_alerts_an_urgent_case(client, ctx):
    world = build_world()
    resident = report(client, world, category="井盖缺失")
    assert resident["state"] == "submitted"
    assert world.worker_a.id in _alerted(resident["id"])
    assert any(e["kind"] == "alert" for e in resident["events"])
    patrol = client.post("/api/v1/worker/patrol-reports", headers=world.h("worker_a"), json={
        "category_id": world.cats["消防通道堵塞"].id, "description": "消防通道被车堵了",
        "lat": IN_A3[0], "lng": IN_A3[1]})
    assert patrol.status_code == 201
    assert world.staff_a.id in _alerted(patrol.get_json()["id"])
    assert patrol.get_json()["priority"] == "urgent"


def test_an_urgent_open311_request_alerts(client, ctx):
    from backend.open311 import operations as open311

    world = build_world()
    raw, _key = open311.create_key("city")
    db.session.commit()
    response = client.post("/open311/v2/requests.json", data={
        "api_key": raw, "service_code": "0102", "description": "井盖不见了",
        "lat": IN_A3[0], "long": IN_A3[1]})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    ticket_id = int(response.get_json()[0]["service_request_id"])
    assert db.session.get(Ticket, ticket_id).priority == "urgent"
    assert world.staff_a.id in _alerted(ticket_id)


def test_the_urgent_notification_has_a_subscribe_template():
    from backend.notify.templates import TEMPLATE_OF_KIND

    assert TEMPLATE_OF_KIND["ticket_urgent"] == "task"
