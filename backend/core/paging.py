"""Paged lists: one contract for every list of the API that grows with use.

Ask with ``?limit=`` (1–200; each list documents its default) and ``?cursor=`` (the
``next_cursor`` of the page before, opaque). The answer is an object::

    {"items": [...], "next_cursor": "…" | null, "total": 123 | null}

``next_cursor`` is null on the last page; ``total`` counts the matches where that is cheap
and the list counted before (null otherwise: on lists that do not count, and on the pages
after the first of lists that count once). A limit outside its range or a cursor that is not
one is a 422 on that field.

Cursors are keyset cursors: the sort key of the last row, so a page costs the same however
deep it is (no OFFSET), and rows added meanwhile do not shift the pages.
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Optional, Sequence

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import validate

from backend.core.errors import field_error
from backend.core.fields import INT_MAX
from backend.core.i18n import register
from backend.core.schemas import OutSchema, QueryArgsSchema
from backend.extensions import db

LIMIT_MAX = 200
LIMIT_DEFAULT = 20
CURSOR_MAX_LENGTH = 200

register({
    "cursor_invalid": {"zh": "分页游标无效。", "en": "The page cursor is invalid."},
})


# --- the query parameters ----------------------------------------------------------------

def limit_field(default: int = LIMIT_DEFAULT) -> ma.fields.Integer:
    return ma.fields.Integer(load_default=default,
                             validate=validate.Range(min=1, max=LIMIT_MAX),
                             metadata={"description": f"Rows per page (1–{LIMIT_MAX}, "
                                                      f"default {default})"})


def cursor_field() -> ma.fields.String:
    return ma.fields.String(validate=validate.Length(min=1, max=CURSOR_MAX_LENGTH), metadata={
        "description": "The `next_cursor` of the page before (opaque); none for the first"})


class PageArgs(QueryArgsSchema):
    """``?limit=&cursor=``; a list with another default limit redefines ``limit`` with
    ``limit_field(n)``."""

    limit = limit_field()
    cursor = cursor_field()


# --- the answer --------------------------------------------------------------------------

_page_schemas: dict[str, tuple[Any, type]] = {}


def page_schema(item_schema, name: str, **extra: ma.fields.Field) -> type:
    """The documented answer of a list: ``{items, next_cursor, total}`` and ``extra``
    (a list's own figures, such as an inbox's unread count). Lists of the same items may
    share one ``name`` (one schema in the OpenAPI document)."""
    if name in _page_schemas:
        items, schema = _page_schemas[name]
        assert items is item_schema and not extra, f"{name} names another page schema"
        return schema
    fields: dict[str, Any] = {
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "next_cursor": ma.fields.String(allow_none=True, required=True, metadata={
            "description": "The cursor of the next page; null on the last page"}),
        "total": ma.fields.Integer(allow_none=True, metadata={
            "description": "How many match, where counted (null otherwise)"}),
    }
    fields.update(extra)
    schema = type(name, (OutSchema,), dict(fields))
    _page_schemas[name] = (item_schema, schema)
    return schema


def page(items: Sequence, next_cursor: Optional[str], total: Optional[int] = None,
         **extra: Any) -> dict:
    return {"items": list(items), "next_cursor": next_cursor, "total": total, **extra}


# --- cursors -----------------------------------------------------------------------------

def encode_cursor(*values) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values],
                     separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decoded(value, kind: str):
    if kind == "int":
        # bool is an int in Python; a cursor never holds one where an int belongs
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT_MAX:
            raise ValueError
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError
        return value
    if kind == "str":
        if not isinstance(value, str) or len(value) > CURSOR_MAX_LENGTH or "\x00" in value:
            raise ValueError
        return value
    if kind == "dt":
        if value is None:
            return None
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed
    raise AssertionError(f"unknown cursor kind {kind!r}")


def decode_cursor(cursor: str, kinds: tuple[str, ...]) -> list:
    """The values an ``encode_cursor`` held. kinds, one a position: "int" (0 … 2**31-1),
    "bool", "str", "dt" (an aware datetime, or None). Anything else is a 422 on
    ``cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        return [_decoded(value, kind) for value, kind in zip(values, kinds)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise field_error("cursor", "cursor_invalid") from None


# --- keyset pages ------------------------------------------------------------------------

def keyset_page(query, keys: tuple, kinds: tuple[str, ...], descending: bool,
                cursor: Optional[str], limit: int) -> tuple[list, Optional[str]]:
    """One page of ``query`` (a select of one entity) in the order of ``keys`` (all
    ascending or all descending, none nullable, the last one unique), after the row the
    opaque ``cursor`` names. Returns the rows and the cursor of the next page (None at
    the end)."""
    key = sa.tuple_(*keys)
    if cursor:
        values = tuple(decode_cursor(cursor, kinds))
        if None in values:
            raise field_error("cursor", "cursor_invalid")
        query = query.where(key < values if descending else key > values)
    query = query.add_columns(*keys).order_by(
        *[k.desc() if descending else k.asc() for k in keys]).limit(limit + 1)
    rows = db.session.execute(query).all()
    next_cursor = encode_cursor(*rows[limit - 1][1:]) if len(rows) > limit else None
    return [r[0] for r in rows[:limit]], next_cursor


def first_page_total(query, cursor: Optional[str]) -> Optional[int]:
    """How many rows ``query`` matches, counted on the first page only (no cursor): the
    figure a list shows once, without a COUNT on every further page."""
    if cursor:
        return None
    return db.session.execute(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
