"""更正 (issue 19.2): staff change a case's category and priority with a reason; the
deadline, privacy, department and statistics follow; the timeline says who, when and why;
raising the priority to urgent alerts (19.3). The API and the console's form."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core.models import utcnow
from backend.extensions import db
from backend.notify.models import OutboxMessage
from backend.tickets import operations as ops
from backend.tickets.models import State, Ticket, TicketEvent
from tests.tickets_world import build_world, report


def recategorize(client, world, ticket_id, who="staff_a", headers=None, **body):
    body.setdefault("reason", "现场核实后更正")
    return client.post(f"/api/v1/tickets/{ticket_id}/recategorize", json=body,
                       headers={**world.h(who), **(headers or {})})


def ticket(ticket_id) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


# who → status (404: the ticket is not theirs to see)
RECATEGORIZE_MATRIX = [("reporter", 403), ("neighbour", 403), ("worker_a", 403),
                       ("staff_a", 200), ("staff_b", 404), ("street", 200), ("admin", 200)]


@pytest.mark.parametrize("who,status", RECATEGORIZE_MATRIX)
def test_who_may_recategorize(client, ctx, who, status):
    world = build_world()
    ticket_id = report(client, world)["id"]
    response = recategorize(client, world, ticket_id, who=who,
                            category_id=world.cats["下水道堵塞"].id)
    assert response.status_code == status, response.get_json()
    expected = "下水道堵塞" if status == 200 else "楼道灯损坏"
    assert ticket(ticket_id).category.name == expected


def test_a_submitted_case_takes_the_new_categorys_accept_deadline_and_privacy(client, ctx):
    world = build_world()
    ticket_id = report(client, world)["id"]
    before = ticket(ticket_id)
    created = before.created_at
    new = world.cats["电瓶车被盗"]  # private, accept in 2 working hours
    response = recategorize(client, world, ticket_id, category_id=new.id,
                            headers={"If-Match": f'"{before.version}"'})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["category"]["name"] == "电瓶车被盗" and body["is_private"] is True
    after = ticket(ticket_id)
    assert after.accept_due_at == ops._due(created, new.accept_hours, new)
    assert after.due_at == after.accept_due_at
    assert after.warn_at == ops._warn(created, new.accept_hours, new)
    # private now: gone from the public list
    public = client.get("/api/v1/public/tickets").get_json()["items"]
    assert ticket_id not in [t["id"] for t in public]
    event = body["events"][-1]
    assert event["kind"] == "correction" and event["note"] == "现场核实后更正"
    assert event["data"]["from_category"] == world.cats["楼道灯损坏"].id
    assert event["data"]["to_category"] == new.id
    assert event["data"]["from_priority"] == event["data"]["to_priority"] == "normal"
    assert event["text"] == "更正分类：楼道灯损坏 → 电瓶车被盗（现场核实后更正）"
    assert event["actor_name"] == world.staff_a.display_name


def test_a_case_in_hand_takes_the_resolve_deadline_from_its_acceptance(client, ctx):
    world = build_world()
    ticket_id = report(client, world)["id"]
    client.post(f"/api/v1/tickets/{ticket_id}/accept", json={}, headers=world.h("staff_a"))
    row = ticket(ticket_id)
    row.accepted_at = utcnow() - timedelta(days=3)
    row.resolve_due_at = row.due_at = utcnow() - timedelta(hours=1)  # overdue
    row.reminded_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    new = world.cats["道路破损"]  # 80 working hours: no longer overdue
    assert recategorize(client, world, ticket_id, category_id=new.id).status_code == 200
    after = ticket(ticket_id)
    assert after.resolve_due_at == ops._due(after.accepted_at, new.resolve_hours, new)
    assert after.due_at == after.resolve_due_at and not after.is_overdue()
    assert after.reminded_at is None


def test_a_case_dispatched_to_the_old_department_goes_to_the_new_one(client, ctx):
    world = build_world()
    ticket_id = report(client, world, category="道路破损")["id"]
    old_department = world.cats["道路破损"].department_id
    client.post(f"/api/v1/tickets/{ticket_id}/accept", json={}, headers=world.h("staff_a"))
    client.post(f"/api/v1/tickets/{ticket_id}/dispatch", json={"department_id": old_department},
                headers=world.h("staff_a"))
    manhole = world.cats["井盖缺失"]
    response = recategorize(client, world, ticket_id, category_id=manhole.id)
    assert response.status_code == 200, response.get_json()
    after = ticket(ticket_id)
    assert after.department_id == manhole.department_id != old_department
    assert after.state == State.dispatched.value
    kinds = [e["kind"] for e in response.get_json()["events"]]
    assert kinds[-3:] == ["correction", "transition", "alert"]  # re-dispatch, then urgent
    assert after.priority == "urgent"


def test_a_case_not_dispatched_yet_is_auto_dispatched_by_its_new_category(client, ctx):
    from backend.tickets.models import CommunitySettings

    world = build_world()
    ticket_id = report(client, world)["id"]
    recategorize(client, world, ticket_id, category_id=world.cats["占道经营"].id)
    db.session.add(CommunitySettings(place_id=world.places["a"].id, auto_dispatch=True))
    db.session.commit()
    client.post(f"/api/v1/tickets/{ticket_id}/accept", json={}, headers=world.h("staff_a"))
    assert ticket(ticket_id).department_id == world.cats["占道经营"].department_id


def test_statistics_follow_the_new_category(client, ctx):
    world = build_world()
    ticket_id = report(client, world)["id"]
    recategorize(client, world, ticket_id, category_id=world.cats["下水道堵塞"].id)
    today = utcnow().date()
    query = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    stats = client.get(f"/api/v1/stats/tickets?{query}", headers=world.h("staff_a"))
    assert stats.status_code == 200, stats.get_json()
    by_category = {row["name"]: row["total"] for row in stats.get_json()["by_category"]}
    assert by_category.get("下水道堵塞") == 1 and not by_category.get("楼道灯损坏")


def test_raising_the_priority_to_urgent_alerts_once(client, ctx):
    world = build_world()
    ticket_id = report(client, world)["id"]
    response = recategorize(client, world, ticket_id, priority="urgent", reason="老人被困")
    assert response.status_code == 200
    body = response.get_json()
    assert body["priority"] == "urgent"
    assert body["events"][-2]["text"] == "紧急程度：一般 → 紧急（老人被困）"
    alerted = set(db.session.execute(sa.select(OutboxMessage.user_id).where(
        OutboxMessage.kind == "ticket_urgent")).scalars())
    assert alerted == {world.worker_a.id, world.staff_a.id, world.street.id}
    # the category changing while it stays urgent alerts nobody again
    recategorize(client, world, ticket_id, category_id=world.cats["下水道堵塞"].id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "ticket_urgent")) == len(alerted)


@pytest.mark.parametrize("body,field", [
    ({"reason": ""}, "reason"), ({"reason": "   ", "priority": "urgent"}, "reason"),
    ({"priority": "high"}, "priority"), ({"category_id": 999999}, "category_id"),
    ({}, "category_id"),  # nothing to change
])
def test_a_correction_that_is_not_one_is_a_422_on_its_field(client, ctx, body, field):
    world = build_world()
    ticket_id = report(client, world)["id"]
    body = {"reason": "更正", **body}
    response = client.post(f"/api/v1/tickets/{ticket_id}/recategorize", json=body,
                           headers=world.h("staff_a"))
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["error"]["fields"]) == [field]


def test_a_stale_version_or_a_finished_case_is_refused(client, ctx):
    world = build_world()
    ticket_id = report(client, world)["id"]
    stale = recategorize(client, world, ticket_id, priority="urgent",
                         headers={"If-Match": '"99"'})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale_version"
    client.post(f"/api/v1/tickets/{ticket_id}/reject", json={"reason": "重复"},
                headers=world.h("staff_a"))
    done = recategorize(client, world, ticket_id, priority="urgent")
    assert done.status_code == 409
    assert done.get_json()["error"]["code"] == "transition_refused"


def test_the_reporter_reads_the_correction_on_the_timeline(client, ctx):
    world = build_world()
    ticket_id = report(client, world)["id"]
    recategorize(client, world, ticket_id, category_id=world.cats["下水道堵塞"].id)
    own = client.get(f"/api/v1/tickets/{ticket_id}", headers=world.h("reporter")).get_json()
    line = [e for e in own["events"] if e["kind"] == "correction"][0]
    assert line["text"].startswith("更正分类：楼道灯损坏 → 下水道堵塞")
    assert "data" not in line and line["actor_role"] == "staff"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent).where(
        TicketEvent.kind == "correction")) == 1


def test_the_workflow_lists_recategorize_for_staff_only():
    from backend.tickets import workflow

    action = next(a for a in workflow.ACTIONS if a.name == "recategorize")
    assert action.listed and action.who == frozenset({"staff"})
    assert "recategorize" in workflow.CONSOLE_ACTIONS
