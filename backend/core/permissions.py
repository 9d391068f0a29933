"""Every permission rule in one place, one function per rule, checked per object.

Each function takes the acting user (or None for the public) and the object, and answers
True or False. Views call them and raise 403; tests run them as a matrix.
"""
from __future__ import annotations

from typing import Optional

from backend.accounts.models import Role, User
from backend.places.models import Place


def _active(user: Optional[User]) -> bool:
    return user is not None and user.is_active


def is_admin(user: Optional[User]) -> bool:
    return _active(user) and user.role == Role.admin.value


def is_staff(user: Optional[User]) -> bool:
    """Staff or admin: the people who use the console."""
    return _active(user) and user.role in (Role.staff.value, Role.admin.value)


def in_subtree(root: Optional[Place], place: Place) -> bool:
    return root is not None and place.code.startswith(root.code)


def can_view_place(user: Optional[User], place: Place) -> bool:
    """Grid names and shapes are public knowledge to anyone logged in."""
    return _active(user)


def can_manage_place(user: Optional[User], place: Place) -> bool:
    """Staff act on what lies in their subtree; admins everywhere."""
    if is_admin(user):
        return True
    return is_staff(user) and in_subtree(user.scope_place, place)


def can_import_places(user: Optional[User]) -> bool:
    return is_admin(user)


def can_work_in_cell(user: Optional[User], place: Place) -> bool:
    """A grid worker acts in the cells they own and in the cells inside those."""
    if not _active(user) or user.role != Role.grid_worker.value:
        return False
    return any(place.code.startswith(cell.code) for cell in user.cells)


def can_manage_worker(user: Optional[User], worker: User) -> bool:
    """Staff manage a grid worker whose every cell lies in their subtree."""
    if worker.role != Role.grid_worker.value:
        return False
    if is_admin(user):
        return True
    if not is_staff(user) or user.role != Role.staff.value:
        return False
    if not worker.cells:
        return False
    return all(in_subtree(user.scope_place, cell) for cell in worker.cells)


def can_assign_cell(user: Optional[User], cell: Place) -> bool:
    """Staff give a worker only cells (L2–L4) of their own subtree."""
    return cell.is_cell and can_manage_place(user, cell)


def can_manage_staff(user: Optional[User], target: Optional[User] = None) -> bool:
    """Staff and admin accounts are created and changed by admins only."""
    return is_admin(user)


# --- tickets -------------------------------------------------------------------------

TRIAGE_SCOPE_MAX_CODE = 9  # street level and above triage tickets outside every cell


def _staff_manages_ticket(user: Optional[User], ticket) -> bool:
    if is_admin(user):
        return True
    if not is_staff(user) or user.scope_place is None:
        return False
    if ticket.place_code is None:
        return len(user.scope_place.code) <= TRIAGE_SCOPE_MAX_CODE
    return ticket.place_code.startswith(user.scope_place.code)


def ticket_actor_kinds(user: Optional[User], ticket) -> set[str]:
    """How ``user`` relates to ``ticket``: reporter, assignee, staff (see tickets.workflow)."""
    kinds: set[str] = set()
    if not _active(user):
        return kinds
    if ticket.reporter_id == user.id and user.role == Role.resident.value:
        kinds.add("reporter")
    if _staff_manages_ticket(user, ticket):
        kinds.add("staff")
        if ticket.department_id is not None:
            kinds.add("assignee")  # staff record the department's work
    if (user.role == Role.grid_worker.value and ticket.assignee_id == user.id
            and ticket.department_id is None):
        kinds.add("assignee")
    return kinds


def can_view_ticket(user: Optional[User], ticket) -> bool:
    """The full ticket (reporter, contact, exact location): reporter, assignee, staff."""
    return bool(ticket_actor_kinds(user, ticket))


def can_view_ticket_publicly(ticket) -> bool:
    """The public view: never private categories, never rejected reports, never content
    held for review (WeChat's check said review, or could not be asked)."""
    return (not ticket.is_private and ticket.state != "rejected"
            and ticket.content_status == "pass")


def can_follow_ticket(user: Optional[User], ticket) -> bool:
    return (_active(user) and user.role == Role.resident.value
            and can_view_ticket_publicly(ticket) and ticket.reporter_id != user.id)


def can_report_patrol(user: Optional[User], cell: Place) -> bool:
    return can_work_in_cell(user, cell)


