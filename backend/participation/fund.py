"""The community fund per year (社区保障资金), its budget lines, and participatory vote
rounds with one ballot per person.

**Money** is in fen (分) in the database and in this module; the API speaks yuan with 2
decimals.

**Negative list** (负面清单): short phrases; a budget line or a vote option whose title
contains one is refused (422), so write the list as the phrases to look for
("发放福利", "宴请", "人员工资" …).

**One ballot per person and round**: a ballot carries the person's key in the
community — their home (normalised building/unit/room) and phone, the same whether they
vote online (from their confirmed residency) or staff enter their paper ballot (from
the residency or from the line of the imported household register) — and
``(round_id, person_key)`` is unique in the database. Of several submissions at once
exactly one is stored; the others get 409. Paper ballots may be entered from the
round's opening until its results are published.

**Winners** (``compute_winners``): options are ranked by votes, most first. **Tie rule**:
among options with equal votes the cheaper one ranks first (it leaves more money for the
others); if the cost is equal too, the one listed first on the ballot (lower position,
then lower id). Winners are then taken in rank order while the money lasts: an option
that costs more than what is left is passed over and the next one is tried, so a
cheaper option further down can still be funded. Options with no votes never win. The
money is the round's budget, or what is left of the fund when the results are published
if that is less.

Publishing the results (after the round closes) writes the votes, ranks and winners,
a budget line per winner, and a 公示 notice whose notice period is the objection window.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.participation import permissions
from backend.core.bilingual import Text
from backend.core.errors import ApiError, field_error
from backend.extensions import db
from backend.participation import notices
from backend.participation import operations as common
from backend.participation.models import (
    Ballot, BallotChoice, BudgetLine, CommunityFund, Household, Proposal,
    Residency, ResidencyStatus, VoteOption, VoteRound,
)
from backend.places.models import Place

DEFAULT_NOTICE_DAYS = notices.DEFAULT_NOTICE_DAYS


def yuan(fen: int) -> str:
    return f"{common.to_yuan(fen)} 元"


def yuan_en(fen: int) -> str:
    """An amount for a reader of English (the 公示 the system writes in both languages)."""
    return f"{common.to_yuan(fen)} yuan"


def _votes_en(n: int) -> str:
    return f"{n} vote" if n == 1 else f"{n} votes"


# --- the fund and its budget lines -----------------------------------------------------

def get_fund(fund_id: int) -> CommunityFund:
    return common.get_or_404(CommunityFund, fund_id, "fund_not_found")


def allocated(fund: CommunityFund) -> int:
    return db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(BudgetLine.amount_fen), 0))
        .where(BudgetLine.fund_id == fund.id)).scalar_one()


def remaining(fund: CommunityFund) -> int:
    return fund.amount_fen - allocated(fund)


def _clean_list(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in items if i and i.strip()))


def check_negative_list(fund: CommunityFund, text: str, field: str) -> None:
    for item in fund.negative_list or []:
        if item and item in text:
            raise field_error(field, "on_negative_list", item=item)


def create_fund(community: Place, args: dict) -> CommunityFund:
    if db.session.execute(sa.select(CommunityFund.id).where(
            CommunityFund.community_id == community.id,
            CommunityFund.year == args["year"])).first():
        raise field_error("year", "fund_year_exists", status=409)
    row = CommunityFund(community_id=community.id, year=args["year"],
                        amount_fen=common.to_fen(args["amount"]),
                        negative_list=_clean_list(args.get("negative_list") or []),
                        note=args.get("note", ""))
    db.session.add(row)
    db.session.flush()
    return row


def update_fund(fund: CommunityFund, args: dict) -> CommunityFund:
    if "amount" in args:
        amount = common.to_fen(args["amount"])
        if amount < allocated(fund):
            raise field_error("amount", "fund_below_allocated", allocated=yuan(allocated(fund)))
        fund.amount_fen = amount
    if "negative_list" in args:
        fund.negative_list = _clean_list(args["negative_list"])
    if "note" in args:
        fund.note = args["note"]
    db.session.flush()
    return fund


def _project(fund: CommunityFund, proposal_id: Optional[int], states: tuple[str, ...]):
    if proposal_id is None:
        return None
    proposal = common.get_row(Proposal, proposal_id)
    if proposal is None or proposal.community_id != fund.community_id:
        raise field_error("proposal_id", "proposal_not_found")
    if proposal.state not in states:
        raise field_error("proposal_id", "proposal_not_approved")
    return proposal


def lock_fund(fund: CommunityFund) -> None:
    """Serialise money decisions on one fund (PostgreSQL row lock; SQLite has one writer)."""
    db.session.execute(sa.select(CommunityFund.id).where(CommunityFund.id == fund.id)
                       .with_for_update())


def add_budget_line(actor, fund: CommunityFund, args: dict) -> BudgetLine:
    """A line for a project the council approved (an accepted proposal, or by title)."""
    proposal = _project(fund, args.get("proposal_id"), ("accepted",))
    title = args.get("title") or (proposal.title if proposal else "")
    if not title:
        raise field_error("title", "field_required")
    check_negative_list(fund, title, "title")
    amount = common.positive_fen(args["amount"])
    lock_fund(fund)
    if amount > remaining(fund):
        raise field_error("amount", "over_fund", left=yuan(remaining(fund)))
    row = BudgetLine(fund_id=fund.id, proposal_id=proposal.id if proposal else None,
                     title=title, amount_fen=amount, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def budget_lines(fund: CommunityFund) -> list[BudgetLine]:
    return list(db.session.execute(sa.select(BudgetLine).where(BudgetLine.fund_id == fund.id)
                                   .order_by(BudgetLine.id)).scalars())


# --- vote rounds -----------------------------------------------------------------------

def get_round(round_id: int) -> VoteRound:
    return common.get_or_404(VoteRound, round_id, "round_not_found")


def options_of(row: VoteRound) -> list[VoteOption]:
    return list(db.session.execute(sa.select(VoteOption).where(VoteOption.round_id == row.id)
                                   .order_by(VoteOption.position, VoteOption.id)).scalars())


def create_round(actor, fund: CommunityFund, args: dict) -> VoteRound:
    if args["closes_at"] <= args["opens_at"]:
        raise field_error("closes_at", "round_window")
    options = args["options"]
    left = remaining(fund)
    budget = common.to_fen(args["budget"]) if args.get("budget") is not None else left
    if budget > left:
        raise field_error("budget", "over_fund", left=yuan(left))
    pick_n = args.get("pick_n")
    if args["method"] == "pick_n" and not (pick_n and 1 <= pick_n <= len(options)):
        raise field_error("pick_n", "pick_n_range", count=len(options))
    row = VoteRound(fund_id=fund.id, title=args["title"], method=args["method"],
                    pick_n=pick_n if args["method"] == "pick_n" else None, budget_fen=budget,
                    opens_at=args["opens_at"], closes_at=args["closes_at"],
                    created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    for position, option in enumerate(options):
        field = f"options.{position}"
        proposal = _project(fund, option.get("proposal_id"), ("accepted", "on_agenda"))
        title = option.get("title") or (proposal.title if proposal else "")
        if not title:
            raise field_error(field, "field_required")
        check_negative_list(fund, title, field)
        cost = option.get("cost")
        if cost is None and proposal is not None:
            cost_fen = proposal.estimated_cost_fen
        else:
            cost_fen = common.to_fen(cost)
        if cost_fen is None:
            raise field_error(field, "option_cost_required")
        db.session.add(VoteOption(round_id=row.id, proposal_id=proposal.id if proposal else None,
                                  title=title, cost_fen=cost_fen, position=position))
    db.session.flush()
    return row


def is_open(row: VoteRound, now: Optional[datetime] = None) -> bool:
    now = now or common.utcnow()
    return row.status == "scheduled" and row.opens_at <= now < row.closes_at


def person_key(address_key: str, phone: str) -> str:
    return f"{address_key}|{phone}"[:100]


def _check_choices(row: VoteRound, option_ids: list[int]) -> list[VoteOption]:
    ids = list(dict.fromkeys(option_ids))
    if not ids or len(ids) != len(option_ids):
        raise field_error("option_ids", "choices_invalid")
    options = {o.id: o for o in options_of(row)}
    if any(i not in options for i in ids):
        raise field_error("option_ids", "choices_invalid")
    if row.method == "pick_n" and len(ids) > row.pick_n:
        raise field_error("option_ids", "too_many_choices", n=row.pick_n)
    if row.method == "budget":
        total = sum(options[i].cost_fen for i in ids)
        if total > row.budget_fen:
            raise field_error("option_ids", "choices_over_budget", budget=yuan(row.budget_fen))
    return [options[i] for i in ids]


def _store_ballot(row: VoteRound, key: str, option_ids: list[int], source: str,
                  user_id: Optional[int], entered_by_id: Optional[int]) -> Ballot:
    chosen = _check_choices(row, option_ids)
    ballot = Ballot(round_id=row.id, person_key=key, user_id=user_id, source=source,
                    entered_by_id=entered_by_id, cast_at=common.utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(ballot)
            db.session.flush()
    except IntegrityError:
        # another submission for this person was stored first (the unique constraint)
        raise ApiError(409, "ballot_already_cast", code="already_voted") from None
    db.session.add_all([BallotChoice(ballot_id=ballot.id, option_id=o.id) for o in chosen])
    db.session.flush()
    return ballot


def _already(row: VoteRound, key: str) -> bool:
    return db.session.execute(sa.select(Ballot.id).where(
        Ballot.round_id == row.id, Ballot.person_key == key)).first() is not None


def cast(user, row: VoteRound, option_ids: list[int]) -> Ballot:
    """A confirmed resident's own ballot, while the round is open."""
    residency = common.confirmed_residency(user.id, row.fund.community_id) if (
        permissions.can_declare_residency(user)) else None
    if residency is None:
        raise ApiError(403, "vote_needs_residency", code="forbidden")
    if not is_open(row):
        raise ApiError(409, "round_not_open", code="conflict")
    key = person_key(residency.address_key, residency.phone)
    if _already(row, key):
        raise ApiError(409, "ballot_already_cast", code="already_voted")
    return _store_ballot(row, key, option_ids, "online", user.id, None)


