"""JSON answers written by orjson.

Flask writes an answer with the standard library's ``json``: a 14-day slot list (26 KB)
cost 0.48 ms of a 4 ms request, orjson writes it in 0.07 ms. The answer is the same JSON,
value for value, as Flask's own provider set as Linli sets it (text as UTF-8, keys in the
order they were built, a newline at the end):

- what orjson does not write itself goes through Flask's own ``default`` (dates as HTTP
  dates, Decimal as text, dataclasses, Markup);
- what orjson refuses (an integer beyond 64 bits, text that is not valid UTF-8) and the
  indented answers of debug mode are left to Flask's provider, as before;
- with ``LINLI_CHECK_JSON=1`` in the environment (the test suite sets it) every answer is
  also written by Flask's provider, and the two must read back equal.

Request bodies are still read by the standard library (small, and its reading of huge
integers and NaN is what validation expects).
"""
from __future__ import annotations

import json
import os
from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

CHECK = os.environ.get("LINLI_CHECK_JSON") == "1"

# datetimes and dataclasses go to Flask's ``default`` (orjson would write ISO dates and its
# own dataclass form); dict keys that are not text become text, as json.dumps makes them
_OPTIONS = (orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS
            | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)


class AnswerJSONProvider(DefaultJSONProvider):
    ensure_ascii = False  # Chinese text as text, not \\u escapes
    sort_keys = False     # as built

    def response(self, *args: Any, **kwargs: Any) -> Response:
        indented = (self.compact is None and self._app.debug) or self.compact is False
        if indented or self.ensure_ascii:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        options = _OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        try:
            body = orjson.dumps(obj, default=self.default, option=options)
        except orjson.JSONEncodeError:
            # beyond orjson (an integer past 64 bits, a lone surrogate) or not JSON at all:
            # Flask's provider writes it, or raises its TypeError, as it always did
            return self._standard(obj)
        if CHECK:
            expected = super().response(*args, **kwargs).get_data()
            if json.loads(body) != json.loads(expected):
                raise AssertionError(f"orjson wrote {body!r}, Flask writes {expected!r}")
        return self._app.response_class(body, mimetype=self.mimetype)

    def _standard(self, obj: Any) -> Response:
        """Flask's way; text that is not UTF-8 (half of a surrogate pair, which requests
        are refused for carrying, see core.parsing) is written \\u-escaped, as JSON allows,
        rather than failing the answer."""
        text = self.dumps(obj, separators=(",", ":"))
        try:
            body = f"{text}\n".encode("utf-8")
        except UnicodeEncodeError:
            body = f"{self.dumps(obj, separators=(',', ':'), ensure_ascii=True)}\n".encode()
        return self._app.response_class(body, mimetype=self.mimetype)
