"""Demo tickets: three weeks of 晋阳社区's cases, from closed and rated ones to this
morning's new reports waiting in 张主任's queue.

Every ticket is walked through the real operations (create, accept, dispatch, check in,
resolve, rate, close …), so its events, deadlines and on-time flags are what the service
itself would have written. The tickets feature reads one clock,
``backend.tickets.operations.utcnow`` (the tests fix it the same way); while the seed
runs, it is set to the time of each step: a report at the hour a resident sent it, then
staff and grid workers in office hours (or within minutes, for the urgent categories
counted in natural hours), the resident's rating when they get round to it. Nothing is
later than the moment the seed runs.

Photos are drawn when the seed runs (``backend.demo.photos``) and stored through the
upload pipeline like a phone's: a display copy and a thumbnail each.

Created once: nothing is added if tickets exist.
"""
from __future__ import annotations

import math
import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Iterator, Optional

import sqlalchemy as sa

from backend.accounts.models import User
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI, add_natural_hours, add_working_hours, deadline
from backend.demo import photos
from backend.extensions import db
from backend.tickets import operations as ops
from backend.tickets.models import Category, Rating, Ticket
from backend.uploads.operations import store_photo

# (小类, description, lat, lng, building) — points inside the demo cells
REPORTS = (
    ("楼道灯损坏", "5栋2单元3楼楼道灯坏了两个星期，晚上上下楼看不见", 30.6330, 104.0330, "5栋"),
    ("下水道堵塞", "小区后门下水道又堵了，污水漫到路上", 30.6341, 104.0351, ""),
    ("电瓶车被盗", "昨晚停在车棚的电瓶车被偷了", 30.6297, 104.0352, "3栋"),
    ("垃圾堆放", "大门口装修垃圾堆了一个星期没人清", 30.6345, 104.0420, ""),
    ("噪音扰民", "楼下商铺每天晚上十一点后还在放音乐", 30.6290, 104.0420, "8栋"),
    ("井盖缺失", "晋阳路人行道上一个井盖不见了，很危险", 30.6318, 104.0388, ""),
    ("健身器材损坏", "小区广场的漫步机断了一根扶手", 30.6280, 104.0440, ""),
    ("高空抛物", "12栋有人从楼上往下扔烟头和果皮", 30.6335, 104.0445, "12栋"),
    ("消防通道堵塞", "消防通道被几辆私家车长期占用", 30.6300, 104.0330, ""),
    ("路灯不亮", "晋吉南路12号院门口路灯不亮", 30.6290, 104.0370, ""),
    ("宠物粪便", "草坪上狗粪没人清理", 30.6350, 104.0340, ""),
    ("电动车楼道充电", "有人从窗户拉线在楼道给电动车充电", 30.6320, 104.0450, "2栋"),
    ("占道经营", "菜市场门口摊贩占了整条人行道", 30.6275, 104.0400, ""),
    ("邻里纠纷", "楼上漏水到我家，协商不成", 30.6332, 104.0360, "6栋"),
    ("道路破损", "小区主干道有一个大坑，雨天积水", 30.6310, 104.0345, ""),
)

# How far each ticket got. The steps of each story, in order:
STEPS = {
    "new": (),                    # this morning's reports: 待受理
    "waiting": (),                # 待受理 for days: past the deadline to accept
    "accepted": ("accept",),
    "dispatched": ("accept", "dispatch"),
    "checked_in": ("accept", "dispatch", "checkin"),
    "resolved": ("accept", "dispatch", "checkin", "resolve"),
    "rated": ("accept", "dispatch", "checkin", "resolve", "rate"),
    "verified": ("accept", "dispatch", "checkin", "resolve", "verify"),
    "reopened": ("accept", "dispatch", "checkin", "resolve", "rate", "redispatch"),
    "rejected": ("reject",),
}


@dataclass(frozen=True)
class Story:
    story: str
    days_ago: int = 0             # the day it was reported (moved earlier if the steps
    #                               would not be over by now)
    photo: bool = False           # the resident sent a photo
    rating: Optional[str] = None
    late_accept: bool = False     # accepted after its deadline
    late_resolve: bool = False    # resolved after its deadline
    overdue: bool = False         # still open, past its deadline now


