"""Ticket rules: create, follow, supplement, rate; accept, reject, dispatch, merge, close;
the grid worker's take, check-in, resolve, hand back and patrol reports.

Operations flush, never commit. Every state change goes through ``_move``, which checks
the workflow table against the actor's relation to the ticket, sets deadlines and writes
the event.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlalchemy import orm as so
from flask import current_app

from backend.accounts.models import Role, User, worker_cells
from backend.accounts.permissions import can_manage_place
from backend.tickets import permissions
from backend.core.content_check import PASS, combine
from backend.core.errors import ApiError, field_error
from backend.core.fields import is_id
from backend.core.geo import haversine_m
from backend.core.models import utcnow
from backend.core.workcalendar import OfficeHours, deadline
from backend.extensions import db
from backend.places import operations as places
from backend.places.models import Place, RevisionCache, watch_revision
from backend.tickets import messages  # noqa: F401 - registers the feature's messages
from backend.tickets import settings as case_settings
from backend.tickets import workflow
from backend.tickets.notices import notify_dispatch_flag, notify_transition
from backend.tickets.models import (
    OPEN_STATES, WARN_SHARE, Category, Department, Priority, Rating, State,
    Ticket, TicketEvent, TicketFollower, TicketPhoto,
)
from backend.uploads import operations as upload_ops
from backend.uploads.models import Upload

log = logging.getLogger(__name__)

MAX_PHOTOS = 9
NEARBY_RADIUS_M = 250
NEARBY_DAYS = 30
REOPEN_DAYS = workflow.REOPEN_DAYS
# degrees of latitude per metre; longitude scaled by cos(lat) in the bounding box
_DEG_PER_M = 1 / 111_320


@lru_cache(maxsize=8)
def _office(text: str) -> OfficeHours:
    return OfficeHours.parse(text)


def office_hours() -> OfficeHours:
    return _office(current_app.config.get("OFFICE_HOURS", "09:00-12:00,13:30-18:00"))


def _due(start: datetime, hours: float, category: Category) -> datetime:
    return deadline(start, hours, category.deadline_mode, office_hours())


def _warn(start: datetime, hours: float, category: Category) -> datetime:
    """When a deadline of ``hours`` from ``start`` turns yellow (即将超期): after
    ``WARN_SHARE`` of its time, counted the way the deadline is (office hours or not)."""
    return _due(start, hours * WARN_SHARE, category)


def set_resolve_deadline(ticket: Ticket, start: datetime) -> None:
    """A new resolution deadline from ``start`` (立案, 返工, reopening): with its yellow
    point; 催办 and 督办 start over."""
    category = ticket.category
    ticket.resolve_due_at = _due(start, category.resolve_hours, category)
    ticket.warn_at = _warn(start, category.resolve_hours, category)
    ticket.reminded_at = None
    ticket.escalated_at = None
    ticket.escalated_place_id = None


# --- lookups ---------------------------------------------------------------------------

# What every view of one ticket shows, loaded with it in one query (each was a lazy load
# of its own: 7.7 statements to show a ticket before, bench/load.py).
TICKET_LOADS = (so.joinedload(Ticket.category).joinedload(Category.parent),
                so.joinedload(Ticket.place), so.joinedload(Ticket.reporter),
                so.joinedload(Ticket.assignee), so.joinedload(Ticket.department))


@cache
def _ticket_query() -> sa.Select:
    return sa.select(Ticket).options(*TICKET_LOADS).where(Ticket.id == sa.bindparam("id"))


def get_ticket(ticket_id: int) -> Ticket:
    ticket = (db.session.execute(_ticket_query(), {"id": ticket_id}).scalar_one_or_none()
              if is_id(ticket_id) else None)
    if ticket is None:
        raise ApiError(404, "ticket_not_found", code="not_found")
    return ticket


def visible_ticket(user: User, ticket_id: int) -> Ticket:
    """The ticket, if ``user`` may see all of it; 404 otherwise (nothing is revealed)."""
    ticket = get_ticket(ticket_id)
    if not permissions.can_view_ticket(user, ticket):
        raise ApiError(404, "ticket_not_found", code="not_found")
    return ticket


def staff_ticket(user: User, ticket_id: int) -> Ticket:
    """The ticket if ``user`` is its staff; 404 otherwise (nothing is revealed)."""
    ticket = visible_ticket(user, ticket_id)
    if "staff" not in permissions.ticket_actor_kinds(user, ticket):
        raise ApiError(404, "ticket_not_found", code="not_found")
    return ticket


# A change to a category (its deadlines, its rules) replaces this revision.
CATEGORIES_REVISION = "categories"
watch_revision(CATEGORIES_REVISION, Category)

# the 小类 a report names, with its 大类 (no statement a creation while none changes)
_categories = RevisionCache(Category, CATEGORIES_REVISION,
                            options=(so.joinedload(Category.parent),))


def leaf_category(category_id: int) -> Category:
    category = _categories.get(category_id) if is_id(category_id) else None
    if category is None or not category.is_active:
        raise field_error("category_id", "category_not_found")
    if not category.is_leaf:
        raise field_error("category_id", "category_not_leaf")
    return category


# --- photos ----------------------------------------------------------------------------

def attach_photos(ticket: Ticket, owner: User, photo_ids: Iterable[int], phase: str,
                  event: Optional[TicketEvent] = None, field: str = "photo_ids",
                  new_ticket: bool = False) -> list[Upload]:
    return [upload for _, upload in _attach(ticket, owner, photo_ids, phase, event, field,
                                            new_ticket)]


def _attach(ticket: Ticket, owner: User, photo_ids: Iterable[int], phase: str,
            event: Optional[TicketEvent], field: str,
            new_ticket: bool = False) -> list[tuple[TicketPhoto, Upload]]:
    """Attach the owner's unattached uploads; the (link, upload) pairs in their order.
    ``new_ticket``: the ticket was created in this transaction (it has no photos yet)."""
    claimed = upload_ops.claim(owner, photo_ids, field, MAX_PHOTOS, now=utcnow())
    if not claimed:
        return []
    by_id = {u.id: u for u in claimed}
    start = 0 if new_ticket else db.session.execute(
        sa.select(sa.func.count()).select_from(TicketPhoto)
        .where(TicketPhoto.ticket_id == ticket.id)).scalar_one()
    links = [TicketPhoto(ticket_id=ticket.id, upload_id=upload_id, phase=phase,
                         event_id=event.id if event else None, position=position)
             for position, upload_id in enumerate(by_id, start=start)]
    db.session.add_all(links)
    db.session.flush()
    return [(link, by_id[link.upload_id]) for link in links]


@cache
def _photos_query() -> sa.Select:
    return (sa.select(TicketPhoto, Upload).join(Upload, Upload.id == TicketPhoto.upload_id)
            .where(TicketPhoto.ticket_id == sa.bindparam("ticket_id"))
            .order_by(TicketPhoto.position))


def ticket_photos(ticket: Ticket, phases: Optional[Iterable[str]] = None) -> list[tuple[TicketPhoto, Upload]]:
    rows = db.session.execute(_photos_query(), {"ticket_id": ticket.id}).all()
    if phases is not None:
        wanted = set(phases)
        rows = [row for row in rows if row[0].phase in wanted]
    return list(rows)


# --- events and moves ------------------------------------------------------------------

def _event(ticket: Ticket, actor: Optional[User], actor_role: str, kind: str,
           from_state: Optional[str] = None, to_state: Optional[str] = None,
           note: str = "", data: Optional[dict] = None, flush: bool = True) -> TicketEvent:
    # timed by this module's clock, like the ticket's own timestamps (the demo seed and the
    # tests set it), so a timeline and its ticket never disagree
    event = TicketEvent(actor_id=actor.id if actor else None,
                        actor_role=actor_role, kind=kind, from_state=from_state,
                        to_state=to_state, note=note or "", data=data, created_at=utcnow())
    if ticket.id is None:
        event.ticket = ticket  # a new ticket: inserted with its event, in one flush
    else:
        event.ticket_id = ticket.id
    db.session.add(event)
    if flush:
        db.session.flush()
    return event


def _require_state(ticket: Ticket, *states: State) -> None:
    """An action is offered from some states only (accept from submitted …)."""
    if ticket.state not in {s.value for s in states}:
        raise ApiError(409, "transition_refused", code="transition_refused", state=ticket.state)


def check_version(ticket: Ticket, expected: Optional[int]) -> None:
    if expected is not None and expected != ticket.version:
        raise ApiError(409, "stale_version", code="stale_version")


def _enter(ticket: Ticket, to: State, now: datetime, reopen: bool = False) -> None:
    """Timestamps and deadlines on entering a state."""
    if to is State.accepted:
        if ticket.accepted_at is None:
            ticket.accepted_at = now
            ticket.accepted_on_time = (ticket.accept_due_at is None
                                       or now <= ticket.accept_due_at)
        if ticket.resolve_due_at is None or reopen:
            set_resolve_deadline(ticket, now)
            ticket.resolved_on_time = None
        # the relationships too: otherwise, in the same session, dispatching to the same
        # worker again would look like no change and leave the ids empty
        ticket.assignee = ticket.department = None
        ticket.assignee_id = None
        ticket.department_id = None
        ticket.due_at = ticket.resolve_due_at
    elif to is State.dispatched:
        ticket.dispatched_at = now
        ticket.due_at = ticket.resolve_due_at
    elif to is State.in_progress:
        ticket.due_at = ticket.resolve_due_at
    elif to is State.resolved:
        ticket.resolved_at = now
        ticket.resolved_on_time = ticket.resolve_due_at is None or now <= ticket.resolve_due_at
        ticket.due_at = ticket.warn_at = None
    elif to is State.closed:
        ticket.closed_at = now
        ticket.due_at = ticket.warn_at = None
    elif to in (State.rejected, State.merged):
        ticket.due_at = ticket.warn_at = None


def _move(ticket: Ticket, to: State, actor: Optional[User], note: str = "",
          data: Optional[dict] = None, kinds: Optional[set[str]] = None,
          expected_version: Optional[int] = None, reopen: bool = False,
          notify: bool = True, flush: bool = True) -> TicketEvent:
    """One transition, written in one flush with its event (``flush=False``: with the next
    one, as when resolving implies taking the task: one UPDATE of the ticket for both)."""
    check_version(ticket, expected_version)
    current = ticket.state_enum
    if (current, to) not in workflow.TRANSITIONS:
        raise ApiError(409, "transition_refused", code="transition_refused",
                       state=current.value)
    kinds = kinds if kinds is not None else permissions.ticket_actor_kinds(actor, ticket)
    kind = workflow.pick_kind(current, to, kinds)
    if kind is None:
        raise ApiError(403, "forbidden")
    note = (note or "").strip()
    if (current, to) in workflow.REASON_REQUIRED and not note:
        raise field_error("reason", "reason_required")
    now = utcnow()
    # the deadlines read the work calendar: no flush of a half-made change before it is
    # whole (one UPDATE of the ticket, not two)
    with db.session.no_autoflush:
        ticket.state = to.value
        _enter(ticket, to, now, reopen=reopen)
    # the version check runs at the flush: a concurrent change raises StaleData
    event = _event(ticket, actor, kind, "transition", current.value, to.value, note, data,
                   flush=flush)
    # dispatch and merge notify once their fields are set; ``notify=False``: the caller
    # says it in its own words (自动结案)
    if notify and to not in (State.dispatched, State.merged):
        notify_transition(ticket, current.value, to.value, note)
    return event


# --- creating --------------------------------------------------------------------------

def priority_of(category: Category) -> str:
    """A new case's priority: urgent for an urgent category (井盖缺失 …)."""
    return Priority.urgent.value if category.is_urgent else Priority.normal.value


