"""The demo seed's participation data: usable through the API by the demo residents and
staff, and seeding again creates nothing new."""
from __future__ import annotations

from tests import factories as f


def _seed(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output


def _login(client, openid):
    r = client.post("/api/v1/auth/dev-login", json={"openid": openid})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def test_demo_participation(app, client):
    from backend.demo.operations import seed
    from backend.extensions import db

    _seed(app)
    with app.app_context():
        assert seed(with_tickets=False)["participation_rows_created"] == 0
        db.session.rollback()
    wang = _login(client, "demo-resident-wang")
    chen = _login(client, "demo-resident-chen")
    homes = client.get("/api/v1/me/residencies", headers=wang).get_json()
    assert [(h["community_name"], h["status"]) for h in homes] == [("晋阳社区", "confirmed")]
    assert client.get("/api/v1/me/residencies", headers=chen).get_json()[0]["status"] == "pending"
    community = homes[0]["community_id"]
    notices = client.get("/api/v1/me/notices", headers=wang).get_json()["items"]
    assert [(n["pinned"], n["area"]) for n in notices] == [(True, "affairs"), (False, "party")]
    # 院落自治: wang's yard, its committee, the 院落公约 in force (v2) and the 居民公约
    (yard,) = client.get("/api/v1/me/yards", headers=wang).get_json()
    assert {(m["name"], m["role"]) for m in yard["committee"]} == {("王阿姨", "head"),
                                                                 ("刘姐", "building_head")}
    assert [(c["title"], c["current"]["number"], c["signed"], c["my_household_signed"])
            for c in yard["conventions"]] == [("晋阳院落公约", 2, 1, True),
                                              ("晋阳社区居民公约", 1, 0, False)]
    meetings = client.get(f"/api/v1/yards/{yard['id']}/meetings", headers=wang).get_json()
    assert [m["title"] for m in meetings["items"]] == ["院落会议：院坝座椅更换"]
    assert client.get(f"/api/v1/yards/{yard['id']}", headers=chen).status_code == 404
    proposals = client.get(f"/api/v1/proposals?community_id={community}&sort=support",
                           headers=wang).get_json()["items"]
    assert {p["title"]: p["support_count"] for p in proposals} == {
        "3栋楼道加装扶手": 1, "院坝增设休闲座椅": 1}
    assert all(p["support_threshold"] == 3 for p in proposals)
    members = client.get(f"/api/v1/communities/{community}/council-members",
                         headers=chen).get_json()
    assert {(m["name"], m["body"]) for m in members} == {("王阿姨", "council"),
                                                         ("刘姐", "supervisory")}
    funds = client.get(f"/api/v1/communities/{community}/funds", headers=wang).get_json()
    assert len(funds) == 1 and funds[0]["amount"] == "200000.00"
    assert client.get(f"/api/v1/funds/{funds[0]['id']}/ledger",
                      headers=wang).get_json()["balance"] == "200000.00"
    rounds = client.get(f"/api/v1/funds/{funds[0]['id']}/vote-rounds", headers=wang).get_json()
    assert len(rounds) == 1 and rounds[0]["is_open"] is True
    option = rounds[0]["options"][0]["id"]
    r = client.post(f"/api/v1/vote-rounds/{rounds[0]['id']}/ballots",
                    json={"option_ids": [option]}, headers=wang)
    assert r.status_code == 201, r.get_json()
    r = client.post(f"/api/v1/vote-rounds/{rounds[0]['id']}/ballots",
                    json={"option_ids": [option]}, headers=chen)
    assert r.status_code == 403
    # the demo staff member of the community works the confirmation queue
    r = client.post("/api/v1/auth/login", json={"username": "zhang",
                                                "password": "linli-staff-demo"})
    staff = f.auth(r.get_json()["token"])
    queue = client.get("/api/v1/residencies?status=pending", headers=staff).get_json()["items"]
    assert [q["name"] for q in queue] == ["小陈"]
