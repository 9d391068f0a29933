from __future__ import annotations

import marshmallow as ma
from marshmallow import validate
from werkzeug.datastructures import FileStorage

from backend.core.schemas import ArgsSchema, OutSchema


class FileField(ma.fields.Raw):
    """A file part of a multipart body (a plain form field of that name is refused)."""

    default_error_messages = {"invalid": "Invalid input type."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value


class UploadArgs(ArgsSchema):
    """The multipart body of ``POST /api/v1/uploads``, as ``wx.uploadFile`` sends it:
    ``name: "file"`` and optional ``formData: {purpose}`` (formData values are strings)."""

    file = FileField(required=True, metadata={
        "type": "string", "format": "binary",
        "description": "The photo: JPEG, PNG or WebP (judged by its bytes, not its name). "
                       "One photo per request; the field must be called `file`.",
    })
    purpose = ma.fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$"), metadata={
        "description": "What the photo is for, e.g. `report` (informational).",
        "example": "report",
    })


class UploadSchema(OutSchema):
    """The owner's view of a new upload: its id (to attach to a report) and signed URLs."""

    id = ma.fields.Integer()
    width = ma.fields.Integer(metadata={"description": "Display copy, after orientation"})
    height = ma.fields.Integer()
    thumb_width = ma.fields.Integer()
    thumb_height = ma.fields.Integer()
    url = ma.fields.String(metadata={
        "description": "Signed, expiring path of the display copy (longest side 1600), "
                       "relative to the API host: `/media/{id}/display?exp=…&sig=…`"})
    thumb_url = ma.fields.String(metadata={
        "description": "Signed, expiring path of the thumbnail (longest side 320)"})
    expires_at = ma.fields.DateTime(metadata={"description": "When both URLs stop working"})
