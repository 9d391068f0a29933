"""backend.core.dumping answers exactly what marshmallow's dump answers, cheaper.

(Every other test checks it too: the suite runs with LINLI_CHECK_DUMP=1, so each answer
dumped by an OutSchema is compared with marshmallow's dump of the same object.)"""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import marshmallow as ma
import pytest

from backend.core import dumping
from backend.core.fields import LocalDateTime
from backend.core.schemas import OutSchema


class TagSchema(OutSchema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class NodeSchema(OutSchema):
    name = ma.fields.String()
    children = ma.fields.List(ma.fields.Nested(lambda: NodeSchema()))


class Hooked(OutSchema):
    name = ma.fields.String()

    @ma.post_dump
    def shout(self, data, **_kwargs):
        return {**data, "name": data["name"].upper()}


class RowSchema(OutSchema):
    id = ma.fields.Integer()
    count = ma.fields.Integer(dump_default=0)
    ratio = ma.fields.Float()
    text = ma.fields.String()
    flag = ma.fields.Boolean()
    at = ma.fields.DateTime()
    local = LocalDateTime()
    parent_name = ma.fields.String(attribute="parent.name", allow_none=True)
    renamed = ma.fields.String(data_key="from")
    tag = ma.fields.Nested(TagSchema, allow_none=True)
    tags = ma.fields.List(ma.fields.Nested(TagSchema))
    many_tags = ma.fields.Nested(TagSchema, many=True)
    words = ma.fields.List(ma.fields.String())
    data = ma.fields.Dict(allow_none=True)
    computed = ma.fields.Method("compute")
    hooked = ma.fields.Nested(Hooked)
    tree = ma.fields.Nested(NodeSchema)

    def compute(self, obj):
        return f"#{len(obj if isinstance(obj, dict) else vars(obj))}"  # keys it has


AT = datetime(2026, 12, 6, 23, 30, tzinfo=timezone.utc)
FULL = {"id": "7", "ratio": 2, "text": 5, "flag": "yes", "at": AT, "local": AT,
        "parent": SimpleNamespace(name="公共设施"), "renamed": "x",
        "tag": {"id": 1, "name": "灯"}, "tags": [{"id": 2, "name": "路"}, None],
        "many_tags": [SimpleNamespace(id=3, name="水")], "words": ["a", 1, None],
        "data": {"k": [1]}, "hooked": {"name": "quiet"},
        "tree": {"name": "root", "children": [{"name": "a", "children": [
            {"name": "b", "children": []}]}]}}
SPARSE = {"id": None, "parent": None, "tag": None, "tags": None, "words": None,
          "data": None, "text": None}


@pytest.mark.parametrize("obj", [FULL, SPARSE, {}, SimpleNamespace(**FULL),
                                 SimpleNamespace(id=1, parent=SimpleNamespace(name=None))],
                         ids=["dict", "nones", "empty", "object", "object-sparse"])
def test_a_plan_dumps_what_marshmallow_dumps(obj):
    schema = RowSchema()
    expected = ma.Schema.dump(schema, obj)
    assert dumping.dump(schema, obj, None) == expected
    assert dumping.dump(schema, [obj, obj], True) == [expected, expected]
    assert RowSchema(many=True).dump([obj]) == [expected]


def test_what_is_missing_stays_missing_and_defaults_apply():
    answer = RowSchema().dump({"parent": None})
    assert "parent_name" not in answer and "id" not in answer  # as marshmallow: omitted
    assert answer["count"] == 0 and answer["computed"] == "#1"
    full = RowSchema().dump(FULL)
    assert full["id"] == 7 and full["text"] == "5" and full["from"] == "x"
    assert full["hooked"] == {"name": "QUIET"}  # a schema with hooks is marshmallow's
    assert full["local"] == "2026-12-07T07:30:00+08:00"
    assert full["tree"]["children"][0]["children"] == [{"name": "b", "children": []}]


def test_the_plan_does_not_ask_the_fields_to_serialize_themselves(monkeypatch):
    calls = []
    original = ma.fields.Field.serialize

    def counting(self, *args, **kwargs):
        calls.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ma.fields.Field, "serialize", counting)
    monkeypatch.setattr(dumping, "CHECK", False)
    schema = TagSchema(many=True)
    assert schema.dump([{"id": 1, "name": "灯"}] * 3) == [{"id": 1, "name": "灯"}] * 3
    assert calls == []


def test_the_check_catches_an_answer_marshmallow_would_not_give(monkeypatch):
    monkeypatch.setattr(dumping, "CHECK", True)
    monkeypatch.setattr(dumping, "dump", lambda schema, obj, many: {"id": 2})
    with pytest.raises(AssertionError, match="TagSchema dumped"):
        TagSchema().dump({"id": 1, "name": "灯"})
