"""Demo tickets: a morning queue for 张主任 and a few cases further along.

Made through the real operations (so every event is there), then a few are backdated so
the queue shows overdue cases in red. Created once: nothing is added if tickets exist.
"""
from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from backend.accounts.models import User
from backend.core.models import utcnow
from backend.extensions import db
from backend.tickets import operations as ops
from backend.tickets.models import Category, Ticket

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


def seed_tickets() -> int:
    if db.session.execute(sa.select(Ticket.id).limit(1)).first():
        return 0
    rng = random.Random(20261122)
    categories = {c.name: c for c in db.session.execute(sa.select(Category)).scalars()}
    residents = db.session.execute(
        sa.select(User).where(User.openid.like("demo-resident-%")).order_by(User.id)
    ).scalars().all()
    staff = db.session.execute(sa.select(User).where(User.username == "zhang")).scalar_one()
    created = []
    for round_ in range(2):  # 30 reports: a busy morning
        for name, text, lat, lng, building in REPORTS:
            reporter = residents[rng.randrange(len(residents))]
            ticket = ops.create_ticket(reporter, categories[name].id, text,
                                       lat + rng.uniform(-0.0004, 0.0004) * round_,
                                       lng + rng.uniform(-0.0004, 0.0004) * round_,
                                       address="晋阳社区", building=building)
            created.append(ticket)
    # older ones: some overdue, some further along the way
    for i, ticket in enumerate(created):
        age = timedelta(hours=rng.choice((1, 3, 20, 30, 50, 80)))
        ticket.created_at = utcnow() - age
        if ticket.accept_due_at:
            ticket.accept_due_at -= age
            ticket.due_at = ticket.accept_due_at
    db.session.flush()
    for ticket in created[:12]:
        if ticket.place_id is None:
            continue
        ops.accept(staff, ticket, note="立案")
        workers = ops.workers_of_cell(ticket.place_code)
        if ticket.state == "accepted" and workers and ticket.category.default_handler == "grid_worker":
            ops.dispatch(staff, ticket, assignee_id=workers[0].id, note="请尽快处理")
    for ticket in created[:4]:
        if ticket.state == "dispatched" and ticket.assignee_id:
            worker = db.session.get(User, ticket.assignee_id)
            ops.resolve(worker, ticket, "已处理完毕", [])
    db.session.flush()
    return len(created)