SAT, BASIC, UNSAT = Rating.satisfied.value, Rating.basically.value, Rating.unsatisfied.value
# One story per report, in REPORTS order: the first round three weeks to two days old,
# the second round newer. The browser journey (tests/test_console_browser.py) relies on a
# few: this morning's 楼道灯 and 邻里纠纷 reports wait to be accepted, and the second sewer
# report is a duplicate of the first, which is still being handled.
ROUNDS = (
    (
        Story("rated", 18, photo=True, rating=SAT),
        Story("checked_in", 2, photo=True),
        Story("verified", 15),
        Story("rated", 12, photo=True, rating=SAT),
        Story("rated", 20, rating=BASIC, late_resolve=True),
        Story("rated", 9, photo=True, rating=SAT),
        Story("reopened", 8, photo=True, rating=UNSAT),
        Story("verified", 11),
        Story("rated", 6, photo=True, rating=SAT),
        Story("resolved", 3, photo=True),
        Story("rated", 14, photo=True, rating=BASIC, late_accept=True),
        Story("rated", 5, photo=True, rating=SAT),
        Story("dispatched", 6, overdue=True),
        Story("dispatched", 4),
        Story("resolved", 4, photo=True),
    ),
    (
        Story("new", photo=True),
        Story("new", photo=True),
        Story("waiting", 2, overdue=True),
        Story("checked_in", 1, photo=True),
        Story("rejected", 7),
        Story("verified", 16, photo=True),
        Story("accepted", 1),
        Story("dispatched", 1),
        Story("waiting", 1, photo=True, overdue=True),
        Story("resolved", 2),
        Story("new"),
        Story("rated", 10, photo=True, rating=SAT),
        Story("rated", 13, photo=True, rating=BASIC),
        Story("new"),
        Story("waiting", 3, overdue=True),
    ),
)

RESOLVE_NOTES = {
    "楼道灯损坏": "已更换3楼两盏LED声控灯，试亮正常",
    "下水道堵塞": "已疏通后门下水道，清出淤泥两车",
    "电瓶车被盗": "派出所已受理并调取车棚监控，已告知失主进展",
    "垃圾堆放": "已联系物业清运装修垃圾，门口清理干净",
    "噪音扰民": "已约谈商铺负责人，承诺晚上十点后不再播放音乐",
    "井盖缺失": "排水管理所已补装井盖并加固",
    "健身器材损坏": "已更换漫步机扶手并紧固螺栓",
    "高空抛物": "已入户宣传并在12栋张贴告示，物业加装了监控",
    "消防通道堵塞": "已联系车主挪车，消防通道已畅通",
    "路灯不亮": "已更换路灯灯头，夜间恢复照明",
    "宠物粪便": "已清理草坪，并在草坪旁设置文明养犬提示牌",
    "电动车楼道充电": "已拆除飞线，告知住户到小区充电桩充电",
    "占道经营": "执法队已劝离摊贩，引导进入菜市场内经营",
    "邻里纠纷": "已组织双方调解，楼上住户同意维修防水",
    "道路破损": "已协调施工单位修补路面，恢复通行",
}
COMMENTS = {
    SAT: ("师傅当天就来了，处理得很好，谢谢！", "很及时，给社区点赞", "已经弄好了，感谢",
          "处理很快，满意"),
    BASIC: ("解决了，就是等的时间有点长", "基本处理好了，希望以后多巡查", "处理了，现场还有点乱"),
    UNSAT: ("只换了一个零件，扶手还是松的，晃得厉害",),
}
REJECT_REASON = "经核实为沿街商铺经营噪音，属区市场监管部门管辖，已告知可拨打12345反映"
REWORK_NOTE = "居民反映扶手仍然松动，请返工并拍照反馈"
VERIFY_NOTE = "已电话回访，居民确认已处理"
# how long, at most, the demo goes back (the dashboard shows the last 30 days)
MAX_DAYS_AGO = 28


@dataclass
class Plan:
    """One ticket's timeline, worked out before anything is written."""

    report: tuple
    story: Story
    category: Category
    reporter: User
    created: datetime
    steps: list[tuple[str, datetime]] = field(default_factory=list)
    seed: int = 0


# --- the clock -------------------------------------------------------------------------

class _Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def _tickets_clock() -> Iterator[_Clock]:
    clock = _Clock()
    saved = ops.utcnow
    ops.utcnow = clock
    try:
        yield clock
    finally:
        ops.utcnow = saved


