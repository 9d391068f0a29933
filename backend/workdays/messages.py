"""Messages of the working calendar (工作日历)."""
from backend.core.i18n import register

register({
    "calendar_date_invalid": {
        "zh": "日期格式应为 YYYY-MM-DD，例如 2027-02-07。",
        "en": "A date is written YYYY-MM-DD, e.g. 2027-02-07.",
    },
    "calendar_year_out_of_range": {
        "zh": "年份须在 {first} 至 {last} 之间。",
        "en": "The year must lie between {first} and {last}.",
    },
    "calendar_kind_invalid": {
        "zh": "类型只能是 holiday（节假日）或 workday（调休上班）。",
        "en": "The kind is holiday or workday.",
    },
    "calendar_workday_not_weekend": {
        "zh": "{date} 是工作日（周一至周五），无须设为调休上班；只有周六、周日可以设为调休上班。",
        "en": "{date} is a weekday already; only a Saturday or Sunday can be a make-up workday.",
    },
    "calendar_name_too_long": {
        "zh": "名称不能超过 {limit} 个字。", "en": "The name is longer than {limit} characters.",
    },
    "calendar_duplicate_date": {
        "zh": "{date} 在文件中出现了不止一次（第 {first} 行已有）。",
        "en": "{date} appears more than once in the file (line {first} has it already).",
    },
    "calendar_day_not_set": {
        "zh": "{date} 没有设置过节假日或调休。", "en": "{date} is not set in the calendar.",
    },
    "calendar_line": {"zh": "第 {line} 行：{message}", "en": "line {line}: {message}"},
    "calendar_file_empty": {
        "zh": "文件中没有任何日期。", "en": "The file holds no dates.",
    },
    "calendar_file_unreadable": {
        "zh": "无法读取文件：应为 UTF-8 编码的 CSV（表头 date,kind,name）或 JSON 列表。",
        "en": "Unreadable file: expected UTF-8 CSV (header date,kind,name) or a JSON list.",
    },
    "calendar_csv_header": {
        "zh": "CSV 的第一行应为表头 date,kind,name。",
        "en": "The first line of the CSV must be the header date,kind,name.",
    },
    "calendar_json_entry": {
        "zh": "应为含 date、kind、name 三项的对象。",
        "en": "Expected an object with date, kind and name.",
    },
})
