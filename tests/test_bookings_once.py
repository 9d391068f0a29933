"""One person, one booking of a slot (issue 17, point 2): a second booking of the same slot
(centre, item, start) by the same person — a resident's account, or a caller recorded by
phone — is refused with 409 ``already_booked`` naming the booking they hold, whether the
friendly check before the insert sees it or the database's unique index refuses it. A
cancelled booking does not hold the slot; two different people may share one."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.bookings import reservations as reservation_ops
from backend.bookings.models import ACTIVE_STATUSES, Booking, SlotCount
from backend.extensions import db
from tests.bookings_world import book, build_world, iso, sh

SLOT = "2026-09-29 09:00"  # a Tuesday morning: capacity 3 for SB


def _post(client, world, who, path, body, **headers):
    return client.post(f"/api/v1{path}", json=body, headers=world.h(who, **headers))


def _body(world, start: str = SLOT, item: str = "SB") -> dict:
    return {"centre_id": world.centre_a.id, "item_id": world.items[item].id,
            "start_at": iso(start)}


def _on_behalf(client, world, body: dict, who: str = "staff_a"):
    return _post(client, world, who, f"/service-centres/{world.centre_a.id}/bookings", body)


def _booked(world, start: str = SLOT, item: str = "SB") -> int:
    db.session.expire_all()
    row = db.session.get(SlotCount, (world.centre_a.id, world.items[item].id, sh(start)))
    return row.booked if row else 0


def _open_bookings() -> list[Booking]:
    db.session.expire_all()
    return list(db.session.execute(
        sa.select(Booking).where(Booking.status.in_(ACTIVE_STATUSES))
        .order_by(Booking.id)).scalars())


def _assert_already_booked(response, code: str, message: str) -> dict:
    assert response.status_code == 409, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "already_booked"
    assert error["fields"] == {"start_at": [message]}
    assert error["message"] == message and code in error["message"]
    return error


def test_a_resident_booking_the_same_slot_twice_is_told_the_code_he_holds(client, ctx,
                                                                          monkeypatch):
    world = build_world(monkeypatch)
    first = book(client, world, "chen", SLOT)
    again = _post(client, world, "chen", "/bookings", _body(world))  # no Idempotency-Key
    _assert_already_booked(
        again, first["code"],
        f"您已预约该时段（2026年9月29日 09:00，预约码 {first['code']}），无需重复预约；"
        "如需改期或取消，请在“我的预约”中操作。")
    assert [b.id for b in _open_bookings()] == [first["id"]]
    assert _booked(world) == 1  # the refused booking took no place
    english = _post(client, world, "chen", "/bookings", _body(world), **{"Accept-Language": "en"})
    assert english.get_json()["error"]["fields"]["start_at"] == [
        f"You already booked this slot (2026-09-29 09:00, code {first['code']}); no need to "
        "book it again. To move or cancel it, go to My bookings."]


def test_a_cancelled_booking_does_not_hold_the_slot(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    first = book(client, world, "chen", SLOT)
    response = _post(client, world, "chen", f"/bookings/{first['id']}/cancel", {})
    assert response.status_code == 200, response.get_json()
    second = book(client, world, "chen", SLOT)
    assert second["id"] != first["id"]
    assert [b.id for b in _open_bookings()] == [second["id"]]
    assert _booked(world) == 1


def test_a_checked_in_booking_still_holds_the_slot(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    world.at("2026-09-29 08:00")
    first = book(client, world, "chen", SLOT)
    response = _post(client, world, "staff_a",
                     f"/service-centres/{world.centre_a.id}/check-in", {"code": first["code"]})
    assert response.status_code == 200, response.get_json()
    again = _post(client, world, "chen", "/bookings", _body(world))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_booked"


def test_another_item_or_another_slot_is_another_booking(client, ctx, monkeypatch):
    """The slot is the item's: 社保 and 居住证明 at the same hour are two bookings."""
    world = build_world(monkeypatch)
    book(client, world, "chen", SLOT)
    book(client, world, "chen", "2026-09-29 09:20", item="HJ")
    assert len(_open_bookings()) == 2


