"""Micro-funds (微基金) inside a community fund: a named purpose (助老, 助学 …) with its own
donors and expenses, as lines of its own ledger.

**The balance never goes below zero.** ``micro_funds.balance_fen`` moves only by
conditional UPDATEs in the request's transaction: a donation adds; an expense subtracts
``WHERE balance_fen >= amount``, and when no row matched the expense is refused (422 on
``amount``) and nothing is written. Two expenses at once cannot both pass: PostgreSQL
re-checks the condition on the row the first one updated (READ COMMITTED), SQLite has
one writer. A CHECK (``balance_fen >= 0``) is the last line. The ledger's lines always
sum to the balance (donations − expenses).
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from backend.core.errors import ApiError, field_error
from backend.extensions import db
from backend.organisations import messages  # noqa: F401  (registers the messages)
from backend.organisations.models import MicroFund, MicroFundLine
from backend.participation import operations as common
from backend.participation.models import CommunityFund


def yuan(fen: int) -> str:
    return f"{common.to_yuan(fen)} 元"


def get_micro_fund(micro_fund_id: int) -> MicroFund:
    return common.get_or_404(MicroFund, micro_fund_id, "micro_fund_not_found")


def create(actor, fund: CommunityFund, args: dict) -> MicroFund:
    name = args["name"].strip()
    if db.session.execute(sa.select(MicroFund.id).where(
            MicroFund.fund_id == fund.id, MicroFund.name == name)).first():
        raise field_error("name", "micro_fund_name_taken", status=409)
    row = MicroFund(fund_id=fund.id, name=name, purpose=args.get("purpose", ""),
                    balance_fen=0, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def update(row: MicroFund, args: dict) -> MicroFund:
    if "name" in args and args["name"].strip() != row.name:
        name = args["name"].strip()
        if db.session.execute(sa.select(MicroFund.id).where(
                MicroFund.fund_id == row.fund_id, MicroFund.name == name)).first():
            raise field_error("name", "micro_fund_name_taken", status=409)
        row.name = name
    for key in ("purpose", "is_active"):
        if key in args:
            setattr(row, key, args[key])
    db.session.flush()
    return row


def _line(actor, row: MicroFund, kind: str, amount: int, on_date: date, party: str,
          note: str) -> MicroFundLine:
    line = MicroFundLine(micro_fund_id=row.id, kind=kind, amount_fen=amount, on_date=on_date,
                         party=party, note=note, created_by_id=actor.id,
                         created_at=common.utcnow())
    db.session.add(line)
    db.session.flush()
    return line


def donate(actor, row: MicroFund, args: dict) -> MicroFundLine:
    """A donation from a donor (a person, a company, a 爱心人士 who stays unnamed)."""
    if not row.is_active:
        raise ApiError(409, "micro_fund_inactive", code="conflict")
    amount = common.positive_fen(args["amount"])
    db.session.execute(sa.update(MicroFund).where(MicroFund.id == row.id).values(
        balance_fen=MicroFund.balance_fen + amount).execution_options(
        synchronize_session=False))
    line = _line(actor, row, "donation", amount, args["on_date"], args["donor"],
                 args.get("note", ""))
    db.session.refresh(row)
    return line


def spend(actor, row: MicroFund, args: dict) -> MicroFundLine:
    """An expense for the micro-fund's purpose, only from what it holds."""
    if not row.is_active:
        raise ApiError(409, "micro_fund_inactive", code="conflict")
    amount = common.positive_fen(args["amount"])
    taken = db.session.execute(sa.update(MicroFund).where(
        MicroFund.id == row.id, MicroFund.balance_fen >= amount).values(
        balance_fen=MicroFund.balance_fen - amount).execution_options(
        synchronize_session=False))
    if taken.rowcount != 1:
        db.session.refresh(row)
        raise field_error("amount", "micro_fund_over_balance", balance=yuan(row.balance_fen))
    line = _line(actor, row, "expense", amount, args["on_date"], args["payee"],
                 args.get("note", ""))
    db.session.refresh(row)
    return line


def lines_of(row: MicroFund) -> list[MicroFundLine]:
    return list(db.session.execute(sa.select(MicroFundLine).where(
        MicroFundLine.micro_fund_id == row.id).order_by(
        MicroFundLine.on_date, MicroFundLine.id)).scalars())


def totals(row: MicroFund) -> dict[str, int]:
    sums = dict(db.session.execute(sa.select(
        MicroFundLine.kind, sa.func.coalesce(sa.func.sum(MicroFundLine.amount_fen), 0))
        .where(MicroFundLine.micro_fund_id == row.id).group_by(MicroFundLine.kind)).all())
    return {"donations": sums.get("donation", 0), "expenses": sums.get("expense", 0)}


def of_fund(fund: CommunityFund) -> list[MicroFund]:
    return list(db.session.execute(sa.select(MicroFund).where(
        MicroFund.fund_id == fund.id).order_by(MicroFund.id)).scalars())