def can_report(user: Optional[User]) -> bool:
    """Residents report problems; grid workers file patrol reports instead."""
    return _active(user) and user.role == Role.resident.value


# --- bookings (service windows) -------------------------------------------------------

def can_manage_service_items(user: Optional[User]) -> bool:
    """The catalogue of service items is shared by every centre: admins keep it."""
    return is_admin(user)


def can_view_calendar(user: Optional[User]) -> bool:
    """The working calendar (holidays, 调休) is read by the console's people."""
    return is_staff(user)


def can_edit_calendar(user: Optional[User]) -> bool:
    """The working calendar is one for every community: admins keep it."""
    return is_admin(user)


def can_manage_centre(user: Optional[User], centre) -> bool:
    """Staff run the centres of communities in their subtree (day list, check-in, counters,
    opening rules, closures, bookings on behalf); admins every centre."""
    if is_admin(user):
        return True
    return (is_staff(user) and centre.place is not None
            and in_subtree(user.scope_place, centre.place))


def can_book_online(user: Optional[User]) -> bool:
    """Residents book for themselves; staff book on a resident's behalf instead."""
    return _active(user) and user.role == Role.resident.value


def can_manage_booking(user: Optional[User], booking) -> bool:
    """Staff of the booking's centre: cancel or move at any time, check in, mark."""
    return can_manage_centre(user, booking.centre)


def can_view_booking(user: Optional[User], booking) -> bool:
    """The resident it belongs to, and the staff of its centre."""
    if not _active(user):
        return False
    if user.role == Role.resident.value and booking.resident_id == user.id:
        return True
    return can_manage_booking(user, booking)


def can_lift_booking_pause(user: Optional[User]) -> bool:
    """Residents belong to no community: only admins lift a no-show pause."""
    return is_admin(user)


# --- volunteers (志愿服务) -------------------------------------------------------------

def _membership(user: Optional[User], team):
    from backend.volunteers.teams import membership_of

    return membership_of(user.id, team.id) if _active(user) else None


def can_manage_volunteer_team(user: Optional[User], team) -> bool:
    """Staff of the team's community (or above) create teams, name leaders, edit them."""
    return team.place is not None and can_manage_place(user, team.place)


def is_team_leader(user: Optional[User], team) -> bool:
    m = _membership(user, team)
    return m is not None and m.status == "active" and m.is_leader


def can_lead_team(user: Optional[User], team) -> bool:
    """Leaders of the team, and staff of its community: approve members, run activities,
    record and approve hours."""
    return is_team_leader(user, team) or can_manage_volunteer_team(user, team)


def can_view_team_roster(user: Optional[User], team) -> bool:
    """The roster: its active members, its leaders and the community's staff."""
    if can_lead_team(user, team):
        return True
    m = _membership(user, team)
    return m is not None and m.status == "active"


def can_join_team(user: Optional[User]) -> bool:
    return _active(user) and user.role == Role.resident.value


def can_see_volunteer_contact(user: Optional[User], volunteer_id: int, team=None) -> bool:
    """A volunteer's full phone: the volunteer, and the leaders of a team they belong to
    (or asked to join). Everyone else, staff included, sees it masked."""
    if not _active(user):
        return False
    if user.id == volunteer_id:
        return True
    if team is None:
        return False
    from backend.volunteers.teams import membership_of

    theirs = membership_of(volunteer_id, team.id)
    return (theirs is not None and theirs.status in ("active", "pending")
            and is_team_leader(user, team))


def can_manage_activity(user: Optional[User], activity) -> bool:
    return can_lead_team(user, activity.team)


def can_view_activity(user: Optional[User], activity) -> bool:
    """Published, cancelled and finished activities are seen by anyone logged in; drafts
    by those who run the team."""
    if not _active(user):
        return False
    return activity.status != "draft" or can_manage_activity(user, activity)


def can_sign_up_for_activity(user: Optional[User], activity) -> bool:
    """Active members of the team sign up for its activities."""
    if not can_join_team(user):
        return False
    m = _membership(user, activity.team)
    return m is not None and m.status == "active"


def can_view_service_record(user: Optional[User], record) -> bool:
    if _active(user) and record.user_id == user.id:
        return True
    return can_manage_activity(user, record.activity)


def can_decide_service_record(user: Optional[User], record) -> bool:
    """Leaders approve, reject or amend hours, never their own; staff of the community
    approve anyone's."""
    if can_manage_volunteer_team(user, record.activity.team):
        return True
    return is_team_leader(user, record.activity.team) and record.user_id != user.id


