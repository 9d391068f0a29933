"""Open311 GeoReport v2 over the ticket domain.

Services are the active, public 小类 (``service_code`` = the category code, ``group`` =
the 大类's name). Requests are the tickets anyone may see publicly
(``permissions.can_view_ticket_publicly``): never a private category, never a rejected
report, never content held for review; never the reporter, the building or the unit.

Coordinates: GeoReport v2's lat/long are WGS-84; Linli stores GCJ-02 (what WeChat gives).
A filing's lat/long is shifted to GCJ-02 before the ticket is placed in its cell; every
answer's lat/long is shifted back to WGS-84, then rounded to the public precision.

Errors are raised as ``Open311Error`` and answered by the blueprint in the
specification's ``[{code, description}]`` list. Operations flush, never commit.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any, Iterable, Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy import orm as so

from backend.accounts.models import Role, User
from backend.tickets import permissions
from backend.core.content_check import RISKY, check_text
from backend.core.fields import is_id
from backend.core.geo import gcj02_to_wgs84, wgs84_to_gcj02
from backend.core.errors import ApiError
from backend.core.models import utcnow
from backend.core.workcalendar import SHANGHAI
from backend.extensions import db
from backend.open311.models import Open311Key
from backend.places.models import Place
from backend.tickets import operations as tickets
from backend.tickets.alerts import alert_urgent
from backend.tickets.models import OPEN_STATES, Category, State, Ticket, TicketEvent, TicketPhoto
from backend.tickets.presenters import PUBLIC_DECIMALS, handler
from backend.uploads.models import Upload
from backend.uploads.operations import signed_url

MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000          # a GET requests answer holds at most this many, newest first
MAX_IDS = 100               # service_request_id=1,2,3… at most this many
MAX_DESCRIPTION = 4000
KEY_PREFIX = "o311_"
# transitions whose note explains the status to the public: the resolution, the closing,
# the rejection, the merge; written by staff or the handler (never the reporter)
PUBLIC_NOTE_STATES = (State.resolved.value, State.closed.value, State.rejected.value,
                      State.merged.value)
PUBLIC_NOTE_ROLES = ("staff", "assignee")
OPEN_VALUES = tuple(s.value for s in OPEN_STATES)
# extra fields a client may send about the citizen: kept for staff (the creation event's
# data), never published
CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")


class Open311Error(Exception):
    def __init__(self, status: int, description: str, headers: Optional[dict] = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}


def bad(description: str) -> Open311Error:
    return Open311Error(400, description)


# --- API keys ------------------------------------------------------------------------

def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_key(name: str) -> tuple[str, Open311Key]:
    """A new key for the client ``name`` and its reporter account. The raw key is
    returned once; only its SHA-256 is stored."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValueError("the client name must have 1 to 80 characters")
    if db.session.execute(sa.select(Open311Key.id).where(Open311Key.name == name)).first():
        raise ValueError(f"a key named {name!r} exists already")
    user = User(role=Role.resident.value, display_name=f"Open311 {name}"[:50])
    db.session.add(user)
    db.session.flush()
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = Open311Key(name=name, key_hash=hash_key(raw), prefix=raw[:12], user_id=user.id)
    db.session.add(key)
    db.session.flush()
    return raw, key


def list_keys() -> list[Open311Key]:
    return list(db.session.execute(sa.select(Open311Key).order_by(Open311Key.id)).scalars())


