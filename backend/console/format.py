"""How the console writes things for people: local times, state names, deadlines, errors,
and the navigation each user sees."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backend.accounts.permissions import can_import_places, can_manage_staff, is_admin, is_staff
from backend.bookings import permissions as booking_rules
from backend.tickets import permissions as ticket_rules
from backend.workdays import permissions as calendar_rules
from backend.core.errors import ApiError
from backend.core.i18n import MESSAGES, register
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.places.models import PlaceLevel
from backend.tickets.models import Priority, Source, State

register({
    "console_action_not_offered": {
        "zh": "“{action}”当前不可用（工单状态：{state}），未执行。",
        "en": "“{action}” is not available now (the ticket is {state}); nothing was done.",
    },
})

STALE_MESSAGE = _l("该工单刚被其他人修改过（版本已变化），您的操作没有执行。请查看最新状态后再操作。")

# Colours of the states, shared by the map, the badges and the charts.
STATE_COLOURS = {
    "submitted": "#d92d20", "accepted": "#f79009", "dispatched": "#7a5af8",
    "in_progress": "#1570ef", "resolved": "#12b76a", "closed": "#667085",
    "rejected": "#98a2b3", "merged": "#98a2b3",
}

ROLE_NAMES = {"resident": _l("居民"), "grid_worker": _l("网格员"), "staff": _l("工作人员"),
              "admin": _l("管理员"), "reporter": _l("上报人"), "assignee": _l("处置人"),
              "system": _l("系统"), "public": _l("公众"), "follower": _l("关注者"),
              "supervisor": _l("街道督办")}

# The domain's own names (Chinese, kept by the features) in the console's language.
STATE_LABELS = {
    State.submitted: _l("待受理"), State.accepted: _l("已立案"), State.rejected: _l("不予立案"),
    State.dispatched: _l("已派遣"), State.in_progress: _l("处置中"), State.resolved: _l("已处置"),
    State.closed: _l("已结案"), State.merged: _l("已合并"),
}
SOURCE_LABELS = {
    Source.resident: _l("小程序"), Source.patrol: _l("巡查上报"), Source.open311: _l("Open311 接入"),
    Source.phone: _l("电话"), Source.walk_in: _l("来访"), Source.hotline: _l("12345 转办"),
}
PRIORITY_LABELS = {Priority.normal: _l("一般"), Priority.urgent: _l("紧急")}
LEVEL_LABELS = {PlaceLevel.district: _l("区"), PlaceLevel.street: _l("街道"),
                PlaceLevel.community: _l("社区"), PlaceLevel.grid2: _l("二级网格"),
                PlaceLevel.grid3: _l("三级网格"), PlaceLevel.grid4: _l("四级网格")}
# The workflow's actions (backend/tickets/workflow.py LABELS) in the console's language.
ACTION_LABELS = {
    "report": _l("上报"), "patrol_report": _l("巡查上报"), "intake": _l("登记"), "accept": _l("立案"),
    "reject": _l("不予立案"), "dispatch": _l("派遣"), "auto_dispatch": _l("自动派遣"), "merge": _l("合并"),
    "start": _l("开始处置"), "check_in": _l("到达现场"), "resolve": _l("处置完成"),
    "hand_back": _l("撤回派遣"), "close": _l("核查结案"), "rework": _l("返工"),
    "recategorize": _l("更正分类"), "release": _l("内容审核"), "remind": _l("催办"),
    "escalate": _l("督办"), "set_deadline": _l("调整期限"), "auto_close": _l("自动结案"),
    "rate": _l("评价"), "supplement": _l("补充信息"),
}
# Monday first (date.weekday())
WEEKDAYS = (_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"), _l("周日"))


def level_name(level: Optional[str]) -> str:
    try:
        return str(LEVEL_LABELS[PlaceLevel(level)])
    except ValueError:
        return level or ""


def source_name(source: Optional[str]) -> str:
    try:
        return str(SOURCE_LABELS[Source(source)])
    except ValueError:
        return source or ""


def priority_name(priority: Optional[str]) -> str:
    try:
        return str(PRIORITY_LABELS[Priority(priority)])
    except ValueError:
        return priority or ""


def validation_message(text: str) -> str:
    """A marshmallow message (English) in the console's language."""
    if language() == "en":
        return text
    from backend.core.i18n import _MARSHMALLOW_ZH

    for pattern, replacement in _MARSHMALLOW_ZH:
        if pattern.match(text):
            return pattern.sub(replacement, text)
    return text


