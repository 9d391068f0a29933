"""Implementation of funded projects and the fund's ledger (三公开一监督).

A funded project is a budget line. It gets dated progress entries, expenses with receipt
photos (at least one), and acceptance (验收) by the residents' supervisory committee: a
verdict signed by members of the community's supervisory committee in office that day,
recorded by the community's staff or by one of those members. Once accepted, the
project takes no more expenses.

**The ledger** is every income and every expense of the fund, by date (then by entry),
with the running balance; income total − expense total = balance, always. Money rules
that keep it so: an expense never takes the balance below zero (money not yet received
cannot be spent), and a project's expenses never exceed its budget line. Both are
checked under a lock on the fund row (PostgreSQL; SQLite has one writer).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

import sqlalchemy as sa

from backend.core.bilingual import Text
from backend.core.errors import ApiError, field_error
from backend.extensions import db
from backend.participation import council
from backend.participation import fund as fund_ops
from backend.participation import notices
from backend.participation import operations as common
from backend.participation.models import (
    BudgetLine, CommunityFund, CouncilMember, ExpenseReceipt, FundExpense, FundIncome,
    ProjectAcceptance, ProjectProgress,
)
from backend.uploads import operations as upload_ops
from backend.uploads.models import Upload


def get_line(line_id: int) -> BudgetLine:
    return common.get_or_404(BudgetLine, line_id, "project_not_found")


# --- money in and out ------------------------------------------------------------------

def _sum(model, *where) -> int:
    return db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(model.amount_fen), 0)).where(*where)
    ).scalar_one()


def income_total(fund: CommunityFund) -> int:
    return _sum(FundIncome, FundIncome.fund_id == fund.id)


def expense_total(fund: CommunityFund) -> int:
    return _sum(FundExpense, FundExpense.fund_id == fund.id)


def spent_on(line: BudgetLine) -> int:
    return _sum(FundExpense, FundExpense.line_id == line.id)


def balance(fund: CommunityFund) -> int:
    return income_total(fund) - expense_total(fund)


def add_income(actor, fund: CommunityFund, args: dict) -> FundIncome:
    row = FundIncome(fund_id=fund.id, amount_fen=common.positive_fen(args["amount"]),
                     received_on=args["received_on"], source=args["source"],
                     note=args.get("note", ""), created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def add_expense(actor, line: BudgetLine, args: dict) -> FundExpense:
    if line.status == "accepted":
        raise ApiError(409, "project_accepted", code="conflict")
    fund = line.fund
    amount = common.positive_fen(args["amount"])
    fund_ops.lock_fund(fund)
    left_on_line = line.amount_fen - spent_on(line)
    if amount > left_on_line:
        raise field_error("amount", "over_budget_line", left=fund_ops.yuan(left_on_line))
    if amount > balance(fund):
        raise field_error("amount", "over_balance", balance=fund_ops.yuan(balance(fund)))
    row = FundExpense(fund_id=fund.id, line_id=line.id, amount_fen=amount,
                      spent_on=args["spent_on"], payee=args["payee"],
                      description=args["description"], created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    uploads = upload_ops.claim(actor, args["receipt_photo_ids"], "receipt_photo_ids",
                              now=common.utcnow())
    db.session.add_all([ExpenseReceipt(expense_id=row.id, upload_id=u.id, position=i)
                        for i, u in enumerate(uploads)])
    db.session.flush()
    yuan, yuan_en = fund_ops.yuan, fund_ops.yuan_en
    budget, spent, left = line.amount_fen, spent_on(line), balance(fund)
    notices.disclose(actor, fund.community_id, Text(f"支出公示：{line.title}",
                                                    f"Expense: {line.title}"), [
        Text(f"{fund.year} 年社区保障资金项目“{line.title}”支出 {yuan(amount)}，"
             f"收款方 {row.payee}，{row.spent_on.isoformat()}：{row.description}",
             f"Community fund {fund.year}, project “{line.title}”: {yuan_en(amount)} paid "
             f"to {row.payee} on {row.spent_on.isoformat()}: {row.description}"),
        Text(f"本项目预算 {yuan(budget)}，已支出 {yuan(spent)}；基金余额 {yuan(left)}。",
             f"Project budget {yuan_en(budget)}, spent so far {yuan_en(spent)}; "
             f"the fund's balance is {yuan_en(left)}.")], area="finance")
    return row


def receipts_of(expense_ids: list[int]) -> dict[int, list[Upload]]:
    out: dict[int, list[Upload]] = {i: [] for i in expense_ids}
    if not expense_ids:
        return out
    for receipt, upload in db.session.execute(
            sa.select(ExpenseReceipt, Upload).join(Upload, Upload.id == ExpenseReceipt.upload_id)
            .where(ExpenseReceipt.expense_id.in_(expense_ids))
            .order_by(ExpenseReceipt.expense_id, ExpenseReceipt.position)).all():
        out[receipt.expense_id].append(upload)
    return out


# --- progress and acceptance -----------------------------------------------------------

def add_progress(actor, line: BudgetLine, on_date: date, note: str) -> ProjectProgress:
    row = ProjectProgress(line_id=line.id, on_date=on_date, note=note, created_by_id=actor.id,
                          created_at=common.utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def accept(actor, line: BudgetLine, args: dict) -> ProjectAcceptance:
    if line.status == "accepted":
        raise ApiError(409, "project_accepted", code="conflict")
    ids = list(dict.fromkeys(args["member_ids"]))
    on = council.today()
    members = list(db.session.execute(sa.select(CouncilMember).where(
        CouncilMember.id.in_(ids), CouncilMember.community_id == line.fund.community_id,
        CouncilMember.body == "supervisory", CouncilMember.term_start <= on,
        CouncilMember.term_end >= on)).scalars()) if ids else []
    if not ids or len(members) != len(ids):
        raise field_error("member_ids", "acceptance_members")
    row = ProjectAcceptance(line_id=line.id, verdict=args["verdict"], note=args.get("note", ""),
                            member_ids=[m.id for m in members],
                            member_names=[m.name for m in members],
                            recorded_by_id=actor.id, created_at=common.utcnow())
    db.session.add(row)
    if args["verdict"] == "passed":
        line.status = "accepted"
    db.session.flush()
    return row


def project_detail(line: BudgetLine) -> dict:
    progress = list(db.session.execute(sa.select(ProjectProgress).where(
        ProjectProgress.line_id == line.id).order_by(ProjectProgress.on_date,
                                                      ProjectProgress.id)).scalars())
    expenses = list(db.session.execute(sa.select(FundExpense).where(
        FundExpense.line_id == line.id).order_by(FundExpense.spent_on, FundExpense.id)).scalars())
    acceptances = list(db.session.execute(sa.select(ProjectAcceptance).where(
        ProjectAcceptance.line_id == line.id).order_by(ProjectAcceptance.id)).scalars())
    return {"line": line, "progress": progress, "expenses": expenses,
            "acceptances": acceptances, "spent": spent_on(line)}


# --- the ledger ------------------------------------------------------------------------

@dataclass
class LedgerEntry:
    kind: str                 # income | expense
    entry_id: int
    on: date
    amount_fen: int           # positive for income, negative for expense
    title: str
    line_id: Optional[int]
    balance_fen: int = 0


def ledger(fund: CommunityFund) -> tuple[list[LedgerEntry], dict]:
    """Every income and expense by date (incomes before expenses on the same day, then by
    entry), with the running balance, and the totals."""
    entries = [LedgerEntry("income", i.id, i.received_on, i.amount_fen, i.source, None)
               for i in db.session.execute(sa.select(FundIncome).where(
                   FundIncome.fund_id == fund.id)).scalars()]
    entries += [LedgerEntry("expense", e.id, e.spent_on, -e.amount_fen,
                            f"{e.payee}：{e.description}", e.line_id)
                for e in db.session.execute(sa.select(FundExpense).where(
                    FundExpense.fund_id == fund.id)).scalars()]
    entries.sort(key=lambda x: (x.on, x.kind != "income", x.entry_id))
    running = 0
    for entry in entries:
        running += entry.amount_fen
        entry.balance_fen = running
    totals = {"income": income_total(fund), "expense": expense_total(fund)}
    totals["balance"] = totals["income"] - totals["expense"]
    return entries, totals
