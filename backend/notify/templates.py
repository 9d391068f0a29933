"""WeChat subscribe-message templates: which template a kind of notification uses, and
its fields, shortened to WeChat's limits (a ``thing`` holds 20 characters, a ``phrase``
5) instead of being refused with 47003."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask import current_app

from backend.core.workcalendar import SHANGHAI
from backend.notify.models import OutboxMessage

# notification kind → template key (the template ids are settings)
TEMPLATE_OF_KIND = {
    "ticket_accepted": "ticket", "ticket_rejected": "ticket", "ticket_dispatched": "ticket",
    "ticket_resolved": "ticket", "ticket_closed": "ticket", "ticket_merged": "ticket",
    "task_dispatched": "task", "ticket_reopened": "task", "ticket_handed_back": "task",
    "ticket_reopened_follower": "ticket", "ticket_reopened_handler": "task",
    "ticket_dispatch_flag": "task",
    # deadlines (issue 19): 催办 and 督办 to the handler and staff, a new deadline set by the
    # street; the reporter's reminder to rate and the automatic closing
    "ticket_reminded": "task", "ticket_escalated": "task", "ticket_deadline_set": "task",
    "rate_reminder": "ticket", "ticket_auto_closed": "ticket",
    # a new urgent case (紧急): the cell's workers and the community's staff, at once
    "ticket_urgent": "task",
    "booking_reminder": "booking", "booking_changed": "booking",
    "hours_approved": "volunteer", "waitlist_promoted": "volunteer",
    "hours_rejected": "volunteer", "activity_cancelled": "volunteer",
    "team_join_approved": "volunteer", "team_join_declined": "volunteer",
    # participation (居民参与, issue 11)
    "proposal_answered": "participation", "proposal_on_agenda": "participation",
    "objection_answered": "participation", "residency_confirmed": "participation",
    "residency_rejected": "participation",
    # a new version of a 院落公约 / 居民公约 to sign (issue 21)
    "convention_published": "participation",
}
SETTING_OF_TEMPLATE = {"ticket": "WECHAT_TEMPLATE_TICKET", "task": "WECHAT_TEMPLATE_TASK",
                       "booking": "WECHAT_TEMPLATE_BOOKING",
                       "volunteer": "WECHAT_TEMPLATE_VOLUNTEER",
                       "participation": "WECHAT_TEMPLATE_PARTICIPATION"}
STATE_PHRASE = {"ticket_accepted": "已立案", "ticket_rejected": "不予立案",
                "ticket_dispatched": "已派遣", "ticket_resolved": "已处置",
                "ticket_closed": "已结案", "ticket_merged": "已合并",
                "ticket_reopened_follower": "重新办理",
                "rate_reminder": "待评价", "ticket_auto_closed": "自动结案"}
# the same phrases for a recipient who reads English (a phrase field holds 5 characters:
# WeChat counts a Latin letter as one, so they are short words)
STATE_PHRASE_EN = {"ticket_accepted": "Filed", "ticket_rejected": "Nope",
                   "ticket_dispatched": "Sent", "ticket_resolved": "Done",
                   "ticket_closed": "Shut", "ticket_merged": "Merge",
                   "ticket_reopened_follower": "Again",
                   "rate_reminder": "Rate", "ticket_auto_closed": "Shut"}
UPDATED_PHRASE = {"zh": "有更新", "en": "New"}
LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "name": 10}


def shorten(value: str, limit: int) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _fit(fields: dict[str, str]) -> dict[str, dict[str, str]]:
    out = {}
    for key, value in fields.items():
        kind = key.rstrip("0123456789")
        limit = LIMITS.get(kind)
        out[key] = {"value": shorten(value, limit) if limit else str(value)}
    return out


def template_ids() -> dict[str, str]:
    """Template key → template id, for the ones configured."""
    cfg = current_app.config
    return {key: cfg.get(setting) for key, setting in SETTING_OF_TEMPLATE.items()
            if cfg.get(setting)}


def template_for(kind: str) -> Optional[str]:
    key = TEMPLATE_OF_KIND.get(kind)
    return template_ids().get(key) if key else None


def _time(moment: datetime, language: str = "zh") -> str:
    local = moment.astimezone(SHANGHAI)
    if language == "en":
        return local.strftime("%Y-%m-%d %H:%M")
    return local.strftime("%Y年%m月%d日 %H:%M")


def _phrase(row: OutboxMessage) -> str:
    if row.language == "en":
        return STATE_PHRASE_EN.get(row.kind, UPDATED_PHRASE["en"])
    return STATE_PHRASE.get(row.kind, UPDATED_PHRASE["zh"])


def message_data(row: OutboxMessage) -> dict[str, dict[str, str]]:
    """The template's fields, in the language the row was written in (its recipient's)."""
    key = TEMPLATE_OF_KIND.get(row.kind)
    data = row.data or {}
    language = row.language or "zh"
    when = _time(row.created_at, language)
    if key == "ticket":
        return _fit({"thing1": row.title, "phrase2": _phrase(row),
                     "thing3": row.body or row.title, "time4": when})
    if key == "task":
        return _fit({"thing1": row.title, "thing2": row.body or row.title, "time3": when})
    if key == "booking":
        item = data.get("item_en") if language == "en" and data.get("item_en") else \
            data.get("item", row.title)
        return _fit({"thing1": item, "time2": data.get("time", ""),
                     "character_string3": data.get("code", ""), "thing4": row.body})
    return _fit({"thing1": row.title, "thing2": row.body or row.title, "time3": when})