def _place_for(lng: float, lat: float) -> Optional[Place]:
    return places.locate(lng, lat)


def create_ticket(reporter: User, category_id: int, description: str, lat: float, lng: float,
                  address: str = "", building: str = "", unit: str = "",
                  photo_ids: Iterable[int] = (), text_status: str = PASS) -> Ticket:
    """A resident's report: placed in its cell at once, or marked for manual triage."""
    category = leaf_category(category_id)
    if not permissions.can_report(reporter):
        raise ApiError(403, "forbidden")
    cell = _place_for(lng, lat)
    now = utcnow()
    ticket = Ticket(category=category, reporter_id=reporter.id, source="resident",
                    description=description.strip(), lat=lat, lng=lng, address=address.strip(),
                    building=building.strip(), unit=unit.strip(), place=cell,
                    place_code=cell.code if cell else None, needs_triage=cell is None,
                    is_private=category.is_private, state=State.submitted.value,
                    priority=priority_of(category), created_at=now)
    ticket.accept_due_at = _due(now, category.accept_hours, category)
    ticket.due_at = ticket.accept_due_at
    ticket.warn_at = _warn(now, category.accept_hours, category)
    db.session.add(ticket)
    event = _event(ticket, reporter, "resident", "transition", None, State.submitted.value,
                   data={"place_code": ticket.place_code})
    pairs = _attach(ticket, reporter, photo_ids, "report", event, "photo_ids", new_ticket=True)
    status = combine(text_status, *(u.content_status for _, u in pairs))
    if ticket.content_status != status:  # (an unchanged value would still cost a flush)
        ticket.content_status = status
    ticket.fresh_timeline = ([event], pairs)
    return ticket


