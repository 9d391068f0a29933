"""Answers dumped as marshmallow dumps them, without its per-field machinery.

``Schema.dump`` asks every field of every row to ``serialize`` itself: the field looks its
value up through three helper calls (``Field.get_value`` → the schema's accessor →
``utils.get_value``), checks a default, then formats the value. For a page of twenty queue
rows that is a thousand such calls, a fifth of the request (bench/profile_request.py).

``dump(schema, obj, many)`` does the same work from a plan made once per schema instance:
for each field, a getter for its attribute path (the same lookup ``utils.get_value``
does: ``obj[key]``, else ``getattr``) and a formatter. Strings, integers and floats are
formatted inline; nested schemas and lists of them use their own plans; every other field
is formatted by its own ``_serialize``. What the plan cannot do exactly as marshmallow does
is left to marshmallow: a schema with dump hooks or its own ``get_attribute``, a field
that reads no attribute (``Method``, ``Function``) or that overrides ``serialize`` or
``get_value``.

With ``LINLI_CHECK_DUMP=1`` in the environment (the test suite sets it) every dump is
also made by marshmallow and the two must be equal: each test that reads an answer checks
this module on what it reads.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, Optional

import marshmallow as ma
from marshmallow import fields as mf
from marshmallow import missing
from marshmallow.decorators import POST_DUMP, PRE_DUMP

_PLAN = "_linli_dump_plan"

Row = Callable[[Any], Any]


def _key(obj: Any, key: str) -> Any:
    """``marshmallow.utils._get_value_for_key``: an item, else an attribute, else missing."""
    if type(obj) is dict:
        try:
            return obj[key]
        except KeyError:
            return getattr(obj, key, missing)
    if not hasattr(obj, "__getitem__"):
        return getattr(obj, key, missing)
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, key, missing)


def _getter(path: str) -> Callable[[Any], Any]:
    if "." not in path:
        return lambda obj: _key(obj, path)
    keys = path.split(".")

    def get(obj: Any) -> Any:
        for key in keys:
            obj = _key(obj, key)
        return obj

    return get


def _formatter(field: mf.Field) -> Callable[[Any, str, Any], Any]:
    """What ``field._serialize(value, attr, obj)`` returns, made cheaper where exact."""
    kind = type(field)
    if kind is mf.String:
        return lambda value, _attr, _obj: value if type(value) is str or value is None \
            else field._serialize(value, _attr, _obj)
    if kind in (mf.Integer, mf.Float) and not field.as_string:
        cast = field.num_type
        return lambda value, _attr, _obj: None if value is None else cast(value)
    if kind is mf.Nested:
        return _nested(field)
    if kind is mf.List:
        inner = _formatter(field.inner)
        return lambda value, attr, obj: None if value is None \
            else [inner(each, attr, obj) for each in value]
    return field._serialize


def _nested(field: mf.Nested) -> Callable[[Any, str, Any], Any]:
    """A nested schema's plan, made at its first value (a schema nesting itself is
    planned one level at a time, as marshmallow builds it)."""
    resolved: list = []

    def format_(value: Any, attr: str, obj: Any) -> Any:
        if value is None:
            return None
        if not resolved:
            nested = field.schema
            resolved[:] = [plan(nested), bool(nested.many or field.many)]
        rows, many = resolved
        if rows is None:
            return field._serialize(value, attr, obj)
        return [rows(each) for each in value] if many else rows(value)

    return format_


def _exact(field: mf.Field) -> bool:
    kind = type(field)
    return (field._CHECK_ATTRIBUTE and kind.serialize is mf.Field.serialize
            and kind.get_value is mf.Field.get_value)


def plan(schema: ma.Schema) -> Optional[Row]:
    """The function dumping one object as ``schema`` does (made once per instance), or
    None when marshmallow must do it."""
    made = schema.__dict__.get(_PLAN, missing)
    if made is not missing:
        return made
    made = None
    kind = type(schema)
    if (not schema._hooks[PRE_DUMP] and not schema._hooks[POST_DUMP]
            and kind.get_attribute is ma.Schema.get_attribute
            and kind._serialize is ma.Schema._serialize and schema.dict_class is dict):
        made = _rows(schema)
    schema.__dict__[_PLAN] = made
    return made


def _rows(schema: ma.Schema) -> Row:
    steps = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        if not _exact(field):
            steps.append((key, None, None, None, name, field))
            continue
        default = field.dump_default
        steps.append((key, _getter(name if field.attribute is None else field.attribute),
                      default, _formatter(field), name, field))
    accessor = schema.get_attribute

    def row(obj: Any) -> dict:
        out = {}
        for key, get, default, format_, name, field in steps:
            if get is None:  # marshmallow's own way
                value = field.serialize(name, obj, accessor=accessor)
                if value is not missing:
                    out[key] = value
                continue
            value = get(obj)
            if value is missing:
                value = default() if callable(default) else default
                if value is missing:
                    continue
            out[key] = format_(value, name, obj)
        return out

    return row


def dump(schema: ma.Schema, obj: Any, many: Optional[bool]) -> Any:
    many = schema.many if many is None else bool(many)
    rows = plan(schema)
    if rows is None:
        return ma.Schema.dump(schema, obj, many=many)
    if many and obj is not None:
        return [rows(each) for each in obj]
    return rows(obj)


CHECK = os.environ.get("LINLI_CHECK_DUMP") == "1"
_reference = threading.local()  # inside marshmallow's own dump of a checked answer


def checked_dump(schema: ma.Schema, obj: Any, many: Optional[bool]) -> Any:
    """``dump``, and (LINLI_CHECK_DUMP=1) marshmallow's dump of the same, all the way down
    (its nested schemas dumped by marshmallow too), which must be equal."""
    if getattr(_reference, "active", False):
        return ma.Schema.dump(schema, obj, many=many)
    answer = dump(schema, obj, many)
    if CHECK:
        _reference.active = True
        try:
            expected = ma.Schema.dump(schema, obj, many=many)
        finally:
            _reference.active = False
        if answer != expected:
            raise AssertionError(f"{type(schema).__name__} dumped {answer!r}, "
                                 f"marshmallow dumps {expected!r}")
    return answer
