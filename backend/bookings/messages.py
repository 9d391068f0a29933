"""Messages of the bookings feature (延时预约服务)."""
from backend.core.i18n import register

register({
    "service_item_not_found": {"zh": "找不到该办理事项。", "en": "No such service item."},
    "service_item_code_taken": {"zh": "事项编码已被使用。", "en": "This item code is already used."},
    "centre_not_found": {"zh": "找不到该服务中心。", "en": "No such service centre."},
    "community_required": {
        "zh": "服务中心只能设在社区一级。", "en": "A service centre belongs to a community.",
    },
    "point_name_taken": {
        "zh": "该社区已有同名服务点。", "en": "The community already has a service point of this name.",
    },
    "point_location_whole": {
        "zh": "请同时填写经度和纬度，或都不填。", "en": "Give both latitude and longitude, or neither.",
    },
    "point_id_or_centre_id": {
        "zh": "请选择服务点。", "en": "Choose a service point.",
    },
    "point_kind_centre": {"zh": "服务中心", "en": "Service centre"},
    "point_kind_station": {"zh": "连心驿站", "en": "Neighbourhood station"},
    "point_kind_home": {"zh": "居民之家", "en": "Residents' home"},
    "counter_not_found": {"zh": "找不到该窗口。", "en": "No such counter."},
    "counter_name_taken": {"zh": "该中心已有同名窗口。", "en": "The centre already has a counter of this name."},
    "rule_not_found": {"zh": "找不到该开放时间规则。", "en": "No such opening rule."},
    "rule_overlaps": {
        "zh": "与已有的开放时间（{weekday} {start}–{end}）重叠。",
        "en": "Overlaps the existing opening hours ({weekday} {start}–{end}).",
    },
    "end_before_start": {"zh": "结束时间必须晚于开始时间。", "en": "The end must be after the start."},
    "valid_to_before_from": {
        "zh": "截止日期不能早于生效日期。", "en": "The end date is before the start date.",
    },
    "closure_not_found": {"zh": "找不到该停办日期。", "en": "No such closure."},
    "closure_exists": {"zh": "该日已设为停办。", "en": "This day is already closed."},
    "closure_has_bookings": {
        "zh": "该日已有 {count} 个预约。如确需停办，请勾选“取消当日预约”，系统将通知预约人。",
        "en": "{count} bookings exist on this day. To close it anyway, ask to cancel them; "
              "the residents will be told.",
    },
    "item_not_offered": {
        "zh": "该服务中心不办理此事项。", "en": "This centre does not handle this item.",
    },
    "item_not_bookable_online": {
        "zh": "该事项不支持网上预约，请直接到服务中心办理或致电咨询。",
        "en": "This item cannot be booked online; visit or call the centre.",
    },
    "date_range_too_long": {
        "zh": "一次最多查询 {days} 天。", "en": "Ask for at most {days} days at a time.",
    },
    "booking_not_found": {"zh": "找不到该预约。", "en": "No such booking."},
    "booking_too_soon": {
        "zh": "请至少提前 {minutes} 分钟预约（最早可约 {earliest}）。",
        "en": "Book at least {minutes} minutes ahead (earliest {earliest}).",
    },
    "booking_too_far": {
        "zh": "最多只能预约 {days} 天内的时段（最晚 {last}）。",
        "en": "Book at most {days} days ahead (up to {last}).",
    },
    "booking_day_closed_holiday": {
        "zh": "{date} 是{holiday}假期，服务中心不办公。",
        "en": "{date} is a public holiday ({holiday}); the centre is closed.",
    },
    "booking_day_closed": {
        "zh": "{date} 服务中心停办：{reason}。",
        "en": "The centre is closed on {date}: {reason}.",
    },
    "booking_day_no_hours": {
        "zh": "{date} 服务中心不办理此事项。",
        "en": "The centre does not handle this item on {date}.",
    },
    "booking_not_a_slot": {
        "zh": "该时间不是可预约的时段，请从可预约时段中选择。",
        "en": "This is not a bookable slot; choose one of the free slots.",
    },
    "booking_slot_full": {
        "zh": "该时段已约满，请选择其他时段。",
        "en": "This slot is fully booked; choose another one.",
    },
    "booking_already_booked": {
        "zh": "您已预约该时段（{time}，预约码 {booking_code}），无需重复预约；"
              "如需改期或取消，请在“我的预约”中操作。",
        "en": "You already booked this slot ({time}, code {booking_code}); no need to book "
              "it again. To move or cancel it, go to My bookings.",
    },
    "booking_already_booked_for": {
        "zh": "此人已预约该时段（{time}，预约码 {booking_code}），无需重复预约。",
        "en": "This person already booked this slot ({time}, code {booking_code}); no need "
              "to book it again.",
    },
    "booking_in_past": {
        "zh": "该时段已开始或已过去，请选择之后的时段。",
        "en": "This slot has started or is over; choose a later one.",
    },
    "booking_range_invalid": {
        "zh": "开始日期不能晚于结束日期。", "en": "The start date is after the end date.",
    },
    "booking_cap_reached": {
        "zh": "您已有 {count} 个未完成的预约（最多 {max} 个），请办理或取消后再预约。",
        "en": "You already have {count} open bookings (at most {max}); attend or cancel one first.",
    },
    "booking_paused": {
        "zh": "因 {window} 天内 {count} 次预约未到，您的在线预约已暂停至 {until}。"
              "如需办理，请致电服务中心由工作人员代为预约。",
        "en": "Online booking is paused until {until}: {count} missed appointments within "
              "{window} days. Call the centre and the staff can book for you.",
    },
    "booking_cancel_cutoff": {
        "zh": "距预约开始已不足 {hours} 小时，不能再取消或改约（截止 {cutoff}）。",
        "en": "Less than {hours} hours before the appointment: it can no longer be "
              "cancelled or moved (cut-off {cutoff}).",
    },
    "booking_not_active": {
        "zh": "该预约当前状态为“{state}”，不能执行此操作。",
        "en": "This booking is {state}; this action is not possible.",
    },
    "booking_same_slot": {
        "zh": "新时段与原预约相同。", "en": "The new slot is the booked one.",
    },
    "booking_not_started": {
        "zh": "预约时间（{start}）还没到，不能标记为未到。",
        "en": "The appointment ({start}) has not started yet; it cannot be a no-show.",
    },
    "booking_not_today": {
        "zh": "这是 {date} 的预约，只能在当天签到。",
        "en": "This booking is for {date}; check in on that day.",
    },
    "booking_already_checked_in": {
        "zh": "该预约已签到（{time}）。", "en": "This booking was already checked in ({time}).",
    },
    "booking_code_not_found": {
        "zh": "本中心没有该预约码的有效预约，请核对预约码。",
        "en": "No active booking with this code at this centre; check the code.",
    },
    "booking_code_invalid": {
        "zh": "预约码由 4–6 位字母和数字组成。", "en": "A booking code has 4 to 6 letters and digits.",
    },
    "resident_not_found": {"zh": "找不到该居民。", "en": "No such resident."},
    "resident_or_phone": {
        "zh": "请填写居民编号或手机号（二选一）。",
        "en": "Give either the resident's id or a phone number.",
    },
    "phone_ambiguous": {
        "zh": "该手机号对应多个居民账号，请指定居民编号。",
        "en": "Several residents have this phone number; give the resident's id.",
    },
    "guest_name_required": {
        "zh": "该手机号没有居民账号，请填写预约人姓名。",
        "en": "No resident has this phone number; give the person's name.",
    },
    "pause_not_found": {"zh": "该居民的在线预约没有被暂停。", "en": "Online booking is not paused for this resident."},
    # reminders and notices (outbox)
    "booking_reminder_eve_title": {"zh": "明天 {time} 办事预约提醒", "en": "Tomorrow {time}: your appointment"},
    "booking_reminder_hour_title": {"zh": "{time} 办事预约提醒", "en": "{time}: your appointment"},
    "booking_reminder_body": {
        "zh": "{item}，{centre}，预约码 {code}。请携带：{materials}",
        "en": "{item} at {centre}, code {code}. Bring: {materials}",
    },
    "booking_changed_title": {"zh": "您的办事预约有变动", "en": "Your appointment changed"},
    "booking_cancelled_body": {
        "zh": "{time} 的 {item} 预约已取消：{reason}",
        "en": "Your {item} appointment at {time} was cancelled: {reason}",
    },
    "booking_made_for_you_body": {
        "zh": "工作人员已为您预约 {time} {item}，{centre}，预约码 {code}。",
        "en": "Staff booked {item} for you at {time}, {centre}; code {code}.",
    },
    "booking_paused_body": {
        "zh": "{window} 天内 {count} 次预约未到，在线预约暂停至 {until}。",
        "en": "{count} missed appointments within {window} days: online booking paused until {until}.",
    },
    "closure_cancel_reason": {"zh": "服务中心当天停办（{reason}）", "en": "the centre is closed that day ({reason})"},
    "status_booked": {"zh": "已预约", "en": "booked"},
    "status_checked_in": {"zh": "已签到", "en": "checked in"},
    "status_completed": {"zh": "已办结", "en": "completed"},
    "status_no_show": {"zh": "未到", "en": "no-show"},
    "status_cancelled": {"zh": "已取消", "en": "cancelled"},
    "weekday_0": {"zh": "周一", "en": "Monday"},
    "weekday_1": {"zh": "周二", "en": "Tuesday"},
    "weekday_2": {"zh": "周三", "en": "Wednesday"},
    "weekday_3": {"zh": "周四", "en": "Thursday"},
    "weekday_4": {"zh": "周五", "en": "Friday"},
    "weekday_5": {"zh": "周六", "en": "Saturday"},
    "weekday_6": {"zh": "周日", "en": "Sunday"},
    "day_makeup": {"zh": "调休工作日", "en": "make-up working day"},
    "day_rest_day": {"zh": "休息", "en": "Rest day"},
})
