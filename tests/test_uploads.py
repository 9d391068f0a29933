"""Uploading photos through the API (multipart, as wx.uploadFile sends them), the signed
media URLs, storage failures, and the cleanup command."""
from __future__ import annotations

import errno
import io
import os
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image

from backend.core.models import utcnow
from backend.extensions import db
from backend.uploads import operations as ops
from backend.uploads import storage as storage_module
from backend.uploads.models import Upload
from tests import factories as f
from tests.test_errors import assert_error_shape

UPLOADS = "/api/v1/uploads"
EN = {"Accept-Language": "en"}


def jpeg(width: int = 800, height: int = 600, colour=(200, 40, 40), **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG", **options)
    return out.getvalue()


@pytest.fixture
def media(app, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(root))
    return root


@pytest.fixture
def resident(ctx):
    user = f.resident()
    return user, f.auth(f.token_for(user))


def post_photo(client, headers, data: bytes | None, filename: str = "x.jpg",
               content_type: str = "image/jpeg", field: str = "file", **form):
    body = dict(form)
    if data is not None:
        body[field] = (io.BytesIO(data), filename, content_type)
    return client.post(UPLOADS, data=body, headers=headers, content_type="multipart/form-data")


def files_in(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload_rows() -> list[Upload]:
    db.session.expire_all()
    return db.session.execute(sa.select(Upload).order_by(Upload.id)).scalars().all()


# --- uploading -------------------------------------------------------------------------

def test_a_resident_uploads_a_photo_and_the_signed_urls_serve_it(client, media, resident):
    user, headers = resident
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    response = post_photo(client, headers, jpeg(2400, 1200, exif=exif.tobytes()),
                          purpose="report")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) >= {"id", "width", "height", "url", "thumb_url"}
    assert (body["width"], body["height"]) == (800, 1600)       # turned upright, fitted
    assert (body["thumb_width"], body["thumb_height"]) == (160, 320)

    row = db.session.get(Upload, body["id"])
    assert row.owner_id == user.id and row.purpose == "report" and row.attached_at is None
    assert row.content_type == "image/jpeg"
    assert len(files_in(media)) == 2

    for url, size, key in ((body["url"], (800, 1600), row.display_key),
                           (body["thumb_url"], (160, 320), row.thumb_key)):
        assert url.startswith(f"/media/{row.id}/")
        served = client.get(url)                                   # no token needed
        assert served.status_code == 200
        assert served.mimetype == "image/jpeg"
        assert "private" in served.headers["Cache-Control"]
        assert "public" not in served.headers["Cache-Control"]
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.data == (media / key).read_bytes()
        assert Image.open(io.BytesIO(served.data)).size == size


def test_the_same_photo_keeps_its_url_for_a_while(app, client, media, resident):
    """URLs are rounded to a sixth of their life, so image caches can work."""
    _, headers = resident
    body = post_photo(client, headers, jpeg()).get_json()
    upload = db.session.get(Upload, body["id"])
    with app.test_request_context():
        assert ops.signed_url(upload, "display") == body["url"]
        exp = int(parse_qs(urlsplit(body["url"]).query)["exp"][0])
    ttl = app.config["MEDIA_URL_TTL_SECONDS"]
    assert ttl <= exp - time.time() <= ttl + ttl // 6 + 5


def test_no_transaction_is_open_while_the_photo_is_processed(client, media, resident,
                                                             monkeypatch):
    """On SQLite a POST holds the one write lock from its first query; the upload lets it
    go before reading and re-encoding the photo, so other writers do not wait."""
    _, headers = resident
    real = ops.process_photo
    seen = []

    def spy(*args, **kwargs):
        seen.append(db.session().in_transaction())
        # another writer gets in right now (on SQLite this would wait, then fail, if the
        # request still held the lock)
        with db.engine.begin() as other:
            other.execute(sa.select(sa.func.count()).select_from(Upload))
        return real(*args, **kwargs)

    monkeypatch.setattr(ops, "process_photo", spy)
    start = time.perf_counter()
    assert post_photo(client, headers, jpeg()).status_code == 201
    assert seen == [False]
    assert time.perf_counter() - start < 2


def test_uploading_needs_a_token(client, media):
    response = post_photo(client, {}, jpeg())
    assert_error_shape(response, 401)
    assert files_in(media) == []


def test_a_missing_file_is_a_field_error(client, media, resident):
    _, headers = resident
    error = assert_error_shape(post_photo(client, headers, None), 422, "validation_error")
    assert error["fields"]["file"] == ["此项必填。"]
    # a plain form field called "file" is not a file
    response = client.post(UPLOADS, data={"file": "hello"}, headers=headers,
                           content_type="multipart/form-data")
    assert "file" in assert_error_shape(response, 422)["fields"]
    # JSON is not how photos come
    assert "file" in assert_error_shape(
        client.post(UPLOADS, json={"file": "x"}, headers=headers), 422)["fields"]


def test_the_field_must_be_called_file(client, media, resident):
    _, headers = resident
    error = assert_error_shape(post_photo(client, headers, jpeg(), field="photo"), 422)
    assert set(error["fields"]) == {"file", "photo"}


def test_purpose_is_checked_and_unknown_form_fields_refused(client, media, resident):
    _, headers = resident
    error = assert_error_shape(post_photo(client, headers, jpeg(), purpose="Bad Purpose!"), 422)
    assert set(error["fields"]) == {"purpose"}
    error = assert_error_shape(post_photo(client, headers, jpeg(), caption="hi"), 422)
    assert set(error["fields"]) == {"caption"}
    assert files_in(media) == [] and upload_rows() == []


def test_text_named_photo_jpg_is_refused(client, media, resident):
    _, headers = resident
    fake = b"I am a text file, not a photo.\n" * 50
    error = assert_error_shape(post_photo(client, headers, fake, "photo.jpg", "image/jpeg"),
                               400, "invalid_photo")
    assert "不是图片" in error["message"]
    assert error["fields"]["file"] == [error["message"]]
    error = assert_error_shape(
        post_photo(client, {**headers, **EN}, fake, "photo.jpg", "image/jpeg"), 400)
    assert "not an image" in error["message"]
    assert files_in(media) == [] and upload_rows() == []


def test_a_gif_is_unsupported(client, media, resident):
    _, headers = resident
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 128, 0)).save(out, "GIF")
    error = assert_error_shape(post_photo(client, headers, out.getvalue(), "x.jpg"),
                               400, "invalid_photo")
    assert "GIF" in error["message"] and "JPEG" in error["message"]


