"""Who may do what in resident participation (居民参与): residencies, notices, proposals,
the council, the fund and its projects. One function per rule (the basics they build on
are in ``accounts/permissions.py``). A voice in a community (support, vote, object) comes
from a confirmed residency there.
"""
from __future__ import annotations

from typing import Optional

from backend.accounts.models import User
from backend.accounts.permissions import active, can_manage_place, can_work_in_cell, is_resident
from backend.participation import council, notices, yards
from backend.participation import operations as common
from backend.places.models import Place


def can_declare_residency(user: Optional[User]) -> bool:
    """Residents declare their own home; staff and grid workers have no home here."""
    return is_resident(user)


def can_manage_community(user: Optional[User], community: Place) -> bool:
    """Staff of the community (or the street, district) and admins: confirm residencies,
    import the household register, publish notices."""
    return can_manage_place(user, community)


def can_manage_residency(user: Optional[User], residency) -> bool:
    return can_manage_community(user, residency.community)


def can_view_residency(user: Optional[User], residency) -> bool:
    """The resident it belongs to, and the staff of its community."""
    if active(user) and residency.user_id == user.id:
        return True
    return can_manage_residency(user, residency)


def can_end_residency(user: Optional[User], residency) -> bool:
    """The resident (moving out), or the community's staff."""
    return can_view_residency(user, residency)


def has_voice_in(user: Optional[User], community: Place) -> bool:
    """Support a proposal, vote, object: an active resident with a CONFIRMED residency in
    this very community. Unconfirmed, rejected, ended, or another community's: no."""
    if not can_declare_residency(user):
        return False
    return common.confirmed_residency(user.id, community.id) is not None


def can_manage_notice(user: Optional[User], notice) -> bool:
    return can_manage_community(user, notice.community)


def can_view_notice(user: Optional[User], notice) -> bool:
    """A current notice is public to anyone logged in (the notice board); scheduled,
    expired and withdrawn ones only to the community's staff."""
    if can_manage_notice(user, notice):
        return True
    return active(user) and notices.is_current(notice)


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
    if not active(user):
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
    if active(user) and objection.user_id == user.id:
        return True
    return can_manage_notice(user, objection.notice)


def can_accept_project(user: Optional[User], line) -> bool:
    """验收 of a funded project: the community's staff, or a member of its supervisory
    committee in office today (who signs it)."""
    if can_manage_fund(user, line.fund.community):
        return True
    if not active(user):
        return False
    return council.is_member_on(user.id, line.fund.community_id, "supervisory",
                                council.today())


# --- yard self-government (院落自治) ------------------------------------------------------

def can_keep_yard_committee(user: Optional[User], yard: Place) -> bool:
    """The committee's roster (members, roles, terms): staff of the yard's subtree."""
    return can_manage_place(user, yard)


def is_yard_committee_member(user: Optional[User], yard: Place) -> bool:
    """In office today in the committee of the yard (or of a yard containing it)."""
    return active(user) and yards.is_member_on(user.id, yard, yards.today())


def can_manage_yard(user: Optional[User], yard: Place) -> bool:
    """Conventions (new versions) and yard meetings: the yard's committee members in
    office, and staff of the subtree."""
    return can_manage_place(user, yard) or is_yard_committee_member(user, yard)


def can_view_yard(user: Optional[User], yard: Place) -> bool:
    """The yard's committee, conventions, signature coverage and meetings: its confirmed
    residents, the grid worker of its cell, its committee and the staff. Other yards'
    residents: no (404)."""
    if can_manage_yard(user, yard) or can_work_in_cell(user, yard):
        return True
    return is_resident(user) and yards.yard_residency(user.id, yard) is not None


def can_view_convention(user: Optional[User], convention) -> bool:
    """A yard's 院落公约: as the yard; the community's 居民公约: its confirmed residents and
    staff."""
    if convention.yard_id is not None:
        return can_view_yard(user, convention.yard)
    return has_voice_in(user, convention.community) or can_manage_community(
        user, convention.community)


def can_manage_convention(user: Optional[User], convention) -> bool:
    if convention.yard_id is not None:
        return can_manage_yard(user, convention.yard)
    return can_manage_community(user, convention.community)


def can_sign_convention(user: Optional[User], convention) -> bool:
    """A resident confirmed in the yard (院落公约) or in the community (居民公约)."""
    return is_resident(user) and yards.signer_residency(user, convention) is not None


def can_view_meeting(user: Optional[User], meeting) -> bool:
    """A yard's meeting: as the yard; council meetings (and yard meetings recorded for
    the whole community): anyone logged in."""
    if meeting.yard_id is not None:
        return can_view_yard(user, meeting.yard)
    return active(user)


def can_run_meeting(user: Optional[User], meeting) -> bool:
    """A yard's meeting: its committee in office and staff; others: the community's staff."""
    if meeting.yard_id is not None:
        return can_manage_yard(user, meeting.yard)
    return can_run_council(user, meeting.community)
