"""Messages of the tickets feature (and the idempotency machinery it relies on)."""
from backend.core.i18n import register

register({
    "idempotency_key_reused": {
        "zh": "该 Idempotency-Key 已用于另一个不同的请求，请换一个新的。",
        "en": "This Idempotency-Key was used for a different request; use a new one.",
    },
    "idempotency_key_invalid": {
        "zh": "Idempotency-Key 最长 100 个字符。",
        "en": "The Idempotency-Key is at most 100 characters long.",
    },
    "idempotency_in_progress": {
        "zh": "相同的请求正在处理中，请稍后重试。",
        "en": "The same request is still being processed; retry shortly.",
    },
    "category_not_found": {"zh": "找不到该问题类别。", "en": "No such category."},
    "category_not_leaf": {
        "zh": "请选择具体的小类。", "en": "Choose a specific sub-category.",
    },
    "ticket_not_found": {"zh": "找不到该事件。", "en": "No such ticket."},
    "transition_refused": {
        "zh": "当前状态（{state}）下不能执行此操作。",
        "en": "This action is not possible while the ticket is {state}.",
    },
    "stale_version": {
        "zh": "该事件已被他人更新，请刷新后再操作。",
        "en": "Someone else updated this ticket; reload it and try again.",
    },
    "reason_required": {"zh": "请填写原因。", "en": "Please give a reason."},
    "assignee_not_in_cell": {
        "zh": "只能派遣给负责该网格的网格员。",
        "en": "Dispatch only to a grid worker who owns this cell.",
    },
    "assignee_or_department": {
        "zh": "请选择一位网格员或一个部门（二选一）。",
        "en": "Choose either a grid worker or a department.",
    },
    "department_not_found": {"zh": "找不到该部门。", "en": "No such department."},
    "no_worker_for_cell": {
        "zh": "该网格还没有网格员，请手动派遣。",
        "en": "No grid worker owns this cell; dispatch by hand.",
    },
    "no_bound_worker_for_cell": {
        "zh": "该网格的网格员尚未绑定微信，请手动派遣。",
        "en": "The cell's grid workers have not bound WeChat yet; dispatch by hand.",
    },
    "cell_required_to_accept": {
        "zh": "请先为该事件选择所在网格。",
        "en": "Choose the grid cell of this ticket first.",
    },
    "merge_target_invalid": {
        "zh": "只能合并到另一条未结案的事件。",
        "en": "Merge only into another open ticket.",
    },
    "rating_window_closed": {
        "zh": "结案已超过 7 天，不能再评价。",
        "en": "More than 7 days have passed since closing; rating is closed.",
    },
    "already_rated": {"zh": "您已经评价过了。", "en": "You have already rated this ticket."},
    "cannot_follow_own": {"zh": "这是您自己上报的事件。", "en": "You reported this ticket yourself."},
    "not_followable": {
        "zh": "该事件不能关注。", "en": "This ticket cannot be followed.",
    },
    "ticket_closed_for_supplements": {
        "zh": "事件已办结，不能再补充。", "en": "The ticket is finished; no more supplements.",
    },
    "outside_your_cells": {
        "zh": "该位置不在您负责的网格内。", "en": "This point is outside your cells.",
    },
    "after_photo_required": {
        "zh": "该类事件需上传处置后照片", "en": "This category needs an after-photo.",
    },
    "rate_reminder_not_before_autoclose": {
        "zh": "评价提醒须早于自动结案（提醒天数应小于自动结案天数）。",
        "en": "The rating reminder must come before the automatic closing.",
    },
    "date_range_invalid": {
        "zh": "开始日期不能晚于结束日期。", "en": "The start date is after the end date.",
    },
    # deadlines (issue 19): 督办 and a new deadline
    "supervision_forbidden": {
        "zh": "只有街道及以上的工作人员可以查看督办。",
        "en": "Only staff of a street or above see escalated cases.",
    },
    "deadline_not_in_future": {
        "zh": "新的期限须晚于当前时间。", "en": "The new deadline must be in the future.",
    },
    "deadline_too_far": {
        "zh": "新的期限最长为一年以内。", "en": "The new deadline must be within a year.",
    },
    # --- intake (登记), correction (更正), urgent alerts -------------------------------
    "staff_only_field": {
        "zh": "只有工作人员登记事件时才能填写此项。",
        "en": "Only staff filing a case may send this field.",
    },
    "source_required": {
        "zh": "请选择来源渠道（电话、来访或 12345 转办）。",
        "en": "Choose the source: phone, walk-in or 12345 hotline.",
    },
    "source_not_intake": {
        "zh": "登记事件的来源只能是电话、来访或 12345 转办。",
        "en": "Staff file cases from a phone call, a walk-in or the 12345 hotline.",
    },
    "external_ref_required": {
        "zh": "12345 转办的事件请填写 12345 工单号。",
        "en": "A 12345 transfer needs the hotline's work-order number.",
    },
    "external_ref_hotline_only": {
        "zh": "只有 12345 转办的事件才有 12345 工单号。",
        "en": "Only a 12345 transfer has a hotline work-order number.",
    },
    "duplicate_work_order": {
        "zh": "该 12345 工单号已登记为事件 #{ticket_id}。",
        "en": "This 12345 work order is already filed as ticket #{ticket_id}.",
    },
    "intake_resident_not_found": {
        "zh": "找不到该居民（须为已注册、未停用的居民）。",
        "en": "No such active registered resident.",
    },
    "intake_outside_scope": {
        "zh": "该位置不在您管辖的网格内。",
        "en": "This point is outside the area you manage.",
    },
    "intake_needs_cell": {
        "zh": "该位置不在任何网格内，请在地图上选择您管辖网格内的位置（或请街道工作人员登记）。",
        "en": "This point is in no grid cell; pick a point in your area (or ask the street's staff).",
    },
    "recategorize_nothing": {
        "zh": "请选择新的小类或新的紧急程度。",
        "en": "Choose a new sub-category or a new priority.",
    },
})