def create_patrol_report(worker: User, category_id: int, description: str, lat: float,
                         lng: float, address: str = "", photo_ids: Iterable[int] = (),
                         text_status: str = PASS) -> Ticket:
    """巡查上报: a grid worker's own finding, accepted at once in their own cell."""
    category = leaf_category(category_id)
    cell = _place_for(lng, lat)
    if cell is None or not permissions.can_report_patrol(worker, cell):
        raise field_error("lat", "outside_your_cells", status=403)
    now = utcnow()
    ticket = Ticket(category=category, reporter_id=None, source="patrol",
                    description=description.strip(), lat=lat, lng=lng, address=address.strip(),
                    place=cell, place_code=cell.code, is_private=category.is_private,
                    state=State.accepted.value, priority=priority_of(category),
                    created_at=now)
    db.session.add(ticket)
    db.session.flush()
    _enter(ticket, State.accepted, now)
    event = _event(ticket, worker, "grid_worker", "transition", None, State.accepted.value,
                   data={"place_code": cell.code, "patrol": True})
    photos = attach_photos(ticket, worker, photo_ids, "report", event, new_ticket=True)
    ticket.content_status = combine(text_status, *(p.content_status for p in photos))
    maybe_auto_dispatch(ticket)
    return ticket


# --- residents -------------------------------------------------------------------------