# --- planning --------------------------------------------------------------------------

def _urgent(category: Category) -> bool:
    return category.deadline_mode == "natural"


def _staff_step(start: datetime, hours: float, category: Category) -> datetime:
    """Staff and workers act in office hours; urgent categories within the hour."""
    if _urgent(category):
        return add_natural_hours(start, hours / 6)
    return add_working_hours(start, hours, ops.office_hours())


def _resident_time(start: datetime, hours: float) -> datetime:
    """A resident answers some hours later, in the daytime (08:00–22:00)."""
    when = add_natural_hours(start, hours).astimezone(SHANGHAI)
    if when.time() > time(22):
        when = (when + timedelta(days=1)).replace(hour=8, minute=when.minute % 50 + 5)
    elif when.time() < time(8):
        when = when.replace(hour=8, minute=when.minute % 50 + 5)
    return max(when, start + timedelta(minutes=20))


def _draw_gaps(rng: random.Random) -> dict[str, float]:
    """How long each step takes (hours), drawn once per ticket."""
    return {"accept": rng.uniform(0.3, 2.5), "dispatch": rng.uniform(0.1, 0.6),
            "checkin": rng.uniform(0.5, 2.5), "resolve": rng.uniform(0.6, 3.0),
            "department": rng.uniform(3.0, 12.0), "rate": rng.uniform(1.0, 30.0),
            "verify": rng.uniform(1.0, 6.0), "reject": rng.uniform(0.5, 3.0),
            "redispatch": rng.uniform(0.5, 2.0), "late": rng.uniform(1.0, 4.0)}


def _timeline(story: Story, category: Category, created: datetime,
              gaps: dict[str, float]) -> tuple[list[tuple[str, datetime]], datetime]:
    """The steps' times, and the latest moment that must be past by now (the last step,
    or the deadline an overdue ticket has missed)."""
    department = category.default_handler == "department"
    office = ops.office_hours()
    steps: list[tuple[str, datetime]] = []
    at = created
    accepted = None
    for step in STEPS[story.story]:
        if step == "checkin" and department:
            continue  # staff record the department's work: nobody checks in
        if step == "accept" and story.late_accept:
            at = deadline(at, category.accept_hours, category.deadline_mode, office)
            at = _staff_step(at, gaps["late"], category)
        elif step == "resolve" and department:
            at = _staff_step(at, gaps["department"] / (4 if _urgent(category) else 1),
                             category)
        elif step == "rate":
            at = _resident_time(at, gaps["rate"])
        else:
            at = _staff_step(at, gaps[step], category)
        if step == "resolve" and story.late_resolve:
            due = deadline(accepted, category.resolve_hours, category.deadline_mode, office)
            at = max(at, _staff_step(due, gaps["late"], category))
        if step == "accept":
            accepted = at
        steps.append((step, at))
    must_be_past = at
    if story.overdue and story.story == "waiting":
        must_be_past = deadline(created, category.accept_hours, category.deadline_mode, office)
    elif story.overdue:
        must_be_past = max(at, deadline(accepted, category.resolve_hours,
                                        category.deadline_mode, office))
    return steps, must_be_past


def _plan(report: tuple, story: Story, category: Category, reporter: User, now: datetime,
          rng: random.Random) -> Plan:
    seed = rng.randrange(1 << 30)
    if story.story == "new":  # reported in the last few hours
        created = now - timedelta(hours=rng.uniform(0.3, 3.0))
        return Plan(report, story, category, reporter, created, [], seed)
    gaps = _draw_gaps(rng)
    hour = rng.uniform(7.5, 21.5)
    today = now.astimezone(SHANGHAI).date()
    latest = now - timedelta(minutes=5)
    for days_ago in range(story.days_ago, MAX_DAYS_AGO + 1):
        day = today - timedelta(days=days_ago)
        created = datetime.combine(day, time(0), tzinfo=SHANGHAI) + timedelta(hours=hour)
        steps, must_be_past = _timeline(story, category, created, gaps)
        if created < latest and must_be_past < latest:
            return Plan(report, story, category, reporter, created, steps, seed)
    raise RuntimeError(f"demo ticket {report[0]}: no {MAX_DAYS_AGO}-day timeline fits")


