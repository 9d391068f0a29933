"""The console in English: every GET page of the console (from the url_map), opened with
the demo community's data by a community's staff, a street's staff and an administrator,
shows no Chinese outside what people typed (names, titles, descriptions: text held in the
database). The same walk in Chinese still shows Chinese, and the catalogue is complete.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from backend.console import strings
from backend.console.language import COOKIE
from backend.extensions import db
from tests.browser.world import csrf_token

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Chinese text or punctuation (，。：（）… but not the ideographic space that indents options)
CHINESE = re.compile(r"[\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uffef]+")
# a remaining run this long that the database holds is people's text cut short (30 chars
# of a description); a shorter one (元, 栋, ：) is the interface's own
# rows per path parameter: enough to see the pages in their different states
ROWS_PER_PARAMETER = 12
ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-label", "data-confirm",
              "content")
DEMO_PASSWORDS = {"admin": "linli-admin-demo", "zhang": "linli-staff-demo",
                  "jiedao": "linli-street-demo"}


class _Visible(HTMLParser):
    """The text a person reads: text nodes and the attributes read out or shown, minus
    <script>/<style> and whatever sits inside an element with ``lang`` (zh) or
    ``data-user-content``."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def _skipped(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        skip = tag in ("script", "style") or "data-user-content" in attributes or (
            tag != "html" and (attributes.get("lang") or "").startswith("zh"))
        if not skip and not self._skipped():
            self.parts += [attributes[a] for a in ATTRIBUTES if attributes.get(a)]
            if tag in ("input", "button") and attributes.get("type") in ("submit", "button"):
                self.parts.append(attributes.get("value") or "")
        if tag not in self.VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self._skipped():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def user_texts() -> list[str]:
    """Every text value of every table: what people typed or the demo data holds."""
    texts = set()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns
                   if isinstance(c.type, (sa.String, sa.Text, sa.JSON))]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)):
            for value in row:
                if isinstance(value, str):
                    texts.add(value)
                elif value is not None:
                    texts.update(_strings(value))  # JSON (options, lists, event data)
    return sorted(texts)


TRUNCATED = 6


def foreign_chinese(html: str, data: tuple[str, list[str]]) -> list[str]:
    """Chinese left in the page's visible text once every database text shown in full is
    taken out: runs that are not a long piece of people's text cut short."""
    joined, values = data
    text = visible_text(html)
    for value in values:  # longest first: a name inside a longer text goes with it
        if value in text:
            text = text.replace(value, "\n")
    return sorted({run for run in CHINESE.findall(text)
                   if len(run) < TRUNCATED or run not in joined})


def path_rows() -> dict[str, list[int]]:
    """Real ids for each path parameter of the console's pages."""
    from backend.accounts.models import Role, User
    from backend.bookings.models import ServiceCentre
    from backend.organisations.models import MicroFund, ServiceProject, SocialOrganisation
    from backend.participation.models import (
        BudgetLine, CommunityFund, CommunityNotice, Convention, Meeting, Proposal, VoteRound,
        YardCommitteeMember,
    )
    from backend.places.models import Place
    from backend.tickets.models import Ticket
    from backend.volunteers.models import VolunteerActivity, VolunteerTeam

    def ids(statement) -> list[int]:
        return list(db.session.execute(statement.limit(ROWS_PER_PARAMETER)).scalars())

    return {
        "ticket_id": ids(sa.select(Ticket.id).order_by(Ticket.id)),
        "centre_id": ids(sa.select(ServiceCentre.id).order_by(ServiceCentre.id)),
        "community_id": ids(sa.select(Place.id).where(Place.level == "community")
                            .order_by(Place.id)),
        "notice_id": ids(sa.select(CommunityNotice.id).order_by(CommunityNotice.id)),
        "proposal_id": ids(sa.select(Proposal.id).order_by(Proposal.id)),
        "meeting_id": ids(sa.select(Meeting.id).order_by(Meeting.id)),
        "fund_id": ids(sa.select(CommunityFund.id).order_by(CommunityFund.id)),
        "round_id": ids(sa.select(VoteRound.id).order_by(VoteRound.id)),
        "line_id": ids(sa.select(BudgetLine.id).order_by(BudgetLine.id)),
        "team_id": ids(sa.select(VolunteerTeam.id).order_by(VolunteerTeam.id)),
        "activity_id": ids(sa.select(VolunteerActivity.id).order_by(VolunteerActivity.id)),
        "user_id": ids(sa.select(User.id).where(User.role == Role.staff.value)
                       .order_by(User.id)),
        "worker_id": ids(sa.select(User.id).where(User.role == Role.grid_worker.value)
                         .order_by(User.id)),
        "org_id": ids(sa.select(SocialOrganisation.id).order_by(SocialOrganisation.id)),
        "project_id": ids(sa.select(ServiceProject.id).order_by(ServiceProject.id)),
        "micro_fund_id": ids(sa.select(MicroFund.id).order_by(MicroFund.id)),
        # the yards with a committee or a convention first, then one without (empty page)
        "yard_id": sorted(set(ids(sa.select(YardCommitteeMember.yard_id).distinct()))
                          | set(ids(sa.select(Convention.yard_id).distinct()
                                    .where(Convention.yard_id.is_not(None))))
                          | set(ids(sa.select(Place.id).where(
                              Place.level == "grid3", Place.id.not_in(
                                  sa.select(YardCommitteeMember.yard_id)))
                              .order_by(Place.id).limit(1)))),
    }