def test_a_truncated_jpeg_is_refused(client, media, resident):
    _, headers = resident
    data = jpeg(1200, 900, quality=95)
    error = assert_error_shape(post_photo(client, headers, data[: len(data) // 2]),
                               400, "invalid_photo")
    assert "不完整" in error["message"]


def test_too_many_pixels_is_400(app, client, media, resident, monkeypatch):
    _, headers = resident
    monkeypatch.setitem(app.config, "MAX_PHOTO_PIXELS", 1_000_000)
    error = assert_error_shape(post_photo(client, headers, jpeg(1200, 1000)),
                               400, "invalid_photo")
    assert "100 万像素" in error["message"]


def test_over_the_photo_byte_cap_is_413(app, client, media, resident, monkeypatch):
    _, headers = resident
    monkeypatch.setitem(app.config, "MAX_PHOTO_MB", 1)
    big = b"\xff\xd8\xff\xe0" + os.urandom(1024 * 1024 + 10)
    error = assert_error_shape(post_photo(client, headers, big), 413, "payload_too_large")
    assert "1 MB" in error["message"] and "照片" in error["message"]
    assert error["fields"]["file"]
    assert files_in(media) == [] and upload_rows() == []


# --- storage failures ------------------------------------------------------------------

def test_a_full_disk_is_503_and_nothing_is_half_saved(client, media, resident, monkeypatch):
    _, headers = resident
    calls = []
    real_replace = os.replace

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # the display copy is in place, the thumbnail fails
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(storage_module.os, "replace", replace)
    response = post_photo(client, headers, jpeg())
    error = assert_error_shape(response, 503, "storage_unavailable")
    assert "稍后" in error["message"]
    assert len(calls) == 2
    assert files_in(media) == []          # neither the first file nor any temporary file
    assert upload_rows() == []


def test_an_unwritable_media_root_is_503(app, client, tmp_path, resident, monkeypatch):
    _, headers = resident
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(blocker / "media"))
    assert_error_shape(post_photo(client, headers, jpeg()), 503, "storage_unavailable")
    assert upload_rows() == []


def test_a_rolled_back_transaction_removes_the_new_files(app, media, ctx):
    user = f.resident()
    db.session.commit()
    upload = ops.store_photo(user, jpeg())
    assert len(files_in(media)) == 2
    db.session.rollback()
    assert files_in(media) == [] and upload_rows() == []

    upload = ops.store_photo(user, jpeg())
    db.session.commit()
    db.session.rollback()                 # a later rollback leaves committed files alone
    assert len(files_in(media)) == 2 and [u.id for u in upload_rows()] == [upload.id]


def test_a_failed_insert_removes_the_new_files(app, media, ctx, monkeypatch):
    user = f.resident()
    db.session.commit()

    def broken_flush(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(db.session, "flush", broken_flush)
    with pytest.raises(sa.exc.OperationalError):
        ops.store_photo(user, jpeg())
    monkeypatch.undo()
    db.session.rollback()
    assert files_in(media) == []


# --- signed URLs -----------------------------------------------------------------------

@pytest.fixture
def uploaded(client, media, resident):
    _, headers = resident
    body = post_photo(client, headers, jpeg()).get_json()
    return body, db.session.get(Upload, body["id"])


def _with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    query = {k: v for k, v in query.items() if v is not None}
    return parts.path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_a_tampered_signature_is_403(client, uploaded):
    body, upload = uploaded
    sig = parse_qs(urlsplit(body["url"]).query)["sig"][0]
    forged = ("A" if sig[0] != "A" else "B") + sig[1:]
    exp = int(parse_qs(urlsplit(body["url"]).query)["exp"][0])
    for url in (
        _with_query(body["url"], sig=forged),
        _with_query(body["url"], exp=exp + 3600),                     # extended by hand
        _with_query(body["url"], sig=None),
        _with_query(body["url"], exp=None),
        _with_query(body["url"], exp="abc"),
        body["url"].replace("/display?", "/thumb?"),                  # other variant
        body["url"].replace(f"/media/{upload.id}/", f"/media/{upload.id + 1}/"),
    ):
        error = assert_error_shape(client.get(url), 403, "media_link_invalid")
        assert "过期" in error["message"]
    assert client.get(body["url"]).status_code == 200


def test_an_expired_url_is_403(app, client, uploaded):
    _, upload = uploaded
    with app.test_request_context():
        url = ops.signed_url(upload, "thumb", exp=int(time.time()) - 1)
        fresh = ops.signed_url(upload, "thumb", exp=int(time.time()) + 60)
    assert_error_shape(client.get(url), 403, "media_link_invalid")
    response = client.get(fresh)
    assert response.status_code == 200
    assert "max-age=" in response.headers["Cache-Control"]
    assert int(response.headers["Cache-Control"].split("max-age=")[1].split(",")[0]) <= 60


def test_a_deleted_upload_is_404_even_with_a_valid_url(client, uploaded):
    body, upload = uploaded
    db.session.delete(upload)
    db.session.commit()
    assert_error_shape(client.get(body["url"]), 404, "not_found")


def test_an_unknown_variant_is_404(client, uploaded):
    body, upload = uploaded
    assert client.get(body["url"].replace("/display?", "/original?")).status_code == 404


def test_signed_url_works_outside_a_request(app, uploaded):
    body, upload = uploaded
    with app.app_context():
        url = ops.signed_url(upload, "display")
    assert url.split("?")[0] == body["url"].split("?")[0]


def test_signed_urls_are_what_url_for_builds_under_the_applications_root(app, client,
                                                                          uploaded):
    """signed_url writes the route out by hand: it must be url_for's URL, under a mount
    point (SCRIPT_NAME) too, and the route must serve it there."""
    from flask import url_for

    body, upload = uploaded
    exp = ops.url_expiry()
    for root in ("", "/linli"):
        with app.test_request_context("/api/v1/me", base_url=f"http://localhost{root}/"):
            for variant in ops.VARIANTS:
                url = ops.signed_url(upload, variant, exp=exp)
                sig = parse_qs(urlsplit(url).query)["sig"][0]
                assert url == url_for("uploads.media", upload_id=upload.id,
                                      variant=variant, exp=exp, sig=sig)
                assert url.startswith(f"{root}/media/{upload.id}/{variant}?")
    with app.test_request_context("/", base_url="http://localhost/linli/"):
        mounted = ops.signed_url(upload, "thumb", exp=exp)
    served = client.get(mounted.removeprefix("/linli"), base_url="http://localhost/linli/")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"


def test_a_new_secret_key_signs_anew(app, uploaded, monkeypatch):
    """The key derived from SECRET_KEY is kept per secret: another secret, another
    signature, and the old URLs stop working."""
    body, upload = uploaded
    exp = ops.url_expiry()
    with app.app_context():
        before = ops.signed_url(upload, "display", exp=exp)
        monkeypatch.setitem(app.config, "SECRET_KEY", "another secret for this test")
        after = ops.signed_url(upload, "display", exp=exp)
        assert before != after
        with pytest.raises(Exception):
            query = parse_qs(urlsplit(before).query)
            ops.check_signature(upload.id, "display", query["exp"][0], query["sig"][0])


# --- cleanup ---------------------------------------------------------------------------

def _age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_cleanup_removes_old_unattached_uploads_and_orphan_files(app, media, ctx):
    user = f.resident()
    db.session.commit()
    old = ops.store_photo(user, jpeg())
    old_attached = ops.store_photo(user, jpeg())
    fresh = ops.store_photo(user, jpeg())
    old.created_at = old_attached.created_at = utcnow() - timedelta(hours=30)
    old_attached.attached_at = utcnow() - timedelta(hours=29)
    db.session.commit()
    old_files = [media / old.display_key, media / old.thumb_key]
    kept = [media / u.display_key for u in (old_attached, fresh)]

    # a photo file without a row (a crash between write and commit), old and fresh,
    # a temporary file left mid-write, and a stranger's file that is not ours to delete
    orphan = media / storage_module.new_key()
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"orphan")
    fresh_orphan = media / storage_module.new_key()
    fresh_orphan.parent.mkdir(parents=True, exist_ok=True)
    fresh_orphan.write_bytes(b"orphan, but maybe its row is being committed right now")
    temp = orphan.parent / ".tmp-abc123"
    temp.write_bytes(b"half")
    stranger = orphan.parent / "README.txt"
    stranger.write_text("hands off")
    for path in [*old_files, *kept, orphan, temp, stranger]:
        _age(path, 30)

    result = app.test_cli_runner().invoke(args=["uploads", "cleanup", "--older-than-hours", "24"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 unattached uploads (2 files)" in result.output
    assert "removed 2 orphan files" in result.output

    assert {u.id for u in upload_rows()} == {old_attached.id, fresh.id}
    assert not any(p.exists() for p in [*old_files, orphan, temp])
    assert all(p.exists() for p in [*kept, fresh_orphan, stranger])


def test_cleanup_refuses_a_limit_under_an_hour(app):
    result = app.test_cli_runner().invoke(args=["uploads", "cleanup", "--older-than-hours", "0"])
    assert result.exit_code != 0


def test_deleting_a_user_deletes_their_uploads(app, media, ctx):
    user = f.resident()
    db.session.commit()
    ops.store_photo(user, jpeg())
    db.session.commit()
    db.session.execute(sa.delete(type(user)).where(type(user).id == user.id))
    db.session.commit()
    assert upload_rows() == []


# --- documentation ---------------------------------------------------------------------

def test_the_upload_is_documented_as_multipart_with_a_binary_file(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/uploads"]["post"]
    body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    schema = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["file"]["format"] == "binary"
    assert schema["required"] == ["file"]
    assert "purpose" in schema["properties"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert {"400", "401", "413", "422", "503"} <= set(operation["responses"])
