from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.fields import Id
from backend.core.i18n import t
from backend.core.paging import PageArgs, limit_field
from backend.core.schemas import OutSchema, QueryArgsSchema


class LocateArgs(QueryArgsSchema):
    lat = ma.fields.Float(required=True, allow_nan=False,
                          validate=validate.Range(min=-90, max=90,
                                                  error="Must be between -90 and 90."))
    lng = ma.fields.Float(required=True, allow_nan=False,
                          validate=validate.Range(min=-180, max=180,
                                                  error="Must be between -180 and 180."))


class PlaceListArgs(PageArgs):
    limit = limit_field(50)
    parent_id = Id()
    level = ma.fields.String(validate=validate.OneOf(
        ["district", "street", "community", "grid2", "grid3", "grid4"]))
    code_prefix = ma.fields.String(validate=[validate.Length(min=1, max=18),
                                             validate.Regexp(r"^[0-9]{1,18}$")])


class PlaceRefSchema(OutSchema):
    """A place named where something else is shown (a ticket's cell, a user's scope)."""

    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String()


class PlaceSchema(OutSchema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String()
    kind = ma.fields.String(allow_none=True)
    parent_id = ma.fields.Integer(allow_none=True)


class PlaceDetailSchema(PlaceSchema):
    geometry = ma.fields.Dict(allow_none=True, metadata={"description": "GeoJSON, GCJ-02"})
    bbox = ma.fields.Method("_bbox", allow_none=True)

    def _bbox(self, place):
        if place.min_lng is None:
            return None
        return [place.min_lng, place.min_lat, place.max_lng, place.max_lat]


class LocateSchema(OutSchema):
    found = ma.fields.Boolean(required=True)
    message = ma.fields.String()
    cell = ma.fields.Nested(PlaceSchema, allow_none=True)
    ancestors = ma.fields.List(ma.fields.Nested(PlaceSchema),
                               metadata={"description": "From the district down"})


def outside_message() -> str:
    return t("outside_grid")
