"""The choices the console's forms offer, each limited to what the user may use."""
from __future__ import annotations

from typing import Iterable, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so


from backend.console import format as fmt

from backend.accounts.models import Role, User
from backend.accounts import permissions
from backend.extensions import db
from backend.places.models import LEVEL_DEPTH, Place, PlaceLevel
from backend.tickets.models import Category, Department

GRID = ("community", "grid2", "grid3", "grid4")
PLACE_CHOICES_CAP = 2000


def places_in_scope(user: User, levels: Iterable[str] = GRID,
                    under: Optional[Place] = None, geometry: bool = False) -> list[Place]:
    """Places of these levels the user manages (inside ``under`` when given), by code;
    with their polygons when ``geometry``."""
    query = sa.select(Place).where(Place.level.in_(list(levels)))
    if geometry:
        query = query.options(so.undefer(Place.geometry))
    roots = [p for p in (under, None if permissions.is_admin(user) else user.scope_place)
             if p is not None]
    if not permissions.is_admin(user) and user.scope_place is None:
        return []
    for root in roots:  # narrows the read; the rule itself is checked per place below
        query = query.where(Place.code.startswith(root.code, autoescape=True))
    rows = db.session.execute(query.order_by(Place.code).limit(PLACE_CHOICES_CAP)).scalars()
    return [p for p in rows if permissions.can_manage_place(user, p)]


def place_label(place: Place, base_depth: int = 0) -> str:
    """An indented option label: "　　3号院（三级网格）"."""
    depth = max(LEVEL_DEPTH[PlaceLevel(place.level)] - base_depth, 0)
    return "　" * depth + fmt.named_kind(place.name, fmt.level_name(place.level))


def place_options(places: list[Place]) -> list[tuple[int, str]]:
    if not places:
        return []
    base = min(LEVEL_DEPTH[PlaceLevel(p.level)] for p in places)
    return [(p.id, place_label(p, base)) for p in places]


def grouped_categories() -> list[tuple[Category, list[Category]]]:
    """Active 大类 with their active 小类, in display order."""
    rows = db.session.execute(
        sa.select(Category).where(Category.is_active.is_(True))
        .order_by(Category.sort_order, Category.id)).scalars().all()
    tops = [c for c in rows if c.parent_id is None]
    return [(top, [c for c in rows if c.parent_id == top.id]) for top in tops]


def departments() -> list[Department]:
    return list(db.session.execute(
        sa.select(Department).where(Department.is_active.is_(True))
        .order_by(Department.id)).scalars())


def workers_in_scope(user: User) -> list[User]:
    """Grid workers this user manages (every cell in their subtree; admins all)."""
    rows = db.session.execute(
        sa.select(User).where(User.role == Role.grid_worker.value).order_by(User.id)
    ).scalars().unique().all()
    return [w for w in rows if permissions.can_manage_worker(user, w)]
