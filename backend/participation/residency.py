"""Residency: a resident declares a home; staff confirm or reject it, or import the
household register and matching declarations are confirmed.

Matching compares the community, the address (building / unit / room, normalised by
``address_key``: full-width digits, 栋/幢/号楼, 单元, 室/号 suffixes and spaces do not
count) and the phone (digits only, without +86). A declaration made after the register
was imported is confirmed at once when it matches a line of it. Only pending
declarations are confirmed by an import: one staff rejected stays rejected.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa

from backend.core.bilingual import Text
from backend.core.errors import ApiError, field_error
from backend.core.i18n import t
from backend.extensions import db
from backend.notify.operations import enqueue
from backend.participation import operations as common
from backend.participation.models import Household, Residency, ResidencyStatus
from backend.places.models import CELL_LEVELS, Place

MAX_IMPORT_ROWS = 5000
_SUFFIXES = ("号楼", "单元", "栋", "幢", "楼", "号", "室", "房")
_PHONE_RE = re.compile(r"^\d{5,15}$")

# CSV header (Chinese or English) → field
COLUMNS = {
    "yard_code": "yard_code", "院落编码": "yard_code", "院落": "yard_code",
    "building": "building", "楼栋": "building", "楼栋号": "building",
    "unit": "unit", "单元": "unit", "单元号": "unit",
    "room": "room", "房号": "room", "门牌号": "room",
    "name": "name", "姓名": "name", "户主": "name", "户主姓名": "name",
    "phone": "phone", "电话": "phone", "手机": "phone", "手机号": "phone",
    "联系电话": "phone",
}
_LIMITS = {"building": 20, "unit": 20, "room": 20, "name": 50, "yard_code": 18}
_COLUMN_ZH = {"yard_code": "院落编码", "building": "楼栋", "unit": "单元", "room": "房号",
              "name": "姓名", "phone": "电话"}


def _part(value: str) -> str:
    value = "".join(unicodedata.normalize("NFKC", value or "").split()).upper()
    for suffix in _SUFFIXES:
        if value.endswith(suffix) and len(value) > len(suffix):
            return value[: -len(suffix)]
    return value


def address_key(building: str, unit: str, room: str) -> str:
    """``3栋 / 2单元 / 501室`` and ``３ / 2 / 501`` are the same home."""
    return "|".join(_part(x) for x in (building, unit, room))[:64]


def normalise_phone(phone: Optional[str]) -> str:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


# --- residents -------------------------------------------------------------------------

def get_residency(residency_id: int) -> Residency:
    return common.get_or_404(Residency, residency_id, "residency_not_found")


def _household_match(residency: Residency) -> Optional[Household]:
    return db.session.execute(
        sa.select(Household).where(Household.community_id == residency.community_id,
                                   Household.address_key == residency.address_key,
                                   Household.phone == residency.phone).limit(1)
    ).scalar_one_or_none()


def declare(user, args: dict) -> Residency:
    """Declare (or declare again) my home in a community. Confirmed at once when the
    community's imported register has the same address and phone."""
    community = common.get_community(args["community_id"], field="community_id")
    yard = common.get_yard(community, args.get("yard_id"))
    phone = normalise_phone(args.get("phone") or user.phone)
    if not _PHONE_RE.match(phone):
        raise field_error("phone", "phone_required_for_residency")
    building, unit, room = args.get("building", ""), args.get("unit", ""), args["room"]
    key = address_key(building, unit, room)
    row = db.session.execute(
        sa.select(Residency).where(Residency.user_id == user.id,
                                   Residency.community_id == community.id)
    ).scalar_one_or_none()
    if row is not None and row.status == ResidencyStatus.confirmed.value:
        if row.address_key == key and row.phone == phone:
            return row  # nothing changed: the same answer again
        raise field_error("community_id", "residency_already_confirmed", status=409)
    if row is None:
        row = Residency(user_id=user.id, community_id=community.id)
        db.session.add(row)
    row.yard_id = yard.id if yard else None
    row.building, row.unit, row.room, row.address_key = building, unit, room, key
    row.name = args.get("name") or user.display_name or ""
    row.phone = phone
    row.status, row.source, row.reason = ResidencyStatus.pending.value, "declared", ""
    row.declared_at = common.utcnow()
    row.decided_by_id = row.decided_at = None
    db.session.flush()
    if _household_match(row) is not None:
        _confirm(row, None, "import")
    return row


def my_residencies(user) -> list[Residency]:
    return list(db.session.execute(
        sa.select(Residency).where(Residency.user_id == user.id).order_by(Residency.id)
    ).scalars())


# --- staff -----------------------------------------------------------------------------

def _confirm(row: Residency, actor, source: str) -> None:
    row.status, row.reason = ResidencyStatus.confirmed.value, ""
    row.source = source
    row.decided_by_id = actor.id if actor is not None else None
    row.decided_at = common.utcnow()
    db.session.flush()
    enqueue([row.user_id], "residency_confirmed",
            Text("居住登记已确认", "Residency confirmed"),
            Text(f"您在{row.community.name}的居住登记已确认，可以参与社区议事和投票。",
                 f"Your residency in {row.community.name} is confirmed: you can now take "
                 "part in the community's proposals and votes."),
            page="pages/participation/residency")


def confirm(actor, row: Residency) -> Residency:
    if row.status not in (ResidencyStatus.pending.value, ResidencyStatus.rejected.value):
        raise ApiError(409, "residency_not_pending", code="conflict")
    _confirm(row, actor, "staff")
    return row


