"""The standard categories (大类 / 小类) and departments, as the demo and new deployments
start with them. Hours are working hours unless the mode says natural."""
from __future__ import annotations

import sqlalchemy as sa

from backend.extensions import db
from backend.tickets.models import Category, Department

DEPARTMENTS = (
    ("晋阳派出所", "028-85000110"),
    ("武侯区排水管理所", "028-85000220"),
    ("晋阳街道综合行政执法队", "028-85000330"),
    ("晋阳小区物业服务中心", "028-85000440"),
)

# (code, name, name_en, accept_h, resolve_h, mode, private, handler, department)
# 紧急 categories: a new case alerts the cell's worker and the community's staff at once
# (井盖缺失; 消防通道堵塞, the nearest the set has to a gas or fire danger)
URGENT = ("0102", "0104")
CATEGORIES = (
    ("01", "公共设施", "Public facilities", [
        ("0101", "楼道灯损坏", "Stairwell light broken", 4, 24, "working", False, "grid_worker", None),
        ("0102", "井盖缺失", "Manhole cover missing", 0.5, 2, "natural", False, "department", "武侯区排水管理所"),
        ("0103", "健身器材损坏", "Fitness equipment broken", 8, 40, "working", False, "grid_worker", None),
        ("0104", "消防通道堵塞", "Fire lane blocked", 2, 8, "natural", False, "grid_worker", None),
    ]),
    ("02", "市政", "Municipal", [
        ("0201", "下水道堵塞", "Blocked sewer", 4, 24, "working", False, "grid_worker", None),
        ("0202", "路灯不亮", "Street light out", 8, 40, "working", False, "grid_worker", None),
        ("0203", "道路破损", "Damaged road", 8, 80, "working", False, "department", "晋阳街道综合行政执法队"),
    ]),
    ("03", "环境", "Environment", [
        ("0301", "垃圾堆放", "Rubbish piled up", 4, 16, "working", False, "grid_worker", None),
        ("0302", "占道经营", "Street stall blocking the way", 4, 24, "working", False, "department", "晋阳街道综合行政执法队"),
        ("0303", "宠物粪便", "Pet waste", 8, 24, "working", False, "grid_worker", None),
    ]),
    ("04", "治安", "Safety and security", [
        ("0401", "电瓶车被盗", "E-bike stolen", 2, 40, "working", True, "department", "晋阳派出所"),
        ("0402", "电动车楼道充电", "E-bike charging in stairwell", 2, 8, "natural", False, "grid_worker", None),
    ]),
    ("05", "邻里", "Neighbours", [
        ("0501", "噪音扰民", "Noise nuisance", 4, 24, "working", False, "grid_worker", None),
        ("0502", "邻里纠纷", "Neighbour dispute", 8, 80, "working", True, "grid_worker", None),
        ("0503", "高空抛物", "Objects thrown from height", 2, 24, "working", False, "grid_worker", None),
    ]),
)


def seed_categories() -> int:
    """Create what is missing; never changes what staff have edited. Returns rows added."""
    added = 0
    departments = {d.name: d for d in db.session.execute(sa.select(Department)).scalars()}
    for name, phone in DEPARTMENTS:
        if name not in departments:
            departments[name] = Department(name=name, phone=phone)
            db.session.add(departments[name])
            added += 1
    db.session.flush()
    existing = {c.code: c for c in db.session.execute(sa.select(Category)).scalars()}
    for order, (code, name, name_en, children) in enumerate(CATEGORIES):
        top = existing.get(code)
        if top is None:
            top = Category(code=code, name=name, name_en=name_en, sort_order=order)
            db.session.add(top)
            db.session.flush()
            added += 1
        for child_order, (ccode, cname, cname_en, accept_h, resolve_h, mode, private,
                          handler, department) in enumerate(children):
            if ccode in existing:
                continue
            db.session.add(Category(
                code=ccode, name=cname, name_en=cname_en, parent_id=top.id,
                accept_hours=accept_h, resolve_hours=resolve_h, deadline_mode=mode,
                is_private=private, default_handler=handler, is_urgent=ccode in URGENT,
                department_id=departments[department].id if department else None,
                sort_order=child_order))
            added += 1
    db.session.flush()
    return added