def revoke_key(key_id: int) -> Open311Key:
    key = db.session.get(Open311Key, key_id)
    if key is None:
        raise LookupError(f"no key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.user.is_active = False  # the client's reporter account files nothing more
    db.session.flush()
    return key


def active_key_id(raw: Optional[str]) -> Optional[int]:
    if not raw:
        return None
    return db.session.execute(
        sa.select(Open311Key.id).where(Open311Key.key_hash == hash_key(raw),
                                       Open311Key.revoked_at.is_(None))).scalar_one_or_none()


def key_for(raw: Optional[str]) -> Open311Key:
    """The active key ``raw`` names; 403 otherwise."""
    if not raw:
        raise Open311Error(403, "api_key was not provided")
    key = db.session.execute(
        sa.select(Open311Key).where(Open311Key.key_hash == hash_key(raw))).scalar_one_or_none()
    if key is None or key.revoked_at is not None or not key.user.is_active:
        raise Open311Error(403, "api_key is invalid")
    return key


# --- services ------------------------------------------------------------------------

_Parent = so.aliased(Category)


def _public_services_query():
    return (sa.select(Category, _Parent).join(_Parent, _Parent.id == Category.parent_id)
            .where(Category.is_active.is_(True), Category.is_private.is_(False),
                   _Parent.is_active.is_(True)))


def services() -> list[dict]:
    rows = db.session.execute(_public_services_query().order_by(
        _Parent.sort_order, _Parent.code, Category.sort_order, Category.code))
    return [_service(c, p) for c, p in rows]


def _service(category: Category, parent: Category) -> dict:
    return {"service_code": category.code, "service_name": category.name,
            "description": category.name_en or None, "metadata": False, "type": "realtime",
            "keywords": ",".join(k for k in (category.name_en, parent.name) if k) or None,
            "group": parent.name}


def service_category(code: Optional[str]) -> Optional[Category]:
    """The public, active 小类 with this code, or None (private ones are never named)."""
    if not code:
        return None
    row = db.session.execute(
        _public_services_query().where(Category.code == code.strip())).first()
    return row[0] if row else None


def service_definition(code: str) -> dict:
    """Linli's categories ask no extra questions: every service has ``metadata: false``
    and its definition an empty attribute list."""
    category = service_category(code)
    if category is None:
        raise Open311Error(404, f"service_code {code} not found")
    return {"service_code": category.code, "attributes": []}


# --- reading requests ----------------------------------------------------------------

def _public_tickets():
    return (sa.select(Ticket).join(Category, Category.id == Ticket.category_id)
            .where(Ticket.is_private.is_(False), Category.is_private.is_(False),
                   Ticket.state != State.rejected.value, Ticket.content_status == "pass")
            .options(so.joinedload(Ticket.category).joinedload(Category.parent),
                     so.joinedload(Ticket.place), so.joinedload(Ticket.department),
                     so.joinedload(Ticket.assignee)))


def parse_datetime(name: str, value: str) -> datetime:
    """ISO 8601 (W3C): a naive time is read as Asia/Shanghai."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise bad(f"{name} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed


def _ticket_id(text: str) -> Optional[int]:
    text = text.strip()
    if not re.fullmatch(r"\d{1,10}", text):
        return None
    value = int(text)
    return value if is_id(value) else None


def find_requests(args) -> list[Ticket]:
    """GET requests: by ids (then every other filter is ignored, as the specification
    says), or by service_code, status and a date span of at most 90 days (the last 90
    days when none is given)."""
    query = _public_tickets()
    raw_ids = (args.get("service_request_id") or "").strip()
    if raw_ids:
        parts = [p for p in raw_ids.split(",") if p.strip()]
        if len(parts) > MAX_IDS:
            raise bad(f"service_request_id names at most {MAX_IDS} requests")
        ids = [i for i in (_ticket_id(p) for p in parts) if i is not None]
        if not ids:
            return []
        return list(db.session.execute(
            query.where(Ticket.id.in_(ids)).order_by(Ticket.id.desc())).unique().scalars())

    codes = [c.strip() for c in (args.get("service_code") or "").split(",") if c.strip()]
    if codes:
        categories = [service_category(c) for c in codes]
        missing = [c for c, cat in zip(codes, categories) if cat is None]
        if missing:
            raise bad(f"service_code {missing[0]} not found")
        query = query.where(Ticket.category_id.in_([c.id for c in categories]))

    statuses = [s.strip() for s in (args.get("status") or "").split(",") if s.strip()]
    for s in statuses:
        if s not in ("open", "closed"):
            raise bad("status must be open or closed")
    if set(statuses) == {"open"}:
        query = query.where(Ticket.state.in_(OPEN_VALUES))
    elif set(statuses) == {"closed"}:
        query = query.where(Ticket.state.not_in(OPEN_VALUES))

    start = parse_datetime("start_date", args["start_date"]) if args.get("start_date") else None
    end = parse_datetime("end_date", args["end_date"]) if args.get("end_date") else None
    if start is None and end is None:
        end = utcnow()
        start = end - MAX_SPAN
    elif start is None:
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if start > end:
        raise bad("start_date is after end_date")
    if end - start > MAX_SPAN:
        raise bad("start_date and end_date span more than 90 days")
    query = query.where(Ticket.created_at >= start, Ticket.created_at <= end)
    return list(db.session.execute(
        query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(MAX_RESULTS))
        .unique().scalars())


def public_request(request_id: str) -> Ticket:
    ticket_id = _ticket_id(request_id)
    ticket = db.session.get(Ticket, ticket_id) if ticket_id else None
    if (ticket is None or not permissions.can_view_ticket_publicly(ticket)
            or ticket.category.is_private):
        raise Open311Error(404, f"service_request_id {request_id} not found")
    return ticket


# --- presenting ----------------------------------------------------------------------

def iso(value: Optional[datetime]) -> Optional[str]:
    """W3C date-time with the +08:00 offset (Asia/Shanghai), to the second."""
    if value is None:
        return None
    return value.astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def _status_notes(ticket_ids: list[int]) -> dict[int, Optional[str]]:
    """The note explaining the current status: the latest one staff or the handler wrote
    on resolving, closing, rejecting or merging; cleared when the case goes back to work
    (reopened, reworked, recalled). Supplements and the reporter's words never count."""
    if not ticket_ids:
        return {}
    rows = db.session.execute(
        sa.select(TicketEvent.ticket_id, TicketEvent.to_state, TicketEvent.actor_role,
                  TicketEvent.note, TicketEvent.content_status)
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.kind == "transition")
        .order_by(TicketEvent.id))
    notes: dict[int, Optional[str]] = {}
    for ticket_id, to_state, role, note, content_status in rows:
        public = (role in PUBLIC_NOTE_ROLES and content_status == "pass"
                  and bool((note or "").strip()))
        if to_state in PUBLIC_NOTE_STATES:
            if public:
                notes[ticket_id] = note.strip()
            elif to_state == State.resolved.value:
                notes[ticket_id] = None  # a new resolution without a word
        else:
            notes[ticket_id] = None  # back to work: the old note no longer explains it
    return notes