def nearby(category_id: int, lat: float, lng: float, viewer: Optional[User] = None,
           radius_m: float = NEARBY_RADIUS_M, days: int = NEARBY_DAYS, limit: int = 20):
    """Open public tickets of one 小类 within ``radius_m``, from the last ``days``."""
    category = leaf_category(category_id)
    if category.is_private:
        return []
    import math

    dlat = radius_m * _DEG_PER_M
    dlng = dlat / max(math.cos(math.radians(lat)), 0.01)
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        sa.select(Ticket).where(
            Ticket.category_id == category.id,
            Ticket.lat.between(lat - dlat, lat + dlat),
            Ticket.lng.between(lng - dlng, lng + dlng),
            Ticket.state.in_([s.value for s in OPEN_STATES]),
            Ticket.is_private.is_(False),
            Ticket.content_status == PASS,
            Ticket.created_at >= since,
        ).limit(500)
    ).scalars().all()
    hits = []
    for ticket in rows:
        distance = haversine_m(lng, lat, ticket.lng, ticket.lat)
        if distance <= radius_m:
            hits.append((ticket, distance))
    hits.sort(key=lambda pair: pair[1])
    return hits[:limit]


def follow(user: User, ticket: Ticket) -> bool:
    """我也遇到. Returns False when the user already followed it (nothing changes)."""
    if ticket.reporter_id == user.id:
        raise ApiError(409, "cannot_follow_own", code="cannot_follow_own")
    if not permissions.can_follow_ticket(user, ticket) or ticket.state not in \
            [s.value for s in OPEN_STATES]:
        raise ApiError(409, "not_followable", code="not_followable")
    exists = db.session.get(TicketFollower, (ticket.id, user.id))
    if exists is not None:
        return False
    db.session.add(TicketFollower(ticket_id=ticket.id, user_id=user.id, created_at=utcnow()))
    db.session.flush()
    db.session.execute(sa.update(Ticket).where(Ticket.id == ticket.id).values(
        follower_count=Ticket.follower_count + 1).execution_options(synchronize_session=False))
    _event(ticket, user, "resident", "follow")
    db.session.refresh(ticket)
    return True


def unfollow(user: User, ticket: Ticket) -> None:
    deleted = db.session.execute(sa.delete(TicketFollower).where(
        TicketFollower.ticket_id == ticket.id, TicketFollower.user_id == user.id)).rowcount
    if deleted:
        db.session.execute(sa.update(Ticket).where(Ticket.id == ticket.id).values(
            follower_count=Ticket.follower_count - 1).execution_options(
                synchronize_session=False))
        db.session.refresh(ticket)


def is_following(user: User, ticket: Ticket) -> bool:
    return db.session.get(TicketFollower, (ticket.id, user.id)) is not None