def reject(actor, row: Residency, reason: str) -> Residency:
    if row.status != ResidencyStatus.pending.value:
        raise ApiError(409, "residency_not_pending", code="conflict")
    row.status, row.reason = ResidencyStatus.rejected.value, reason
    row.decided_by_id, row.decided_at = actor.id, common.utcnow()
    db.session.flush()
    enqueue([row.user_id], "residency_rejected",
            Text("居住登记未通过", "Residency declined"),
            Text(f"您在{row.community.name}的居住登记未通过：{reason}",
                 f"Your residency in {row.community.name} was not confirmed: {reason}"),
            page="pages/participation/residency")
    return row


def end(actor, row: Residency, reason: str = "") -> Residency:
    """Moved out: the resident withdraws, or staff end it. The voice ends with it."""
    if row.status == ResidencyStatus.ended.value:
        raise ApiError(409, "residency_ended", code="conflict")
    row.status, row.reason = ResidencyStatus.ended.value, reason
    row.decided_by_id, row.decided_at = actor.id, common.utcnow()
    db.session.flush()
    return row


def residency_query(actor_scope: Optional[Place], community_id: Optional[int],
                    status: Optional[str]):
    """Residencies staff may see: of their subtree (admins: everywhere)."""
    q = sa.select(Residency).join(Place, Place.id == Residency.community_id)
    if actor_scope is not None:
        q = q.where(Place.code.startswith(actor_scope.code, autoescape=True))
    if community_id is not None:
        q = q.where(Residency.community_id == community_id)
    if status:
        q = q.where(Residency.status == status)
    return q


# --- the household register (CSV) ------------------------------------------------------

@dataclass
class _Line:
    number: int
    values: dict = field(default_factory=dict)
    yard: Optional[Place] = None
    key: str = ""
    phone: str = ""


def _row_problem(number: int, key: str, **params) -> str:
    return t("csv_row", line=number, message=t(key, **params))


def _read_csv(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (line number, cells) of every line that is not blank."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    if not rows:
        raise field_error("csv", "csv_empty")
    return [h.strip() for h in rows[0][1]], rows[1:]


def _parse_lines(community: Place, text: str) -> list[_Line]:
    header, rows = _read_csv(text)
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise field_error("csv", "csv_unknown_column", column=unknown[0])
    fields = [COLUMNS[h] for h in header]
    if "room" not in fields or "phone" not in fields:
        raise field_error("csv", "csv_no_header")
    if len(rows) > MAX_IMPORT_ROWS:
        raise field_error("csv", "csv_too_many_rows", limit=MAX_IMPORT_ROWS)
    cells = {lvl.value for lvl in CELL_LEVELS}
    yards = {p.code: p for p in db.session.execute(
        sa.select(Place).where(Place.code.startswith(community.code, autoescape=True),
                               Place.level.in_(cells))).scalars()}
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    lines = []
    for number, raw in rows:
        line = _Line(number, {f: (raw[i].strip() if i < len(raw) else "")
                              for i, f in enumerate(fields)})
        v = line.values
        for name in ("room", "phone"):
            if not v.get(name):
                problems.append(_row_problem(number, "csv_row_missing", column=_COLUMN_ZH[name]))
        for name, limit in _LIMITS.items():
            if len(v.get(name, "")) > limit:
                problems.append(_row_problem(number, "csv_row_too_long",
                                             column=_COLUMN_ZH[name], max=limit))
        line.phone = normalise_phone(v.get("phone"))
        if v.get("phone") and not _PHONE_RE.match(line.phone):
            problems.append(_row_problem(number, "csv_row_phone"))
        if v.get("yard_code"):
            line.yard = yards.get(v["yard_code"])
            if line.yard is None:
                problems.append(_row_problem(number, "csv_row_yard", code=v["yard_code"]))
        line.key = address_key(v.get("building", ""), v.get("unit", ""), v.get("room", ""))
        if v.get("room") and line.phone:
            first = seen.setdefault((line.key, line.phone), number)
            if first != number:
                problems.append(_row_problem(number, "csv_row_duplicate", first=first))
        lines.append(line)
    if problems:
        raise ApiError(422, "csv_problems", code="validation_error", count=len(problems),
                       fields={"csv": problems})
    return lines


def import_households(actor, community: Place, text: str) -> dict:
    """Import the household register of ``community``, all or nothing: any line with a
    problem refuses the whole file (422, one message per line in ``fields.csv``). Lines
    already on the register are left as they are. Then every pending declaration in the
    community with the address and phone of a register line is confirmed."""
    lines = _parse_lines(community, text)
    existing = set(db.session.execute(
        sa.select(Household.address_key, Household.phone)
        .where(Household.community_id == community.id)).all())
    created = 0
    for line in lines:
        if (line.key, line.phone) in existing:
            continue
        existing.add((line.key, line.phone))
        v = line.values
        db.session.add(Household(
            community_id=community.id, yard_id=line.yard.id if line.yard else None,
            building=v.get("building", ""), unit=v.get("unit", ""), room=v["room"],
            address_key=line.key, name=v.get("name", ""), phone=line.phone,
            imported_by_id=actor.id))
        created += 1
    db.session.flush()
    matched = sa.exists().where(Household.community_id == Residency.community_id,
                                Household.address_key == Residency.address_key,
                                Household.phone == Residency.phone)
    pending = list(db.session.execute(
        sa.select(Residency).where(Residency.community_id == community.id,
                                   Residency.status == ResidencyStatus.pending.value,
                                   matched).order_by(Residency.id)).scalars())
    for row in pending:
        _confirm(row, actor, "import")
    return {"rows": len(lines), "created": created, "unchanged": len(lines) - created,
            "confirmed": [r.id for r in pending]}


def household_query(community: Place):
    return sa.select(Household).where(Household.community_id == community.id)
