"""A small world for booking tests: two communities with a service centre each, counters,
opening hours like the demo's, residents, staff of each community, a grid worker, an admin.

Centre A (community A) has three counters:
  c1 社保 serves SB (30 min) and HJ (20 min)
  c2 民政 serves SB and LN (15 min)
  c3 综合 serves SB, LN, HJ and OFF (not bookable online)
Hours: Monday–Friday 09:00–12:00 and 13:30–18:00 (every counter, regular),
18:00–20:00 (c1 and c3, extended); Saturday 09:00–12:00 (c2 and c3, extended).
So SB has capacity 3 in regular hours, 2 in the evening (c1, c3) and on Saturday (c2, c3).

The clock is fixed with ``world.at(...)`` (Shanghai wall-clock time): it replaces
``backend.bookings.common.utcnow``, the only clock the bookings feature reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timezone

from backend.bookings import common
from backend.bookings.models import Counter, OpeningRule, ServiceCentre, ServiceItem
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from tests import factories as f


def sh(text: str) -> datetime:
    """'2026-10-08 18:30' in Shanghai → aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


def iso(text: str) -> str:
    """'2026-10-08 18:30' → '2026-10-08T18:30:00+08:00' (as the API writes it)."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).isoformat(timespec="seconds")


@dataclass
class World:
    places: dict
    centre_a: ServiceCentre
    centre_b: ServiceCentre
    items: dict
    counters: dict
    people: dict
    tokens: dict
    monkeypatch: object = None
    now: datetime = field(default=None)

    def h(self, who: str, **extra) -> dict:
        headers = f.auth(self.tokens[who])
        headers.update(extra)
        return headers

    def at(self, text: str) -> datetime:
        """Fix the bookings clock at ``text`` (Shanghai)."""
        self.now = sh(text)
        self.monkeypatch.setattr(common, "utcnow", lambda: self.now)
        return self.now


def item(code: str, name: str, minutes: int, online: bool = True) -> ServiceItem:
    row = ServiceItem(code=code, name=name, department="武侯区", duration_minutes=minutes,
                      materials=["居民身份证原件", "户口簿"], bookable_online=online)
    db.session.add(row)
    return row


def centre_with_hours(place, items: dict, name: str) -> tuple[ServiceCentre, dict]:
    centre = ServiceCentre(place_id=place.id, name=name, address="晋阳路 88 号",
                           phone="028-85000100")
    db.session.add(centre)
    db.session.flush()
    c1 = Counter(centre_id=centre.id, name="1号窗口 社保", sort_order=1,
                 items=[items["SB"], items["HJ"]])
    c2 = Counter(centre_id=centre.id, name="2号窗口 民政", sort_order=2,
                 items=[items["SB"], items["LN"]])
    c3 = Counter(centre_id=centre.id, name="3号窗口 综合", sort_order=3,
                 items=[items["SB"], items["LN"], items["HJ"], items["OFF"]])
    db.session.add_all([c1, c2, c3])
    db.session.flush()
    for weekday in range(5):
        db.session.add_all([
            OpeningRule(centre_id=centre.id, weekday=weekday, start_time=time(9),
                        end_time=time(12), kind="regular"),
            OpeningRule(centre_id=centre.id, weekday=weekday, start_time=time(13, 30),
                        end_time=time(18), kind="regular"),
            OpeningRule(centre_id=centre.id, weekday=weekday, start_time=time(18),
                        end_time=time(20), kind="extended", counters=[c1, c3]),
        ])
    db.session.add(OpeningRule(centre_id=centre.id, weekday=5, start_time=time(9),
                               end_time=time(12), kind="extended", counters=[c2, c3]))
    db.session.flush()
    return centre, {"c1": c1, "c2": c2, "c3": c3}


def build_world(monkeypatch, residents: int = 3) -> World:
    places = f.two_communities()
    items = {"SB": item("SB01", "城乡居民基本养老保险参保登记", 30),
             "LN": item("LN01", "老年人优待证", 15),
             "HJ": item("HJ02", "居住证明", 20),
             "OFF": item("MZ04", "特困人员救助供养申请", 30, online=False)}
    db.session.flush()
    centre_a, counters = centre_with_hours(places["a"], items, "晋阳社区党群服务中心")
    centre_b, counters_b = centre_with_hours(places["b"], items, "金雁社区党群服务中心")
    counters.update({f"b_{k}": v for k, v in counters_b.items()})
    people = {
        "chen": f.resident(name="小陈", phone="13900000202"),
        "wang": f.resident(name="王阿姨", phone="13900000201"),
        "liu": f.resident(name="刘姐", phone="13900000203"),
        "staff_a": f.staff(places["a"]),
        "staff_b": f.staff(places["b"]),
        "street": f.staff(places["street"]),
        "admin": f.staff(None, role="admin"),
        "worker": f.worker([places["a2"]], name="李师傅"),
    }
    for i in range(residents - 3):
        people[f"r{i}"] = f.resident(name=f"居民{i}", phone=f"1370000{i:04d}")
    db.session.commit()
    tokens = {name: f.token_for(user, hours=2) for name, user in people.items()}
    world = World(places=places, centre_a=centre_a, centre_b=centre_b, items=items,
                  counters=counters, people=people, tokens=tokens, monkeypatch=monkeypatch)
    world.at("2026-09-28 10:00")  # a Monday, three days before National Day
    return world


def book(client, world: World, who: str, start: str, item: str = "SB", centre=None,
         expect: int = 201, **headers):
    centre = centre or world.centre_a
    response = client.post("/api/v1/bookings", json={
        "centre_id": centre.id, "item_id": world.items[item].id, "start_at": iso(start)},
        headers=world.h(who, **headers))
    assert response.status_code == expect, response.get_json()
    return response.get_json()