def _media(ticket_ids: list[int]) -> dict[int, Upload]:
    """The first public photo (the report's, then the handler's after photos)."""
    if not ticket_ids:
        return {}
    rows = db.session.execute(
        sa.select(TicketPhoto.ticket_id, Upload)
        .join(Upload, Upload.id == TicketPhoto.upload_id)
        .where(TicketPhoto.ticket_id.in_(ticket_ids),
               TicketPhoto.phase.in_(("report", "after")), Upload.content_status == "pass")
        .order_by(TicketPhoto.ticket_id, TicketPhoto.phase.desc(), TicketPhoto.position))
    out: dict[int, Upload] = {}
    for ticket_id, upload in rows:
        out.setdefault(ticket_id, upload)  # "report" sorts after "after" desc: report first
    return out


def present(tickets_: Iterable[Ticket], url_root: str) -> list[dict]:
    tickets_ = list(tickets_)
    ids = [t.id for t in tickets_]
    notes = _status_notes(ids)
    media = _media(ids)
    return [_request(t, notes.get(t.id), media.get(t.id), url_root) for t in tickets_]


def _request(ticket: Ticket, note: Optional[str], upload: Optional[Upload],
             url_root: str) -> dict:
    is_open = ticket.state in OPEN_VALUES
    who = handler(ticket)
    updated = ticket.updated_at
    wgs_lng, wgs_lat = gcj02_to_wgs84(ticket.lng, ticket.lat)  # stored GCJ-02 → WGS-84
    if not is_open and ticket.closed_at and ticket.state == State.closed.value:
        updated = ticket.closed_at
    return {
        "service_request_id": str(ticket.id),
        "status": "open" if is_open else "closed",
        "status_notes": note,
        "service_name": ticket.category.name,
        "service_code": ticket.category.code,
        "description": ticket.description,
        "agency_responsible": who["name"] if who else None,
        "service_notice": None,
        "requested_datetime": iso(ticket.created_at),
        "updated_datetime": iso(updated),
        "expected_datetime": iso(ticket.due_at) if is_open else None,
        "address": ticket.place.name if ticket.place else None,
        "address_id": None,
        "zipcode": None,
        "lat": round(wgs_lat, PUBLIC_DECIMALS),
        "long": round(wgs_lng, PUBLIC_DECIMALS),
        "media_url": (url_root.rstrip("/") + signed_url(upload, "thumb")) if upload else None,
    }


