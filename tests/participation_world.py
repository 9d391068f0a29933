"""A small world for participation tests: two communities (A 晋阳社区, B 金雁社区) with
staff of each, the street's staff and an admin; residents 王阿姨 and 刘姐 (confirmed in A),
小陈 (declared in A, pending), 老李 (confirmed in B), 小赵 (no residency), a grid worker,
and ``residents`` extra residents confirmed in A.

The clock is fixed with ``world.at(...)`` (Shanghai wall-clock time): it replaces
``backend.participation.operations.utcnow``, the only clock the feature reads.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime


from backend.accounts.models import Role
from backend.extensions import db
from backend.participation import operations as common
from backend.participation.models import CommunityNotice, Residency
from backend.participation.residency import address_key
from tests import factories as f
from tests import volunteers_world
from tests.volunteers_world import iso, sh  # noqa: F401  (the tests use them from here)


@dataclass
class World(volunteers_world.World):
    """The volunteers test world (``h``, ``tick``, ``id``; no teams here) with this
    feature's clock."""

    def at(self, text: str) -> datetime:
        self.now = sh(text)
        self.monkeypatch.setattr(common, "utcnow", lambda: self.now)
        return self.now


def run_at_once(calls) -> list:
    """Run the callables at the same moment (a barrier), each in its own thread; their
    answers, in the order they finished."""
    db.session.commit()  # SQLite: no open transaction may hold the write lock
    barrier = threading.Barrier(len(calls))
    answers: list = []
    lock = threading.Lock()

    def run(call):
        barrier.wait()
        answer = call()
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    db.session.expire_all()
    return answers


def residency(user, community, status: str = "confirmed", building: str = "1栋",
              unit: str = "1单元", room: str = "101", yard=None) -> Residency:
    row = Residency(user_id=user.id, community_id=community.id,
                    yard_id=yard.id if yard else None, building=building, unit=unit,
                    room=room, address_key=address_key(building, unit, room),
                    name=user.display_name, phone=user.phone or "13800000000", status=status,
                    source="staff" if status == "confirmed" else "declared",
                    declared_at=common.utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def notice(world: World, community: str = "a", start: str = "2026-10-08 09:00",
           until: str | None = None, kind: str = "notice", title: str = "停水通知",
           pinned: bool = False) -> CommunityNotice:
    row = CommunityNotice(community_id=world.places[community].id, kind=kind, title=title,
                          body="10月10日 9:00–17:00 3栋停水检修。", publish_from=sh(start),
                          publish_until=sh(until) if until else None, pinned=pinned,
                          created_by_id=world.id("staff_a"))
    db.session.add(row)
    db.session.commit()
    return row


def build_world(monkeypatch, residents: int = 0) -> World:
    places = f.two_communities()
    world = World(places=places, teams={}, people={}, tokens={}, monkeypatch=monkeypatch)
    world.at("2026-10-08 10:00")
    people = world.people
    people["staff_a"] = f.staff(places["a"])
    people["staff_b"] = f.staff(places["b"])
    people["street"] = f.staff(places["street"])
    people["admin"] = f.staff(None, role=Role.admin.value)
    people["wang"] = f.resident("o-wang", "王阿姨", "13900000201")
    people["liu"] = f.resident("o-liu", "刘姐", "13900000203")
    people["chen"] = f.resident("o-chen", "小陈", "13900000202")
    people["li"] = f.resident("o-li", "老李", "13900000204")
    people["zhao"] = f.resident("o-zhao", "小赵", "13900000205")
    people["worker"] = f.worker([places["a3"]])
    residency(people["wang"], places["a"], room="301")
    residency(people["liu"], places["a"], building="2栋", room="502")
    residency(people["chen"], places["a"], status="pending", building="3栋", room="101")
    residency(people["li"], places["b"], room="201")
    for i in range(residents):
        people[f"r{i:02d}"] = user = f.resident(f"o-r{i:02d}", f"居民{i:02d}",
                                                f"1370000{i:04d}")
        residency(user, places["a"], building="5栋", room=f"{100 + i}")
    db.session.commit()
    for name, user in people.items():
        world.tokens[name] = f.token_for(user)
    return world


def proposal(world: World, author: str = "wang", community: str = "a", title: str = "3栋楼道加装扶手",
             state: str = "open", content_status: str = "pass"):
    from backend.participation.models import Proposal, ProposalEvent

    row = Proposal(community_id=world.places[community].id, author_id=world.id(author),
                   title=title, problem="老人上下楼不方便", action="在楼道两侧加装扶手",
                   estimated_cost_fen=1_200_000, state=state, content_status=content_status)
    db.session.add(row)
    db.session.flush()
    db.session.add(ProposalEvent(proposal_id=row.id, kind="filed", to_state="open",
                                 actor_id=world.id(author)))
    db.session.commit()
    return row


def threshold(world: World, value: int, community: str = "a") -> None:
    from backend.participation.models import ParticipationSettings

    db.session.merge(ParticipationSettings(community_id=world.places[community].id,
                                           support_threshold=value))
    db.session.commit()


def fund(world: World, amount_fen: int = 20_000_000, year: int = 2026, community: str = "a",
         negative_list=("发放福利", "宴请")):
    from backend.participation.models import CommunityFund

    row = CommunityFund(community_id=world.places[community].id, year=year,
                        amount_fen=amount_fen, negative_list=list(negative_list))
    db.session.add(row)
    db.session.commit()
    return row


def vote_round(world: World, fund_row, options, method: str = "pick_n", pick_n: int = 2,
               budget_fen: int | None = None, opens: str = "2026-10-08 09:00",
               closes: str = "2026-10-15 18:00"):
    """``options``: (title, cost in fen) pairs, in ballot order."""
    from backend.participation.models import VoteOption, VoteRound

    row = VoteRound(fund_id=fund_row.id, title="2026年微项目投票", method=method,
                    pick_n=pick_n if method == "pick_n" else None,
                    budget_fen=fund_row.amount_fen if budget_fen is None else budget_fen,
                    opens_at=sh(opens), closes_at=sh(closes))
    db.session.add(row)
    db.session.flush()
    for position, (title, cost) in enumerate(options):
        db.session.add(VoteOption(round_id=row.id, title=title, cost_fen=cost,
                                  position=position))
    db.session.commit()
    return row
