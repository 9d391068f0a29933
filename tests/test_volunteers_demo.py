"""The demo: five teams in 晋阳社区, 刘姐 an active member of 邻里互助, safe to run again."""
from __future__ import annotations

import sqlalchemy as sa

from backend.accounts.models import User
from backend.demo import operations as demo
from backend.extensions import db
from backend.volunteers import teams as team_ops
from backend.volunteers.models import VolunteerActivity, VolunteerTeam


def test_demo_teams_and_liu(app, ctx):
    counts = demo.seed(with_tickets=False)
    db.session.commit()
    assert counts["volunteer_rows_created"] == 5 + 2 + 1
    teams = db.session.execute(sa.select(VolunteerTeam).order_by(VolunteerTeam.id)
                               ).scalars().all()
    assert [t.name for t in teams] == ["文明劝导", "邻里互助", "法律服务", "助老助残", "环境保护"]
    assert {t.place.code for t in teams} == {"510107021003"}
    liu = db.session.execute(sa.select(User).where(User.openid == "demo-resident-liu")
                             ).scalar_one()
    m = team_ops.membership_of(liu.id, teams[1].id)
    assert m.status == "active" and not m.is_leader
    act = db.session.execute(sa.select(VolunteerActivity)).scalar_one()
    assert act.capacity == 10 and act.status == "published"
    assert demo.seed(with_tickets=False)["volunteer_rows_created"] == 0
