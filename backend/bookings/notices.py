"""What residents hear about their bookings, written to the outbox in the same transaction
as the change (``backend.notify``): reminders the evening before (20:00 Shanghai) and one
hour before, and a notice when staff book, move or cancel for them or a pause begins.

Reminder keys are ``booking:<id>:<reschedule_count>:eve`` and ``…:1h``: a moved booking
gets new keys (the outbox keeps one row per user and key), and
``notify.cancel("booking:<id>:")`` cancels whatever is still pending. Messages are written
in the resident's language (``users.language``; Chinese when none chosen), whatever
language the staff member's console uses: the item's English name and materials where the
catalogue has them.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from backend.bookings.models import Booking, BookingPause
from backend.core.bilingual import Text, both
from backend.core.i18n import MESSAGES
from backend.core.workcalendar import SHANGHAI
from backend.notify import operations as notify

EVENING = time(20, 0)
HOUR_BEFORE = timedelta(hours=1)
PAGE = "pages/bookings/detail?id={id}"


def zh(key: str, **params) -> str:
    return MESSAGES[key]["zh"].format(**params)


def text(key: str, booking: Booking | None = None, **params) -> Text:
    """The message in both languages; with ``booking``, its item (``item``), materials
    (``materials``) and time (``time``) in each language."""
    def render(language: str) -> str:
        values = dict(params)
        if booking is not None:
            values.setdefault("time", _when(booking.start_at, language))
            values["item"] = _item_name(booking, language)
            values["materials"] = _materials(booking, language)
        return MESSAGES[key][language].format(**values)
    return both(render)


def _item_name(booking: Booking, language: str) -> str:
    item = booking.item
    return item.name_en if language == "en" and item.name_en else item.name


def _materials(booking: Booking, language: str) -> str:
    item = booking.item
    if language == "en" and item.name_en:
        return "; ".join(item.materials_en or item.materials or []) or "—"
    return "、".join(item.materials or []) or "—"


def _when(moment: datetime, language: str = "zh") -> str:
    local = moment.astimezone(SHANGHAI)
    if language == "en":
        return f"{local:%Y-%m-%d %H:%M}"
    return f"{local.year}年{local.month:02d}月{local.day:02d}日 {local:%H:%M}"


def _data(booking: Booking) -> dict:
    return {"booking_id": booking.id, "item": booking.item.name,
            "item_en": booking.item.name_en, "code": booking.code,
            "time": _when(booking.start_at), "centre": booking.centre.name,
            "start_at": booking.start_at.isoformat()}


def reminder_times(booking: Booking) -> dict[str, datetime]:
    """When the reminders of ``booking`` are due (UTC): the evening before, an hour before."""
    local_day = booking.start_at.astimezone(SHANGHAI).date()
    evening = datetime.combine(local_day - timedelta(days=1), EVENING, tzinfo=SHANGHAI)
    return {"eve": evening.astimezone(booking.start_at.tzinfo),
            "1h": booking.start_at - HOUR_BEFORE}


def dedupe_prefix(booking: Booking) -> str:
    return f"booking:{booking.id}:"


def write_reminders(booking: Booking, now: datetime) -> int:
    """The reminders still ahead (one booked late in the evening gets only the hour one)."""
    if booking.resident_id is None:
        return 0  # a walk-in without an account: staff call them if need be
    local = booking.start_at.astimezone(SHANGHAI)
    body = text("booking_reminder_body", booking, centre=booking.centre.name,
                code=booking.code)
    titles = {"eve": text("booking_reminder_eve_title", time=f"{local:%H:%M}"),
              "1h": text("booking_reminder_hour_title", time=f"{local:%H:%M}")}
    data = _data(booking)
    return notify.enqueue_each(  # both in one INSERT
        notify.Message([booking.resident_id], "booking_reminder", titles[name], body,
                       PAGE.format(id=booking.id), data, not_before=due,
                       dedupe_key=f"{dedupe_prefix(booking)}{booking.reschedule_count}:{name}")
        for name, due in reminder_times(booking).items() if due > now)


def cancel_reminders(booking: Booking) -> int:
    return notify.cancel(dedupe_prefix(booking))


def _changed(booking: Booking, body: Text) -> None:
    if booking.resident_id is not None:
        notify.enqueue([booking.resident_id], "booking_changed", text("booking_changed_title"),
                       body, PAGE.format(id=booking.id), _data(booking))


def cancelled(booking: Booking) -> None:
    _changed(booking, text("booking_cancelled_body", booking,
                           reason=booking.cancel_reason or "—"))


def booked_for_you(booking: Booking) -> None:
    _changed(booking, text("booking_made_for_you_body", booking, centre=booking.centre.name,
                           code=booking.code))


def moved(booking: Booking) -> None:
    booked_for_you(booking)


def paused(pause: BookingPause) -> None:
    notify.enqueue([pause.user_id], "booking_changed", text("booking_changed_title"),
                   both(lambda language: MESSAGES["booking_paused_body"][language].format(
                       window=pause.window_days, count=pause.no_show_count,
                       until=_when(pause.ends_at, language))),
                   "pages/bookings/index")