def add_supplement(user: User, ticket: Ticket, note: str, photo_ids: Iterable[int],
                   text_status: str = PASS) -> TicketEvent:
    """补充: the reporter's, or a follower's (补充线索); held content stays hidden from
    others until staff release it."""
    kinds = permissions.ticket_actor_kinds(user, ticket)
    role = workflow.acting_kind("supplement", kinds)
    if role is None:
        raise ApiError(403, "forbidden")
    if ticket.state in (State.closed.value, State.rejected.value, State.merged.value):
        raise ApiError(409, "ticket_closed_for_supplements", code="transition_refused")
    event = _event(ticket, user, role, "supplement", note=note.strip())
    photos = attach_photos(ticket, user, photo_ids, "supplement", event)
    event.content_status = combine(text_status, *(p.content_status for p in photos))
    return event


def release_content(staff: User, ticket: Ticket, note: str = "") -> Ticket:
    """A person looked at content WeChat held for review (or could not check): publish."""
    if "staff" not in permissions.ticket_actor_kinds(staff, ticket):
        raise ApiError(403, "forbidden")
    ticket.content_status = PASS
    db.session.execute(sa.update(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                       .values(content_status=PASS).execution_options(synchronize_session=False))
    upload_ids = sa.select(TicketPhoto.upload_id).where(TicketPhoto.ticket_id == ticket.id)
    db.session.execute(sa.update(Upload).where(Upload.id.in_(upload_ids))
                       .values(content_status=PASS).execution_options(synchronize_session=False))
    _event(ticket, staff, "staff", "moderation", note=note or "内容已人工审核")
    return ticket


def rate(user: User, ticket: Ticket, rating: str, comment: str = "",
         expected_version: Optional[int] = None) -> Ticket:
    """The reporter confirms and rates; 不满意 within 7 days of closing reopens the case."""
    if "reporter" not in permissions.ticket_actor_kinds(user, ticket):
        raise ApiError(403, "forbidden")
    check_version(ticket, expected_version)
    now = utcnow()
    if ticket.state == State.resolved.value:
        _move(ticket, State.closed, user, note="居民确认办结", kinds={"reporter"})
    elif ticket.state == State.closed.value:
        if ticket.closed_at and now - ticket.closed_at > timedelta(days=REOPEN_DAYS):
            raise ApiError(409, "rating_window_closed", code="rating_window_closed")
        if ticket.rated_at and ticket.closed_at and ticket.rated_at >= ticket.closed_at:
            raise ApiError(409, "already_rated", code="already_rated")
    else:
        raise ApiError(409, "transition_refused", code="transition_refused", state=ticket.state)
    # the latest round's rating; every rating stays in the timeline
    ticket.rating = rating
    ticket.rating_comment = comment.strip() or None
    ticket.rated_at = utcnow()  # after the closing just above, never before it
    _event(ticket, user, "reporter", "rating", note=comment.strip(),
           data={"rating": rating, "resolved_by_id": ticket.resolved_by_id})
    if rating == Rating.unsatisfied.value:
        _move(ticket, State.accepted, user, note=comment.strip() or "居民不满意，重新办理",
              kinds={"reporter"}, reopen=True)
        ticket.resolved_at = None
        ticket.closed_at = None
    db.session.flush()
    return ticket


# --- staff -----------------------------------------------------------------------------

def _cell(place_id: int, staff: User) -> Place:
    cell = db.session.get(Place, place_id) if is_id(place_id) else None
    if cell is None:
        raise field_error("place_id", "place_not_found")
    if cell.level not in ("community", "grid2", "grid3", "grid4"):
        raise field_error("place_id", "cell_required")
    if not can_manage_place(staff, cell):
        raise field_error("place_id", "place_outside_scope", status=403)
    return cell


def accept(staff: User, ticket: Ticket, place_id: Optional[int] = None, note: str = "",
           expected_version: Optional[int] = None) -> Ticket:
    """立案: in the suggested cell, or the one staff choose."""
    _require_state(ticket, State.submitted)
    if place_id is not None:
        if "staff" not in permissions.ticket_actor_kinds(staff, ticket):
            raise ApiError(403, "forbidden")
        cell = _cell(place_id, staff)
        if cell.id != ticket.place_id:
            ticket.place_id = cell.id
            ticket.place = cell
            ticket.place_code = cell.code
            ticket.needs_triage = False
    if ticket.place_id is None:
        raise field_error("place_id", "cell_required_to_accept")
    _move(ticket, State.accepted, staff, note, expected_version=expected_version,
          data={"place_code": ticket.place_code})
    maybe_auto_dispatch(ticket)
    return ticket


def reject(staff: User, ticket: Ticket, reason: str,
           expected_version: Optional[int] = None) -> Ticket:
    _move(ticket, State.rejected, staff, reason, expected_version=expected_version)
    return ticket


def workers_of_cell(place_code: str) -> list[User]:
    """Active grid workers owning this cell or a cell above it."""
    return list(db.session.execute(
        sa.select(User).join(worker_cells, worker_cells.c.user_id == User.id)
        .join(Place, Place.id == worker_cells.c.place_id)
        .where(User.role == Role.grid_worker.value, User.is_active.is_(True),
               sa.literal(place_code).startswith(Place.code))
        .order_by(User.id)
    ).scalars().unique().all())


def dispatch(staff: Optional[User], ticket: Ticket, assignee_id: Optional[int] = None,
             department_id: Optional[int] = None, note: str = "",
             expected_version: Optional[int] = None, system: bool = False) -> Ticket:
    if (assignee_id is None) == (department_id is None):
        raise field_error("assignee_id", "assignee_or_department")
    target = State.dispatched
    data: dict = {}
    worker, department = None, None
    if assignee_id is not None:
        if is_id(assignee_id) and ticket.place_code is not None:
            worker = next((w for w in workers_of_cell(ticket.place_code) if w.id == assignee_id),
                          None)
        if worker is None:
            raise field_error("assignee_id", "assignee_not_in_cell")
        data = {"assignee_id": worker.id, "assignee_name": worker.display_name}
    else:
        department = db.session.get(Department, department_id) if is_id(department_id) \
            else None
        if department is None or not department.is_active:
            raise field_error("department_id", "department_not_found")
        data = {"department_id": department.id, "department_name": department.name}
    kinds = {"system"} if system else None
    # Everything the dispatch changes is set before the move, which writes it with its
    # event in one flush (a refused move changes nothing: the request rolls back).
    ticket.assignee, ticket.department = worker, department
    ticket.dispatch_flag = None  # someone has it now: no longer 待人工派遣
    if ticket.state == State.resolved.value:  # 返工: a new resolution deadline from now
        set_resolve_deadline(ticket, utcnow())
        ticket.resolved_on_time = None
        ticket.resolved_at = None
    _move(ticket, target, staff, note, data, kinds=kinds, expected_version=expected_version)
    notify_transition(ticket, None, State.dispatched.value, note)
    return ticket


def open_task_counts(worker_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Ticket.assignee_id, sa.func.count())
        .where(Ticket.assignee_id.in_(worker_ids),
               Ticket.state.in_([State.dispatched.value, State.in_progress.value]))
        .group_by(Ticket.assignee_id)).all()
    return {wid: count for wid, count in rows}


