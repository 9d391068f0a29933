"""Redirect after POST everywhere: every console POST route (from the app's url_map, so a
new route is walked without anyone adding it here), sent twice by an admin with an empty
form (only the CSRF token) on the demo community, answers a redirect; none answers a page
with a 4xx status on the POST URL, which a reload (F5) would send again.

Path values come from ``values()`` by parameter name (``PER_ENDPOINT`` where a name means
different rows on different routes); every choice of an ``any(...)`` part is walked. A
route with a parameter nobody knows fails the walk with a message saying what to add.
Only the routes of ``IN_PLACE`` may answer in place, each with its reason.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from werkzeug.routing import AnyConverter

from backend.extensions import db
from tests.browser.world import csrf_token

IN_PLACE = {
    # before logging in there is no page of the person's to go back to; a failed login
    # answers on the login form (401), the username typed kept, the password never
    "console.login_post": "the login form answers a failed login on itself",
}
LAST = ("console.logout",)  # ends the admin's session: walked after every other route

ADMIN = ("admin", "linli-admin-demo")


def _world() -> dict:
    """The demo community, plus one of each row the demo does not have (a meeting and
    its agenda item, a budget line, an objection, a service record, a closure): the ids
    the walk puts in paths."""
    from backend.accounts.models import Role, User
    from backend.bookings.models import Booking, Counter, OpeningRule, ServiceCentre, ServiceItem
    from backend.demo.operations import seed
    from backend.participation import council as council_ops
    from backend.participation.models import (
        BudgetLine, CommunityFund, CommunityNotice, Convention, CouncilMember, Objection,
        Proposal, Residency, VoteRound, YardCommitteeMember,
    )
    from backend.tickets.models import Category, Ticket
    from backend.volunteers.models import ServiceRecord, VolunteerActivity

    seed()

    def first(model, *where):
        return db.session.execute(sa.select(model).where(*where).order_by(model.id)
                                  ).scalars().first()

    admin = first(User, User.username == ADMIN[0])
    staff = first(User, User.username == "zhang")
    worker = first(User, User.role == Role.grid_worker.value)
    resident = first(User, User.role == Role.resident.value)
    notice = first(CommunityNotice)
    community = notice.community
    fund = first(CommunityFund)
    meeting = council_ops.create_meeting(admin, community, {
        "kind": "council", "title": "议事会例会", "held_at": datetime.now(timezone.utc),
        "place_name": "社区会议室", "attendee_count": 9, "minutes": ""})
    item = council_ops.add_item(meeting, None, "楼道扶手")
    line = BudgetLine(fund_id=fund.id, title="楼道扶手", amount_fen=100_00,
                      created_by_id=admin.id)
    objection = Objection(notice_id=notice.id, user_id=resident.id, body="费用偏高")
    activity = first(VolunteerActivity)
    record = ServiceRecord(activity_id=activity.id, user_id=resident.id, minutes=60,
                           check_in_at=activity.start_at, check_out_at=activity.end_at,
                           status="pending", source="leader")
    centre = first(ServiceCentre)
    from backend.bookings.models import Closure

    closure = Closure(centre_id=centre.id, day=date.today() + timedelta(days=300),
                      reason="培训", created_by_id=admin.id)
    db.session.add_all([line, objection, record, closure])
    db.session.flush()
    ids = {
        "user_id": staff.id, "worker_id": worker.id, "category_id": first(Category).id,
        "place_id": community.id, "community_id": community.id, "line_id": line.id,
        "member_id": first(CouncilMember).id, "fund_id": fund.id, "meeting_id": meeting.id,
        "notice_id": notice.id, "objection_id": objection.id,
        "proposal_id": first(Proposal).id, "residency_id": first(Residency).id,
        "round_id": first(VoteRound).id, "centre_id": centre.id,
        "booking_id": first(Booking).id, "ticket_id": first(Ticket).id,
        "record_id": record.id, "year": date.today().year, "day": "2026-10-01",
        "service_item_id": first(ServiceItem).id, "agenda_item_id": item.id,
        "rule_id": first(OpeningRule, OpeningRule.centre_id == centre.id).id,
        "closure_id": closure.id,
        **_organisation_ids(first),
        "counter_id": first(Counter, Counter.centre_id == centre.id).id,
        "yard_id": first(YardCommitteeMember).yard_id,
        "yard_member_id": first(YardCommitteeMember).id,
        "convention_id": first(Convention).id,
    }
    db.session.commit()
    return ids


def _organisation_ids(first) -> dict:
    """The demo's organisation, service project, its milestone and micro-fund."""
    from backend.organisations.models import (
        MicroFund, ServiceMilestone, ServiceProject, SocialOrganisation,
    )

    return {"org_id": first(SocialOrganisation).id, "project_id": first(ServiceProject).id,
            "milestone_id": first(ServiceMilestone).id, "micro_fund_id": first(MicroFund).id}


