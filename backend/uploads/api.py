"""Upload a photo (one per request, as ``wx.uploadFile`` sends it); serve photos by signed URL."""
from __future__ import annotations

import functools
import http

from flask import current_app, request, send_file
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from backend.core.transaction import commit_keeping_loaded
from backend.core.auth import current_user, login_required
from backend.uploads import operations as ops
from backend.uploads.schemas import UploadArgs, UploadSchema


class _MultipartParser(FlaskParser):
    """webargs with a ``multipart`` location: the form fields and the files of one
    multipart body, read by one schema (webargs keeps ``form`` and ``files`` apart, and
    OpenAPI 3 has room for one request body)."""

    __location_map__ = dict(multipart="load_multipart", **FlaskParser.__location_map__)
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "multipart": None}

    def load_multipart(self, req, schema):
        data = MultiDict(req.form)
        for name in req.files:
            data.setlist(name, req.files.getlist(name))
        return self._makeproxy(data, schema)


class _Blueprint(Blueprint):
    ARGUMENTS_PARSER = _MultipartParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING, "multipart": "multipart/form-data"}


blp = _Blueprint("uploads", __name__,
                 description="Photos: upload one at a time, attach by id, view by signed URL")


def _responses(*statuses: int) -> dict:
    return {str(s): http.HTTPStatus(s).name for s in statuses}


def _outside_the_write_lock(view):
    """End the transaction the token lookup began, before the body is read and processed.

    On SQLite a POST begins with ``BEGIN IMMEDIATE``: it holds the one write lock. Reading
    a photo from a phone and re-encoding it takes from a tenth of a second to seconds, and
    every other write would wait that long. Nothing has been written yet, so this commit
    changes nothing; it keeps the loaded user (no refresh, hence no new transaction) and
    the upload row is written in a short transaction of its own at the end.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        commit_keeping_loaded()
        return view(*args, **kwargs)

    return wrapper


@blp.route("/api/v1/uploads", methods=["POST"])
@login_required()
@_outside_the_write_lock
@blp.arguments(UploadArgs, location="multipart")
@blp.response(201, UploadSchema)
@blp.doc(responses=_responses(400, 413, 503))
def create_upload(args):
    """Upload one photo (`multipart/form-data`, the file in the field `file`).

    This is what `wx.uploadFile({url, filePath, name: "file", formData: {purpose}})` sends;
    upload several photos one by one and attach them to a report by `id`. JPEG, PNG and
    WebP are accepted, up to `MAX_PHOTO_MB` (10 MB) and `MAX_PHOTO_PIXELS` (50 million
    pixels). All metadata (EXIF with GPS, XMP, comments) is removed; the photo is
    re-encoded as JPEG with the EXIF orientation applied, except an upright JPEG within
    the display size (quality 90 at most), whose compressed pixels are kept as they are.
    Answers the id and signed URLs of the display copy (longest side 1600) and the
    thumbnail (320), valid about an hour.

    Errors: 400 `invalid_photo` (not an image, an unsupported format, a damaged or
    incomplete file, too many pixels), 413 `payload_too_large`, 422 when `file` is
    missing, 503 `storage_unavailable` when the photo cannot be saved.
    """
    upload = ops.store_photo(current_user(), args["file"].stream, purpose=args.get("purpose"))
    return {"id": upload.id, "width": upload.width, "height": upload.height,
            "thumb_width": upload.thumb_width, "thumb_height": upload.thumb_height,
            **ops.urls(upload)}


@blp.route("/media/<int:upload_id>/<any(display, thumb):variant>", methods=["GET"])
@blp.doc(
    parameters=[
        {"in": "query", "name": "exp", "required": True,
         "schema": {"type": "integer"}, "description": "Expiry, unix seconds"},
        {"in": "query", "name": "sig", "required": True,
         "schema": {"type": "string"}, "description": "Signature"},
    ],
    responses={
        "200": {"description": "The JPEG",
                "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
        **_responses(403, 404),
    },
)
def media(upload_id: int, variant: str):
    """A photo by signed URL (the `url` and `thumb_url` of an upload).

    For `<image src>`, which cannot send a token: the URL itself is the permission, until
    `exp`. A forged, altered or expired URL is 403.
    """
    remaining = ops.check_signature(upload_id, variant, request.args.get("exp"),
                                    request.args.get("sig"))
    path, _upload = ops.media_file(upload_id, variant)
    response = send_file(path, mimetype="image/jpeg", conditional=True, etag=True,
                         max_age=None)
    # private: a photo may show a resident's home; shared caches must not keep it.
    response.cache_control.private = True
    response.cache_control.max_age = min(remaining,
                                         int(current_app.config["MEDIA_URL_TTL_SECONDS"]))
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
