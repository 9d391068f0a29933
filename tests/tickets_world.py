"""A small world for ticket tests: two communities, their staff, workers and residents."""
from __future__ import annotations

from dataclasses import dataclass

from backend.extensions import db
from tests import factories as f

IN_A3 = (30.61, 104.005)     # lat, lng inside community A, cell a3
IN_A3B = (30.61, 104.015)    # community A, cell a3b
IN_B3 = (30.61, 104.03)      # community B
OUTSIDE = (30.61, 104.10)    # outside every cell


@dataclass
class World:
    places: dict
    cats: dict
    reporter: object
    neighbour: object
    worker_a: object
    worker_a2: object
    worker_b: object
    staff_a: object
    staff_b: object
    street: object
    admin: object
    tokens: dict

    def h(self, who: str) -> dict:
        return f.auth(self.tokens[who])


def build_world() -> World:
    places = f.two_communities()
    cats = f.categories()
    people = {
        "reporter": f.resident(name="王阿姨", phone="13900000001"),
        "neighbour": f.resident(name="邻居", phone="13900000002"),
        "worker_a": f.worker([places["a2"]], name="李师傅", openid="o-worker-a"),
        "worker_a2": f.worker([places["a3b"]], name="周师傅", openid="o-worker-a2"),
        "worker_b": f.worker([places["b2"]], name="赵师傅", openid="o-worker-b"),
        "staff_a": f.staff(places["a"]),
        "staff_b": f.staff(places["b"]),
        "street": f.staff(places["street"]),
        "admin": f.staff(None, role="admin"),
    }
    db.session.commit()
    tokens = {name: f.token_for(user, hours=2) for name, user in people.items()}
    return World(places=places, cats=cats, tokens=tokens, **people)


def report(client, world: World, category: str = "楼道灯损坏", where=IN_A3,
           who: str = "reporter", **extra):
    body = {"category_id": world.cats[category].id, "description": "5栋2单元3楼楼道灯不亮",
            "lat": where[0], "lng": where[1], "address": "晋阳路 5 栋"}
    body.update(extra)
    response = client.post("/api/v1/tickets", json=body, headers=world.h(who))
    assert response.status_code == 201, response.get_json()
    return response.get_json()
