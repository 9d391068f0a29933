"""The request-body parser behind every ``@blp.arguments``.

webargs turns malformed JSON into a 400, but a body nested deeper than Python's recursion
limit (``[[[[…]]]]``, a few kilobytes) makes ``json.loads`` raise ``RecursionError``,
which would be a 500. Here it is the same 400 as any other body that is not JSON.

A NUL character in any value (JSON, query, form) is refused with a 422 on its field:
PostgreSQL cannot store one in a text column (SQLite can), so it would be a 500 there.
So is half of a UTF-16 pair, which JSON may escape (``"\\ud800"``) and Python then reads
as text that no database, log or answer can encode; in a field's name too, which the 422
names with the half escaped (``x\\ud800``) so that the error itself can be written.

A body sent to a JSON endpoint without ``Content-Type: application/json`` (text, a form,
no type at all) is a 415 saying so: webargs would read no JSON at all and answer that
every field is missing. Only endpoints that take a JSON body look (nothing is added to
other requests), and a request without a body is read as before.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

import marshmallow as ma
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import UnsupportedMediaType

from backend.core.schemas import shared

NUL_MESSAGE = "Contains a NUL character."
SURROGATE_MESSAGE = "Contains half of a UTF-16 surrogate pair, which is not text."


def _not_utf8(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def bad_text(value) -> str | None:
    """Why a string anywhere in ``value`` cannot be stored (NUL, a lone surrogate), or None
    (iterative: bodies nest deeply)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return NUL_MESSAGE
            if _not_utf8(item):
                return SURROGATE_MESSAGE
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return None


def _field_name(key) -> str:
    """A field's name as an error can write it (a lone surrogate escaped)."""
    return str(key).encode("utf-8", "backslashreplace").decode("utf-8")


def _has_body(req) -> bool:
    if req.content_length is not None:
        return req.content_length > 0
    # no Content-Length: a chunked body, or none
    return "chunked" in req.headers.get("Transfer-Encoding", "").lower() \
        and bool(req.get_data(cache=True))


class LinliParser(FlaskParser):
    def _get_schema(self, argmap, req):
        # ``@blp.arguments(SomeArgs)``: webargs would build SomeArgs() on every request
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return shared(argmap)
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req):
        if not is_json_request(req) and _has_body(req):
            raise UnsupportedMediaType()
        try:
            return super()._raw_load_json(req)
        except RecursionError as exc:
            # a non-empty doc: webargs reads an empty one as "no body" (every field missing)
            raise json.JSONDecodeError("JSON nested too deeply", "[", 0) from exc

    def pre_load(self, location_data, *, schema, req, location):
        if isinstance(location_data, Mapping):
            getlist = getattr(location_data, "getlist", None)
            bad = {}
            for key in location_data:
                why = bad_text(key) or bad_text(getlist(key) if getlist else location_data[key])
                if why:
                    bad[_field_name(key)] = [why]
            if bad:
                raise ma.ValidationError(bad)
        return super().pre_load(location_data, schema=schema, req=req, location=location)
