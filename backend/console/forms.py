"""Input schemas of the console's forms and query strings.

Browsers send every value as text, empty fields as "", a checked box as "on" and nothing
for an unchecked one; the API's schemas want JSON types and refuse unknown fields (the
CSRF token is one). These take form data; ``parse`` drops empty values so defaults apply,
and turns a validation error into an ``ApiError`` the page shows.
"""
from __future__ import annotations

from datetime import date
from typing import Mapping

import marshmallow as ma
from marshmallow import validate
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from backend.console import format as fmt
from backend.core.errors import ApiError
from backend.core.parsing import bad_text
from backend.core.fields import ID_RANGE, PHONE, LocalDateTime, is_id
from backend.tickets.schemas import INTAKE_SOURCES, PRIORITIES, SOURCES, STATES

ID = dict(validate=ID_RANGE)
DAY = dict(validate=validate.Range(min=date(2000, 1, 1), max=date(2099, 12, 31)))
NOTE = dict(load_default="", validate=validate.Length(max=1000))
REASON = dict(required=True, validate=validate.Length(min=1, max=1000))

FIELD_LABELS = {
    "state": _l("状态"), "category_id": _l("类别"), "place_id": _l("网格"), "overdue": _l("超期"),
    "created_from": _l("开始日期"), "created_to": _l("结束日期"), "q": _l("关键词"), "cursor": _l("分页"),
    "limit": _l("每页条数"), "version": _l("版本"), "note": _l("备注"), "reason": _l("原因"),
    "target": _l("派遣对象"), "target_id": _l("目标工单编号"), "assignee_id": _l("网格员"),
    "ticket_ids": _l("工单"), "action": _l("操作"), "department_id": _l("部门"),
    "accept_hours": _l("立案时限"), "resolve_hours": _l("处置时限"), "deadline_mode": _l("计时方式"),
    "username": _l("用户名"), "password": _l("密码"), "display_name": _l("姓名"), "role": _l("角色"),
    "scope_place_id": _l("管辖范围"), "cell_ids": _l("网格"), "phone": _l("电话"), "crs": _l("坐标系"),
    "date_from": _l("开始日期"), "date_to": _l("结束日期"), "code": _l("编码"), "date": _l("日期"),
    "weekday": _l("星期"), "start": _l("开始时间"), "end": _l("结束时间"), "kind": _l("类型"),
    "valid_from": _l("生效日期"), "valid_to": _l("截止日期"), "counter_ids": _l("窗口"),
    "cancel_bookings": _l("取消预约"), "name": _l("名称"), "department": _l("部门"),
    "materials": _l("材料"), "notes": _l("说明"), "duration_minutes": _l("办理时长"),
    "bookable_online": _l("可在线预约"), "is_active": _l("启用"), "source": _l("来源渠道"),
    "external_ref": _l("12345 工单号"), "caller_name": _l("来电人/来访人"), "caller_phone": _l("联系电话"),
    "resident_id": _l("居民"), "priority": _l("紧急程度"), "description": _l("问题描述"),
    "address": _l("地址"), "building": _l("楼栋"), "unit": _l("单元"), "lat": _l("位置"),
    "lng": _l("位置"),
    "community_id": _l("社区"), "sort_order": _l("排序"),
}
# the English texts written beside the Chinese (issue 21)
FIELD_LABELS.update({
    "name_en": _l("英文名称"), "materials_en": _l("英文材料"), "notes_en": _l("英文说明"),
    "title_en": _l("英文标题"), "body_en": _l("英文正文"), "content_en": _l("英文内容"),
})


class FormSchema(ma.Schema):
    # a page's own names for its fields, before FIELD_LABELS (organisations: place_id is
    # where the organisation is registered, not a ticket's grid cell)
    field_labels: Mapping = {}

    class Meta:
        unknown = ma.EXCLUDE


def parse(schema: ma.Schema, data: MultiDict | Mapping) -> dict:
    """Load form or query data; list fields take every value of their name."""
    cleaned: dict = {}
    keys = data.keys() if hasattr(data, "keys") else []
    for key in keys:
        field = schema.fields.get(key)
        if field is not None and isinstance(field, ma.fields.List):
            values = [v.strip() for v in data.getlist(key) if v.strip()] \
                if hasattr(data, "getlist") else data[key]
            if values:
                cleaned[key] = values
            continue
        value = data.get(key)
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
        cleaned[key] = value
    # PostgreSQL cannot store NUL in text: refused on its field, as the API refuses it
    nul = {name: [why] for name, value in cleaned.items() if (why := bad_text(value))}
    try:
        if nul:
            raise ma.ValidationError(nul)
        return schema.load(cleaned)
    except ma.ValidationError as exc:
        fields = {}
        for name, messages in exc.normalized_messages().items():
            texts = messages if isinstance(messages, list) else [str(messages)]
            label = getattr(schema, "field_labels", {}).get(name) or FIELD_LABELS.get(name, name)
            fields[name] = [_("%(label)s：%(message)s", label=label,
                              message=fmt.validation_message(str(m)))
                            for m in texts if isinstance(m, str)] or \
                [_("%(label)s：输入不正确。", label=label)]
        raise ApiError(422, "validation_error", fields=fields) from None


