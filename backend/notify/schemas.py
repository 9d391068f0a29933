from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.paging import PageArgs, page_schema
from backend.core.schemas import ArgsSchema, OutSchema


class NotificationSchema(OutSchema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    title = ma.fields.String()
    body = ma.fields.String()
    language = ma.fields.String(metadata={
        "enum": ["zh", "en"],
        "description": "The language title and body were written in: the recipient's"})
    page = ma.fields.String()
    created_at = ma.fields.DateTime()
    read = ma.fields.Boolean()


NotificationPageSchema = page_schema(NotificationSchema, "NotificationPage",
                                     unread_count=ma.fields.Integer())


class NotificationListArgs(PageArgs):
    unread = ma.fields.Boolean()


class ReadAllSchema(OutSchema):
    marked = ma.fields.Integer()
    unread_count = ma.fields.Integer()


class SubscriptionArgs(ArgsSchema):
    """What ``wx.requestSubscribeMessage`` answered: template id → accept/reject/ban/filter."""

    results = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.Length(min=1, max=64)),
        values=ma.fields.String(validate=validate.OneOf(["accept", "reject", "ban", "filter"])),
        required=True, validate=validate.Length(min=1, max=3))


class GrantSchema(OutSchema):
    template_id = ma.fields.String()
    remaining = ma.fields.Integer()


class TemplatesSchema(OutSchema):
    templates = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
