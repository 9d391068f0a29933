"""A small world for the console tests (HTTP and browser): two communities, their staff,
grid workers, a resident and a few tickets; and logging in to the console."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from backend.core.models import utcnow
from backend.extensions import db
from backend.tickets import operations as ops
from tests import factories as f

PASSWORD = "correct horse battery"
IN_A3 = (30.61, 104.005)    # lat, lng: community A, cell a3
IN_A3B = (30.61, 104.015)   # community A, cell a3b
IN_B3 = (30.61, 104.03)     # community B


@dataclass
class ConsoleWorld:
    """Ids and names only: the objects belong to the app context that made them."""

    places: dict[str, int]
    cats: dict[str, int]
    users: dict[str, int]
    tickets: dict[str, int] = field(default_factory=dict)


def build(app, with_tickets: bool = True) -> ConsoleWorld:
    with app.app_context():
        places = f.two_communities()
        cats = f.categories()
        users = {
            "reporter": f.resident(name="王阿姨", phone="13900000001"),
            "neighbour": f.resident(name="邻居", phone="13900000002"),
            "worker_a": f.worker([places["a2"]], name="李师傅", openid="o-worker-li"),
            "worker_b": f.worker([places["b2"]], name="赵师傅", openid="o-worker-zhao"),
            "staff_a": f.staff(places["a"], username="zhang", password=PASSWORD),
            "staff_b": f.staff(places["b"], username="jin", password=PASSWORD),
            "street": f.staff(places["street"], username="jiedao", password=PASSWORD),
            "admin": f.staff(None, role="admin", username="admin", password=PASSWORD),
        }
        db.session.commit()
        world = ConsoleWorld(places={k: p.id for k, p in places.items()},
                             cats={k: c.id for k, c in cats.items()},
                             users={k: u.id for k, u in users.items()})
        if with_tickets:
            reporter = users["reporter"]
            light = cats["楼道灯损坏"].id
            t1 = ops.create_ticket(reporter, light, "5栋2单元3楼楼道灯不亮", *IN_A3,
                                   address="晋阳路 5 栋")
            t2 = ops.create_ticket(users["neighbour"], light, "5栋楼道灯坏了，晚上很黑",
                                   *IN_A3, address="晋阳路 5 栋")
            t3 = ops.create_ticket(reporter, cats["下水道堵塞"].id, "金雁社区下水道堵了",
                                   *IN_B3, address="金雁路 8 号")
            t4 = ops.create_ticket(reporter, cats["垃圾堆放"].id, "门口垃圾堆了一个星期",
                                   *IN_A3B, address="晋阳路 9 号")
            # t4 is overdue: its accept deadline passed yesterday
            t4.accept_due_at = t4.due_at = utcnow() - timedelta(days=1)
            t4.created_at = utcnow() - timedelta(days=3)
            db.session.commit()
            world.tickets = {"t1": t1.id, "t2": t2.id, "t3": t3.id, "t4": t4.id}
        return world


def csrf_token(client, path: str = "/console/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"{path} carries no CSRF token"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    response = client.post("/console/login", data={
        "csrf_token": csrf_token(client), "username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response
