"""待办: the home page's list of what waits on a staff member, across the modules, inside
their area (their subtree; everything for admins). Each section has a count, its first
few items and the page where the work is done.

The rules are the modules' own: the case queue and its tiers (``tickets.queries``), who
confirms a residency or answers an objection (``participation.permissions``), who decides
volunteer hours and releases held texts (``volunteers.permissions``), which centres a
person runs (``bookings.permissions``). Only the counting and the choice of the first few
items are here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from flask import url_for

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backend.accounts.models import User
from backend.bookings import centres as centre_ops
from backend.bookings import desk as desk_ops
from backend.bookings import permissions as booking_rules
from backend.bookings.models import BookingStatus
from backend.console import format as fmt
from backend.core.models import utcnow
from backend.extensions import db
from backend.participation import permissions as participation_rules
from backend.participation import residency as residency_ops
from backend.participation.models import CommunityNotice, Objection, Proposal, Residency
from backend.places.models import Place
from backend.tickets import queries
from backend.tickets.models import OPEN_STATES, Ticket
from backend.volunteers import permissions as volunteer_rules
from backend.volunteers import records as record_ops
from backend.volunteers import teams as team_ops
from backend.volunteers.models import VolunteerActivity

FIRST = 5  # items shown per section
OPEN = [s.value for s in OPEN_STATES]


@dataclass
class Item:
    text: str
    href: str
    note: str = ""


@dataclass
class Section:
    key: str
    title: str
    count: int
    href: str
    items: list[Item] = field(default_factory=list)
    danger: bool = False
    empty_text: str = _l("没有待办。")
    label: str = ""  # the count as shown ("10000+" for a capped total)


def _ticket_item(t: Ticket, now) -> Item:
    name = "#%s %s" % (t.id, t.category.name)
    return Item(_("%(name)s：%(error)s", name=name, error=(t.description or "")[:30]),
                url_for("console.ticket_page", ticket_id=t.id),
                f"{fmt.state_name(t.state)} · {fmt.due_text(t.due_at, now)}"
                if t.due_at else fmt.state_name(t.state))


def _cases(user: User, now) -> list[Section]:
    out = []
    for key, title, args, href_args, danger in (
            ("new", _("新上报待受理"), {"state": ["submitted"]}, {"state": "submitted"}, False),
            ("overdue", _("已超期未办结"), {"state": OPEN, "overdue": True},
             {"state": OPEN, "overdue": "true"}, True),
            ("due_soon", _("即将超期"), {"state": OPEN, "tier": "yellow"},
             {"state": OPEN, "tier": "yellow"}, False)):
        rows, _cursor, total = queries.queue(user, dict(args, limit=FIRST))
        out.append(Section(key, title, total.count, url_for("console.queue", **href_args),
                           [_ticket_item(t, now) for t in rows], danger=danger,
                           label=str(total)))
    return out


def _in_area(user: User, code_column):
    """A place code inside the user's area (admins: everywhere)."""
    scope = user.scope_place
    return sa.true() if scope is None else code_column.startswith(scope.code, autoescape=True)


def _count(query) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one()


def _residencies(user: User) -> Section:
    query = residency_ops.residency_query(user.scope_place, None, "pending")
    rows = [r for r in db.session.execute(
        query.order_by(Residency.declared_at, Residency.id).limit(FIRST)).scalars()
        if participation_rules.can_manage_residency(user, r)]
    items = [Item(f"{r.community.name} {r.building}{r.unit}{r.room}",
                  url_for("console.participation_community", community_id=r.community_id),
                  _("申报于 %(time)s", time=fmt.local_time(r.declared_at, "%m-%d %H:%M"))) for r in rows]
    return Section("residencies", _("居住认证待确认"), _count(query),
                   url_for("console.participation"), items)


def _objections(user: User) -> Section:
    query = (sa.select(Objection).join(CommunityNotice, CommunityNotice.id == Objection.notice_id)
             .join(Place, Place.id == CommunityNotice.community_id)
             .where(Objection.answered_at.is_(None), _in_area(user, Place.code)))
    rows = [o for o in db.session.execute(
        query.order_by(Objection.created_at, Objection.id).limit(FIRST)).scalars()
        if participation_rules.can_view_objection(user, o)]
    items = [Item(_("%(name)s：%(error)s", name="“" + o.notice.title + "”", error=o.body[:30]),
                  url_for("console.participation_notice", notice_id=o.notice_id),
                  _("提出于 %(time)s", time=fmt.local_time(o.created_at, "%m-%d %H:%M"))) for o in rows]
    return Section("objections", _("公示异议待答复"), _count(query),
                   url_for("console.participation"), items)


