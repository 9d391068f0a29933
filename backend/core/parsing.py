"""The request-body parser behind every ``@blp.arguments``.

webargs turns malformed JSON into a 400, but a body nested deeper than Python's recursion
limit (``[[[[…]]]]``, a few kilobytes) makes ``json.loads`` raise ``RecursionError``,
which would be a 500. Here it is the same 400 as any other body that is not JSON.

A NUL character in any value (JSON, query, form) is refused with a 422 on its field:
PostgreSQL cannot store one in a text column (SQLite can), so it would be a 500 there.

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


def _has_nul(value) -> bool:
    """Whether a string anywhere in ``value`` holds NUL (iterative: bodies nest deeply)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return False


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
            bad = [str(key) for key in location_data
                   if _has_nul(key) or _has_nul(getlist(key) if getlist else location_data[key])]
            if bad:
                raise ma.ValidationError({key: [NUL_MESSAGE] for key in bad})
        return super().pre_load(location_data, schema=schema, req=req, location=location)