def can_view_held_volunteer_text(user: Optional[User], team) -> bool:
    """Volunteer texts WeChat's check held for review (or could not check): only those who
    run the team see them until they are released."""
    return can_lead_team(user, team)


def can_release_volunteer_text(user: Optional[User], team) -> bool:
    """Staff of the team's community (or above) release held volunteer texts; leaders,
    who wrote them, cannot."""
    return can_manage_volunteer_team(user, team)


# --- participation (居民参与, issue 11) ---------------------------------------------------

def can_declare_residency(user: Optional[User]) -> bool:
    """Residents declare their own home; staff and grid workers have no home here."""
    return _active(user) and user.role == Role.resident.value


def can_manage_community(user: Optional[User], community: Place) -> bool:
    """Staff of the community (or the street, district) and admins: confirm residencies,
    import the household register, publish notices."""
    return can_manage_place(user, community)


def can_manage_residency(user: Optional[User], residency) -> bool:
    return can_manage_community(user, residency.community)


def can_view_residency(user: Optional[User], residency) -> bool:
    """The resident it belongs to, and the staff of its community."""
    if _active(user) and residency.user_id == user.id:
        return True
    return can_manage_residency(user, residency)


def can_end_residency(user: Optional[User], residency) -> bool:
    """The resident (moving out), or the community's staff."""
    return can_view_residency(user, residency)


def has_voice_in(user: Optional[User], community: Place) -> bool:
    """Support a proposal, vote: an active resident with a CONFIRMED residency in this
    very community. Unconfirmed, rejected, ended, or another community's: no."""
    if not can_declare_residency(user):
        return False
    from backend.participation.operations import confirmed_residency

    return confirmed_residency(user.id, community.id) is not None


def can_manage_notice(user: Optional[User], notice) -> bool:
    return can_manage_community(user, notice.community)


def can_view_notice(user: Optional[User], notice) -> bool:
    """A current notice is public to anyone logged in (the notice board); scheduled,
    expired and withdrawn ones only to the community's staff."""
    if can_manage_notice(user, notice):
        return True
    from backend.participation.notices import is_current

    return _active(user) and is_current(notice)


def can_propose(user: Optional[User], community: Place) -> bool:
    """Confirmed residents of the community propose; its staff file proposals on behalf of
    a yard meeting."""
    return has_voice_in(user, community) or can_manage_community(user, community)


def can_answer_proposal(user: Optional[User], proposal) -> bool:
    """The community's staff: official answers, the agenda, releasing held content."""
    return can_manage_community(user, proposal.community)


def can_view_proposal(user: Optional[User], proposal) -> bool:
    """Anyone logged in, unless its content is held for review: then its author and the
    community's staff only."""
    if not _active(user):
        return False
    if proposal.content_status == "pass" or proposal.author_id == user.id:
        return True
    return can_answer_proposal(user, proposal)


def can_support_proposal(user: Optional[User], proposal) -> bool:
    """A confirmed resident of the proposal's community who is not its author."""
    return proposal.author_id != getattr(user, "id", None) and has_voice_in(
        user, proposal.community)


def can_run_council(user: Optional[User], community: Place) -> bool:
    """Staff of the community keep the council's members and terms, its meetings, their
    minutes and the decisions recorded (residents see them: anyone logged in)."""
    return can_manage_community(user, community)


def can_view_fund(user: Optional[User], community: Place) -> bool:
    """The fund, its budget, vote rounds and ledger: the community's confirmed residents
    and its staff."""
    return has_voice_in(user, community) or can_manage_community(user, community)


def can_manage_fund(user: Optional[User], community: Place) -> bool:
    """Staff of the community: the fund, budget lines, vote rounds, paper ballots,
    publishing results."""
    return can_manage_community(user, community)


def can_view_objection(user: Optional[User], objection) -> bool:
    """The resident who objected, and the staff who answer."""
    if _active(user) and objection.user_id == user.id:
        return True
    return can_manage_notice(user, objection.notice)


def can_accept_project(user: Optional[User], line) -> bool:
    """验收 of a funded project: the community's staff, or a member of its supervisory
    committee in office today (who signs it)."""
    if can_manage_fund(user, line.fund.community):
        return True
    if not _active(user):
        return False
    from backend.participation import council

    return council.is_member_on(user.id, line.fund.community_id, "supervisory",
                                council.today())