def auto_dispatch_enabled(ticket: Ticket) -> bool:
    return bool(case_settings.for_place_code(ticket.place_code)["auto_dispatch"])


def maybe_auto_dispatch(ticket: Ticket) -> bool:
    """Auto-dispatch (on per community): the cell's worker with the fewest open tasks, or
    the category's department. Leaves the ticket accepted when nobody fits."""
    if ticket.state != State.accepted.value or not auto_dispatch_enabled(ticket):
        return False
    return _auto_dispatch(ticket)


def auto_dispatch_now(staff: User, ticket: Ticket) -> bool:
    """Staff ask for the automatic choice on an accepted ticket (bulk), whatever the
    community's switch says."""
    if "staff" not in permissions.ticket_actor_kinds(staff, ticket):
        raise ApiError(403, "forbidden")
    if ticket.state == State.submitted.value:
        accept(staff, ticket)
    if ticket.state != State.accepted.value:
        return ticket.state == State.dispatched.value
    return _auto_dispatch(ticket, staff)


def _auto_dispatch(ticket: Ticket, actor: Optional[User] = None) -> bool:
    category = ticket.category
    system = actor is None
    if category.default_handler == "department" and category.department_id:
        dispatch(actor, ticket, department_id=category.department_id, note="自动派遣",
                 system=system)
        return True
    active = workers_of_cell(ticket.place_code) if ticket.place_code else []
    # only a worker who can act: bound to WeChat (an openid), so the task reaches them
    workers = [w for w in active if w.openid]
    if not workers:
        flag_for_staff(ticket, "no_bound_worker" if active else "no_worker", actor)
        return False
    counts = open_task_counts([w.id for w in workers])
    chosen = min(workers, key=lambda w: (counts.get(w.id, 0), w.id))
    dispatch(actor, ticket, assignee_id=chosen.id, note="自动派遣", system=system)
    return True


