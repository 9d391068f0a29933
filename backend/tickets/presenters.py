"""Turn tickets into the dicts the per-audience schemas dump."""
from __future__ import annotations

import functools
from collections import defaultdict
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from backend.core.content_check import PASS

from backend.accounts.models import User
from backend.accounts.permissions import phone_visible
from backend.tickets import permissions
from backend.extensions import db
from backend.places import operations as places
from backend.tickets import settings as case_settings
from backend.tickets import workflow
from backend.core.fields import mask_phone
from backend.tickets.models import (
    PRIORITY_NAMES_ZH, SOURCE_NAMES_ZH, Source, Ticket, TicketEvent,
)
from backend.tickets.operations import ticket_photos
from backend.uploads.operations import signed_url

# Rounding the public location to 3 decimals: about 110 m north–south, 95 m east–west here.
PUBLIC_DECIMALS = 3

def available_actions(user: User, ticket: Ticket) -> list[str]:
    """What ``user`` may do to ``ticket`` now: the workflow table's answer."""
    return workflow.offered(permissions.ticket_actor_kinds(user, ticket), ticket)


can_rate = workflow.can_rate


def photo_dicts(rows) -> list[dict]:
    return [{"id": upload.id, "phase": link.phase, "url": signed_url(upload, "display"),
             "thumb_url": signed_url(upload, "thumb")} for link, upload in rows]


def handler(ticket: Ticket) -> Optional[dict]:
    if ticket.department_id and ticket.department:
        return {"kind": "department", "name": ticket.department.name}
    if ticket.assignee_id and ticket.assignee:
        return {"kind": "grid_worker", "name": ticket.assignee.display_name}
    return None


@functools.cache
def _events_query(staff_view: bool) -> sa.Select:
    query = (sa.select(TicketEvent).where(TicketEvent.ticket_id == sa.bindparam("ticket_id"))
             .order_by(TicketEvent.id))
    if staff_view:  # each event's actor by name, in the timeline's own statement
        query = query.options(so.joinedload(TicketEvent.actor))
    return query


def _held_from(viewer: Optional[User], status: str, owner_id: Optional[int]) -> bool:
    """Content WeChat held for review is shown to the person who wrote it only (and to
    staff and the handler, who are not asked here)."""
    return status != PASS and (viewer is None or owner_id != viewer.id)


def visible_photos(photos, viewer: Optional[User]) -> list:
    """A resident's view: others' photos held for review are left out."""
    return [(link, upload) for link, upload in photos
            if not _held_from(viewer, upload.content_status, upload.owner_id)]


def events(ticket: Ticket, staff_view: bool = False, photos=None, rows=None,
           viewer: Optional[User] = None, resident_view: bool = False,
           kinds: Optional[tuple[str, ...]] = None) -> list[dict]:
    """The timeline; ``photos`` (the ticket's (link, upload) pairs) and ``rows`` (its events
    in order) when already at hand. ``resident_view``: a resident's (the reporter's or a
    follower's), without the supplements others wrote that are held for review;
    ``kinds``: only events of these kinds (the public timeline)."""
    if rows is None:
        rows = db.session.execute(_events_query(staff_view),
                                  {"ticket_id": ticket.id}).scalars().all()
    photos_by_event: dict[int, list] = defaultdict(list)
    photos = ticket_photos(ticket) if photos is None else photos
    if resident_view:
        photos = visible_photos(photos, viewer)
    for link, upload in photos:
        if link.event_id:
            photos_by_event[link.event_id].append((link, upload))
    out = []
    for event in rows:
        if not staff_view and event.kind == "follow":
            continue  # who follows a ticket is nobody else's business
        if kinds is not None and event.kind not in kinds:
            continue
        if resident_view and event.kind == "supplement" and \
                _held_from(viewer, event.content_status, event.actor_id):
            continue
        item = {"id": event.id, "kind": event.kind, "from_state": event.from_state,
                "to_state": event.to_state, "actor_role": event.actor_role,
                "note": event.note, "created_at": event.created_at,
                "text": event_text(event),
                "photos": photo_dicts(photos_by_event.get(event.id, []))}
        if staff_view:
            item["actor_name"] = event.actor.display_name if event.actor else None
            item["data"] = event.data
        out.append(item)
    return out


def event_text(event: TicketEvent) -> Optional[str]:
    """The timeline's line for an event that is not a state change: 更正, 紧急提醒."""
    data = event.data or {}
    if event.kind == "correction":
        parts = []
        if data.get("from_category") != data.get("to_category"):
            parts.append(f"更正分类：{data.get('from_category_name', '')} → "
                         f"{data.get('to_category_name', '')}")
        if data.get("from_priority") != data.get("to_priority"):
            names = {p.value: n for p, n in PRIORITY_NAMES_ZH.items()}
            parts.append(f"紧急程度：{names.get(data.get('from_priority'), '')} → "
                         f"{names.get(data.get('to_priority'), '')}")
        return "；".join(parts) + (f"（{event.note}）" if event.note else "")
    if event.kind == "alert":
        return "紧急事件：已即时通知网格员和社区工作人员"
    return None


def person(user: Optional[User]) -> Optional[dict]:
    if user is None:
        return None
    # a resident's phone only with their consent (issue 19.5); workers' are work numbers
    return {"id": user.id, "display_name": user.display_name,
            "phone": user.phone if phone_visible(user) else None}


def masked_person(user: Optional[User]) -> Optional[dict]:
    """A person whose phone is masked (138****0001): shown beyond the staff case page."""
    data = person(user)
    if data is not None:
        data["phone"] = mask_phone(data["phone"])
    return data