def cast_paper(actor, row: VoteRound, args: dict) -> Ballot:
    """A paper ballot staff enter for a confirmed resident or a household-register line;
    counted once per person with the online ones."""
    if row.status != "scheduled" or common.utcnow() < row.opens_at:
        raise ApiError(409, "round_not_open", code="conflict")
    community_id = row.fund.community_id
    user_id = None
    if args.get("residency_id") is not None:
        residency = common.get_row(Residency, args["residency_id"])
        if (residency is None or residency.community_id != community_id
                or residency.status != ResidencyStatus.confirmed.value):
            raise field_error("residency_id", "voter_not_found")
        key, user_id = person_key(residency.address_key, residency.phone), residency.user_id
    elif args.get("household_id") is not None:
        line = common.get_row(Household, args["household_id"])
        if line is None or line.community_id != community_id:
            raise field_error("household_id", "voter_not_found")
        key = person_key(line.address_key, line.phone)
    else:
        raise field_error("residency_id", "voter_required")
    if _already(row, key):
        raise ApiError(409, "ballot_already_cast", code="already_voted")
    return _store_ballot(row, key, args["option_ids"], "paper", user_id, actor.id)


def my_ballot(user, row: VoteRound) -> Optional[list[int]]:
    residency = common.confirmed_residency(user.id, row.fund.community_id)
    if residency is None:
        return None
    ballot = db.session.execute(sa.select(Ballot).where(
        Ballot.round_id == row.id,
        Ballot.person_key == person_key(residency.address_key, residency.phone))
    ).scalar_one_or_none()
    if ballot is None:
        return None
    return sorted(db.session.execute(sa.select(BallotChoice.option_id).where(
        BallotChoice.ballot_id == ballot.id)).scalars())


