"""The staff queue as a CSV file for Excel (台账): same filters, same order, same scope.

UTF-8 with a BOM, so Excel opens the Chinese as Chinese; a header row in Chinese; local
times (Asia/Shanghai). Rows are read in the queue's order as the queue reads them, in two
ranges (tickets with a deadline by (due_at, id), then those without by id), each one
query streamed in batches (``yield_per``: a server-side cursor on PostgreSQL) and written
batch by batch, so memory stays flat up to the cap. Text cells that a spreadsheet would run as a formula are defused (OWASP, CSV
injection). The reporter's name and phone are left out and a caller's phone is masked
(138****0001): a file travels further than the console.
"""
from __future__ import annotations

import codecs
import csv
import io
from datetime import datetime
from typing import Iterable, Iterator, Optional

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.accounts.models import User
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.places.models import Place
from backend.tickets import queries
from backend.core.fields import mask_phone
from backend.tickets.models import (
    PRIORITY_NAMES_ZH, SOURCE_NAMES_ZH, STATE_NAMES_ZH, Category, Department, Rating, State,
    Ticket,
)

BATCH = 1000
HEADER = ("编号", "大类", "小类", "描述", "地址", "楼栋", "单元", "网格编码", "网格", "状态",
          "来源", "处置人", "上报时间", "立案时间", "处置时间", "结案时间", "期限", "是否超期",
          "按时立案", "按时处置", "关注人数", "评价", "评价内容", "紧急程度", "12345 工单号",
          "来电人/来访人", "联系电话")
# the same file for a reader of English (Accept-Language: en, or the console in English)
HEADER_EN = ("No.", "Category", "Subcategory", "Description", "Address", "Building", "Unit",
             "Grid cell code", "Grid cell", "State", "Source", "Handled by", "Reported at",
             "Accepted at", "Resolved at", "Closed at", "Deadline", "Overdue",
             "Accepted on time", "Resolved on time", "Followers", "Rating", "Rating comment",
             "Priority", "12345 order no.", "Caller / visitor", "Phone")
STATE_NAMES_EN = {"submitted": "Submitted", "accepted": "Accepted", "rejected": "Rejected",
                  "dispatched": "Dispatched", "in_progress": "In progress",
                  "resolved": "Resolved", "closed": "Closed", "merged": "Merged"}
SOURCE_NAMES_EN = {"resident": "Mini-program", "patrol": "Patrol", "open311": "Open311",
                   "phone": "Phone", "walk_in": "Walk-in", "hotline": "12345 hotline"}
PRIORITY_NAMES_EN = {"normal": "Normal", "urgent": "Urgent"}
RATING_NAMES_EN = {"satisfied": "Satisfied", "basically_satisfied": "Basically satisfied",
                   "unsatisfied": "Unsatisfied"}
RATING_NAMES_ZH = {Rating.satisfied.value: "满意", Rating.basically.value: "基本满意",
                   Rating.unsatisfied.value: "不满意"}
SOURCE_NAMES = {source.value: name for source, name in SOURCE_NAMES_ZH.items()}
PRIORITY_NAMES = {priority.value: name for priority, name in PRIORITY_NAMES_ZH.items()}
# A cell starting with one of these is a formula (or becomes one) in Excel and LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: Optional[str]) -> str:
    """OWASP's advice for CSV injection: a leading quote makes the cell plain text."""
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def local_time(value: Optional[datetime]) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes_no(value: Optional[bool], english: bool = False) -> str:
    if value is None:
        return ""
    if english:
        return "Yes" if value else "No"
    return "是" if value else "否"


def filename(now: Optional[datetime] = None) -> str:
    return f"tickets-{(now or utcnow()).astimezone(SHANGHAI):%Y%m%d}.csv"


def conditions(user: User, args: dict) -> list:
    """The queue's filters for ``user`` (403 / 422 now, before any byte is sent)."""
    if args.get("q"):
        args = dict(args, q=queries._escape_like(args["q"]))
    return queries.queue_filters(user, args)


def count(where: list) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(Ticket).where(*where)).scalar_one()