def source_name(source: str) -> str:
    try:
        return SOURCE_NAMES_ZH[Source(source)]
    except ValueError:
        return source


def resident_view(ticket: Ticket, user: User) -> dict:
    data = _common(ticket)
    data.update(lat=ticket.lat, lng=ticket.lng, address=ticket.address,
                building=ticket.building, unit=ticket.unit, place=ticket.place,
                version=ticket.version, is_private=ticket.is_private,
                content_status=ticket.content_status,
                rating=ticket.rating, rating_comment=ticket.rating_comment,
                can_rate="reporter" in permissions.ticket_actor_kinds(user, ticket)
                and can_rate(ticket))
    if ticket.fresh_timeline is not None:
        rows, photos = ticket.fresh_timeline
    else:
        rows, photos = None, ticket_photos(ticket)
    data.update(photos=photo_dicts(visible_photos(photos, user)),
                events=events(ticket, photos=photos, rows=rows, viewer=user,
                              resident_view=True))
    return data


def _common(ticket: Ticket) -> dict:
    return {"id": ticket.id, "category": ticket.category, "description": ticket.description,
            "state": ticket.state, "follower_count": ticket.follower_count,
            "created_at": ticket.created_at, "updated_at": ticket.updated_at,
            "due_at": ticket.due_at, "overdue": ticket.is_overdue(),
            "handler": handler(ticket)}


def public_view(ticket: Ticket, viewer: Optional[User] = None,
                timeline: bool = False) -> dict:
    """What anyone sees. ``timeline`` (one ticket's page, a follower's answer): with the
    supplements that passed the content check (and the viewer's own)."""
    data = _common(ticket)
    photos = ticket_photos(ticket)
    data.update(approx_lat=round(ticket.lat, PUBLIC_DECIMALS),
                approx_lng=round(ticket.lng, PUBLIC_DECIMALS),
                place_name=ticket.place.name if ticket.place else None,
                photos=photo_dicts([(link, upload) for link, upload in photos
                                    if link.phase in ("report", "after")]))
    if timeline or viewer is not None:
        data["events"] = events(ticket, photos=photos, viewer=viewer, resident_view=True,
                                kinds=("supplement",))
    if viewer is not None:
        data["can_supplement"] = "supplement" in workflow.offered(
            permissions.ticket_actor_kinds(viewer, ticket), ticket)
    return data


def staff_row(ticket: Ticket, now: Optional[datetime] = None) -> dict:
    return {"id": ticket.id, "version": ticket.version, "category": ticket.category,
            "description": ticket.description, "address": ticket.address,
            "lat": ticket.lat, "lng": ticket.lng, "place": ticket.place,
            "needs_triage": ticket.needs_triage, "state": ticket.state,
            "source": ticket.source, "is_private": ticket.is_private,
            "assignee": person(ticket.assignee), "department": ticket.department,
            "accept_due_at": ticket.accept_due_at, "resolve_due_at": ticket.resolve_due_at,
            "due_at": ticket.due_at, "overdue": ticket.is_overdue(now),
            "tier": ticket.tier(now),
            "follower_count": ticket.follower_count, "created_at": ticket.created_at,
            "updated_at": ticket.updated_at, "content_status": ticket.content_status,
            "dispatch_flag": ticket.dispatch_flag, "checkin_far": ticket.checkin_far,
            "source_name": source_name(ticket.source), "priority": ticket.priority,
            "external_ref": ticket.external_ref, "caller_name": ticket.caller_name,
            "caller_phone": mask_phone(ticket.caller_phone)}


def staff_view(ticket: Ticket, user: User) -> dict:
    data = staff_row(ticket)
    photos = ticket_photos(ticket)
    data.update(building=ticket.building, unit=ticket.unit, reporter=person(ticket.reporter),
                ancestors=places.ancestors(ticket.place) if ticket.place else [],
                merged_into_id=ticket.merged_into_id, rating=ticket.rating,
                filed_by=_filed_by(ticket),
                rating_comment=ticket.rating_comment,
                photos=photo_dicts(photos),
                events=events(ticket, staff_view=True, photos=photos),
                actions=available_actions(user, ticket),
                checkin_distance_m=ticket.checkin_distance_m)
    if ticket.checkin_distance_m is not None:  # the flag's limit: one read, when checked in
        data["checkin_max_distance_m"] = case_settings.for_place_code(
            ticket.place_code)["checkin_max_distance_m"]
    if permissions.can_see_caller(user, ticket):  # the staff case page: in full
        data["caller_phone"] = ticket.caller_phone
    return data


def _filed_by(ticket: Ticket) -> Optional[dict]:
    if ticket.filed_by_id is None:
        return None
    return person(db.session.get(User, ticket.filed_by_id))


def task_row(ticket: Ticket, distance: Optional[float] = None) -> dict:
    data = staff_row(ticket)
    data.update(building=ticket.building, unit=ticket.unit,
                reporter=masked_person(ticket.reporter), distance_m=round(distance) if distance is not None else None)
    return data


def task_view(ticket: Ticket, user: User, distance: Optional[float] = None) -> dict:
    data = task_row(ticket, distance)
    photos = ticket_photos(ticket)
    # the assigned worker calls the reporter back: the consent text names them, so the
    # task page shows the phone she consented to in full (the task list keeps it masked);
    # a caller who is not a resident gave no such consent and stays masked
    data.update(photos=photo_dicts(photos), events=events(ticket, photos=photos),
                actions=available_actions(user, ticket), reporter=person(ticket.reporter),
                requires_after_photo=ticket.category.requires_after_photo)
    return data