# --- filing requests -----------------------------------------------------------------

def _float(form, name: str, low: float, high: float) -> float:
    try:
        value = float(form[name])
    except (TypeError, ValueError):
        raise bad(f"{name} is not a number") from None
    if not low <= value <= high:
        raise bad(f"{name} is out of range")
    return value


def _locate_address(text: str) -> tuple[float, float]:
    """Without a geocoder, ``address_string`` is understood when it names a grid place
    (社区 or 网格) exactly: the request lands at the middle of that place (GCJ-02, as
    the places are stored)."""
    place = db.session.execute(
        sa.select(Place).where(Place.name == text, Place.min_lat.is_not(None))
        .order_by(sa.func.length(Place.code).desc()).limit(1)).scalar_one_or_none()
    if place is None:
        raise bad("address_string could not be located: send lat and long")
    return (place.min_lat + place.max_lat) / 2, (place.min_lng + place.max_lng) / 2


def create_request(key: Open311Key, form) -> tuple[Ticket, str]:
    """POST requests: a ticket filed by the key's client account. Returns the ticket and
    the service notice."""
    for name in form:  # PostgreSQL cannot store NUL in text: refused, never a 500
        values = form.getlist(name) if hasattr(form, "getlist") else [form[name]]
        if any("\x00" in str(value) for value in values):
            raise bad(f"{name} contains a NUL character")
    code = (form.get("service_code") or "").strip()
    if not code:
        raise bad("service_code was not provided")
    category = service_category(code)
    if category is None:
        raise bad(f"service_code {code} not found")
    description = (form.get("description") or "").strip()
    if not description:
        raise bad("description was not provided")
    if len(description) > MAX_DESCRIPTION:
        raise bad(f"description is longer than {MAX_DESCRIPTION} characters")
    address = (form.get("address_string") or "").strip()
    if len(address) > 200:
        raise bad("address_string is longer than 200 characters")
    if form.get("lat") not in (None, "") or form.get("long") not in (None, ""):
        if form.get("lat") in (None, "") or form.get("long") in (None, ""):
            raise bad("lat and long must be sent together")
        lat = _float(form, "lat", -90, 90)
        lng = _float(form, "long", -180, 180)
        lng, lat = wgs84_to_gcj02(lng, lat)  # sent in WGS-84, stored in GCJ-02
    elif address:
        lat, lng = _locate_address(address)
    else:
        raise bad("a location is required: lat and long, or address_string")
    media_url = (form.get("media_url") or "").strip()
    if media_url:
        parts = urlsplit(media_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(media_url) > 1000:
            raise bad("media_url is not an http(s) URL")
    extra: dict[str, Any] = {"client": key.name}
    if media_url:
        extra["media_url"] = media_url
    contact = {f: str(form.get(f)).strip()[:200] for f in CONTACT_FIELDS
               if (form.get(f) or "").strip()}
    if contact:
        extra["contact"] = contact
    # WeChat's text check needs the author's openid: a client account has none, so when
    # checks are on, the report is held for staff review (released in the console).
    verdict = check_text(description, None)
    if verdict == RISKY:
        raise bad("description was refused by the content check")
    try:
        ticket = tickets.create_ticket(key.user, category.id, description, lat, lng,
                                       address=address, text_status=verdict)
    except ApiError as exc:
        raise bad(exc.key) from exc
    ticket.source = "open311"
    event = db.session.execute(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id).limit(1)).scalar_one()
    event.data = {**(event.data or {}), "open311": extra}
    key.last_used_at = utcnow()
    alert_urgent(ticket)
    db.session.flush()
    notice = "已收到，将在 " + ticket.accept_due_at.astimezone(SHANGHAI).strftime(
        "%Y-%m-%d %H:%M") + " 前受理" if ticket.accept_due_at else "已收到"
    return ticket, notice
