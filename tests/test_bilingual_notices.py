"""Notifications in the recipient's language (issue 21): every outbox row, the in-app
message delivered from it and the WeChat subscribe message are written in the language
the recipient chose; a recipient who chose none gets Chinese, whatever the language of
the request that caused the notification (the actor's) or of the recipient's own device."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.core.bilingual import Text
from backend.extensions import db
from backend.notify import delivery
from backend.notify.models import Notification, OutboxMessage, SubscriptionGrant
from backend.notify.operations import enqueue
from tests import factories as f
from tests import volunteers_world as vw
from tests.tickets_world import build_world as ticket_world, report

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def _rows(kind: str) -> dict[int, OutboxMessage]:
    db.session.expire_all()
    return {r.user_id: r for r in db.session.execute(
        sa.select(OutboxMessage).where(OutboxMessage.kind == kind)).scalars()}


def _grant(user, template: str) -> None:
    db.session.merge(SubscriptionGrant(user_id=user.id, template_id=template, remaining=5))
    db.session.commit()


def test_enqueue_writes_each_recipient_in_their_language(ctx):
    zh, en, unset = (f.resident(name="王阿姨"), f.resident(name="Mary"), f.resident(name="小陈"))
    zh.language, en.language = "zh", "en"
    db.session.commit()
    written = enqueue([zh.id, en.id, unset.id], "residency_confirmed",
                      Text("居住登记已确认", "Your residency is confirmed"),
                      Text("可以参与议事", "You can take part"))
    db.session.commit()
    assert written == 3
    rows = _rows("residency_confirmed")
    assert (rows[en.id].title, rows[en.id].body, rows[en.id].language) == (
        "Your residency is confirmed", "You can take part", "en")
    for user in (zh, unset):
        assert (rows[user.id].title, rows[user.id].language) == ("居住登记已确认", "zh")
    # a plain string is the same for everyone (and written as Chinese)
    enqueue([en.id], "ticket_closed", "楼道灯损坏：已结案")
    db.session.commit()
    assert _rows("ticket_closed")[en.id].title == "楼道灯损坏：已结案"


def test_an_empty_english_falls_back_to_chinese(ctx):
    en = f.resident(name="Mary")
    en.language = "en"
    db.session.commit()
    enqueue([en.id], "hours_approved", Text("志愿服务时长已认定", ""), "")
    db.session.commit()
    assert _rows("hours_approved")[en.id].title == "志愿服务时长已认定"


def test_ticket_steps_reach_each_follower_in_their_language(client, ctx, fake_wechat):
    world = ticket_world()
    world.reporter.language = "en"   # Mary reads English
    world.neighbour.language = None  # the neighbour chose nothing: Chinese
    category = world.cats["楼道灯损坏"]
    category.name_en = "Stairwell light broken"
    db.session.commit()
    t = report(client, world)["id"]
    # the neighbour's own device is English: it does not decide their notifications
    client.post(f"/api/v1/tickets/{t}/follow", headers={**world.h("neighbour"), **EN})
    # the actor's console speaks English or Chinese: neither decides either
    r = client.post(f"/api/v1/tickets/{t}/accept", json={},
                    headers={**world.h("staff_a"), **ZH})
    assert r.status_code == 200, r.get_json()
    rows = _rows("ticket_accepted")
    mary, neighbour = rows[world.reporter.id], rows[world.neighbour.id]
    assert (mary.title, mary.language) == ("Stairwell light broken: accepted", "en")
    assert mary.body == "The community has taken up the problem you reported."
    assert (neighbour.title, neighbour.language) == ("楼道灯损坏：已立案", "zh")
    assert neighbour.body == "社区已受理您反映的问题。"
    client.post(f"/api/v1/tickets/{t}/dispatch", json={"assignee_id": world.worker_a.id},
                headers={**world.h("staff_a"), **EN})
    rows = _rows("ticket_dispatched")
    assert rows[world.reporter.id].body.startswith("Sent to 李师傅")
    assert rows[world.neighbour.id].body.startswith("已派遣给李师傅")
    assert _rows("task_dispatched")[world.worker_a.id].title == "新任务：楼道灯损坏"
    # delivered: the inbox and the WeChat template in Mary's language
    _grant(world.reporter, "tmpl-ticket")
    delivery.run_batch("w1")
    inbox = client.get("/api/v1/me/notifications", headers=world.h("reporter")).get_json()
    assert [n["title"] for n in inbox["items"]] == ["Stairwell light broken: dispatched",
                                                    "Stairwell light broken: accepted"]
    assert {n["language"] for n in inbox["items"]} == {"en"}
    sent = [m for m in fake_wechat.sent_messages if m["touser"] == world.reporter.openid]
    assert {m["data"]["phrase2"]["value"] for m in sent} == {"Filed", "Sent"}
    assert all("年" not in m["data"]["time4"]["value"] for m in sent)
    neighbour_inbox = client.get("/api/v1/me/notifications", headers=world.h("neighbour"))
    assert neighbour_inbox.get_json()["items"][0]["title"] == "楼道灯损坏：已派遣"
    assert neighbour_inbox.get_json()["items"][0]["language"] == "zh"


def test_a_cancelled_activity_tells_each_volunteer_in_their_language(
        app, ctx, client, monkeypatch, fake_wechat):
    world = vw.build_world(monkeypatch, residents=2)
    act = vw.activity(world)
    act.title_en = "Keeping elders company"
    world.people["liu"].language = "en"
    world.people["r00"].language = "zh"
    db.session.commit()
    for who in ("liu", "r01", "r00"):
        assert client.post(f"/api/v1/volunteer-activities/{act.id}/signup",
                           headers=world.h(who, **EN)).status_code == 201
    r = client.patch(f"/api/v1/volunteer-activities/{act.id}", json={"status": "cancelled"},
                     headers=world.h("leader", **EN))
    assert r.status_code == 200, r.get_json()
    rows = _rows("activity_cancelled")
    liu = rows[world.id("liu")]
    assert (liu.title, liu.language) == ("Activity cancelled", "en")
    assert liu.body == "Keeping elders company (2026-10-10 09:00) is cancelled"
    for who in ("r01", "r00"):
        assert rows[world.id(who)].title == "志愿活动已取消"
        assert rows[world.id(who)].body.startswith("助老陪伴")
    _grant(world.people["liu"], "tmpl-volunteer")
    delivery.run_batch("w1")
    sent = [m for m in fake_wechat.sent_messages if m["touser"] == "o-liu"]
    assert sent and sent[0]["data"]["thing1"]["value"] == "Activity cancelled"


def test_booking_reminders_name_the_item_and_materials_in_english(app, ctx, client,
                                                                   monkeypatch):
    from tests import bookings_world as bw

    world = bw.build_world(monkeypatch)
    item = world.items["SB"]
    item.name_en = "Basic pension enrolment"
    item.materials_en = ["ID card (original)", "Household register"]
    world.people["liu"].language = "en"
    db.session.commit()
    mary = bw.book(client, world, "liu", "2026-09-29 09:00")
    wang = bw.book(client, world, "wang", "2026-09-29 09:30", **EN)
    rows = db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "booking_reminder")).scalars().all()
    mine = [r for r in rows if r.data["booking_id"] == mary["id"]]
    theirs = [r for r in rows if r.data["booking_id"] == wang["id"]]
    assert mine and theirs
    assert all(r.language == "en" and r.body.startswith("Basic pension enrolment at ")
               and "Bring: ID card (original); Household register" in r.body for r in mine)
    # 王阿姨 chose nothing: her device's English does not reach her reminders
    assert all(r.language == "zh" and r.body.startswith("城乡居民基本养老保险参保登记，")
               for r in theirs)


# who (their choice, their device) → the language their inbox is written in
INBOX = [("zh", {}, "zh"), ("zh", EN, "zh"), ("en", {}, "en"), ("en", ZH, "en"),
         (None, EN, "zh"), (None, {}, "zh")]


@pytest.mark.parametrize("chosen,device,language", INBOX)
def test_each_inbox_in_its_readers_language_and_only_theirs(ctx, client, fake_wechat, chosen,
                                                           device, language):
    reader, other = f.resident(name="读者"), f.resident(name="邻居")
    reader.language, other.language = chosen, "en"
    db.session.commit()
    enqueue([reader.id, other.id], "residency_confirmed",
            Text("居住登记已确认", "Residency confirmed"), Text("欢迎", "Welcome"))
    db.session.commit()
    delivery.run_batch("w1")
    headers = {**f.auth(f.token_for(reader)), **device}
    items = client.get("/api/v1/me/notifications", headers=headers).get_json()["items"]
    assert [(n["title"], n["language"]) for n in items] == [
        ("Residency confirmed" if language == "en" else "居住登记已确认", language)]
    # another person's message: not found, whatever the language
    theirs = db.session.execute(sa.select(Notification.id).where(
        Notification.user_id == other.id)).scalar_one()
    assert client.post(f"/api/v1/me/notifications/{theirs}/read",
                       headers=headers).status_code == 404
    assert client.post(f"/api/v1/me/notifications/{items[0]['id']}/read",
                       headers=headers).status_code == 200