# --- writing ---------------------------------------------------------------------------

def _photo(owner: User, category: Category, seed: int, fixed: bool, when: datetime) -> int:
    upload = store_photo(owner, photos.scene(category.name, seed, fixed),
                         purpose="resolve" if fixed else "report")
    upload.created_at = when  # taken and sent at the step's time, not the seed's
    return upload.id


def _near(lat: float, lng: float, rng: random.Random) -> tuple[float, float]:
    """A point 5–35 m from the pin: where a worker's phone says they stand."""
    distance, bearing = rng.uniform(5, 35), rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111_320
    dlng = distance * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lng + dlng, 6)


def _handler(ticket: Ticket, staff: User) -> User:
    return db.session.get(User, ticket.assignee_id) if ticket.assignee_id else staff


def _dispatch(staff: User, ticket: Ticket, note: str) -> None:
    category = ticket.category
    if category.default_handler == "department" and category.department_id:
        ops.dispatch(staff, ticket, department_id=category.department_id,
                     note=f"转{category.department.name}处理")
        return
    worker = ops.workers_of_cell(ticket.place_code)[0]
    ops.dispatch(staff, ticket, assignee_id=worker.id, note=note)


def _walk(plan: Plan, staff: User, clock: _Clock) -> Ticket:
    rng = random.Random(plan.seed)
    name, text, lat, lng, building = plan.report
    category = plan.category
    scene = photos.has_scene(category.name)
    clock.now = plan.created.astimezone(timezone.utc)
    photo_ids = ([_photo(plan.reporter, category, plan.seed, False, plan.created)]
                 if plan.story.photo and scene else [])
    ticket = ops.create_ticket(plan.reporter, category.id, text, lat, lng, address="晋阳社区",
                               building=building, photo_ids=photo_ids)
    if ticket.place_id is None:  # the demo points lie in the grid; one outside is a bug
        raise RuntimeError(f"demo ticket {name} at {lat},{lng} is outside the demo grid")
    for step, when in plan.steps:
        clock.now = when = when.astimezone(timezone.utc)
        if step == "accept":
            ops.accept(staff, ticket, note="情况属实，予以立案")
        elif step == "dispatch":
            _dispatch(staff, ticket, "请尽快到现场处理")
        elif step == "checkin":
            ops.check_in(_handler(ticket, staff), ticket, *_near(lat, lng, rng))
        elif step == "resolve":
            handler = _handler(ticket, staff)
            after = [_photo(handler, category, plan.seed, True, when)] if scene else []
            ops.resolve(handler, ticket, RESOLVE_NOTES[name], after)
        elif step == "rate":
            rating = plan.story.rating or Rating.satisfied.value
            ops.rate(plan.reporter, ticket, rating, rng.choice(COMMENTS[rating]))
        elif step == "verify":
            ops.close(staff, ticket, VERIFY_NOTE)
        elif step == "redispatch":
            _dispatch(staff, ticket, REWORK_NOTE)
        elif step == "reject":
            ops.reject(staff, ticket, REJECT_REASON)
    return ticket


def seed_tickets() -> int:
    if db.session.execute(sa.select(Ticket.id).limit(1)).first():
        return 0
    rng = random.Random(20261122)
    categories = {c.name: c for c in db.session.execute(sa.select(Category)).scalars()}
    residents = db.session.execute(
        sa.select(User).where(User.openid.like("demo-resident-%")).order_by(User.id)
    ).scalars().all()
    staff = db.session.execute(sa.select(User).where(User.username == "zhang")).scalar_one()
    now = utcnow()
    plans = []
    for round_, stories in enumerate(ROUNDS):
        for (name, text, lat, lng, building), story in zip(REPORTS, stories):
            reporter = residents[rng.randrange(len(residents))]
            # the second round's pins a few dozen metres from the first's
            point = (lat + rng.uniform(-0.0004, 0.0004) * round_,
                     lng + rng.uniform(-0.0004, 0.0004) * round_)
            plans.append(_plan((name, text, *point, building), story, categories[name],
                               reporter, now, rng))
    plans.sort(key=lambda p: p.created)  # ticket numbers follow the time of the report
    with _tickets_clock() as clock:
        for plan in plans:
            _walk(plan, staff, clock)
    db.session.flush()
    return len(plans)
