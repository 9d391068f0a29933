"""Seed the demo community. Idempotent: running it again changes nothing."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from backend.accounts import operations as accounts
from backend.accounts.models import Role, User
from backend.bookings.seed import seed_demo as seed_service_centre
from backend.demo.grid import COMMUNITY, STREET, demo_feature_collection
from backend.core.models import utcnow
from backend.extensions import db
from backend.places import operations as places
from backend.places.models import Place
from backend.demo.tickets import seed_tickets
from backend.tickets.seed import seed_categories


@dataclass(frozen=True)
class DemoStaff:
    username: str
    password: str
    display_name: str
    role: str
    scope_code: str | None


@dataclass(frozen=True)
class DemoWeChatUser:
    openid: str
    display_name: str
    phone: str
    cell_codes: tuple[str, ...] = ()  # grid workers only


C = COMMUNITY[0]
# Demo passwords are public on purpose: this is the demo data set, printed by `make run`.
STAFF = (
    DemoStaff("admin", "linli-admin-demo", "系统管理员", Role.admin.value, None),
    DemoStaff("zhang", "linli-staff-demo", "张主任（晋阳社区）", Role.staff.value, C),
    DemoStaff("jiedao", "linli-street-demo", "晋阳街道办", Role.staff.value, STREET[0]),
)
WORKERS = (
    DemoWeChatUser("demo-worker-li", "李师傅", "13800000101", (C + "01",)),
    DemoWeChatUser("demo-worker-zhao", "赵师傅", "13800000102", (C + "02",)),
    DemoWeChatUser("demo-worker-chen", "陈师傅", "13800000103", (C + "03", C + "04")),
)
RESIDENTS = (
    DemoWeChatUser("demo-resident-wang", "王阿姨", "13900000201"),
    DemoWeChatUser("demo-resident-chen", "小陈", "13900000202"),
    DemoWeChatUser("demo-resident-liu", "刘姐", "13900000203"),
)
# An English-speaking resident (issue 21: international communities): she reads English,
# so the notice and the service item with English text, and her notifications, come in it.
# Created after the demo tickets, which keep their reporters among the residents above.
MARY = DemoWeChatUser("demo-resident-mary", "Mary", "13900000204")
ENGLISH_RESIDENTS = (MARY,)


def seed(with_tickets: bool = True) -> dict:
    result = places.import_features(demo_feature_collection(), crs="gcj02")
    if not result.ok:  # the demo grid is generated; a problem here is a bug
        raise RuntimeError("; ".join(str(p) for p in result.problems))
    by_code = {p.code: p for p in db.session.execute(sa.select(Place)).scalars()}

    created = 0
    for s in STAFF:
        if db.session.execute(sa.select(User.id).where(User.username == s.username)).first():
            continue
        scope_id = by_code[s.scope_code].id if s.scope_code else None
        accounts.create_staff(None, s.username, s.password, s.display_name, s.role, scope_id)
        created += 1
    for w in WORKERS:
        if db.session.execute(sa.select(User.id).where(User.openid == w.openid)).first():
            continue
        accounts.create_worker(None, w.display_name, [by_code[c].id for c in w.cell_codes],
                               phone=w.phone, openid=w.openid)
        created += 1
    for r in RESIDENTS:
        if db.session.execute(sa.select(User.id).where(User.openid == r.openid)).first():
            continue
        db.session.add(User(role=Role.resident.value, openid=r.openid,
                            display_name=r.display_name, phone=r.phone,
                            # demo residents gave their phone with consent (issue 19.5)
                            phone_source="typed" if r.phone else None,
                            phone_consent_at=utcnow() if r.phone else None))
        created += 1
    db.session.flush()
    categories = seed_categories()
    tickets = seed_tickets() if with_tickets else 0
    for r in ENGLISH_RESIDENTS:
        if db.session.execute(sa.select(User.id).where(User.openid == r.openid)).first():
            continue
        db.session.add(User(role=Role.resident.value, openid=r.openid,
                            display_name=r.display_name, phone=r.phone, language="en",
                            phone_source="typed", phone_consent_at=utcnow()))
        created += 1
    db.session.flush()
    service = seed_service_centre(by_code[C], "成都市武侯区晋阳路 88 号", "028-85000100")
    from backend.volunteers.seed import seed_demo as seed_volunteers

    volunteers = seed_volunteers(by_code[C])
    from backend.participation.seed import seed_demo as seed_participation

    participation = seed_participation(by_code[C])
    from backend.organisations.seed import seed_demo as seed_organisations

    organisations = seed_organisations(by_code[C], by_code[STREET[0]])
    return {"tickets_created": tickets, "places_created": result.created, "places_updated": result.updated,
            "accounts_created": created, "categories_created": categories,
            "service_rows_created": service["service_rows"],
            "bookings_created": service["bookings"],
            "volunteer_rows_created": volunteers,
            "participation_rows_created": participation,
            "organisation_rows_created": organisations}
