"""The demo community plus a victim and a caller, for the whole-API tests (schemathesis,
hostile input, privacy walk).

``build()`` runs the real demo seed (places, staff, workers, residents, categories, 30
tickets, the service centre with bookings, volunteer teams and an activity), then adds two
residents made through the real operations:

- the *victim*, whose every personal value is a planted secret (phone, openid, ID number,
  real name, display name, exact location of their reports): no other resident and no
  anonymous caller may ever see one of them;
- the *caller*, the resident the tests act as, with objects of their own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from backend.accounts.models import User
from backend.extensions import db

# Planted secrets: unusual values, so a hit in an answer is never a coincidence.
VICTIM_PHONE = "13712398765"
VICTIM_OPENID = "o-victim-7f3a9c2e51"
VICTIM_NAME = "薛秘密"
VICTIM_REAL_NAME = "薛隐私真名"
VICTIM_ID_NUMBER = "51010719800101003X"
# an exact point inside the demo grid (晋阳社区), off the 3-decimal rounding grid
VICTIM_LAT = 30.633071
VICTIM_LNG = 104.033293
VICTIM_ADDRESS_DETAIL = "秘密楼7栋3单元1702"


@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def _user(openid: str) -> User:
    return db.session.execute(sa.select(User).where(User.openid == openid)).scalar_one()


def _resident(openid: str, name: str, phone: str) -> User:
    from backend.accounts.models import Role

    user = User(role=Role.resident.value, openid=openid, display_name=name, phone=phone)
    db.session.add(user)
    db.session.flush()
    return user


def _volunteer(user: User, real_name: str, phone: str, id_number: str | None, team) -> None:
    from backend.volunteers import profiles as profile_ops
    from backend.volunteers import teams as team_ops

    args = {"real_name": real_name, "phone": phone, "skills": ["陪伴"],
            "service_categories": ["助老"], "consent": True}
    if id_number:
        args["id_number"] = id_number
    profile_ops.save_profile(user, args)
    team_ops.join_team(user, team)


def build() -> World:
    """Seed the demo and the two extra residents; returns ids, secrets and tokens."""
    from backend.bookings import availability as availability_ops
    from backend.bookings import catalogue as catalogue_ops
    from backend.bookings import reservations as reservation_ops
    from backend.bookings.models import Booking, ServiceCentre, ServiceItem
    from backend.demo.operations import seed
    from backend.tickets import operations as tickets
    from backend.tickets.models import Category, Ticket
    from backend.volunteers import signups as signup_ops
    from backend.volunteers import teams as team_ops
    from backend.volunteers.models import VolunteerActivity, VolunteerTeam
    from tests import factories as f

    seed()
    db.session.flush()
    victim = _resident(VICTIM_OPENID, VICTIM_NAME, VICTIM_PHONE)
    caller = _resident("o-caller-resident-01", "来访居民", "13600000009")
    staff = db.session.execute(sa.select(User).where(User.username == "zhang")).scalar_one()
    street = db.session.execute(sa.select(User).where(User.username == "jiedao")).scalar_one()
    worker = _user("demo-worker-li")
    categories = {c.name: c for c in db.session.execute(sa.select(Category)).scalars()}
    public_cat, private_cat = categories["楼道灯损坏"], categories["电瓶车被盗"]

    # the victim's reports: a public one (others may see it, rounded and anonymous), a
    # private one (nobody else may), with a photo and a supplement
    photo = f.upload(victim)
    v_public = tickets.create_ticket(victim, public_cat.id, "楼道灯坏了，薛家门口", VICTIM_LAT,
                                     VICTIM_LNG, address=VICTIM_ADDRESS_DETAIL,
                                     building="7栋", photo_ids=[photo.id])
    v_private = tickets.create_ticket(victim, private_cat.id, "电瓶车被偷了", VICTIM_LAT + 0.0002,
                                      VICTIM_LNG + 0.0002, address=VICTIM_ADDRESS_DETAIL,
                                      building="7栋")
    tickets.add_supplement(victim, v_public, "补充：晚上七点以后最黑", [])
    # the public report goes all the way to closed, so it is in Open311 and rated
    tickets.accept(staff, v_public)
    tickets.dispatch(staff, v_public, assignee_id=worker.id)
    tickets.start_work(worker, v_public)
    tickets.resolve(worker, v_public, "已更换灯泡", [])
    tickets.rate(victim, v_public, "satisfied", "谢谢师傅")
    db.session.flush()
    c_ticket = tickets.create_ticket(caller, public_cat.id, "我家楼道灯也坏了", 30.6305, 104.0355,
                                     address="晋阳社区", building="1栋")

    centre = db.session.execute(sa.select(ServiceCentre).order_by(ServiceCentre.id)).scalars().first()
    item_ids = [i.id for i in catalogue_ops.offered_items(centre) if i.bookable_online]
    item = db.session.get(ServiceItem, item_ids[0])
    plan = availability_ops.free_slots(centre, item, None, None)
    starts = [datetime.fromisoformat(s["start"]) for d in plan["days"] for s in d["slots"]]
    v_booking = reservation_ops.book(victim, centre.id, item.id, starts[0])
    c_booking = reservation_ops.book(caller, centre.id, item.id, starts[1])

    # both join the team of the demo activity (approval: its leader 王阿姨 lets them in)
    activity = db.session.execute(sa.select(VolunteerActivity)).scalars().first()
    team = db.session.get(VolunteerTeam, activity.team_id)
    leader = _user("demo-resident-wang")
    _volunteer(victim, VICTIM_REAL_NAME, VICTIM_PHONE, VICTIM_ID_NUMBER, team)
    _volunteer(caller, "来访真名", "13600000009", None, team)
    for member in (victim, caller):
        team_ops.approve_member(leader, team, member.id)
    signup_ops.sign_up(victim, activity)
    db.session.flush()

    other_resident = _user("demo-resident-wang")
    other_ticket = db.session.execute(sa.select(Ticket).where(
        Ticket.reporter_id == other_resident.id).order_by(Ticket.id)).scalars().first()
    other_booking = db.session.execute(sa.select(Booking).where(
        Booking.resident_id == other_resident.id)).scalars().first()
    world = World()
    world.ids = {
        "victim": victim.id, "caller": caller.id, "staff": staff.id, "worker": worker.id,
        "victim_public_ticket": v_public.id, "victim_private_ticket": v_private.id,
        "caller_ticket": c_ticket.id, "other_ticket": other_ticket.id,
        "victim_booking": v_booking.id, "caller_booking": c_booking.id,
        "other_booking": other_booking.id if other_booking else v_booking.id,
        "centre": centre.id, "item": item.id, "team": team.id, "activity": activity.id,
        "victim_photo": photo.id, "category": public_cat.id,
        "private_category": private_cat.id, "community": centre.place_id,
    }
    from backend.participation.models import Convention, ConventionVersion, YardCommitteeMember

    first = lambda model: db.session.execute(  # noqa: E731
        sa.select(model).order_by(model.id)).scalars().first()
    world.ids.update(yard=first(YardCommitteeMember).yard_id, convention=first(Convention).id,
                     convention_version=first(ConventionVersion).id)
    world.secrets = {
        "phone": VICTIM_PHONE, "openid": VICTIM_OPENID, "display name": VICTIM_NAME,
        "real name": VICTIM_REAL_NAME, "ID number": VICTIM_ID_NUMBER,
        "ID number (lower case)": VICTIM_ID_NUMBER.lower(),
        "address detail": VICTIM_ADDRESS_DETAIL,
        "exact latitude": f"{VICTIM_LAT}", "exact longitude": f"{VICTIM_LNG}",
        "latitude at 4 places": f"{VICTIM_LAT:.4f}", "longitude at 4 places": f"{VICTIM_LNG:.4f}",
    }
    # the demo's other residents and its grid workers are other people too
    from backend.demo.operations import RESIDENTS, WORKERS

    for person in RESIDENTS:
        world.secrets[f"phone of {person.openid}"] = person.phone
        world.secrets[f"openid {person.openid}"] = person.openid
    for person in WORKERS:
        world.secrets[f"openid {person.openid}"] = person.openid
    db.session.commit()
    world.tokens = {
        "caller": f.token_for(caller, hours=2), "victim": f.token_for(victim, hours=2),
        "staff": f.token_for(staff, hours=2), "worker": f.token_for(worker, hours=2),
        "street": f.token_for(street, hours=2),
    }
    return world


def built(app) -> World:
    """``build()`` in an app context of its own, left before the test sends requests (a
    request would otherwise share that context's session and ``g``)."""
    with app.app_context():
        world = build()
        db.session.remove()
    return world
