"""The participation world with yards: 王阿姨 (wang) and 小孙 (sun, the same household:
same address) are confirmed in yard A3 (A 三级网格 1); 老周 (zhou) too, and he is its 院落长
in office; 刘姐 (liu) is confirmed in the other yard of community A (A3b); 老李 (li) in
community B; the grid worker owns cell A3."""
from __future__ import annotations

from datetime import date

from backend.extensions import db
from backend.participation.models import Residency, YardCommitteeMember
from tests import factories as f
from tests import participation_world as pw


def build_world(monkeypatch):
    world = pw.build_world(monkeypatch)
    places, people = world.places, world.people
    a3 = places["a3"]
    for name in ("wang", "liu", "chen"):
        row = db.session.query(Residency).filter_by(user_id=people[name].id).one()
        row.yard_id = (places["a3b"] if name == "liu" else a3).id
    people["sun"] = f.resident("o-sun", "小孙", "13900000206")
    people["zhou"] = f.resident("o-zhou", "老周", "13900000207")
    pw.residency(people["sun"], places["a"], room="301", yard=a3)  # wang's home: 1栋1单元301
    pw.residency(people["zhou"], places["a"], building="4栋", room="102", yard=a3)
    db.session.add(YardCommitteeMember(community_id=places["a"].id, yard_id=a3.id,
                                       user_id=people["zhou"].id, name="老周", role="head",
                                       term_start=date(2025, 1, 1), term_end=date(2027, 12, 31)))
    db.session.commit()
    for name in ("sun", "zhou"):
        world.tokens[name] = f.token_for(people[name])
    return world


def convention(world, client, yard: str = "a3", who: str = "zhou", body: str = "第一条 爱护院落环境。"):
    r = client.post(f"/api/v1/yards/{world.places[yard].id}/conventions",
                    json={"title": "院落公约", "body": body}, headers=world.h(who))
    assert r.status_code == 201, r.get_json()
    return r.get_json()
