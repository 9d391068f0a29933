"""Builders for test data. They flush and commit, as a finished request would."""
from __future__ import annotations

import secrets

from shapely.geometry import box, mapping

from backend.accounts import operations as accounts
from backend.accounts.models import Role, User
from backend.accounts.auth import issue_token
from backend.core.models import utcnow
from backend.extensions import db
from backend.places.models import LEVEL_BY_CODE_LENGTH, Place


def place(code: str, name: str | None = None, bounds=None, parent: Place | None = None,
          kind: str | None = None) -> Place:
    """A place; ``bounds`` (minlng, minlat, maxlng, maxlat) gives it a rectangle."""
    level = LEVEL_BY_CODE_LENGTH[len(code)]
    geometry = mapping(box(*bounds)) if bounds else None
    p = Place(code=code, name=name or f"place {code}", level=level.value, parent=parent,
              kind=kind, geometry=geometry)
    if bounds:
        p.min_lng, p.min_lat, p.max_lng, p.max_lat = bounds
    db.session.add(p)
    db.session.flush()
    return p


def resident(openid: str | None = None, name: str = "居民", phone: str | None = None,
             consented: bool = True) -> User:
    """A resident; a phone is one they typed in and consented to share unless
    ``consented=False`` (a number kept from before consent was asked: never shown)."""
    u = User(role=Role.resident.value, openid=openid or "o-" + secrets.token_hex(6),
             display_name=name, phone=phone,
             phone_source="typed" if phone and consented else None,
             phone_consent_at=utcnow() if phone and consented else None)
    db.session.add(u)
    db.session.flush()
    return u


def staff(scope: Place | None, role: str = Role.staff.value, username: str | None = None,
          password: str = "correct horse battery") -> User:
    return accounts.create_staff(None, username or "staff-" + secrets.token_hex(4), password,
                                 "工作人员", role, scope.id if scope else None)


def worker(cells: list[Place], openid: str | None = None, name: str = "网格员") -> User:
    return accounts.create_worker(None, name, [c.id for c in cells], openid=openid)


def token_for(user: User, hours: int = 1) -> str:
    raw, _ = issue_token(user, "test", hours)
    db.session.commit()
    return raw


def auth(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def two_communities():
    """district → street → two communities, each with L2 → L3 cells (rectangles).

    Community A spans lng 104.00–104.02, community B 104.02–104.04 (a shared border at
    104.02); lat 30.60–30.62.
    """
    d = place("510107", "武侯区")
    s = place("510107021", "晋阳街道", parent=d)
    a = place("510107021003", "晋阳社区", (104.00, 30.60, 104.02, 30.62), parent=s)
    a2 = place("51010702100301", "A 二级网格 1", (104.00, 30.60, 104.02, 30.62), parent=a)
    a3 = place("5101070210030101", "A 三级网格 1", (104.00, 30.60, 104.01, 30.62), parent=a2)
    a3b = place("5101070210030102", "A 三级网格 2", (104.01, 30.60, 104.02, 30.62), parent=a2)
    b = place("510107021004", "金雁社区", (104.02, 30.60, 104.04, 30.62), parent=s)
    b2 = place("51010702100401", "B 二级网格 1", (104.02, 30.60, 104.04, 30.62), parent=b)
    b3 = place("5101070210040101", "B 三级网格 1", (104.02, 30.60, 104.04, 30.62), parent=b2)
    db.session.commit()
    return {"district": d, "street": s, "a": a, "a2": a2, "a3": a3, "a3b": a3b,
            "b": b, "b2": b2, "b3": b3}


def categories() -> dict[str, "object"]:
    """The standard categories and departments, by 小类 name."""
    from backend.tickets.models import Category
    from backend.tickets.seed import seed_categories

    seed_categories()
    db.session.commit()
    return {c.name: c for c in db.session.query(Category).all()}


def upload(owner: User, width: int = 64, height: int = 48):
    """A stored photo owned by ``owner``, made through the real pipeline."""
    import io

    from PIL import Image

    from backend.uploads import operations as uploads

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
    item = uploads.store_photo(owner, buffer.getvalue())
    db.session.commit()
    return item