def test_staff_book_two_people_for_one_slot_but_not_one_person_twice(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    start = iso(SLOT)
    item_id = world.items["SB"].id
    # 王阿姨 by her account, 赵大爷 (no account) by phone: two people, one slot
    wang = _on_behalf(client, world, {"item_id": item_id, "start_at": start,
                                      "resident_id": world.people["wang"].id})
    assert wang.status_code == 201, wang.get_json()
    zhao = _on_behalf(client, world, {"item_id": item_id, "start_at": start,
                                      "phone": "13811112222", "name": "赵大爷"})
    assert zhao.status_code == 201, zhao.get_json()
    # 小陈 books online the same slot: a third person
    book(client, world, "chen", SLOT)
    assert _booked(world) == 3
    # 王阿姨 again, found by her phone this time
    again = _on_behalf(client, world, {"item_id": item_id, "start_at": start,
                                       "phone": "139 0000 0201"})
    code = wang.get_json()["code"]
    _assert_already_booked(
        again, code,
        f"此人已预约该时段（2026年9月29日 09:00，预约码 {code}），无需重复预约。")
    # 赵大爷 again, by the same phone written differently
    again = _on_behalf(client, world, {"item_id": item_id, "start_at": start,
                                       "phone": "+86 138-1111-2222", "name": "赵大爷"})
    code = zhao.get_json()["code"]
    _assert_already_booked(
        again, code, f"此人已预约该时段（2026年9月29日 09:00，预约码 {code}），无需重复预约。")
    # 小陈 booked online: staff cannot book her the slot a second time either
    again = _on_behalf(client, world, {"item_id": item_id, "start_at": start,
                                       "resident_id": world.people["chen"].id})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_booked"
    assert _booked(world) == 3 and len(_open_bookings()) == 3


def test_a_booking_cannot_be_moved_onto_a_slot_the_person_holds(client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    first = book(client, world, "chen", SLOT)
    second = book(client, world, "chen", "2026-09-29 09:30")
    response = _post(client, world, "chen", f"/bookings/{second['id']}/reschedule",
                     {"start_at": iso(SLOT)})
    _assert_already_booked(
        response, first["code"],
        f"您已预约该时段（2026年9月29日 09:00，预约码 {first['code']}），无需重复预约；"
        "如需改期或取消，请在“我的预约”中操作。")
    db.session.expire_all()
    assert db.session.get(Booking, second["id"]).start_at == sh("2026-09-29 09:30")
    assert _booked(world) == 1 and _booked(world, "2026-09-29 09:30") == 1


def test_the_database_refuses_a_second_open_booking_of_a_slot(ctx, monkeypatch):
    """The unique indexes themselves, without the operations' check."""
    world = build_world(monkeypatch)
    centre, item_row = world.centre_a, world.items["SB"]

    def row(code, status="booked", **person):
        return Booking(code=code, centre_id=centre.id, item_id=item_row.id,
                       start_at=sh(SLOT), end_at=sh("2026-09-29 09:30"), status=status,
                       **person)

    chen = world.people["chen"].id
    db.session.add_all([row("AAAA", resident_id=chen), row("CCCC", "cancelled", resident_id=chen),
                        row("DDDD", "completed", resident_id=chen),
                        row("EEEE", guest_phone="13811112222", guest_name="赵大爷"),
                        # the same phone with an account is another person (the account)
                        row("FFFF", resident_id=world.people["wang"].id,
                            guest_phone="13811112222")])
    db.session.commit()
    for duplicate in (row("GGGG", resident_id=chen), row("GGGG", "checked_in", resident_id=chen),
                      row("HHHH", guest_phone="13811112222", guest_name="赵")):
        db.session.add(duplicate)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_a_race_lost_at_the_insert_is_already_booked_too(client, ctx, monkeypatch):
    """The check before the insert saw nothing (a concurrent booking not yet committed):
    the unique index refuses the insert and the answer is the same friendly 409."""
    world = build_world(monkeypatch)
    first = book(client, world, "chen", SLOT)
    # the check before the insert (one statement with the cap's count) sees no booking
    monkeypatch.setattr(reservation_ops, "_held_in_slot", lambda *args, **kwargs: sa.null())
    again = _post(client, world, "chen", "/bookings", _body(world))
    _assert_already_booked(
        again, first["code"],
        f"您已预约该时段（2026年9月29日 09:00，预约码 {first['code']}），无需重复预约；"
        "如需改期或取消，请在“我的预约”中操作。")
    zhao = {"item_id": world.items["SB"].id, "start_at": iso(SLOT), "phone": "13811112222",
            "name": "赵大爷"}
    assert _on_behalf(client, world, zhao).status_code == 201
    again = _on_behalf(client, world, zhao)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_booked"
    assert _booked(world) == 2 and len(_open_bookings()) == 2


def test_a_drawn_code_already_in_use_is_drawn_again(client, ctx, monkeypatch):
    """The unique index of active codes leaves the insert out (ON CONFLICT DO NOTHING):
    the code is drawn again and the booking made, once, with the slot counted once."""
    world = build_world(monkeypatch)
    draws = iter("3333" + "3333" + "4444")

    class Drawn:
        @staticmethod
        def choice(_alphabet):
            return next(draws)

    monkeypatch.setattr(reservation_ops, "secrets", Drawn)
    first = book(client, world, "chen", SLOT)
    second = book(client, world, "wang", SLOT)
    assert (first["code"], second["code"]) == ("3333", "4444")
    assert [b.code for b in _open_bookings()] == ["3333", "4444"]
    assert _booked(world) == 2


# --- the migration: duplicates already stored ------------------------------------------

REVISION = "0012_booking_once"


def _parent_revision(app) -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    return script.get_revision(REVISION).down_revision


def test_the_migration_cancels_stored_duplicates_and_keeps_the_first(fresh_app, monkeypatch):
    """Duplicates booked before the index existed: per person and slot the checked-in
    booking, else the earliest, is kept; the others are cancelled (with a reason), their
    places given back and their reminders cancelled. The upgrade never fails on them."""
    import flask_migrate

    from backend.notify.models import OutboxMessage

    with fresh_app.app_context():
        flask_migrate.upgrade()
        world = build_world(monkeypatch)
        centre_id, item_id = world.centre_a.id, world.items["SB"].id
        people = {name: world.people[name].id for name in ("chen", "wang", "liu")}
        db.session.remove()
        flask_migrate.downgrade(revision=_parent_revision(fresh_app))

        codes = iter("ACDE FGHJ KMNP QRTW XY34 6789 AC34 DE67 FG89".split())

        def row(status="booked", **person):
            booking = Booking(code=next(codes), centre_id=centre_id, item_id=item_id,
                              start_at=sh(SLOT), end_at=sh("2026-09-29 09:30"),
                              status=status, **person)
            db.session.add(booking)
            db.session.flush()
            return booking.id

        chen = [row(resident_id=people["chen"]), row("checked_in", resident_id=people["chen"]),
                row(resident_id=people["chen"])]
        wang = [row(resident_id=people["wang"]), row(resident_id=people["wang"])]
        zhao = [row(guest_phone="13811112222", guest_name="赵大爷"),
                row(guest_phone="13811112222", guest_name="赵大爷")]
        liu = [row("cancelled", resident_id=people["liu"]), row(resident_id=people["liu"])]
        db.session.add(SlotCount(centre_id=centre_id, item_id=item_id, start_at=sh(SLOT),
                                 booked=8, capacity=3))
        # the outbox as it was at that revision (the model may have columns added since)
        from backend.core.models import UTCDateTime, utcnow

        old_outbox = sa.table(
            "outbox", *(sa.column(name) for name in (
                "user_id", "kind", "title", "body", "page", "dedupe_key", "status",
                "attempts", "wechat_status")),
            sa.column("not_before", UTCDateTime()), sa.column("created_at", UTCDateTime()))
        for booking_id, user in ((chen[0], "chen"), (chen[1], "chen"), (wang[1], "wang")):
            db.session.execute(sa.insert(old_outbox).values(
                user_id=people[user], kind="booking_reminder", title="提醒", body="", page="",
                dedupe_key=f"booking:{booking_id}:0:eve", status="pending", attempts=0,
                wechat_status="pending", not_before=utcnow(), created_at=utcnow()))
        db.session.commit()
        db.session.remove()

        flask_migrate.upgrade()

        statuses = dict(db.session.execute(sa.select(Booking.id, Booking.status)).all())
        assert [statuses[i] for i in chen] == ["cancelled", "checked_in", "cancelled"]
        assert [statuses[i] for i in wang] == ["booked", "cancelled"]
        assert [statuses[i] for i in zhao] == ["booked", "cancelled"]
        assert [statuses[i] for i in liu] == ["cancelled", "booked"]
        dropped = db.session.get(Booking, wang[1])
        assert dropped.cancelled_at is not None and dropped.cancelled_by_id is None
        assert dropped.cancel_reason == "重复预约同一时段，系统保留最早的一条"
        assert db.session.get(SlotCount, (centre_id, item_id, sh(SLOT))).booked == 4
        reminders = dict(db.session.execute(
            sa.select(OutboxMessage.dedupe_key, OutboxMessage.status)).all())
        assert reminders == {f"booking:{chen[0]}:0:eve": "cancelled",
                             f"booking:{chen[1]}:0:eve": "pending",
                             f"booking:{wang[1]}:0:eve": "cancelled"}
        # from now on the database refuses a duplicate
        db.session.add(Booking(code="YY99", centre_id=centre_id, item_id=item_id,
                               start_at=sh(SLOT), end_at=sh("2026-09-29 09:30"),
                               resident_id=people["wang"]))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.remove()
        # and the step down and up again works with the data in place
        flask_migrate.downgrade(revision=_parent_revision(fresh_app))
        flask_migrate.upgrade()
        db.session.remove()


def test_a_move_racing_onto_a_slot_the_person_got_meanwhile_is_already_booked(
        client, ctx, monkeypatch):
    world = build_world(monkeypatch)
    first = book(client, world, "chen", SLOT)
    second = book(client, world, "chen", "2026-09-29 09:30")
    monkeypatch.setattr(reservation_ops, "_check_not_booked", lambda *args, **kwargs: None)
    response = _post(client, world, "staff_a", f"/bookings/{second['id']}/reschedule",
                     {"start_at": iso(SLOT)})
    _assert_already_booked(
        response, first["code"],
        f"此人已预约该时段（2026年9月29日 09:00，预约码 {first['code']}），无需重复预约。")
    db.session.expire_all()
    moved = db.session.get(Booking, second["id"])
    assert moved.start_at == sh("2026-09-29 09:30") and moved.reschedule_count == 0
    assert _booked(world) == 1 and _booked(world, "2026-09-29 09:30") == 1
