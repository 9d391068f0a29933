"""JSON answers: written by orjson (a 14-day slot list cost 0.48 ms with the standard
library, 0.07 with it), and the same JSON Flask's own provider writes, value for value."""
from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from backend.core import json_answers
from backend.extensions import db
from tests import factories


@dataclasses.dataclass
class _Point:
    lat: float
    lng: float


def _flask_default(app, value):
    """What Flask's own provider, set as Linli sets it, answers for ``value``."""
    provider = DefaultJSONProvider(app)
    provider.ensure_ascii, provider.sort_keys = False, False
    with app.test_request_context():
        return provider.response(value).get_data()


def _ours(app, value):
    with app.test_request_context():
        answer = app.json.response(value)
        return answer.get_data(), answer.mimetype


AWKWARD = [
    {"名称": "楼道灯不亮", "z": 1, "a": [1.5, None, True], "m": {"b": 2, "a": 1}},
    {"big": 2 ** 70, "small": -(2 ** 64)},           # beyond 64 bits: orjson refuses them
    {"money": Decimal("12.30"), "id": uuid.UUID(int=7)},
    {"at": datetime(2026, 12, 7, 3, 4, 5, tzinfo=timezone.utc), "on": date(2026, 12, 7)},
    {1: "one", 2.5: "two and a half", None: "none", False: "no"},  # keys that are not text
    {"html": Markup("<b>通知</b>"), "point": _Point(30.62, 104.03)},
    [1e16, 1e-7, 0.1, 30.628012345678],
    "just a string",
    None,
]


@pytest.mark.parametrize("value", AWKWARD, ids=range(len(AWKWARD)))
def test_an_answer_is_the_json_flask_writes_value_for_value(app, value):
    ours, mimetype = _ours(app, value)
    theirs = _flask_default(app, value)
    assert mimetype == "application/json"
    assert ours.endswith(b"\n")
    assert json.loads(ours) == json.loads(theirs)


def test_text_that_is_not_utf8_is_escaped_rather_than_failing_the_answer(app):
    """Half of a surrogate pair: requests carrying one are refused (core.parsing), but an
    answer that holds one anyway is still written, as the JSON escape."""
    value = {"text": "emoji 🏮 and a lone surrogate \ud800"}
    body, _ = _ours(app, value)
    assert json.loads(body) == value
    assert "🏮".encode() in body or b"\\ud83c\\udfee" in body


def test_keys_keep_their_order_and_text_stays_text(app):
    value = {"z": 1, "状态": "已受理", "a": {"y": 1, "b": 2}}
    body, _ = _ours(app, value)
    assert list(json.loads(body)) == ["z", "状态", "a"]
    assert list(json.loads(body)["a"]) == ["y", "b"]
    assert "已受理".encode() in body and b"\\u" not in body


def test_what_cannot_be_json_is_still_a_type_error(app):
    with app.test_request_context(), pytest.raises(TypeError):
        app.json.response({"when": object()})


def test_debug_answers_stay_indented(app):
    app.debug = True
    try:
        body, _ = _ours(app, {"a": [1, 2]})
    finally:
        app.debug = False
    assert body == b'{\n  "a": [\n    1,\n    2\n  ]\n}\n'


def test_a_real_answer_is_written_by_the_fast_path(app, client, monkeypatch):
    with app.app_context():
        headers = factories.auth(factories.token_for(factories.resident(name="王姐")))
        db.session.commit()
    written = []
    real = json_answers.orjson.dumps

    def counting(*args, **kwargs):
        written.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(json_answers.orjson, "dumps", counting)
    answer = client.get("/api/v1/me", headers=headers)
    assert answer.status_code == 200
    assert written and written[-1] == answer.get_json()
    assert answer.headers["Content-Type"] == "application/json"


def test_the_check_compares_every_answer_with_flask(app, monkeypatch):
    """With LINLI_CHECK_JSON=1 (the test suite sets it) an answer that differs from Flask's
    own JSON fails loudly."""
    assert json_answers.CHECK
    monkeypatch.setattr(json_answers.orjson, "dumps", lambda *a, **k: b'{"other":1}')
    with app.test_request_context(), pytest.raises(AssertionError):
        app.json.response({"a": 1})
