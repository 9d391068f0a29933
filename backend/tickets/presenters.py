"""Turn tickets into the dicts the per-audience schemas dump."""
from __future__ import annotations

import functools
from collections import defaultdict
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from backend.accounts.models import User
from backend.accounts.permissions import phone_visible
from backend.tickets import permissions
from backend.extensions import db
from backend.places import operations as places
from backend.tickets import workflow
from backend.tickets.models import Ticket, TicketEvent
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
    if staff_view:  # each event's actor by name, in one query for the timeline
        query = query.options(so.selectinload(TicketEvent.actor))
    return query


def events(ticket: Ticket, staff_view: bool = False, photos=None, rows=None) -> list[dict]:
    """The timeline; ``photos`` (the ticket's (link, upload) pairs) and ``rows`` (its events
    in order) when already at hand."""
    if rows is None:
        rows = db.session.execute(_events_query(staff_view),
                                  {"ticket_id": ticket.id}).scalars().all()
    photos_by_event: dict[int, list] = defaultdict(list)
    for link, upload in (ticket_photos(ticket) if photos is None else photos):
        if link.event_id:
            photos_by_event[link.event_id].append((link, upload))
    out = []
    for event in rows:
        if not staff_view and event.kind == "follow":
            continue  # who follows a ticket is nobody else's business
        item = {"id": event.id, "kind": event.kind, "from_state": event.from_state,
                "to_state": event.to_state, "actor_role": event.actor_role,
                "note": event.note, "created_at": event.created_at,
                "photos": photo_dicts(photos_by_event.get(event.id, []))}
        if staff_view:
            item["actor_name"] = event.actor.display_name if event.actor else None
            item["data"] = event.data
        out.append(item)
    return out


def person(user: Optional[User]) -> Optional[dict]:
    if user is None:
        return None
    # a resident's phone only with their consent (issue 19.5); workers' are work numbers
    return {"id": user.id, "display_name": user.display_name,
            "phone": user.phone if phone_visible(user) else None}


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
    data.update(photos=photo_dicts(photos), events=events(ticket, photos=photos, rows=rows))
    return data


def _common(ticket: Ticket) -> dict:
    return {"id": ticket.id, "category": ticket.category, "description": ticket.description,
            "state": ticket.state, "follower_count": ticket.follower_count,
            "created_at": ticket.created_at, "updated_at": ticket.updated_at,
            "due_at": ticket.due_at, "handler": handler(ticket)}


def public_view(ticket: Ticket) -> dict:
    data = _common(ticket)
    data.update(approx_lat=round(ticket.lat, PUBLIC_DECIMALS),
                approx_lng=round(ticket.lng, PUBLIC_DECIMALS),
                place_name=ticket.place.name if ticket.place else None,
                photos=photo_dicts(ticket_photos(ticket, phases=("report", "after"))))
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
            "follower_count": ticket.follower_count, "created_at": ticket.created_at,
            "updated_at": ticket.updated_at, "content_status": ticket.content_status}


def staff_view(ticket: Ticket, user: User) -> dict:
    data = staff_row(ticket)
    photos = ticket_photos(ticket)
    data.update(building=ticket.building, unit=ticket.unit, reporter=person(ticket.reporter),
                ancestors=places.ancestors(ticket.place) if ticket.place else [],
                merged_into_id=ticket.merged_into_id, rating=ticket.rating,
                rating_comment=ticket.rating_comment,
                photos=photo_dicts(photos),
                events=events(ticket, staff_view=True, photos=photos),
                actions=available_actions(user, ticket))
    return data


def task_row(ticket: Ticket, distance: Optional[float] = None) -> dict:
    data = staff_row(ticket)
    data.update(building=ticket.building, unit=ticket.unit, reporter=person(ticket.reporter),
                distance_m=round(distance) if distance is not None else None)
    return data


def task_view(ticket: Ticket, user: User, distance: Optional[float] = None) -> dict:
    data = task_row(ticket, distance)
    photos = ticket_photos(ticket)
    data.update(photos=photo_dicts(photos), events=events(ticket, photos=photos),
                actions=available_actions(user, ticket))
    return data