# --- the queue -----------------------------------------------------------------------

class QueueForm(FormSchema):
    """The filters of the queue API (GET /api/v1/tickets), from the query string."""

    state = ma.fields.List(ma.fields.String(validate=validate.OneOf(STATES)))
    category_id = ma.fields.Integer(**ID)
    place_id = ma.fields.Integer(**ID)
    overdue = ma.fields.Boolean()
    flagged = ma.fields.Boolean()
    # 即将超期 (yellow) / 已超期 (red), as the API's tier=
    tier = ma.fields.String(validate=validate.OneOf(["yellow", "red"]))
    created_from = ma.fields.Date(**DAY)
    created_to = ma.fields.Date(**DAY)
    q = ma.fields.String(validate=validate.Length(min=1, max=100))
    source = ma.fields.List(ma.fields.String(validate=validate.OneOf(SOURCES)))
    cursor = ma.fields.String(validate=validate.Length(max=200))
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class ExportForm(QueueForm):
    class Meta(QueueForm.Meta):
        exclude = ("cursor",)

    limit = ma.fields.Integer(load_default=10000, validate=validate.Range(min=1, max=50000))


class BulkForm(FormSchema):
    ticket_ids = ma.fields.List(ma.fields.Integer(**ID), required=True,
                                validate=validate.Length(min=1, max=100))
    action = ma.fields.String(required=True, validate=validate.OneOf(
        ["accept", "auto_dispatch", "dispatch"]))
    target = ma.fields.String(validate=validate.Regexp(r"^(worker|department):\d{1,10}$"))
    back = ma.fields.String(load_default="", validate=validate.Length(max=2000))


# --- ticket actions ------------------------------------------------------------------

class VersionForm(FormSchema):
    version = ma.fields.Integer(required=True, **ID)


class AcceptForm(VersionForm):
    place_id = ma.fields.Integer(**ID)
    note = ma.fields.String(**NOTE)


class ReasonForm(VersionForm):
    reason = ma.fields.String(**REASON)


class NoteForm(VersionForm):
    note = ma.fields.String(**NOTE)


class DeadlineForm(VersionForm):
    """调整期限 (督办): the new deadline, Shanghai time from a datetime-local input."""

    due_at = LocalDateTime(required=True)
    reason = ma.fields.String(**REASON)


class DispatchForm(VersionForm):
    target = ma.fields.String(required=True,
                              validate=validate.Regexp(r"^(worker|department):\d{1,10}$"))
    note = ma.fields.String(**NOTE)


class MergeForm(VersionForm):
    target_id = ma.fields.Integer(required=True, **ID)
    note = ma.fields.String(**NOTE)


class ReworkForm(ReasonForm):
    assignee_id = ma.fields.Integer(**ID)


class RecategorizeForm(ReasonForm):
    """更正: the API's RecategorizeArgs, from a form."""

    category_id = ma.fields.Integer(**ID)
    priority = ma.fields.String(validate=validate.OneOf(PRIORITIES))


class IntakeForm(FormSchema):
    """登记事件: the API's TicketCreateArgs for staff, from a form."""

    source = ma.fields.String(required=True, validate=validate.OneOf(INTAKE_SOURCES))
    external_ref = ma.fields.String(validate=validate.Length(min=1, max=40))
    caller_name = ma.fields.String(validate=validate.Length(max=50))
    caller_phone = ma.fields.String(validate=PHONE)
    resident_id = ma.fields.Integer(**ID)
    category_id = ma.fields.Integer(required=True, **ID)
    priority = ma.fields.String(validate=validate.OneOf(PRIORITIES))
    description = ma.fields.String(required=True, validate=validate.Length(min=2, max=2000))
    address = ma.fields.String(load_default="", validate=validate.Length(max=200))
    building = ma.fields.String(load_default="", validate=validate.Length(max=50))
    unit = ma.fields.String(load_default="", validate=validate.Length(max=50))
    lat = ma.fields.Float(required=True, allow_nan=False,
                          validate=validate.Range(min=-90, max=90))
    lng = ma.fields.Float(required=True, allow_nan=False,
                          validate=validate.Range(min=-180, max=180))


class ResidentLookupForm(FormSchema):
    phone = ma.fields.String(validate=PHONE)


class ResolveForm(VersionForm):
    note = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))


def split_target(target: str) -> tuple[int | None, int | None]:
    """"worker:12" → (12, None); "department:3" → (None, 3)."""
    kind, _sep, number = target.partition(":")
    value = int(number)
    if not is_id(value):
        raise ApiError(422, "validation_error", fields={"target": [_("派遣对象不正确。")]})
    return (value, None) if kind == "worker" else (None, value)


