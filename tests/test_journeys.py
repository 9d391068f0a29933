"""The journeys of docs/journeys.md, end to end through the HTTP API on the demo
community (晋阳社区), with WeChat login against the local fake WeChat server."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from backend.accounts.models import User
from backend.extensions import db
from backend.tickets.models import Ticket

# 晋阳小区一期 (L4), and a spot ~40 m away
YARD = (30.6330, 104.0330)
NEAR_YARD = (30.63335, 104.0331)


@pytest.fixture
def demo(app, ctx):
    from backend.demo import operations as demo_ops

    demo_ops.seed(with_tickets=False)  # the journeys make their own
    db.session.commit()
    return demo_ops


def _photo(client, token, colour=(220, 220, 200)) -> int:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), colour).save(buffer, "JPEG")
    response = client.post("/api/v1/uploads", data={"file": (io.BytesIO(buffer.getvalue()),
                                                             "wx-tmp.jpg", "image/jpeg")},
                           headers={"Authorization": f"Bearer {token}"},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _login(client, openid) -> str:
    response = client.post("/api/v1/auth/dev-login", json={"openid": openid})
    assert response.status_code == 200
    return response.get_json()["token"]


def _staff(client, username, password) -> str:
    response = client.post("/api/v1/auth/login", json={"username": username,
                                                       "password": password})
    assert response.status_code == 200
    return response.get_json()["token"]


def _h(token, **extra):
    return dict({"Authorization": f"Bearer {token}"}, **extra)


def _category(client, token, name) -> int:
    for top in client.get("/api/v1/categories", headers=_h(token)).get_json():
        for child in top["children"]:
            if child["name"] == name:
                return child["id"]
    raise AssertionError(name)


def test_journey_1_wang_reports_the_stairwell_light(client, demo, fake_wechat, tmp_path, app,
                                                      monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    # a neighbour reported the same light two days ago
    neighbour = _login(client, "demo-resident-chen")
    light = _category(client, neighbour, "楼道灯损坏")
    first = client.post("/api/v1/tickets", headers=_h(neighbour), json={
        "category_id": light, "description": "5栋2单元楼道灯坏了", "lat": YARD[0],
        "lng": YARD[1], "address": "晋阳小区5栋"}).get_json()

    # 1. logged in without typing anything: WeChat login
    code = fake_wechat.issue_code("o-wang-ayi")
    login = client.post("/api/v1/auth/wechat", json={"code": code})
    assert login.status_code == 200
    wang = login.get_json()["token"]

    # 2. a photo, the location from her phone, "5栋2单元3楼"
    photo = _photo(client, wang)
    # 3. before submitting she sees the same problem nearby and taps 我也遇到
    nearby = client.get(f"/api/v1/tickets/nearby?lat={NEAR_YARD[0]}&lng={NEAR_YARD[1]}"
                        f"&category={light}", headers=_h(wang)).get_json()
    assert [t["id"] for t in nearby] == [first["id"]]
    assert nearby[0]["distance_m"] <= 60
    follow = client.post(f"/api/v1/tickets/{first['id']}/follow", headers=_h(wang))
    assert follow.get_json()["follower_count"] == 1

    # 4. had she filed her own, a dropped signal and a second tap files nothing twice
    body = {"category_id": light, "description": "5栋2单元3楼楼道灯一直不亮", "lat": NEAR_YARD[0],
            "lng": NEAR_YARD[1], "building": "5栋", "unit": "2单元3楼", "photo_ids": [photo]}
    one = client.post("/api/v1/tickets", json=body, headers=_h(wang, **{"Idempotency-Key": "w-1"}))
    two = client.post("/api/v1/tickets", json=body, headers=_h(wang, **{"Idempotency-Key": "w-1"}))
    assert one.status_code == two.status_code == 201
    assert one.get_json()["id"] == two.get_json()["id"]
    own = one.get_json()
    assert own["place"]["name"].startswith("晋阳小区")  # its L4 unit
    assert len(own["photos"]) == 1
    assert client.get(own["photos"][0]["url"]).status_code == 200

    # 5. dispatched to 李师傅, with a deadline she can see
    zhang = _staff(client, "zhang", "linli-staff-demo")
    li = db.session.execute(sa.select(User).where(User.openid == "demo-worker-li")).scalar_one()
    client.post(f"/api/v1/tickets/{own['id']}/accept", headers=_h(zhang), json={})
    client.post(f"/api/v1/tickets/{own['id']}/dispatch", headers=_h(zhang),
                json={"assignee_id": li.id})
    mine = client.get(f"/api/v1/tickets/{own['id']}", headers=_h(wang)).get_json()
    assert mine["state"] == "dispatched" and mine["handler"]["name"] == "李师傅"
    assert mine["due_at"]

    # 6. fixed: she sees the after-photo and taps 满意
    li_token = _login(client, "demo-worker-li")
    after = _photo(client, li_token, colour=(255, 255, 240))
    resolved = client.post(f"/api/v1/tickets/{own['id']}/resolve", headers=_h(li_token),
                           json={"note": "已更换灯泡", "photo_ids": [after]})
    assert resolved.status_code == 200
    mine = client.get(f"/api/v1/tickets/{own['id']}", headers=_h(wang)).get_json()
    assert [p["phase"] for p in mine["photos"]] == ["report", "after"]
    assert mine["can_rate"]
    rated = client.post(f"/api/v1/tickets/{own['id']}/rating", headers=_h(wang),
                        json={"rating": "satisfied"})
    assert rated.get_json()["state"] == "closed"


def test_journey_2_li_works_his_cells(client, demo, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    resident = _login(client, "demo-resident-liu")
    zhang = _staff(client, "zhang", "linli-staff-demo")
    li = db.session.execute(sa.select(User).where(User.openid == "demo-worker-li")).scalar_one()
    ids = []
    for lat in (YARD[0], YARD[0] + 0.002):
        t = client.post("/api/v1/tickets", headers=_h(resident), json={
            "category_id": _category(client, resident, "楼道灯损坏"), "description": "楼道灯坏了",
            "lat": lat, "lng": YARD[1]}).get_json()
        client.post(f"/api/v1/tickets/{t['id']}/accept", headers=_h(zhang), json={})
        client.post(f"/api/v1/tickets/{t['id']}/dispatch", headers=_h(zhang),
                    json={"assignee_id": li.id})
        ids.append(t["id"])
    li_token = _login(client, "demo-worker-li")
    # 1. 我的任务, nearest first when he shares his location
    tasks = client.get(f"/api/v1/worker/tasks?lat={YARD[0] + 0.002}&lng={YARD[1]}",
                       headers=_h(li_token)).get_json()["items"]
    assert [t["id"] for t in tasks] == [ids[1], ids[0]]
    # 2. 到达: 30 m from the pin
    arrived = client.post(f"/api/v1/tickets/{ids[0]}/check-in", headers=_h(li_token),
                          json={"lat": YARD[0] + 0.00027, "lng": YARD[1]}).get_json()
    assert 25 <= arrived["distance_m"] <= 35 and arrived["state"] == "in_progress"
    # 3. resolved with a note, sent twice from a flaky basement: applied once
    headers = _h(li_token, **{"Idempotency-Key": "li-resolve-1"})
    for _ in range(2):
        r = client.post(f"/api/v1/tickets/{ids[0]}/resolve", headers=headers,
                        json={"note": "已更换灯泡"})
        assert r.status_code == 200
    assert db.session.get(Ticket, ids[0]).state == "resolved"
    # 4. patrol: rubbish by the gate, straight into his own cell, already accepted
    rubbish = client.post("/api/v1/worker/patrol-reports", headers=_h(li_token), json={
        "category_id": _category(client, li_token, "垃圾堆放"), "description": "大门口垃圾堆放",
        "lat": YARD[0], "lng": YARD[1]})
    assert rubbish.status_code == 201 and rubbish.get_json()["state"] == "accepted"
    # 5. not his job: handed back with a reason staff see at once
    back = client.post(f"/api/v1/tickets/{ids[1]}/hand-back", headers=_h(li_token),
                       json={"reason": "有燃气味，需燃气公司处理"})
    assert back.status_code == 200
    queue = client.get("/api/v1/tickets?state=accepted", headers=_h(zhang)).get_json()
    assert ids[1] in [t["id"] for t in queue["items"]]


def test_journey_3_zhang_runs_the_morning_triage(client, demo):
    residents = [_login(client, f"demo-resident-{n}") for n in ("wang", "chen", "liu")]
    sewer = _category(client, residents[0], "下水道堵塞")
    light = _category(client, residents[0], "楼道灯损坏")
    created = []
    for i, token in enumerate(residents * 3):
        created.append(client.post("/api/v1/tickets", headers=_h(token), json={
            "category_id": sewer if i % 2 else light, "description": f"问题 {i}",
            "lat": YARD[0] + i * 0.0001, "lng": YARD[1]}).get_json()["id"])
    zhang = _staff(client, "zhang", "linli-staff-demo")
    # 1. the queue: all new cases, sorted by deadline
    queue = client.get("/api/v1/tickets?state=submitted", headers=_h(zhang)).get_json()
    assert queue["total"] == 9
    dues = [t["due_at"] for t in queue["items"]]
    assert dues == sorted(dues)
    # 2. 立案 and 派遣 in two clicks
    one = created[0]
    detail = client.get(f"/api/v1/tickets/{one}", headers=_h(zhang)).get_json()
    assert [a["name"] for a in detail["ancestors"]][:3] == ["武侯区", "晋阳街道", "晋阳社区"]
    assert "accept" in detail["actions"]
    client.post(f"/api/v1/tickets/{one}/accept", headers=_h(zhang), json={})
    workers = client.get("/api/v1/workers", headers=_h(zhang)).get_json()
    li = next(w for w in workers if w["display_name"] == "李师傅")
    assert client.post(f"/api/v1/tickets/{one}/dispatch", headers=_h(zhang),
                       json={"assignee_id": li["id"]}).status_code == 200
    # 3. two reports of the same sewer merged: the second reporter follows the first
    sewers = [t for t in created if db.session.get(Ticket, t).category_id == sewer][:2]
    merged = client.post(f"/api/v1/tickets/{sewers[1]}/merge", headers=_h(zhang),
                         json={"target_id": sewers[0]})
    assert merged.status_code == 200
    assert db.session.get(Ticket, sewers[0]).follower_count == 1
    # 4. out of scope: rejected with a reason the resident reads
    out = created[2]
    client.post(f"/api/v1/tickets/{out}/reject", headers=_h(zhang),
                json={"reason": "业主家中水龙头漏水，请联系物业"})
    reporter = residents[2]
    seen = client.get(f"/api/v1/tickets/{out}", headers=_h(reporter)).get_json()
    assert seen["state"] == "rejected" and seen["events"][-1]["note"].startswith("业主家中")
    # 5. bulk accept what is left
    left = [t["id"] for t in client.get("/api/v1/tickets?state=submitted",
                                         headers=_h(zhang)).get_json()["items"]]
    bulk = client.post("/api/v1/tickets/bulk", headers=_h(zhang),
                       json={"ticket_ids": left, "action": "accept"}).get_json()
    assert sorted(bulk["done"]) == sorted(left) and bulk["failed"] == {}