def _teams(user: User) -> list:
    return [team for team in team_ops.list_teams(None)
            if volunteer_rules.can_lead_team(user, team)]


def _hours(user: User, teams: list) -> Section:
    records = [r for team in teams for r in record_ops.pending_records(team)
               if volunteer_rules.can_decide_service_record(user, r)]
    records.sort(key=lambda r: (r.activity.end_at, r.id))
    items = [Item(_("%(title)s：%(hours)s 小时", title=r.activity.title,
                    hours=format(round(r.minutes / 60, 2), "g")),
                  url_for("console.volunteer_activity", activity_id=r.activity_id),
                  r.activity.team.name) for r in records[:FIRST]]
    return Section("hours", _("志愿服务时长待审核"), len(records),
                   url_for("console.volunteer_approvals"), items)


def _bookings(user: User) -> Section:
    """Today's bookings still to be served (预约, not yet checked in) at the centres this
    person runs."""
    waiting = BookingStatus.booked.value
    count, items, first_centre = 0, [], None
    for centre in centre_ops.list_centres():
        if not booking_rules.can_manage_centre(user, centre):
            continue
        first_centre = first_centre or centre
        booked = [b for b in desk_ops.day_list(centre, None, None, False)["bookings"]
                  if b.status == waiting]
        count += len(booked)
        for b in booked[:FIRST - len(items)]:
            items.append(Item(f"{fmt.local_time(b.start_at, '%H:%M')} {b.item.name}",
                              url_for("console.service_day", centre_id=centre.id),
                              _("%(centre)s · 预约码 %(code)s", centre=centre.name, code=b.code)))
    href = url_for("console.service_day", centre_id=first_centre.id) \
        if first_centre is not None and count else url_for("console.service_centres")
    return Section("bookings", _("今日预约待办理"), count, href, items)


def _held(user: User, teams: list) -> Section:
    """Content WeChat's check held for review: cases, proposals, volunteer teams and
    activities, each released on its own page."""
    items: list[Item] = []
    count = 0
    cases = sa.select(Ticket).where(queries.staff_scope_filter(user),
                                    Ticket.content_status == "review", Ticket.state.in_(OPEN))
    count += _count(cases)
    items += [Item(_("工单 #%(id)s %(category)s", id=t.id, category=t.category.name),
                    url_for("console.ticket_page", ticket_id=t.id), _("事件描述或照片"))
              for t in db.session.execute(cases.order_by(Ticket.id).limit(FIRST)).scalars()]
    proposals = (sa.select(Proposal).join(Place, Place.id == Proposal.community_id)
                 .where(Proposal.content_status == "review", _in_area(user, Place.code)))
    count += _count(proposals)
    items += [Item(_("议题：%(title)s", title=p.title), url_for("console.participation_proposal",
                                                              proposal_id=p.id), _("居民议题"))
              for p in db.session.execute(proposals.order_by(Proposal.id).limit(FIRST))
              .scalars()]
    releasable = [team for team in teams if volunteer_rules.can_release_volunteer_text(user, team)]
    for team in releasable:
        if team.content_status == "review":
            count += 1
            items.append(Item(_("服务队：%(name)s", name=team.name), url_for(
                "console.volunteer_team", team_id=team.id), _("名称与简介")))
    if releasable:
        activities = db.session.execute(
            sa.select(VolunteerActivity).where(
                VolunteerActivity.team_id.in_([t.id for t in releasable]),
                VolunteerActivity.content_status == "review")
            .order_by(VolunteerActivity.id)).scalars().all()
        count += len(activities)
        items += [Item(_("活动：%(title)s", title=a.title), url_for("console.volunteer_activity",
                                                  activity_id=a.id), a.team.name)
                  for a in activities]
    first: Optional[Item] = items[0] if items else None
    return Section("held", _("内容待审核"), count, first.href if first else url_for("console.home"),
                   items[:FIRST])


def sections(user: User) -> list[Section]:
    now = utcnow()
    teams = _teams(user)
    return [*_cases(user, now), _residencies(user), _hours(user, teams), _bookings(user),
            _objections(user), _held(user, teams)]