# --- dashboard -----------------------------------------------------------------------

class PeriodForm(FormSchema):
    date_from = ma.fields.Date(data_key="from", **DAY)
    date_to = ma.fields.Date(data_key="to", **DAY)
    place_id = ma.fields.Integer(**ID)


class MapForm(FormSchema):
    place_id = ma.fields.Integer(**ID)


# --- the service window --------------------------------------------------------------

class DayForm(FormSchema):
    date = ma.fields.Date(**DAY)
    counter_id = ma.fields.Integer(**ID)
    include_cancelled = ma.fields.Boolean(load_default=False)


class CheckInForm(FormSchema):
    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=20))
    counter_id = ma.fields.Integer(**ID)


class BookingOutcomeForm(FormSchema):
    back = ma.fields.String(load_default="", validate=validate.Length(max=2000))


class OpeningRuleForm(FormSchema):
    """The bookings API's OpeningRuleArgs, from a form."""

    weekday = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=6))
    start = ma.fields.Time(required=True, format="%H:%M")
    end = ma.fields.Time(required=True, format="%H:%M")
    kind = ma.fields.String(load_default="regular",
                            validate=validate.OneOf(["regular", "extended"]))
    valid_from = ma.fields.Date(load_default=None, **DAY)
    valid_to = ma.fields.Date(load_default=None, **DAY)
    counter_ids = ma.fields.List(ma.fields.Integer(**ID), load_default=list,
                                 validate=validate.Length(max=50))


class ClosureForm(FormSchema):
    date = ma.fields.Date(required=True, **DAY)
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    cancel_bookings = ma.fields.Boolean(load_default=False)


class ServiceItemForm(FormSchema):
    """The bookings API's ItemArgs, from a form: materials one per line."""

    code = ma.fields.String(required=True, validate=[
        validate.Length(min=1, max=20), validate.Regexp(r"^[0-9A-Za-z_.-]+$")])
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    department = ma.fields.String(load_default="", validate=validate.Length(max=100))
    materials = ma.fields.String(load_default="", validate=validate.Length(max=6000))
    notes = ma.fields.String(load_default="", validate=validate.Length(max=500))
    # the English texts beside the Chinese (residents who read English get them)
    name_en = ma.fields.String(load_default="", validate=validate.Length(max=150))
    materials_en = ma.fields.String(load_default="", validate=validate.Length(max=6000))
    notes_en = ma.fields.String(load_default="", validate=validate.Length(max=500))
    duration_minutes = ma.fields.Integer(load_default=20, validate=validate.Range(min=5, max=240))
    bookable_online = ma.fields.Boolean(load_default=False)
    is_active = ma.fields.Boolean(load_default=False)


class ServiceItemEditForm(ServiceItemForm):
    class Meta(ServiceItemForm.Meta):
        exclude = ("code",)


def materials(text: str, field: str = "materials") -> list[str]:
    """One document per line, blank lines dropped."""
    lines = [line.strip()[:200] for line in text.splitlines() if line.strip()]
    if len(lines) > 30:
        raise ApiError(422, "validation_error", fields={field: [_("材料最多 30 项。")]})
    return lines


# --- admin ---------------------------------------------------------------------------

class CategoryForm(FormSchema):
    accept_hours = ma.fields.Float(required=True, allow_nan=False,
                                   validate=validate.Range(min=0.5, max=720))
    resolve_hours = ma.fields.Float(required=True, allow_nan=False,
                                    validate=validate.Range(min=0.5, max=2160))
    deadline_mode = ma.fields.String(required=True,
                                     validate=validate.OneOf(["working", "natural"]))
    is_private = ma.fields.Boolean(load_default=False)
    requires_after_photo = ma.fields.Boolean(load_default=False)
    is_urgent = ma.fields.Boolean(load_default=False)


class PlacesImportForm(FormSchema):
    crs = ma.fields.String(required=True, validate=validate.OneOf(["gcj02", "wgs84"]))


class StaffForm(FormSchema):
    username = ma.fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_.-]{3,50}$", error=_l("只能使用 3–50 个字母、数字、点、横线或下划线。")))
    password = ma.fields.String(required=True, validate=validate.Length(max=200))
    display_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))
    role = ma.fields.String(required=True, validate=validate.OneOf(["staff", "admin"]))
    scope_place_id = ma.fields.Integer(**ID)


class WorkerForm(FormSchema):
    display_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = ma.fields.String(validate=validate.Regexp(r"^\+?[0-9 -]{5,20}$",
                                                      error=_l("电话号码格式不正确。")))
    cell_ids = ma.fields.List(ma.fields.Integer(**ID), required=True,
                              validate=validate.Length(min=1, max=100))
