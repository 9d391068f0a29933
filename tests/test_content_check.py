"""WeChat content security on what others will see: risky is refused, review is held from
everyone else until staff release it, and WeChat being down holds it too."""
from __future__ import annotations

import io
import socket

import pytest
from PIL import Image

from backend.extensions import db
from backend.tickets.models import Ticket
from tests.tickets_world import IN_A3, build_world, report


def _body(world, text):
    return {"category_id": world.cats["楼道灯损坏"].id, "description": text,
            "lat": IN_A3[0], "lng": IN_A3[1]}


def _public_ids(client):
    return [t["id"] for t in client.get("/api/v1/public/tickets").get_json()["items"]]


def test_risky_text_is_refused_and_nothing_is_stored(client, ctx, fake_wechat):
    world = build_world()
    response = client.post("/api/v1/tickets", json=_body(world, "代办发票代开，联系我"),
                           headers=world.h("reporter"))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "content_risky" and "description" in error["fields"]
    assert db.session.query(Ticket).count() == 0
    assert fake_wechat.count("/wxa/msg_sec_check") == 1


def test_review_holds_a_report_until_staff_release_it(client, ctx, fake_wechat):
    world = build_world()
    ticket = report(client, world, description="楼道灯坏了，有事加我微信号 abc123")
    assert ticket["content_status"] == "review"
    # the reporter sees it; the public, nearby searches and neighbours do not
    assert client.get(f"/api/v1/public/tickets/{ticket['id']}").status_code == 404
    assert ticket["id"] not in _public_ids(client)
    nearby = client.get(f"/api/v1/tickets/nearby?lat={IN_A3[0]}&lng={IN_A3[1]}"
                        f"&category={world.cats['楼道灯损坏'].id}", headers=world.h("neighbour"))
    assert nearby.get_json() == []
    assert client.get(f"/api/v1/tickets/{ticket['id']}",
                      headers=world.h("neighbour")).status_code == 404
    # staff see it flagged, in the moderation queue, and may release it
    held = client.get("/api/v1/tickets?content_status=review", headers=world.h("staff_a"))
    assert [t["id"] for t in held.get_json()["items"]] == [ticket["id"]]
    staff = client.get(f"/api/v1/tickets/{ticket['id']}", headers=world.h("staff_a")).get_json()
    assert staff["content_status"] == "review" and "release" in staff["actions"]
    assert client.post(f"/api/v1/tickets/{ticket['id']}/release", json={},
                       headers=world.h("staff_b")).status_code == 404
    released = client.post(f"/api/v1/tickets/{ticket['id']}/release",
                           json={"note": "已核实，无违规内容"}, headers=world.h("staff_a"))
    assert released.status_code == 200 and released.get_json()["content_status"] == "pass"
    assert ticket["id"] in _public_ids(client)


def test_wechat_down_holds_for_review_and_loses_nothing(app, client, ctx, monkeypatch):
    world = build_world()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", f"http://127.0.0.1:{closed}/")
    ticket = report(client, world, description="下水道堵了")
    assert ticket["content_status"] == "review"
    assert db.session.get(Ticket, ticket["id"]).description == "下水道堵了"


def test_without_wechat_configured_there_is_nothing_to_check(app, client, ctx, monkeypatch):
    world = build_world()
    monkeypatch.setitem(app.config, "WECHAT_APPID", "")
    assert report(client, world, description="有事加我微信号")["content_status"] == "pass"


def test_risky_supplements_are_refused(client, ctx, fake_wechat):
    world = build_world()
    ticket = report(client, world)["id"]
    response = client.post(f"/api/v1/tickets/{ticket}/supplements", json={"note": "网上赌博"},
                           headers=world.h("reporter"))
    assert response.status_code == 422 and "note" in response.get_json()["error"]["fields"]


def _jpeg(colour):
    out = io.BytesIO()
    Image.new("RGB", (400, 300), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def media(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    return tmp_path / "media"


def test_risky_photos_are_refused_and_not_stored(client, ctx, fake_wechat, media):
    world = build_world()
    response = client.post("/api/v1/uploads", data={"file": (io.BytesIO(_jpeg((255, 0, 255))),
                                                             "x.jpg")},
                           headers=world.h("reporter"), content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "content_risky"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
    ok = client.post("/api/v1/uploads", data={"file": (io.BytesIO(_jpeg((30, 120, 30))), "y.jpg")},
                     headers=world.h("reporter"), content_type="multipart/form-data")
    assert ok.status_code == 201
