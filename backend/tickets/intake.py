"""登记: filing a case through POST /api/v1/tickets, by a resident (their own report) or by
staff for a phone caller, a walk-in or a transfer from the city's 12345 hotline.

Staff name the channel (``source``), the hotline's work-order number (``external_ref``,
one case per number), the caller, the priority and optionally the registered resident the
case is for (who then follows it as its reporter). A pin in a cell of the staff's subtree
is accepted at once (workflow action ``intake``, auto-dispatch follows when on); a pin in
no cell waits for triage, if the staff may triage. Urgent cases alert at once
(``alerts.alert_urgent``), on this path as on every other.
"""
from __future__ import annotations

from typing import Iterable, Optional

import sqlalchemy as sa

from backend.accounts.models import Role, User
from backend.accounts.permissions import is_resident
from backend.core.content_check import PASS, combine
from backend.core.errors import ApiError, field_error
from backend.core.fields import is_id
from backend.core.i18n import t
from backend.core.models import utcnow
from backend.core.paging import decode_cursor, keyset_page
from backend.extensions import db
from backend.places import operations as places
from backend.tickets import operations as ops
from backend.tickets import permissions, workflow
from backend.tickets.alerts import alert_urgent
from backend.tickets import messages  # noqa: F401 - registers the feature's messages
from backend.tickets.models import Source, State, Ticket

# what only staff may send when filing
STAFF_ONLY_FIELDS = ("source", "external_ref", "caller_name", "caller_phone", "priority",
                     "resident_id")
# the channels staff file under through this endpoint (patrol is the workers' own)
INTAKE_SOURCES = (Source.phone.value, Source.walk_in.value, Source.hotline.value)


def file_case(user: User, args: dict, text_status: str = PASS) -> Ticket:
    """POST /api/v1/tickets: a resident's report, or staff's intake."""
    if is_resident(user):
        for name in STAFF_ONLY_FIELDS:
            if args.get(name) is not None:
                raise field_error(name, "staff_only_field")
        ticket = ops.create_ticket(user, args["category_id"], args["description"],
                                   args["lat"], args["lng"], args.get("address", ""),
                                   args.get("building", ""), args.get("unit", ""),
                                   args.get("photo_ids", ()), text_status=text_status)
    elif permissions.can_intake(user):
        ticket = intake(user, text_status=text_status, **{
            k: v for k, v in args.items() if k not in ("version",)})
    else:
        raise ApiError(403, "forbidden")
    event = alert_urgent(ticket, None if is_resident(user) else user)
    if event is not None and ticket.fresh_timeline is not None:
        ticket.fresh_timeline[0].append(event)
    return ticket


def duplicate_of(external_ref: str) -> Optional[int]:
    """The case already filed for this 12345 work-order number."""
    return db.session.execute(
        sa.select(Ticket.id).where(Ticket.source == Source.hotline.value,
                                   Ticket.external_ref == external_ref)).scalar_one_or_none()


def _resident(resident_id: Optional[int]) -> Optional[User]:
    if resident_id is None:
        return None
    user = db.session.get(User, resident_id) if is_id(resident_id) else None
    if not is_resident(user):
        raise field_error("resident_id", "intake_resident_not_found")
    return user


def intake(staff: User, category_id: int, description: str, lat: float, lng: float,
           source: Optional[str] = None, external_ref: Optional[str] = None,
           caller_name: Optional[str] = None, caller_phone: Optional[str] = None,
           priority: Optional[str] = None, resident_id: Optional[int] = None,
           address: str = "", building: str = "", unit: str = "",
           photo_ids: Iterable[int] = (), text_status: str = PASS) -> Ticket:
    """Staff file a case for a caller, a walk-in or a 12345 transfer."""
    if not permissions.can_intake(staff):
        raise ApiError(403, "forbidden")
    category = ops.leaf_category(category_id)
    if source is None:
        raise field_error("source", "source_required")
    if source not in INTAKE_SOURCES:
        raise field_error("source", "source_not_intake")
    external_ref = (external_ref or "").strip() or None
    if source == Source.hotline.value:
        if external_ref is None:
            raise field_error("external_ref", "external_ref_required")
        existing = duplicate_of(external_ref)
        if existing is not None:
            raise ApiError(409, "duplicate_work_order", code="duplicate_work_order",
                           fields={"external_ref": [_duplicate_text(existing)]},
                           details={"ticket_id": existing}, ticket_id=existing)
    elif external_ref is not None:
        raise field_error("external_ref", "external_ref_hotline_only")
    reporter = _resident(resident_id)
    cell = places.locate(lng, lat)
    if cell is not None:
        if not permissions.can_intake_in_cell(staff, cell):
            raise field_error("lat", "intake_outside_scope", status=403)
        target = State.accepted
    else:
        if not permissions.can_intake_untriaged(staff):
            raise field_error("lat", "intake_needs_cell", status=403)
        target = State.submitted
    if not workflow.allowed(None, target, "staff"):  # the table's intake row says so
        raise ApiError(403, "forbidden")
    now = utcnow()
    ticket = Ticket(
        category=category, reporter_id=reporter.id if reporter else None, source=source,
        external_ref=external_ref, caller_name=(caller_name or "").strip() or None,
        caller_phone=(caller_phone or "").strip() or None, filed_by_id=staff.id,
        priority=priority or ops.priority_of(category), description=description.strip(),
        lat=lat, lng=lng, address=address.strip(), building=building.strip(),
        unit=unit.strip(), place=cell, place_code=cell.code if cell else None,
        needs_triage=cell is None, is_private=category.is_private,
        state=target.value, created_at=now)
    ticket.accept_due_at = ops._due(now, category.accept_hours, category)
    ticket.due_at = ticket.accept_due_at
    ticket.warn_at = ops._warn(now, category.accept_hours, category)
    db.session.add(ticket)
    db.session.flush()
    if target is State.accepted:
        ops._enter(ticket, State.accepted, now)
    event = ops._event(ticket, staff, "staff", "transition", None, target.value, data={
        "intake": True, "source": source, "external_ref": external_ref,
        "filed_by": staff.id, "filed_by_name": staff.display_name,
        "place_code": ticket.place_code})
    pairs = ops._attach(ticket, staff, photo_ids, "report", event, "photo_ids",
                        new_ticket=True)
    ticket.content_status = combine(text_status, *(u.content_status for _, u in pairs))
    ticket.fresh_timeline = ([event], pairs)
    if target is State.accepted:
        ops.maybe_auto_dispatch(ticket)
    return ticket


def _duplicate_text(ticket_id: int) -> str:
    return t("duplicate_work_order", ticket_id=ticket_id)


# --- finding the resident a case is for ------------------------------------------------

def residents_by_phone(staff: User, phone: Optional[str], cursor: Optional[str],
                       limit: int) -> tuple[list[User], Optional[str]]:
    """Active residents registered with exactly this phone (none without a phone: the
    list is a lookup, never a directory)."""
    if not permissions.can_look_up_residents(staff):
        raise ApiError(403, "forbidden")
    if not phone:
        if cursor:
            decode_cursor(cursor, ("int",))  # a cursor that is not one is a 422 all the same
        return [], None
    query = sa.select(User).where(User.role == Role.resident.value,
                                  User.is_active.is_(True), User.phone == phone.strip())
    return keyset_page(query, (User.id,), ("int",), False, cursor, limit)
