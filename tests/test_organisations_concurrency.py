"""A micro-fund's balance never goes below zero under concurrent expenses: eight
expenses of 300 元 sent at the same moment against 1000 元 leave exactly three paid
(201), five refused (422 on `amount`), the balance 100 元 and the ledger summing to it
(SQLite and PostgreSQL, real threads sending real HTTP to a live server)."""
from __future__ import annotations

import requests
import sqlalchemy as sa

from backend.extensions import db
from backend.organisations.models import MicroFund, MicroFundLine
from tests import organisations_world as ow
from tests.participation_world import run_at_once


def test_concurrent_expenses_never_overdraw(app, ctx, monkeypatch, live):
    world = ow.build_world(monkeypatch)
    mf = MicroFund(fund_id=world.fund.id, name="助老微基金", balance_fen=0)
    db.session.add(mf)
    db.session.flush()
    db.session.add(MicroFundLine(micro_fund_id=mf.id, kind="donation", amount_fen=100_000,
                                 on_date=ow.date(2026, 10, 1), party="张先生"))
    mf.balance_fen = 100_000
    db.session.commit()
    url = f"{live}/api/v1/micro-funds/{mf.id}/expenses"
    headers = world.h("staff_a")

    def spend(i):
        def call():
            r = requests.post(url, json={"amount": "300", "on_date": "2026-10-08",
                                         "payee": f"食堂{i}"}, headers=headers, timeout=60)
            return r.status_code, r.json()
        return call

    answers = run_at_once([spend(i) for i in range(8)])
    assert sorted(s for s, _ in answers) == [201] * 3 + [422] * 5, answers
    assert all("amount" in body["error"]["fields"] for s, body in answers if s == 422)
    db.session.expire_all()
    assert db.session.get(MicroFund, mf.id).balance_fen == 10_000
    lines = db.session.execute(sa.select(MicroFundLine.kind, MicroFundLine.amount_fen).where(
        MicroFundLine.micro_fund_id == mf.id)).all()
    assert sum(a if k == "donation" else -a for k, a in lines) == 10_000
    assert len(lines) == 4