DISPATCH_FLAGS = ("no_worker", "no_bound_worker")


def flag_for_staff(ticket: Ticket, flag: str, actor: Optional[User] = None) -> None:
    """Auto-dispatch found nobody who can act: the ticket stays accepted, flagged 待人工派遣
    (an event and the community's staff told once, until a dispatch clears it)."""
    if ticket.dispatch_flag is not None:
        ticket.dispatch_flag = flag
        return
    ticket.dispatch_flag = flag
    _event(ticket, actor, "staff" if actor else "system", "dispatch_flag",
           note="无可派遣的网格员，待人工派遣", data={"flag": flag})
    notify_dispatch_flag(ticket, flag)


def merge(staff: User, ticket: Ticket, target_id: int, note: str = "",
          expected_version: Optional[int] = None) -> Ticket:
    """A duplicate goes into ``target``; its reporter and followers now follow the target."""
    target = db.session.get(Ticket, target_id) if is_id(target_id) else None
    if (target is None or target.id == ticket.id
            or not permissions.can_view_ticket(staff, target)
            or target.state not in [s.value for s in OPEN_STATES]
            or target.merged_into_id is not None):
        raise field_error("target_id", "merge_target_invalid")
    _move(ticket, State.merged, staff, note, {"target_id": target.id},
          expected_version=expected_version)
    ticket.merged_into_id = target.id
    notify_transition(ticket, None, State.merged.value, note)
    movers = set(db.session.execute(
        sa.select(TicketFollower.user_id).where(TicketFollower.ticket_id == ticket.id)
    ).scalars())
    if ticket.reporter_id:
        movers.add(ticket.reporter_id)
    movers.discard(target.reporter_id)
    already = set(db.session.execute(
        sa.select(TicketFollower.user_id).where(TicketFollower.ticket_id == target.id)
    ).scalars())
    added = 0
    for user_id in sorted(movers - already):
        db.session.add(TicketFollower(ticket_id=target.id, user_id=user_id))
        added += 1
    db.session.flush()
    # added to the stored count, in SQL: a follow of the target committed since it was
    # read is kept (the notices trust the count to say whether anyone follows it)
    target.follower_count = sa.func.coalesce(Ticket.follower_count, 0) + added
    _event(target, staff, "staff", "merge", note=note,
           data={"merged_ticket_id": ticket.id, "followers_added": added})
    copy_supplements(ticket, target)
    return ticket


def copy_supplements(source: Ticket, target: Ticket) -> int:
    """Merging keeps what people added: the source's supplements (the reporter's and the
    followers') join the target's timeline with their photos, marked ``from_ticket``."""
    events = db.session.execute(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == source.id,
                                     TicketEvent.kind == "supplement")
        .order_by(TicketEvent.id)).scalars().all()
    if not events:
        return 0
    links = db.session.execute(
        sa.select(TicketPhoto).where(TicketPhoto.ticket_id == source.id,
                                     TicketPhoto.event_id.in_([e.id for e in events]))
        .order_by(TicketPhoto.position)).scalars().all()
    taken = set(db.session.execute(
        sa.select(TicketPhoto.upload_id).where(TicketPhoto.ticket_id == target.id)).scalars())
    position = len(taken)
    for event in events:
        # the source's reporter follows the target now (unless they reported it too)
        role = event.actor_role
        if role in ("reporter", "follower"):
            role = "reporter" if event.actor_id == target.reporter_id else "follower"
        copy = _event(target, event.actor, role, "supplement", note=event.note,
                      data={"from_ticket": source.id})
        copy.content_status = event.content_status
        for link in links:
            if link.event_id == event.id and link.upload_id not in taken:
                db.session.add(TicketPhoto(ticket_id=target.id, upload_id=link.upload_id,
                                           phase="supplement", event_id=copy.id,
                                           position=position))
                taken.add(link.upload_id)
                position += 1
    db.session.flush()
    return len(events)


def close(staff: User, ticket: Ticket, note: str = "",
          expected_version: Optional[int] = None) -> Ticket:
    """核查 passed: the case is closed."""
    _move(ticket, State.closed, staff, note, kinds=permissions.ticket_actor_kinds(staff, ticket)
          - {"reporter"}, expected_version=expected_version)
    return ticket


