"""Journey 4, end to end through the HTTP API on the demo community: the closed loop of a
case as a community office runs it (issue 19). A 12345 transfer about a missing manhole
cover is filed by 张 for 王阿姨, who gave her phone by WeChat's button; the urgent case
alerts at once, turns yellow, runs late (催办), escalates to the street (督办), gets a new
deadline from the street, is resolved with a far check-in, closes itself when 王阿姨 does
not rate, and is reopened by her 不满意 — which counts against the worker who resolved it
and shows in the community's public 三率."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from backend.accounts.models import User
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.notify.models import OutboxMessage
from backend.tickets import deadlines
from backend.tickets.models import Ticket, TicketEvent
from backend.tickets.settings import for_place_code
from tests.test_journeys import YARD, _category, _h, _login, _photo, _staff

# Monday 2 March 2026, 10:00 in Chengdu: a working day
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI).astimezone(timezone.utc)


@pytest.fixture
def demo(app, ctx):
    from backend.demo import operations as demo_ops

    demo_ops.seed(with_tickets=False)
    db.session.commit()
    return demo_ops


@pytest.fixture
def clock(monkeypatch):
    """Move the clock of every module of the case loop."""
    def at(moment: datetime) -> datetime:
        for name, module in list(sys.modules.items()):
            if name.startswith("backend.tickets") and hasattr(module, "utcnow"):
                monkeypatch.setattr(module, "utcnow", lambda: moment)
        return moment
    return at


def _kinds_to(user_id: int) -> list[str]:
    return list(db.session.execute(sa.select(OutboxMessage.kind).where(
        OutboxMessage.user_id == user_id).order_by(OutboxMessage.id)).scalars())


def _events(ticket_id: int) -> list[str]:
    return list(db.session.execute(sa.select(TicketEvent.kind).where(
        TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)).scalars())


def _ticket(ticket_id: int) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def test_journey_4_a_12345_case_runs_the_whole_loop(client, demo, fake_wechat, clock, app,
                                                    tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    clock(MONDAY)
    # 王阿姨 gives her phone with WeChat's button, having read the consent text
    wang = _login(client, "demo-resident-wang")
    consent = client.get("/api/v1/me/phone/consent", headers=_h(wang)).get_json()
    given = client.post("/api/v1/me/phone", headers=_h(wang), json={
        "code": fake_wechat.issue_phone_code("13700001111"), "consent": True,
        "consent_version": consent["version"]})
    assert given.status_code == 200, given.get_json()
    assert client.get("/api/v1/me", headers=_h(wang)).get_json()["phone"] == "13700001111"

    # 1. 张 takes a 12345 transfer; she finds 王阿姨 by the phone the caller gave
    zhang = _staff(client, "zhang", "linli-staff-demo")
    found = client.get("/api/v1/residents?phone=13700001111", headers=_h(zhang)).get_json()
    assert [r["display_name"] for r in found["items"]] == ["王阿姨"]
    assert found["items"][0]["phone"] == "137****1111"
    manhole = _category(client, zhang, "井盖缺失")
    body = {"source": "hotline", "external_ref": "CD12345-20260302-0042",
            "caller_name": "王阿姨", "caller_phone": "13700001111",
            "resident_id": found["items"][0]["id"], "category_id": manhole,
            "description": "晋阳小区北门人行道井盖不见了，很危险", "lat": YARD[0], "lng": YARD[1],
            "address": "晋阳小区北门"}
    filed = client.post("/api/v1/tickets", headers=_h(zhang), json=body)
    assert filed.status_code == 201, filed.get_json()
    case = filed.get_json()
    assert case["priority"] == "urgent" and case["source"] == "hotline"
    assert case["state"] in ("accepted", "dispatched")
    again = client.post("/api/v1/tickets", headers=_h(zhang), json=body)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "duplicate_work_order"
    ticket_id = case["id"]

    # the urgent case alerted the cell's worker and the community's staff at once
    li = db.session.execute(sa.select(User).where(User.openid == "demo-worker-li")).scalar_one()
    staff_zhang = db.session.execute(sa.select(User).where(User.username == "zhang")).scalar_one()
    assert "ticket_urgent" in _kinds_to(li.id)
    assert "ticket_urgent" in _kinds_to(staff_zhang.id)
    assert "alert" in _events(ticket_id)
    # the caller's phone: masked in the queue, in full on the staff case page
    rows = client.get("/api/v1/tickets?source=hotline", headers=_h(zhang)).get_json()["items"]
    assert [(r["id"], r["caller_phone"]) for r in rows] == [(ticket_id, "137****1111")]
    page = client.get(f"/api/v1/tickets/{ticket_id}", headers=_h(zhang)).get_json()
    assert page["caller_phone"] == "13700001111"
    # 王阿姨 follows it in 我的
    mine = client.get("/api/v1/me/tickets", headers=_h(wang)).get_json()["items"]
    assert ticket_id in [t["id"] for t in mine]

    # 2. 张 sends it to 李师傅 (the cell's worker) rather than the drainage office
    version = page["version"]
    sent = client.post(f"/api/v1/tickets/{ticket_id}/dispatch",
                       headers=_h(zhang, **{"If-Match": f'"{version}"'}),
                       json={"assignee_id": li.id, "note": "先设置围挡"})
    assert sent.status_code == 200, sent.get_json()
    li_token = _login(client, "demo-worker-li")

    # 3. past 75 % of its time: yellow in the queue and in 李师傅's tasks
    ticket = _ticket(ticket_id)
    clock(ticket.warn_at + timedelta(minutes=1))
    yellow = client.get("/api/v1/tickets?tier=yellow", headers=_h(zhang)).get_json()["items"]
    assert ticket_id in [t["id"] for t in yellow]
    tasks = client.get("/api/v1/worker/tasks", headers=_h(li_token)).get_json()["items"]
    assert [t["tier"] for t in tasks if t["id"] == ticket_id] == ["yellow"]

    # 4. overdue: 催办 to 李师傅; then, past the community's second limit, 督办 to the street
    now = clock(ticket.due_at + timedelta(minutes=1))
    assert deadlines.sweep(now)["reminded"] == 1
    assert "ticket_reminded" in _kinds_to(li.id)
    red = client.get("/api/v1/tickets?tier=red", headers=_h(zhang)).get_json()["items"]
    assert ticket_id in [t["id"] for t in red]
    hours = for_place_code(ticket.place_code)["escalate_after_hours"]
    now = clock(deadlines.escalate_at(_ticket(ticket_id), hours) + timedelta(minutes=1))
    assert deadlines.sweep(now)["escalated"] == 1
    assert deadlines.sweep(now)["escalated"] == 0  # once
    jiedao = _staff(client, "jiedao", "linli-street-demo")
    listed = client.get("/api/v1/supervision", headers=_h(jiedao)).get_json()["items"]
    assert [t["id"] for t in listed] == [ticket_id]
    assert client.get("/api/v1/supervision", headers=_h(zhang)).status_code == 403

    # 5. the street sets a new deadline: the 督办 ends, 李师傅 is told
    new_due = (now + timedelta(days=1)).astimezone(SHANGHAI).isoformat()
    version = client.get(f"/api/v1/tickets/{ticket_id}", headers=_h(jiedao)).get_json()["version"]
    answered = client.post(f"/api/v1/tickets/{ticket_id}/deadline",
                           headers=_h(jiedao, **{"If-Match": f'"{version}"'}),
                           json={"due_at": new_due, "reason": "需采购同规格井盖，延期一天"})
    assert answered.status_code == 200, answered.get_json()
    assert client.get("/api/v1/supervision", headers=_h(jiedao)).get_json()["items"] == []
    assert "ticket_deadline_set" in _kinds_to(li.id)

    # 6. 李师傅 checks in from across the road (far from the pin) and resolves with a photo
    far = client.post(f"/api/v1/tickets/{ticket_id}/check-in", headers=_h(li_token),
                      json={"lat": YARD[0] + 0.005, "lng": YARD[1]}).get_json()
    assert far["far"] is True and far["distance_m"] > far["max_distance_m"]
    photo = _photo(client, li_token)
    done = client.post(f"/api/v1/tickets/{ticket_id}/resolve", headers=_h(li_token),
                       json={"note": "已安装新井盖", "photo_ids": [photo]})
    assert done.status_code == 200, done.get_json()
    staff_page = client.get(f"/api/v1/tickets/{ticket_id}", headers=_h(zhang)).get_json()
    assert staff_page["checkin_far"] is True and staff_page["state"] == "resolved"

    # 7. 王阿姨 does not rate: reminded first, then the case closes itself
    ticket = _ticket(ticket_id)
    limits = for_place_code(ticket.place_code)
    wang_user = db.session.execute(sa.select(User).where(
        User.openid == "demo-resident-wang")).scalar_one()
    remind_day = deadlines.after_working_days(
        ticket.resolved_at,
        limits["autoclose_working_days"] - limits["rate_reminder_working_days"])
    now = clock(remind_day + timedelta(minutes=1))
    assert deadlines.sweep(now)["rate_reminded"] == 1
    assert "rate_reminder" in _kinds_to(wang_user.id)
    now = clock(deadlines.after_working_days(ticket.resolved_at,
                                             limits["autoclose_working_days"])
                + timedelta(minutes=1))
    assert deadlines.sweep(now)["auto_closed"] == 1
    assert _ticket(ticket_id).state == "closed"
    assert "ticket_auto_closed" in _kinds_to(wang_user.id)

    # 8. she rates it 不满意 after all: it reopens, she and 李师傅 hear it
    rated = client.post(f"/api/v1/tickets/{ticket_id}/rating", headers=_h(wang),
                        json={"rating": "unsatisfied", "comment": "井盖有响声，没装稳"})
    assert rated.status_code == 200, rated.get_json()
    assert rated.get_json()["state"] == "accepted"
    assert "ticket_reopened_follower" in _kinds_to(wang_user.id)
    assert "ticket_reopened_handler" in _kinds_to(li.id)
    assert _ticket(ticket_id).resolved_by_id == li.id

    # the timeline holds every step, in order
    kinds = _events(ticket_id)
    for earlier, later in [("alert", "reminder"), ("reminder", "escalation"),
                           ("escalation", "deadline"), ("deadline", "checkin"),
                           ("checkin", "rating")]:
        assert kinds.index(earlier) < kinds.index(later), kinds

    # 9. in public: the community's 三率 count the case (no login needed)
    public = client.get("/api/v1/public/communities/performance?days=30")
    assert public.status_code == 200
    jinyang = [c for c in public.get_json()["communities"] if c["name"] == "晋阳社区"]
    assert jinyang and jinyang[0]["reported"] >= 1