def tally(row: VoteRound) -> dict[int, int]:
    counts = dict(db.session.execute(
        sa.select(BallotChoice.option_id, sa.func.count())
        .join(Ballot, Ballot.id == BallotChoice.ballot_id)
        .where(Ballot.round_id == row.id).group_by(BallotChoice.option_id)).all())
    return {o.id: counts.get(o.id, 0) for o in options_of(row)}


def ballot_count(row: VoteRound) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Ballot).where(
        Ballot.round_id == row.id)).scalar_one()


@dataclass
class Standing:
    option_id: int
    votes: int
    cost: int
    position: int
    rank: int = 0
    won: bool = False


def compute_winners(options: list[Standing], money: int) -> list[Standing]:
    """Rank by votes (ties: cheaper first, then ballot order) and take winners in rank
    order while the money lasts, passing over what no longer fits. See the module
    docstring for the rule in words."""
    ranked = sorted(options, key=lambda s: (-s.votes, s.cost, s.position, s.option_id))
    left = money
    for rank, standing in enumerate(ranked, start=1):
        standing.rank = rank
        standing.won = standing.votes > 0 and standing.cost <= left
        if standing.won:
            left -= standing.cost
    return ranked


def publish(actor, row: VoteRound, notice_days: int = DEFAULT_NOTICE_DAYS) -> VoteRound:
    now = common.utcnow()
    if row.status != "scheduled":
        raise ApiError(409, "round_published", code="conflict")
    if now < row.closes_at:
        raise ApiError(409, "round_not_closed", code="conflict")
    fund = row.fund
    lock_fund(fund)
    money = min(row.budget_fen, remaining(fund))
    counts = tally(row)
    options = {o.id: o for o in options_of(row)}
    standings = compute_winners(
        [Standing(o.id, counts[o.id], o.cost_fen, o.position) for o in options.values()], money)
    lines = []
    for s in standings:
        option = options[s.option_id]
        option.votes, option.rank, option.won = s.votes, s.rank, s.won
        lines.append(Text(f"{s.rank}. {option.title}：{s.votes} 票，{yuan(option.cost_fen)}"
                          f"{'，入选' if s.won else ''}",
                          f"{s.rank}. {option.title}: {_votes_en(s.votes)}, "
                          f"{yuan_en(option.cost_fen)}{', selected' if s.won else ''}"))
        if s.won:
            db.session.add(BudgetLine(fund_id=fund.id, proposal_id=option.proposal_id,
                                      vote_option_id=option.id, title=option.title,
                                      amount_fen=option.cost_fen, created_by_id=actor.id))
    ballots = ballot_count(row)
    notice = notices.disclose(
        actor, fund.community_id,
        Text(f"{row.title}投票结果公示", f"Vote results: {row.title}"),
        [Text(f"{row.title}（{fund.year} 年社区保障资金）投票结果公示。",
              f"Results of the vote “{row.title}” (community fund {fund.year})."),
         Text(f"有效选票 {ballots} 张，可用资金 {yuan(money)}。",
              f"Valid ballots: {ballots}; money available: {yuan_en(money)}."), *lines],
        notice_days, area="finance")
    row.status, row.published_at, row.notice_id = "published", now, notice.id
    db.session.flush()
    return row


def round_query(fund: CommunityFund):
    return sa.select(VoteRound).where(VoteRound.fund_id == fund.id).order_by(
        VoteRound.opens_at.desc(), VoteRound.id.desc())