def rework(staff: User, ticket: Ticket, reason: str, assignee_id: Optional[int] = None,
           expected_version: Optional[int] = None) -> Ticket:
    """核查 failed: back to the same handler (or another) with a new deadline."""
    if ticket.state != State.resolved.value:
        raise ApiError(409, "transition_refused", code="transition_refused", state=ticket.state)
    if assignee_id is None and ticket.department_id is None:
        assignee_id = ticket.assignee_id
    return dispatch(staff, ticket, assignee_id=assignee_id,
                    department_id=None if assignee_id else ticket.department_id,
                    note=reason, expected_version=expected_version)


# --- grid workers ----------------------------------------------------------------------

def start_work(user: User, ticket: Ticket, expected_version: Optional[int] = None,
               flush: bool = True) -> Ticket:
    _move(ticket, State.in_progress, user, "接单", expected_version=expected_version,
          flush=flush)
    return ticket


def check_in(user: User, ticket: Ticket, lat: float, lng: float) -> float:
    """到达: the position is recorded with its distance to the ticket's pin."""
    if "assignee" not in permissions.ticket_actor_kinds(user, ticket):
        raise ApiError(403, "forbidden")
    if ticket.state not in (State.dispatched.value, State.in_progress.value):
        raise ApiError(409, "transition_refused", code="transition_refused", state=ticket.state)
    distance = round(haversine_m(lng, lat, ticket.lng, ticket.lat), 1)
    limit = case_settings.for_place_code(ticket.place_code)["checkin_max_distance_m"]
    far = distance > limit
    ticket.checkin_distance_m = distance
    ticket.checkin_far = far
    data = {"lat": lat, "lng": lng, "distance_m": distance, "max_distance_m": limit,
            "far": far}
    if ticket.state == State.dispatched.value:
        _move(ticket, State.in_progress, user, "到达现场", data)
    _event(ticket, user, "assignee", "checkin", note="到达现场", data=data)
    return distance


def resolve(user: User, ticket: Ticket, note: str, photo_ids: Iterable[int],
            expected_version: Optional[int] = None) -> Ticket:
    """已处置 by the worker (or staff recording a department's work), who the rating then
    counts against; a category may require an after-photo (处置后照片)."""
    photo_ids = list(photo_ids)
    if ticket.category.requires_after_photo and not photo_ids:
        raise field_error("photo_ids", "after_photo_required")
    if ticket.state == State.dispatched.value and \
            "assignee" in permissions.ticket_actor_kinds(user, ticket):
        # fixed on the spot: taking is implied (written with the resolution, one flush)
        start_work(user, ticket, expected_version, flush=False)
        expected_version = None
    ticket.resolved_by_id = user.id
    event = _move(ticket, State.resolved, user, note, expected_version=expected_version)
    attach_photos(ticket, user, photo_ids, "after", event)
    return ticket


def hand_back(user: User, ticket: Ticket, reason: str,
              expected_version: Optional[int] = None) -> Ticket:
    """退回 (a worker: not my job) or recall (staff): back to accepted, with a reason."""
    _require_state(ticket, State.dispatched, State.in_progress)
    _move(ticket, State.accepted, user, reason, expected_version=expected_version)
    return ticket


BULK_ACTIONS = ("accept", "dispatch", "auto_dispatch")


def bulk_apply(staff: User, ticket_ids: Iterable[int], action: str,
               assignee_id: Optional[int] = None, department_id: Optional[int] = None
               ) -> tuple[list[int], dict[int, Exception]]:
    """Accept or dispatch many tickets; each succeeds or fails on its own (a savepoint
    each). Returns the ids done and, per failed id, the ApiError or StaleDataError."""
    from sqlalchemy.orm.exc import StaleDataError

    done: list[int] = []
    failed: dict[int, Exception] = {}
    for ticket_id in dict.fromkeys(ticket_ids):
        savepoint = db.session.begin_nested()
        try:
            ticket = staff_ticket(staff, ticket_id)
            if action == "accept":
                accept(staff, ticket)
            elif action == "auto_dispatch":
                if not auto_dispatch_now(staff, ticket):
                    # the flag stays (待人工派遣); the answer names it for this ticket
                    savepoint.commit()
                    flag = ticket.dispatch_flag or "no_worker"
                    failed[ticket_id] = ApiError(409, f"{flag}_for_cell", code=flag)
                    continue
            else:
                dispatch(staff, ticket, assignee_id, department_id)
            savepoint.commit()
            done.append(ticket_id)
        except (ApiError, StaleDataError) as exc:
            savepoint.rollback()
            failed[ticket_id] = exc
    return done, failed