# a parameter whose rows differ from one route to another
PER_ENDPOINT = {
    ("console.admin_service_item_save", "item_id"): lambda ids, path: ids["service_item_id"],
    ("console.participation_decision", "item_id"): lambda ids, path: ids["agenda_item_id"],
    ("console.service_hours_remove", "row_id"):
        lambda ids, path: ids["rule_id"] if path["kind"] == "rule" else ids["closure_id"],
    ("console.volunteer_release", "row_id"): lambda ids, path: None,  # filled below
}


def _ticket_actions() -> list[str]:
    from backend.console.tickets import HANDLERS

    return sorted(HANDLERS)


def _paths(app, ids: dict) -> list[tuple[str, str]]:
    """(endpoint, path) of every console POST route with every choice of its parts."""
    from backend.volunteers.models import VolunteerActivity, VolunteerTeam

    with app.app_context():
        release = {"teams": db.session.execute(sa.select(VolunteerTeam.id).order_by(
                       VolunteerTeam.id)).scalars().first(),
                   "activities": db.session.execute(sa.select(VolunteerActivity.id).order_by(
                       VolunteerActivity.id)).scalars().first()}
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/console") or "POST" not in rule.methods:
            continue
        choices = {name: sorted(c.items) for name, c in rule._converters.items()
                   if isinstance(c, AnyConverter)}
        if rule.endpoint == "console.ticket_action":
            choices["action"] = _ticket_actions()
        for combo in itertools.product(*choices.values()):
            path = dict(zip(choices, combo))
            for name in rule.arguments:
                if name in path:
                    continue
                if (rule.endpoint, name) == ("console.volunteer_release", "row_id"):
                    path[name] = release[path["kind"]]
                elif (rule.endpoint, name) in PER_ENDPOINT:
                    path[name] = PER_ENDPOINT[(rule.endpoint, name)](ids, path)
                else:
                    assert name in ids, (f"{rule.rule}: no value for <{name}>; add one to "
                                         "_world() or PER_ENDPOINT")
                    path[name] = ids[name]
            with app.test_request_context():
                from flask import url_for

                out.append((rule.endpoint, url_for(rule.endpoint, **path)))
    return sorted(out, key=lambda e: e[0] in LAST)


def test_no_console_post_answers_a_refusal_in_place(app):
    with app.app_context():
        ids = _world()
    client = app.test_client()
    response = client.post("/console/login", data={
        "csrf_token": csrf_token(client), "username": ADMIN[0], "password": ADMIN[1]})
    assert response.status_code == 302
    token = csrf_token(client, "/console/")
    walked, in_place = [], []
    paths = _paths(app, ids)
    # twice: the second time many actions meet what the first did (a notice withdrawn,
    # a declaration confirmed, a code issued again), and are refused or done again
    twice = [p for p in paths if p[0] not in LAST] * 2 + [p for p in paths if p[0] in LAST]
    for endpoint, path in twice:
        response = client.post(path, data={"csrf_token": token})
        walked.append(endpoint)
        answer = (endpoint, path, response.status_code)
        if endpoint in IN_PLACE:
            in_place.append(answer)
            continue
        assert response.status_code in (302, 303), (
            answer, response.get_data(as_text=True)[:1500])
        if response.status_code == 303:
            client.get(response.headers["Location"])  # shown, as a browser would
    # every route was walked, each listed exception met (and answered in place)
    rules = {r.endpoint for r in app.url_map.iter_rules()
             if r.rule.startswith("/console") and "POST" in r.methods}
    assert set(walked) == rules
    assert {e for e, _p, _s in in_place} == set(IN_PLACE)
    assert all(400 <= status < 500 for _e, _p, status in in_place), in_place