def event_text(event: dict) -> Optional[str]:
    """The timeline's line for a correction or an urgent alert (as the tickets'
    presenters.event_text, in the console's language), from the staff view's event."""
    data = event.get("data") or {}
    if event.get("kind") == "correction":
        parts = []
        if data.get("from_category") != data.get("to_category"):
            parts.append(_("更正分类：%(before)s → %(after)s",
                           before=data.get("from_category_name", ""),
                           after=data.get("to_category_name", "")))
        if data.get("from_priority") != data.get("to_priority"):
            parts.append(_("紧急程度：%(before)s → %(after)s",
                           before=priority_name(data.get("from_priority")),
                           after=priority_name(data.get("to_priority"))))
        text = _("；").join(parts)
        return text + _("（%(note)s）", note=event["note"]) if event.get("note") else text
    if event.get("kind") == "alert":
        return _("紧急事件：已即时通知网格员和社区工作人员")
    return event.get("text")


def named_kind(name: str, kind: str) -> str:
    """名称（类别）: a name with what it is, in the console's language."""
    return _("%(name)s（%(kind)s）", name=name, kind=kind)


def joined(items) -> str:
    """A list in a sentence: 甲、乙 in Chinese, "a, b" in English."""
    return (", " if language() == "en" else "、").join(str(item) for item in items)


def language() -> str:
    """zh or en: the console's language for this request."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def message(key: str, **params) -> str:
    """A registered message (backend/core/i18n.py) in the console's language (the API's
    ``t`` follows Accept-Language; the console follows its own choice)."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry[language()]
    return text.format(**params) if params else text


def state_name(state: Optional[str]) -> str:
    if not state:
        return ""
    try:
        return str(STATE_LABELS[State(state)])
    except ValueError:
        return state


def local_time(value: Optional[datetime], pattern: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(SHANGHAI).strftime(pattern) if value else ""


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return _("%(n)s 分钟", n=max(minutes, 1))
    hours = minutes // 60
    if hours < 48:
        return _("%(n)s 小时", n=hours)
    return _("%(n)s 天", n=hours // 24)


def due_text(due: Optional[datetime], now: Optional[datetime] = None) -> str:
    """"超期 3 小时" or "剩 2 天" (a deadline read at a glance)."""
    if due is None:
        return "—"
    delta = (due - (now or utcnow())).total_seconds()
    return _("超期 %(span)s", span=_span(-delta)) if delta < 0 \
        else _("剩 %(span)s", span=_span(delta))


def overdue_by(due: Optional[datetime], now: Optional[datetime] = None) -> str:
    """How long past its deadline ("3 小时"), for a badge that says 超期 itself."""
    if due is None:
        return ""
    return _span(max(((now or utcnow()) - due).total_seconds(), 0))


def api_error_message(error: ApiError) -> str:
    """The operation's own message, with the fields' messages after it."""
    if error.code == "stale_version":
        return str(STALE_MESSAGE)
    params = dict(error.params)
    if "state" in params:
        params["state"] = state_name(params["state"])
    text = message(error.key, **params)
    details = [text for messages in (error.fields or {}).values()
               for text in (messages if isinstance(messages, list) else [messages])]
    if details:
        text = text + " " + " ".join(str(d) for d in details)
    return text


def nav_items(user) -> list[tuple[str, str, str]]:
    """(endpoint, label, url) of the pages this user may open."""
    if user is None or not is_staff(user):
        return []
    items = [("console.queue", _("工单队列")), ("console.intake_page", _("登记事件")),
             ("console.ticket_map", _("网格地图")),
             ("console.dashboard", _("统计")), ("console.service_centres", _("服务窗口")),
             ("console.workers", _("网格员")), ("console.community_settings", _("社区设置"))]
    if ticket_rules.can_supervise(user):
        items.insert(1, ("console.supervision_page", _("督办")))
    if ticket_rules.can_rank_communities(user):
        items.append(("console.community_ranking", _("社区排名")))
    if is_admin(user):
        items.append(("console.admin_categories", _("类别与期限")))
    if booking_rules.can_manage_service_items(user):
        items.append(("console.admin_service_items", _("办事事项")))
    if calendar_rules.can_edit_calendar(user):
        items.append(("console.admin_calendar", _("工作日历")))
    if can_import_places(user):
        items.append(("console.admin_places", _("网格导入")))
    if can_manage_staff(user):
        items.append(("console.admin_staff", _("账号")))
    return [(endpoint, label, url_for(endpoint)) for endpoint, label in items]