def booked_days() -> list[str]:
    """A service desk's days that have bookings (its page opens on today's)."""
    from backend.bookings.models import Booking
    from backend.core.workcalendar import SHANGHAI

    rows = db.session.execute(sa.select(Booking.centre_id, Booking.start_at)
                              .order_by(Booking.id).limit(5)).all()
    return sorted({f"/console/service/{centre}?date={start.astimezone(SHANGHAI).date()}"
                   for centre, start in rows})


def console_paths(app, rows: dict[str, list[int]]) -> list[str]:
    """Every GET page of the console, each parameterised page once per row."""
    paths = list(rows.get("booked_days", []))
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if not rule.endpoint.startswith("console.") or "GET" not in rule.methods \
                    or rule.endpoint in ("console.static", "console.export_csv"):
                continue
            arguments = sorted(rule.arguments)
            assert all(a in rows and a != "booked_days" for a in arguments), (
                f"{rule.rule}: add its parameters to path_rows()")
            if not arguments:
                paths.append(rule.rule)
                continue
            assert len(arguments) == 1, rule.rule
            paths += [rule.rule.replace(f"<int:{arguments[0]}>", str(value))
                      for value in rows[arguments[0]]]
    return paths


def _rows_the_demo_lacks() -> None:
    """A council meeting with an agenda item, a budget line with an expense-free project,
    an objection and a pending service record (as tests/test_console_post_routes.py)."""
    from datetime import datetime, timezone

    from backend.accounts.models import Role, User
    from backend.participation import council as council_ops
    from backend.participation.models import BudgetLine, CommunityFund, CommunityNotice, Objection
    from backend.volunteers.models import ServiceRecord, VolunteerActivity

    def first(model, *where):
        return db.session.execute(sa.select(model).where(*where).order_by(model.id)
                                  ).scalars().first()

    admin = first(User, User.username == "admin")
    resident = first(User, User.role == Role.resident.value)
    notice = first(CommunityNotice)
    meeting = council_ops.create_meeting(admin, notice.community, {
        "kind": "council", "title": "议事会例会", "held_at": datetime.now(timezone.utc),
        "place_name": "社区会议室", "attendee_count": 9, "minutes": ""})
    council_ops.add_item(meeting, None, "楼道扶手")
    activity = first(VolunteerActivity)
    db.session.add_all([
        BudgetLine(fund_id=first(CommunityFund).id, title="楼道扶手", amount_fen=100_00,
                   created_by_id=admin.id),
        Objection(notice_id=notice.id, user_id=resident.id, body="费用偏高"),
        ServiceRecord(activity_id=activity.id, user_id=resident.id, minutes=60,
                      check_in_at=activity.start_at, check_out_at=activity.end_at,
                      status="pending", source="leader")])
    db.session.commit()


@pytest.fixture
def demo(app):
    """The demo community (`flask demo seed`): tickets in every state, bookings,
    volunteers and participation, with its staff accounts; plus the rows it lacks."""
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        _rows_the_demo_lacks()
        rows = path_rows()
        rows["booked_days"] = booked_days()
        texts = [t for t in user_texts() if CHINESE.search(t)]
        data = ("\n".join(texts), sorted(texts, key=len, reverse=True))
    assert all(rows.values()), {k: v for k, v in rows.items() if not v}
    return rows, data


def _client(app, username: str | None, language: str):
    client = app.test_client()
    client.set_cookie(COOKIE, language)
    if username:
        response = client.post("/console/login", data={
            "csrf_token": csrf_token(client), "username": username,
            "password": DEMO_PASSWORDS[username]})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return client