def query(where: list, order: tuple, limit: int):
    """One row of plain columns per ticket."""
    parent = so.aliased(Category)
    return (
        sa.select(Ticket.id, parent.name.label("parent_name"),
                  Category.name.label("category_name"), Ticket.description, Ticket.address,
                  Ticket.building, Ticket.unit, Place.code.label("place_code"),
                  Place.name.label("place_name"), Ticket.state, Ticket.source,
                  User.display_name.label("assignee_name"),
                  Department.name.label("department_name"), Ticket.created_at,
                  Ticket.accepted_at, Ticket.resolved_at, Ticket.closed_at, Ticket.due_at,
                  Ticket.accepted_on_time, Ticket.resolved_on_time, Ticket.follower_count,
                  Ticket.rating, Ticket.rating_comment, Ticket.priority, Ticket.external_ref,
                  Ticket.caller_name, Ticket.caller_phone)
        .select_from(Ticket)
        .join(Category, Category.id == Ticket.category_id)
        .outerjoin(parent, parent.id == Category.parent_id)
        .outerjoin(Place, Place.id == Ticket.place_id)
        .outerjoin(User, User.id == Ticket.assignee_id)
        .outerjoin(Department, Department.id == Ticket.department_id)
        .where(*where)
        .order_by(*order)
        .limit(limit))


def csv_row(row, now: datetime, language: str = "zh") -> list:
    en = language == "en"
    handler = row.department_name or row.assignee_name
    if en:
        state = STATE_NAMES_EN[State(row.state).value]
        source = SOURCE_NAMES_EN.get(row.source, row.source)
        rating = RATING_NAMES_EN.get(row.rating or "", "")
        priority = PRIORITY_NAMES_EN.get(row.priority, row.priority)
    else:
        state = STATE_NAMES_ZH[State(row.state)]
        source = SOURCE_NAMES.get(row.source, row.source)
        rating = RATING_NAMES_ZH.get(row.rating or "", "")
        priority = PRIORITY_NAMES.get(row.priority, row.priority)
    return [
        row.id, safe_cell(row.parent_name), safe_cell(row.category_name),
        safe_cell(row.description), safe_cell(row.address), safe_cell(row.building),
        safe_cell(row.unit), row.place_code or "",
        safe_cell(row.place_name) or ("not located" if en else "未定位"),
        state, source,
        safe_cell(handler), local_time(row.created_at), local_time(row.accepted_at),
        local_time(row.resolved_at), local_time(row.closed_at), local_time(row.due_at),
        _yes_no(row.due_at is not None and row.due_at < now, en),
        _yes_no(row.accepted_on_time, en), _yes_no(row.resolved_on_time, en),
        row.follower_count, rating, safe_cell(row.rating_comment),
        priority, safe_cell(row.external_ref),
        safe_cell(row.caller_name), mask_phone(row.caller_phone) or "",
    ]


def encode(rows: Iterable[Iterable], now: datetime, language: str = "zh") -> Iterator[bytes]:
    """The BOM and the header, then one chunk per batch of rows; ``language`` "en": English
    column names and values (people's own text as written)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # excel dialect: commas, "" quoting, CRLF
    writer.writerow(HEADER_EN if language == "en" else HEADER)
    yield codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
    for batch in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_row(row, now, language) for row in batch)
        yield buffer.getvalue().encode("utf-8")


def batches(where: list, limit: int, deadline_only: bool = False) -> Iterator[list]:
    """At most ``limit`` rows in the queue's order (deadline first, none last), in batches."""
    ranges = [(Ticket.due_at.is_not(None), (Ticket.due_at, Ticket.id))]
    if not deadline_only:
        ranges.append((Ticket.due_at.is_(None), (Ticket.id,)))
    remaining = limit
    for condition, order in ranges:
        if remaining <= 0:
            return
        result = db.session.execute(query([*where, condition], order, remaining),
                                    execution_options={"yield_per": BATCH})
        try:
            for batch in result.partitions():
                remaining -= len(batch)
                yield batch
        finally:
            result.close()


def stream(where: list, limit: int, deadline_only: bool = False,
           now: Optional[datetime] = None, language: str = "zh") -> Iterator[bytes]:
    """The CSV file, chunk by chunk; run it inside the request (stream_with_context).
    ``deadline_only`` (the overdue filter) skips the tickets without a deadline."""
    return encode(batches(where, limit, deadline_only), now or utcnow(), language)
