"""Residency: declaring a home, staff confirming or rejecting it, the household register
imported from CSV (all or nothing, one message per bad line) confirming matching
declarations, and eligibility: only a confirmed residency in that very community gives a
voice."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.participation import permissions as p
from backend.extensions import db
from backend.notify.models import OutboxMessage
from backend.participation.models import Household, Residency
from backend.participation.residency import address_key, normalise_phone
from tests import factories as f
from tests.participation_world import build_world

WHO = ("wang", "chen", "li", "zhao", "staff_a", "staff_b", "street", "admin", "worker")


def _residency_of(world, who, community="a"):
    return db.session.execute(sa.select(Residency).where(
        Residency.user_id == world.id(who),
        Residency.community_id == world.places[community].id)).scalar_one()


def _declare(client, world, who, community="a", **body):
    payload = {"community_id": world.places[community].id, "building": "3栋",
               "unit": "2单元", "room": "501"}
    payload.update(body)
    return client.post("/api/v1/me/residencies", json=payload, headers=world.h(who))


def test_address_key_and_phone_normalise():
    assert address_key("3栋", "2单元", "501室") == address_key("３", "2", "501") == "3|2|501"
    assert address_key(" 3 号楼", "", "501") == "3||501"
    assert address_key("A座", "", "1-501") == "A座||1-501"
    assert normalise_phone("+86 139-0000-0201") == "13900000201"
    assert normalise_phone("028-85551234") == "02885551234"


def test_declare_then_staff_confirm_gives_a_voice(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    a = world.places["a"]
    r = _declare(client, world, "zhao", yard_id=world.places["a3"].id)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "pending" and body["has_voice"] is False
    assert body["yard_name"] == "A 三级网格 1" and body["community_name"] == "晋阳社区"
    assert body["phone"] == "13900000205"  # the account's phone by default
    assert not p.has_voice_in(world.people["zhao"], a)
    queue = client.get(f"/api/v1/residencies?community_id={a.id}&status=pending",
                       headers=world.h("staff_a"))
    assert queue.status_code == 200
    assert [x["user_id"] for x in queue.get_json()["items"]] == [world.id("chen"),
                                                                 world.id("zhao")]
    assert queue.get_json()["total"] == 2 and queue.get_json()["next_cursor"] is None
    r = client.post(f"/api/v1/residencies/{body['id']}/confirm", headers=world.h("staff_a"))
    assert r.status_code == 200 and r.get_json()["status"] == "confirmed"
    assert r.get_json()["source"] == "staff" and r.get_json()["has_voice"] is True
    db.session.expire_all()
    assert p.has_voice_in(world.people["zhao"], a)
    # told in the inbox
    kinds = db.session.execute(sa.select(OutboxMessage.kind).where(
        OutboxMessage.user_id == world.id("zhao"))).scalars().all()
    assert kinds == ["residency_confirmed"]
    # confirming twice is a conflict, not a second confirmation
    again = client.post(f"/api/v1/residencies/{body['id']}/confirm", headers=world.h("staff_a"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    mine = client.get("/api/v1/me/residencies", headers=world.h("zhao")).get_json()
    assert [(x["community_id"], x["status"]) for x in mine] == [(a.id, "confirmed")]


def test_reject_with_reason_then_declare_again(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    rid = _residency_of(world, "chen").id
    r = client.post(f"/api/v1/residencies/{rid}/reject", json={}, headers=world.h("staff_a"))
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    r = client.post(f"/api/v1/residencies/{rid}/reject", json={"reason": "名册中无此户"},
                    headers=world.h("staff_a"))
    assert r.status_code == 200
    assert r.get_json()["status"] == "rejected" and r.get_json()["reason"] == "名册中无此户"
    assert not p.has_voice_in(world.people["chen"], world.places["a"])
    # declaring again replaces the rejected one (the same row) and waits again
    r = _declare(client, world, "chen", room="502")
    assert r.status_code == 201 and r.get_json()["id"] == rid
    assert r.get_json()["status"] == "pending" and r.get_json()["reason"] == ""


def test_a_confirmed_residency_is_not_replaced_silently(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    r = _declare(client, world, "wang", building="1栋", unit="1单元", room="301")
    assert r.status_code == 201 and r.get_json()["status"] == "confirmed"  # the same home
    r = _declare(client, world, "wang", room="999")
    assert r.status_code == 409
    assert "community_id" in r.get_json()["error"]["fields"]
    # moving out ends it; then a new declaration waits for staff
    rid = _residency_of(world, "wang").id
    r = client.post(f"/api/v1/residencies/{rid}/end", json={"reason": "搬走了"},
                    headers=world.h("wang"))
    assert r.status_code == 200 and r.get_json()["status"] == "ended"
    assert not p.has_voice_in(world.people["wang"], world.places["a"])
    assert client.post(f"/api/v1/residencies/{rid}/end", json={},
                       headers=world.h("wang")).status_code == 409
    r = _declare(client, world, "wang", room="999")
    assert r.status_code == 201 and r.get_json()["status"] == "pending"


def test_declaration_input_is_checked(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    r = _declare(client, world, "zhao", community="a3")  # a grid cell, not a community
    assert r.status_code == 422 and "community_id" in r.get_json()["error"]["fields"]
    r = _declare(client, world, "zhao", community_id=2**40)
    assert r.status_code == 422
    r = _declare(client, world, "zhao", yard_id=world.places["b3"].id)
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["yard_id"] == ["所选院落不在该社区内。"]
    r = _declare(client, world, "zhao", room="")
    assert r.status_code == 422 and "room" in r.get_json()["error"]["fields"]
    r = _declare(client, world, "zhao", extra="x")
    assert r.status_code == 422 and "extra" in r.get_json()["error"]["fields"]
    world.people["zhao"].phone = None
    db.session.commit()
    r = _declare(client, world, "zhao")
    assert r.status_code == 422 and "phone" in r.get_json()["error"]["fields"]
    # staff and grid workers have no home to declare
    for who in ("staff_a", "worker"):
        assert _declare(client, world, who).status_code == 403
    assert db.session.execute(sa.select(sa.func.count()).select_from(Residency).where(
        Residency.user_id == world.id("zhao"))).scalar_one() == 0


def test_declaring_is_idempotent_with_a_key(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    first = _declare(client, world, "zhao", **{})
    rid = first.get_json()["id"]
    headers = world.h("zhao", **{"Idempotency-Key": "decl-1"})
    payload = {"community_id": world.places["b"].id, "room": "8"}
    one = client.post("/api/v1/me/residencies", json=payload, headers=headers)
    two = client.post("/api/v1/me/residencies", json=payload, headers=headers)
    assert one.status_code == two.status_code == 201
    assert one.get_json() == two.get_json() and one.get_json()["id"] != rid


# --- the household register ------------------------------------------------------------

CSV_OK = ("楼栋,单元,房号,姓名,电话,院落编码\n"
          "3栋,2单元,501,赵大爷,13900000205,5101070210030101\n"
          "3,2,501室,赵小妹,139 0000 0299,\n"
          "1栋,1单元,301,王阿姨,13900000201,\n")


def test_import_confirms_matching_declarations(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    a = world.places["a"]
    pending = _declare(client, world, "zhao").get_json()  # 3栋 2单元 501, 13900000205
    assert pending["status"] == "pending"
    url = f"/api/v1/communities/{a.id}/households/import"
    r = client.post(url, json={"csv": "\ufeff" + CSV_OK}, headers=world.h("staff_a"))
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"rows": 3, "created": 3, "unchanged": 0,
                            "confirmed": [pending["id"]]}
    db.session.expire_all()
    row = db.session.get(Residency, pending["id"])
    assert row.status == "confirmed" and row.source == "import"
    assert row.decided_by_id == world.id("staff_a")
    # chen's pending declaration (3栋 101) is not on the register: still pending
    assert _residency_of(world, "chen").status == "pending"
    # importing the same file again changes nothing
    r = client.post(url, json={"csv": CSV_OK}, headers=world.h("staff_a"))
    assert r.get_json() == {"rows": 3, "created": 0, "unchanged": 3, "confirmed": []}
    listed = client.get(f"/api/v1/communities/{a.id}/households", headers=world.h("staff_a"))
    assert listed.status_code == 200 and len(listed.get_json()["items"]) == 3
    assert {h["phone"] for h in listed.get_json()["items"]} == {
        "13900000205", "13900000299", "13900000201"}
    # a declaration made after the import that matches a line is confirmed at once
    token = f.token_for(f.resident("o-sister", "赵小妹", "13900000299"))
    r = client.post("/api/v1/me/residencies",
                    json={"community_id": a.id, "building": "3栋",
                          "unit": "2", "room": "501"},
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201 and r.get_json()["status"] == "confirmed"
    assert r.get_json()["source"] == "import"
    # the same address with another phone does not match
    r = client.post("/api/v1/me/residencies",
                    json={"community_id": a.id, "building": "3", "unit": "2", "room": "501",
                          "phone": "13900000777"},
                    headers=world.h("chen"))
    assert r.get_json()["status"] == "pending"


def test_a_bad_line_refuses_the_whole_file(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    pending = _declare(client, world, "zhao").get_json()
    a = world.places["a"]
    text = ("building,unit,room,name,phone,yard_code\n"
            "3栋,2单元,501,赵大爷,13900000205,\n"          # fine: would match
            "4栋,1单元,,无房号,13900000300,\n"             # line 3: no room
            "4栋,1单元,102,坏电话,12ab,\n"                 # line 4: bad phone
            "4栋,1单元,103,外社区,13900000301,5101070210040101\n"  # line 5: B's yard
            "3,2,501室,重复,13900000205,\n"                # line 6: same as line 2
            "\n"
            "4栋,1单元,104," + "名" * 51 + ",13900000302,\n")  # line 8: name too long
    r = client.post(f"/api/v1/communities/{a.id}/households/import", json={"csv": text},
                    headers=world.h("staff_a"))
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "住户名册有 5 处错误，未导入任何数据。"
    assert error["fields"]["csv"] == [
        "第 3 行：缺少房号。",
        "第 4 行：电话号码格式不正确。",
        "第 5 行：院落编码 5101070210040101 不是本社区的网格。",
        "第 6 行：与第 2 行重复（同一地址和电话）。",
        "第 8 行：姓名超过 50 个字符。",
    ]
    # nothing stored, nothing confirmed
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Household)).scalar_one() == 0
    assert db.session.get(Residency, pending["id"]).status == "pending"
    en = client.post(f"/api/v1/communities/{a.id}/households/import", json={"csv": text},
                     headers=world.h("staff_a", **{"Accept-Language": "en"}))
    assert en.get_json()["error"]["fields"]["csv"][0] == "line 3: 房号 is missing."


@pytest.mark.parametrize("text,message", [
    ("", "长度必须在 1 到 2000000 之间。"),
    ("\n\n", "文件是空的。"),
    ("姓名,电话\n王,13900000201\n", "第一行必须是表头，至少包含：房号、电话。"),
    ("房号,电话,身份证\n1,13900000201,x\n", "不认识的列：身份证。"),
])
def test_import_file_level_problems(app, ctx, client, monkeypatch, text, message):
    world = build_world(monkeypatch)
    r = client.post(f"/api/v1/communities/{world.places['a'].id}/households/import",
                    json={"csv": text}, headers=world.h("staff_a"))
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["csv"] == [message]


def test_import_row_limit(app, ctx, client, monkeypatch):
    from backend.participation import residency

    world = build_world(monkeypatch)
    monkeypatch.setattr(residency, "MAX_IMPORT_ROWS", 2)
    text = "房号,电话\n1,13900000001\n2,13900000002\n3,13900000003\n"
    r = client.post(f"/api/v1/communities/{world.places['a'].id}/households/import",
                    json={"csv": text}, headers=world.h("staff_a"))
    assert r.status_code == 422
    assert r.get_json()["error"]["fields"]["csv"] == ["一次最多导入 2 行。"]


# --- eligibility and access ------------------------------------------------------------

def test_eligibility_is_a_confirmed_residency_in_that_community(app, ctx, monkeypatch):
    world = build_world(monkeypatch)
    a, b = world.places["a"], world.places["b"]
    voice_a = {who for who in WHO if p.has_voice_in(world.people[who], a)}
    voice_b = {who for who in WHO if p.has_voice_in(world.people[who], b)}
    # chen declared in A but is not confirmed; li is confirmed in B, not A; zhao declared
    # nowhere; staff, admins and workers never vote as residents
    assert voice_a == {"wang"}
    assert voice_b == {"li"}
    # a rejected or ended residency gives no voice; a deactivated account neither
    chen = _residency_of(world, "chen")
    chen.status = "rejected"
    world.people["wang"].is_active = False
    db.session.commit()
    assert not p.has_voice_in(world.people["chen"], a)
    assert not p.has_voice_in(world.people["wang"], a)


def test_permission_matrix(app, ctx, monkeypatch):
    world = build_world(monkeypatch)
    chen = _residency_of(world, "chen")

    def allowed(rule, obj):
        return {who for who in WHO if rule(world.people[who], obj)}

    staff_a = {"staff_a", "street", "admin"}
    assert allowed(p.can_manage_residency, chen) == staff_a
    assert allowed(p.can_view_residency, chen) == staff_a | {"chen"}
    assert allowed(p.can_end_residency, chen) == staff_a | {"chen"}
    assert allowed(p.can_manage_community, world.places["a"]) == staff_a
    assert allowed(p.can_manage_community, world.places["b"]) == {"staff_b", "street", "admin"}
    assert {who for who in WHO if p.can_declare_residency(world.people[who])} == {
        "wang", "chen", "li", "zhao"}


@pytest.mark.parametrize("who,view,decide", [
    ("chen", 200, 403), ("wang", 404, 404), ("li", 404, 404), ("staff_a", 200, 200),
    ("staff_b", 404, 404), ("street", 200, 200), ("admin", 200, 200), ("worker", 404, 404),
])
def test_residency_access_over_http(app, ctx, client, monkeypatch, who, view, decide):
    world = build_world(monkeypatch)
    rid = _residency_of(world, "chen").id
    assert client.get(f"/api/v1/residencies/{rid}", headers=world.h(who)).status_code == view
    r = client.post(f"/api/v1/residencies/{rid}/confirm", headers=world.h(who))
    assert r.status_code == decide
    db.session.expire_all()
    assert _residency_of(world, "chen").status == ("confirmed" if decide == 200 else "pending")


def test_staff_lists_and_imports_only_in_their_area(app, ctx, client, monkeypatch):
    world = build_world(monkeypatch)
    a, b = world.places["a"], world.places["b"]
    mine = client.get("/api/v1/residencies", headers=world.h("staff_a")).get_json()["items"]
    assert {x["community_id"] for x in mine} == {a.id} and len(mine) == 3
    street = client.get("/api/v1/residencies", headers=world.h("street")).get_json()["items"]
    assert len(street) == 4
    assert client.get(f"/api/v1/residencies?community_id={b.id}",
                      headers=world.h("staff_a")).status_code == 403
    assert client.get("/api/v1/residencies", headers=world.h("wang")).status_code == 403
    r = client.post(f"/api/v1/communities/{b.id}/households/import", json={"csv": CSV_OK},
                    headers=world.h("staff_a"))
    assert r.status_code == 403
    assert client.post(f"/api/v1/communities/{a.id}/households/import", json={"csv": CSV_OK},
                       headers=world.h("wang")).status_code == 403
    assert client.get(f"/api/v1/communities/{b.id}/households",
                      headers=world.h("staff_a")).status_code == 403
    assert client.get(f"/api/v1/communities/{world.places['a3'].id}/households",
                      headers=world.h("staff_a")).status_code == 404
    assert client.get("/api/v1/residencies/99999999999",
                      headers=world.h("staff_a")).status_code == 404