def _walk(app, client, paths) -> dict[str, str]:
    pages = {}
    for path in paths:
        response = client.get(path)
        # a page may send this person elsewhere (a code shown once, a centre not theirs):
        # 403/404 pages are pages too and are checked like the others
        assert response.status_code in (200, 302, 303, 403, 404), (path, response.status_code)
        if response.mimetype == "text/html" and response.status_code not in (302, 303):
            pages[path] = response.get_data(as_text=True)
    return pages


@pytest.mark.parametrize("username", ["zhang", "jiedao", "admin"])
def test_every_console_page_in_english_shows_no_chinese_but_peoples_text(app, demo,
                                                                          username):
    rows, data = demo
    client = _client(app, username, "en")
    paths = console_paths(app, rows) + ["/console/no-such-page", "/console/tickets/999999"]
    pages = _walk(app, client, paths)
    assert len([p for p in pages.values() if "<main" in p]) > 30
    leaks = {path: found for path, html in pages.items()
             if (found := foreign_chinese(html, data))}
    assert not leaks, leaks
    for html in pages.values():
        assert '<html lang="en">' in html


def test_the_login_page_in_english(app, demo):
    _rows, data = demo
    html = _client(app, None, "en").get("/console/login").get_data(as_text=True)
    assert "Console login" in html and not foreign_chinese(html, data)


@pytest.mark.parametrize("username", ["zhang", "admin"])
def test_the_same_walk_in_chinese_shows_chinese(app, demo, username):
    rows, data = demo
    client = _client(app, username, "zh")
    pages = _walk(app, client, console_paths(app, rows))
    assert pages
    for path, html in pages.items():
        assert '<html lang="zh-CN">' in html, path
        assert foreign_chinese(html, data), path  # the interface's own Chinese
        assert "Log out" not in html and "退出登录" in html, path


def test_the_english_pages_read_english(app, demo):
    client = _client(app, "admin", "en")
    html = client.get("/console/tickets").get_data(as_text=True)
    for text in ("Case queue", "Log out", "Statistics", "Volunteering", "Participation"):
        assert text in html
    html = client.get(f"/console/tickets/{demo[0]['ticket_id'][0]}").get_data(as_text=True)
    assert "Case navigation" in html or "Back to the queue" in html


def test_the_catalogue_is_complete_and_current():
    assert strings.main(["--check"]) == 0


def test_the_dashboard_charts_name_their_series_in_english(app, demo):
    html = _client(app, "admin", "en").get("/console/dashboard").get_data(as_text=True)
    block = re.search(r'id="dashboard-data">(.*?)</script>', html, re.S).group(1)
    assert json.loads(block)["labels"] == {"created": "New", "resolved": "Resolved",
                                           "tickets": "Cases", "overdue": "Overdue",
                                           "open": "Open"}


def test_a_refused_login_says_why_in_english(app):
    client = _client(app, None, "en")
    response = client.post("/console/login", data={
        "csrf_token": csrf_token(client), "username": "nobody", "password": "wrong-password"})
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_the_timeline_lines_of_corrections_and_alerts_in_english(app):
    from backend.console import format as fmt

    correction = {"kind": "correction", "note": "现场核实", "data": {
        "from_category": 1, "to_category": 2, "from_category_name": "环境",
        "to_category_name": "市政", "from_priority": "normal", "to_priority": "urgent"}}
    with app.test_request_context("/console/", headers={"Cookie": f"{COOKIE}=en"}):
        assert fmt.event_text(correction) == (
            "Category corrected: 环境 → 市政; Urgency: Normal → Urgent (现场核实)")
        assert fmt.event_text({"kind": "alert"}).startswith("Urgent case:")
    with app.test_request_context("/console/", headers={"Cookie": f"{COOKIE}=zh"}):
        assert fmt.event_text(correction) == "更正分类：环境 → 市政；紧急程度：一般 → 紧急（现场核实）"


def test_the_console_labels_are_the_domains_names():
    """The console's labels (msgids) are the Chinese names the features keep: a name
    changed or added there fails here until the console's label follows."""
    from backend.console import format as fmt
    from backend.places.models import LEVEL_NAMES_ZH
    from backend.tickets import workflow
    from backend.tickets.models import PRIORITY_NAMES_ZH, SOURCE_NAMES_ZH, STATE_NAMES_ZH

    def msgids(labels):
        return {key: label._args[0] for key, label in labels.items()}

    assert msgids(fmt.STATE_LABELS) == STATE_NAMES_ZH
    assert msgids(fmt.SOURCE_LABELS) == SOURCE_NAMES_ZH
    assert msgids(fmt.PRIORITY_LABELS) == PRIORITY_NAMES_ZH
    assert msgids(fmt.LEVEL_LABELS) == LEVEL_NAMES_ZH
    assert msgids(fmt.ACTION_LABELS) == workflow.LABELS
