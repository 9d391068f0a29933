"""Schema base classes shared by every feature."""
from __future__ import annotations

from functools import cache

import marshmallow as ma

from backend.core import dumping


@cache
def shared(schema: type, many: bool = False) -> ma.Schema:
    """One instance of ``schema`` for the process. Building one copies every declared
    field and its nested schemas (about 0.1 ms for a ticket's); a marshmallow 4 schema
    keeps no state between ``load`` or ``dump`` calls, so one instance serves them all."""
    return schema(many=many)


class ArgsSchema(ma.Schema):
    """Input: unknown fields are refused, so a typo is a clear error, not silently ignored."""

    class Meta:
        unknown = ma.RAISE


class QueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE


class OutSchema(ma.Schema):
    """Output: each audience gets its own subclass, so fields cannot leak by accident.
    Dumped by ``core.dumping`` (the same answer as marshmallow's, made cheaper)."""

    def dump(self, obj, *, many=None):
        return dumping.checked_dump(self, obj, many)


class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw())
    ticket_id = ma.fields.Integer(metadata={
        "description": "duplicate_work_order: the case already filed for that number"})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorDetailSchema, required=True)


def audience_views(*schemas, many: bool = False) -> dict:
    """The documented answer of a view whose body depends on who asks (each audience is
    dumped with its own schema): any one of ``schemas``, or a list of one of them."""
    one = {"anyOf": list(schemas)}
    return {"type": "array", "items": one} if many else one
