"""How the console writes things for people: local times, state names, deadlines, errors,
and the navigation each user sees."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask import url_for

from backend.accounts.permissions import can_import_places, can_manage_staff, is_admin, is_staff
from backend.bookings import permissions as booking_rules
from backend.tickets import permissions as ticket_rules
from backend.workdays import permissions as calendar_rules
from backend.core.errors import ApiError
from backend.core.i18n import register, t
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.tickets.models import STATE_NAMES_ZH, State

register({
    "console_action_not_offered": {
        "zh": "“{action}”当前不可用（工单状态：{state}），未执行。",
        "en": "“{action}” is not available now (the ticket is {state}); nothing was done.",
    },
})

STALE_MESSAGE = "该工单刚被其他人修改过（版本已变化），您的操作没有执行。请查看最新状态后再操作。"

# Colours of the states, shared by the map, the badges and the charts.
STATE_COLOURS = {
    "submitted": "#d92d20", "accepted": "#f79009", "dispatched": "#7a5af8",
    "in_progress": "#1570ef", "resolved": "#12b76a", "closed": "#667085",
    "rejected": "#98a2b3", "merged": "#98a2b3",
}

ROLE_NAMES = {"resident": "居民", "grid_worker": "网格员", "staff": "工作人员",
              "admin": "管理员", "reporter": "上报人", "assignee": "处置人",
              "system": "系统", "public": "公众", "follower": "关注者",
              "supervisor": "街道督办"}


def state_name(state: Optional[str]) -> str:
    if not state:
        return ""
    try:
        return STATE_NAMES_ZH[State(state)]
    except ValueError:
        return state


def local_time(value: Optional[datetime], pattern: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(SHANGHAI).strftime(pattern) if value else ""


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} 分钟"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} 小时"
    return f"{hours // 24} 天"


def due_text(due: Optional[datetime], now: Optional[datetime] = None) -> str:
    """"超期 3 小时" or "剩 2 天" (a deadline read at a glance)."""
    if due is None:
        return "—"
    delta = (due - (now or utcnow())).total_seconds()
    return f"超期 {_span(-delta)}" if delta < 0 else f"剩 {_span(delta)}"


def api_error_message(error: ApiError) -> str:
    """The operation's own message, with the fields' messages after it."""
    if error.code == "stale_version":
        return STALE_MESSAGE
    params = dict(error.params)
    if "state" in params:
        params["state"] = state_name(params["state"])
    message = t(error.key, **params)
    details = [text for messages in (error.fields or {}).values()
               for text in (messages if isinstance(messages, list) else [messages])]
    if details:
        message = message + " " + " ".join(str(d) for d in details)
    return message


def nav_items(user) -> list[tuple[str, str, str]]:
    """(endpoint, label, url) of the pages this user may open."""
    if user is None or not is_staff(user):
        return []
    items = [("console.queue", "工单队列"), ("console.intake_page", "登记事件"),
             ("console.ticket_map", "网格地图"),
             ("console.dashboard", "统计"), ("console.service_centres", "服务窗口"),
             ("console.workers", "网格员"), ("console.community_settings", "社区设置")]
    if ticket_rules.can_supervise(user):
        items.insert(1, ("console.supervision_page", "督办"))
    if ticket_rules.can_rank_communities(user):
        items.append(("console.community_ranking", "社区排名"))
    if is_admin(user):
        items.append(("console.admin_categories", "类别与期限"))
    if booking_rules.can_manage_service_items(user):
        items.append(("console.admin_service_items", "办事事项"))
    if calendar_rules.can_edit_calendar(user):
        items.append(("console.admin_calendar", "工作日历"))
    if can_import_places(user):
        items.append(("console.admin_places", "网格导入"))
    if can_manage_staff(user):
        items.append(("console.admin_staff", "账号"))
    return [(endpoint, label, url_for(endpoint)) for endpoint, label in items]
