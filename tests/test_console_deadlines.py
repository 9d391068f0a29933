"""Issue 19.3 in the console: the yellow / red tiers in the queue (rows and the filter)
and on the map (markers and the legend), the 督办 page (who sees it, the new deadline
from the list, also in headless Chromium) and 调整期限 on the case page."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from backend.accounts.models import User
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.tickets import deadlines
from backend.tickets import operations as ops
from backend.tickets.models import Ticket, TicketEvent
from tests.browser import world as console_world
from tests.browser.live import console_login, screenshot


def _tiered(app, world) -> dict[str, int]:
    """t1 yellow (past 75 %), t2 red (overdue), t3 green: each accepted and dispatched."""
    now = utcnow()
    out = {}
    with app.app_context():
        staff = db.session.get(User, world.users["staff_a"])
        for name, tier, (warn, due) in (("t1", "yellow", (-5, 5)), ("t2", "red", (-10, -1)),
                                        ("t4", "green", (5, 10))):
            ticket = db.session.get(Ticket, world.tickets[name])
            ops.accept(staff, ticket)
            ops.dispatch(staff, ticket, assignee_id=world.users["worker_a"])
            ticket.warn_at, ticket.due_at = now + timedelta(hours=warn), now + timedelta(hours=due)
            ticket.resolve_due_at = ticket.due_at
            out[tier] = ticket.id
        db.session.commit()
    return out


def _escalate(app, ticket_id: int) -> None:
    """Overdue for weeks: one sweep reminds it and escalates it to the street."""
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.due_at = ticket.resolve_due_at = utcnow() - timedelta(days=20)
        db.session.commit()
        result = deadlines.sweep()
        assert result["reminded"] >= 1 and result["escalated"] >= 1, result


@pytest.fixture
def world(app):
    return console_world.build(app)


def _client(app, username: str):
    client = app.test_client()
    console_world.login(client, username)
    return client


def test_the_queue_marks_and_filters_the_tiers(app, world):
    tiers = _tiered(app, world)
    client = _client(app, "zhang")
    page = client.get("/console/tickets").get_data(as_text=True)
    rows = dict(re.findall(r'<tr class="[^"]*" data-id="(\d+)">.*?<td class="due"[^>]*'
                           r' data-tier="(\w*)"', page, re.S))
    assert rows[str(tiers["yellow"])] == "yellow" and rows[str(tiers["red"])] == "red"
    assert rows[str(tiers["green"])] == ""
    assert re.search(rf'<tr class="tier-yellow" data-id="{tiers["yellow"]}"', page)
    assert re.search(rf'<tr class="overdue" data-id="{tiers["red"]}"', page)
    assert '<option value="yellow">即将超期</option>' in page
    for tier in ("yellow", "red"):
        page = client.get("/console/tickets", query_string={"tier": tier}).get_data(as_text=True)
        assert re.findall(r'<tr class="[^"]*" data-id="(\d+)"', page) == [str(tiers[tier])]
        assert f'<option value="{tier}" selected>' in page
    assert client.get("/console/tickets?tier=green").status_code == 422


def test_the_map_colours_the_yellow_markers_and_explains_them(app, world):
    tiers = _tiered(app, world)
    page = _client(app, "zhang").get("/console/map").get_data(as_text=True)
    markers = dict(re.findall(r'href="/console/tickets/(\d+)"[^>]*>\s*<circle [^>]*'
                              r'data-tier="(\w*)"', page))
    assert markers[str(tiers["yellow"])] == "yellow" and markers[str(tiers["red"])] == "red"
    # the deadline is a ring around the pin: yellow past 75 %, red when overdue
    assert f'class="pin-ring yellow" data-ticket-id="{tiers["yellow"]}"' in page
    assert f'class="pin-ring red" data-ticket-id="{tiers["red"]}"' in page
    assert re.search(r'id="legend-yellow".*即将超期', page)


@pytest.mark.parametrize("username,status", [("jiedao", 200), ("admin", 200), ("zhang", 403),
                                             ("jin", 403)])
def test_who_opens_the_supervision_page(app, world, username, status):
    _tiered(app, world)
    _escalate(app, world.tickets["t2"])
    client = _client(app, username)
    response = client.get("/console/supervision")
    assert response.status_code == status
    home = client.get("/console/tickets").get_data(as_text=True)
    assert ('href="/console/supervision"' in home) == (status == 200)
    if status == 200:
        page = response.get_data(as_text=True)
        assert re.findall(r'<tr class="[^"]*" data-id="(\d+)"', page) == [str(world.tickets["t2"])]
        assert 'id="deadline-%d"' % world.tickets["t2"] in page


def test_the_case_page_offers_a_new_deadline_to_the_street_only(app, world):
    _tiered(app, world)
    t2 = world.tickets["t2"]
    _escalate(app, t2)
    assert 'id="form-set_deadline"' not in _client(app, "zhang").get(
        f"/console/tickets/{t2}").get_data(as_text=True)
    client = _client(app, "jiedao")
    page = client.get(f"/console/tickets/{t2}").get_data(as_text=True)
    assert 'id="form-set_deadline"' in page
    with app.app_context():
        version = db.session.get(Ticket, t2).version
    due = (utcnow() + timedelta(days=2)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/console/tickets/{t2}/set_deadline", data={
        "csrf_token": console_world.csrf_token(client, f"/console/tickets/{t2}"),
        "version": version, "due_at": due, "reason": "协调燃气公司"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        ticket = db.session.get(Ticket, t2)
        assert ticket.escalated_at is None
        assert ticket.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M") == due


def test_a_refused_deadline_comes_back_to_its_row_once(app, world):
    """A deadline in the past: back to the list (303), the message once, and in the
    case's row the error next to the date with the reason typed kept."""
    _tiered(app, world)
    t2 = world.tickets["t2"]
    _escalate(app, t2)
    client = _client(app, "jiedao")
    with app.app_context():
        version = db.session.get(Ticket, t2).version
    past = (utcnow() - timedelta(days=2)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/console/supervision/{t2}/deadline", data={
        "csrf_token": console_world.csrf_token(client, "/console/supervision"),
        "version": version, "due_at": past, "reason": "燃气公司下周才来"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"] == f"/console/supervision#deadline-{t2}"
    page = client.get("/console/supervision").get_data(as_text=True)
    assert f"#{t2} 未能调整期限" in page and 'id="deadline-error"' in page
    row = re.search(rf'<tr class="[^"]*" data-id="{t2}">.*?</tr>', page, re.S).group(0)
    assert 'value="燃气公司下周才来"' in row and f'value="{past}"' in row
    assert re.search(r'name="due_at"[^>]*aria-invalid="true"', row)
    assert re.search(r'<span class="field-error" role="alert" data-field="due_at"', row)
    assert page.count('class="field-error"') == 1  # that row only
    again = client.get("/console/supervision").get_data(as_text=True)
    assert f"#{t2} 未能调整期限" not in again and "燃气公司下周才来" not in again
    with app.app_context():
        assert db.session.get(Ticket, t2).escalated_at is not None


def test_the_street_sets_a_new_deadline_from_the_supervision_page(app, page, world):
    """Chromium: 街道办 opens 督办 from the navigation, sets a new deadline for the
    escalated case; it leaves the list, the timeline says why, the worker is told."""
    _tiered(app, world)
    t2 = world.tickets["t2"]
    _escalate(app, t2)
    console_login(page, "jiedao", console_world.PASSWORD)
    page.get_by_role("link", name="督办").click()
    expect(page.locator("h1")).to_have_text("督办")
    expect(page.locator("#supervision-total")).to_have_text("1")
    row = page.locator(f'#supervision tr[data-id="{t2}"]')
    expect(row).to_contain_text("楼道灯损坏")
    screenshot(page, "supervision")
    due = (utcnow() + timedelta(days=3)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    row.locator("input[name=due_at]").fill(due)
    row.locator("input[name=reason]").fill("需协调燃气公司，延长三天")
    row.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已调整期限")
    expect(page.locator("#supervision")).to_contain_text("没有督办中的工单。")
    page.goto(f"/console/tickets/{t2}")
    expect(page.locator("#timeline")).to_contain_text("需协调燃气公司，延长三天")
    with app.app_context():
        ticket = db.session.get(Ticket, t2)
        assert ticket.escalated_at is None and ticket.reminded_at is None
        event = db.session.query(TicketEvent).filter_by(ticket_id=t2, kind="deadline").one()
        assert event.actor_role == "supervisor"
    assert not page.js_errors, page.js_errors
