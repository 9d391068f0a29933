"""Photo uploads: the rules. Operations flush, the request (or the CLI command) commits.

Files are written before the row that points at them, so a row never names a missing
file. The reverse, files without a row, is avoided where it can be: a failed save removes
what it wrote, a rolled-back transaction removes the files of the uploads it created, and
``sweep_orphan_files`` (run by ``flask uploads cleanup``) catches what a crash left.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import BinaryIO, Iterable, Iterator, Optional, Union

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from backend.core.content_check import RISKY, check_image
from backend.core.errors import ApiError, field_error
from backend.core.fields import is_id
from backend.core.i18n import register, t
from backend.core.maintenance import BATCH, MaintenanceResult
from backend.core.models import utcnow
from backend.extensions import db
from backend.uploads.images import PhotoError, process_photo
from backend.uploads.models import Upload
from backend.uploads.storage import MediaStorage, StorageError

log = logging.getLogger(__name__)

VARIANTS = ("display", "thumb")
_NEW_FILES = "linli_uploads_new_files"  # key in Session.info


def storage() -> MediaStorage:
    return MediaStorage(current_app.config["MEDIA_ROOT"])


# ---------------------------------------------------------------------------- uploading

def _photo_error(exc: PhotoError) -> ApiError:
    config = current_app.config
    if exc.kind == "too_large":
        limit = f"{config['MAX_PHOTO_MB']} MB"
        return ApiError(413, "photo_too_large", code="payload_too_large",
                        fields={"file": [t("photo_too_large", limit=limit)]}, limit=limit)
    params: dict = {}
    if exc.kind == "unsupported_format":
        params["format"] = exc.detail or "?"
    if exc.kind == "too_many_pixels":
        pixels = config["MAX_PHOTO_PIXELS"]
        params.update(wan=pixels // 10_000, mp=round(pixels / 1_000_000))
    key = f"photo_{exc.kind}"
    # 400, not 413, for too many pixels: 413 is about the size of the request body,
    # which was fine; the content is what cannot be used.
    return ApiError(400, key, code="invalid_photo", fields={"file": [t(key, **params)]},
                    **params)


def store_photo(owner, photo: Union[bytes, BinaryIO], *, purpose: str | None = None) -> Upload:
    """Re-encode ``photo``, store both copies and record the upload. Flushes only.

    ``ApiError``: 413 over ``MAX_PHOTO_MB``; 400 ``invalid_photo`` for anything that is
    not a usable JPEG, PNG or WebP; 503 ``storage_unavailable`` when the files cannot be
    written (nothing is recorded then).
    """
    config = current_app.config
    try:
        processed = process_photo(photo, max_bytes=config["MAX_PHOTO_MB"] * 1024 * 1024,
                                  max_pixels=config["MAX_PHOTO_PIXELS"])
    except PhotoError as exc:
        log.info("photo refused: %s (from user %s)", exc.kind, owner.id)
        raise _photo_error(exc) from None

    # WeChat's image check (when configured), on the thumbnail: it is within the check's
    # size limit and shows what others would see. Risky: refused, nothing stored.
    verdict = check_image(processed.thumb)
    if verdict == RISKY:
        raise ApiError(422, "validation_error", code="content_risky",
                       fields={"file": [t("photo_risky")]})

    store = storage()
    try:
        display_key, thumb_key = store.save_all([processed.display, processed.thumb])
    except StorageError:
        # 503, not 507: the client can do nothing but try again later, which is what 503
        # and Retry-After say (the mini-program's offline queue keeps a 503 for a retry).
        raise ApiError(503, "storage_unavailable", fields={"file": [t("storage_unavailable")]},
                       headers={"Retry-After": "60"}) from None

    upload = Upload(
        owner_id=owner.id, display_key=display_key, thumb_key=thumb_key,
        width=processed.width, height=processed.height,
        thumb_width=processed.thumb_width, thumb_height=processed.thumb_height,
        display_bytes=len(processed.display), thumb_bytes=len(processed.thumb),
        content_type="image/jpeg", purpose=purpose, content_status=verdict,
    )
    try:
        db.session.add(upload)
        db.session.flush()
    except Exception:
        store.delete_all([display_key, thumb_key])
        raise
    # Until the transaction commits, these files belong to a row that may never exist.
    db.session.info.setdefault(_NEW_FILES, []).extend(
        [store.path(display_key), store.path(thumb_key)])
    return upload


@sa.event.listens_for(db.session, "after_commit")
def _keep_new_files(session) -> None:
    session.info.pop(_NEW_FILES, None)


@sa.event.listens_for(db.session, "after_rollback")
def _remove_new_files(session) -> None:
    paths = session.info.pop(_NEW_FILES, None)
    for path in paths or ():
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.warning("cannot delete photo file %s", path, exc_info=True)
    if paths:
        log.info("transaction rolled back: removed %d new photo files", len(paths))


# ---------------------------------------------------------------------------- attaching

MAX_PHOTOS = 9  # what "too_many_photos" says


def claim(owner, upload_ids: Iterable[int], field: str, limit: int = MAX_PHOTOS,
          now: Optional[datetime] = None) -> list[Upload]:
    """Claim the owner's unattached uploads for whatever attaches them (a report, a
    proposal, a receipt): a conditional update, so a photo is attached once, by its owner.
    The uploads in the order given (each once); a 422 on ``field`` for too many, one not
    the owner's (or not there) and one already used."""
    ids = list(dict.fromkeys(upload_ids))
    if not ids:
        return []
    if len(ids) > limit:
        raise field_error(field, "too_many_photos")
    uploads = {u.id: u for u in db.session.execute(
        sa.update(Upload)
        .where(Upload.id.in_(ids), Upload.owner_id == owner.id, Upload.attached_at.is_(None))
        .values(attached_at=now or utcnow())
        .returning(Upload)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).scalars()}
    if len(uploads) != len(ids):
        owned = db.session.execute(
            sa.select(sa.func.count()).select_from(Upload)
            .where(Upload.id.in_(ids), Upload.owner_id == owner.id)).scalar_one()
        raise field_error(field, "photo_not_found" if owned != len(ids) else "photo_already_used")
    return [uploads[i] for i in ids]


# ---------------------------------------------------------------------------- signed URLs

def _signing_key() -> bytes:
    return _derived_key(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=8)
def _derived_key(secret: "str | bytes") -> bytes:
    # Derived, so a media signature can never be mistaken for any other use of SECRET_KEY.
    # (Once per secret: a ticket's page signs two URLs a photo.)
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    return hmac.new(secret, b"linli/media-url/v1", hashlib.sha256).digest()


def _signature(upload_id: int, variant: str, exp: int) -> str:
    message = f"{upload_id}|{variant}|{exp}".encode("ascii")
    digest = hmac.new(_signing_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def url_expiry(now: float | None = None) -> int:
    """The expiry (unix seconds) for URLs signed now: at least MEDIA_URL_TTL_SECONDS away.

    Rounded up to a sixth of the lifetime, so the same photo keeps the same URL for a
    while (10 minutes for the default hour) and the client's image cache can work.
    """
    ttl = int(current_app.config["MEDIA_URL_TTL_SECONDS"])
    step = max(60, ttl // 6)
    now = time.time() if now is None else now
    return -(-(int(now) + ttl) // step) * step


def signed_url(upload: Upload, variant: str = "display", *, exp: int | None = None) -> str:
    """A URL that serves ``variant`` ("display" or "thumb") of ``upload`` until ``exp``.

    A path on the API host (``/media/<id>/<variant>?exp=…&sig=…``), for the
    mini-program's ``<image>``, which cannot send the bearer token. Anyone holding the URL
    can fetch the photo until it expires: hand it only to those allowed to see the photo.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    exp = url_expiry() if exp is None else exp
    sig = _signature(upload.id, variant, exp)
    # What url_for("uploads.media", …) builds (the route's path under the application's
    # root, the rest as the query), written out: every part is digits or URL-safe base64,
    # nothing to quote, and url_for cost more than the signature (bench/load.py, py-spy).
    root = request.script_root if has_request_context() else ""
    return f"{root}/media/{upload.id}/{variant}?exp={exp}&sig={sig}"


def urls(upload: Upload) -> dict:
    """``url``, ``thumb_url`` and their common ``expires_at``, for output schemas."""
    exp = url_expiry()
    return {"url": signed_url(upload, "display", exp=exp),
            "thumb_url": signed_url(upload, "thumb", exp=exp),
            "expires_at": datetime.fromtimestamp(exp, timezone.utc)}


def check_signature(upload_id: int, variant: str, exp: str | None, sig: str | None) -> int:
    """Seconds the URL has left; 403 ``media_link_invalid`` if it is forged or expired."""
    refused = ApiError(403, "media_link_invalid")
    if not exp or not sig or not exp.isdigit() or len(exp) > 12 or len(sig) > 64:
        raise refused
    expected = _signature(upload_id, variant, int(exp))
    if not hmac.compare_digest(expected.encode("ascii"), sig.encode("ascii", "replace")):
        raise refused
    remaining = int(exp) - int(time.time())
    if remaining <= 0:
        raise refused
    return remaining


def media_file(upload_id: int, variant: str):
    """(path, upload) of a variant's file, or 404."""
    upload = db.session.get(Upload, upload_id) if is_id(upload_id) else None
    if upload is None:
        raise ApiError(404, "not_found")
    key = upload.display_key if variant == "display" else upload.thumb_key
    path = storage().path(key)
    if not path.is_file():
        log.error("photo file missing: upload %s %s", upload.id, variant)
        raise ApiError(404, "not_found")
    return path, upload


# ---------------------------------------------------------------------------- cleanup

def upload_references() -> Iterator[sa.Column]:
    """Every column of every table that points at an upload."""
    for table in db.metadata.tables.values():
        for fk in table.foreign_keys:
            if fk.column.table.name == "uploads":
                yield fk.parent


def unattached_uploads_condition(older_than: timedelta, now: Optional[datetime] = None):
    """Never attached, older than ``older_than``, and no table points at it (a photo in
    use is kept even if its ``attached_at`` were missing)."""
    cutoff = (now or utcnow()) - older_than
    unused = [~sa.exists().where(column == Upload.id) for column in upload_references()]
    return sa.and_(Upload.attached_at.is_(None), Upload.created_at < cutoff, *unused)


def cleanup_unattached(older_than: timedelta, limit: Optional[int] = None,
                       now: Optional[datetime] = None) -> tuple[int, list[str]]:
    """Delete the rows of uploads never attached and older than ``older_than`` (at most
    ``limit``). An upload any table points at is kept, ``attached_at`` or not.

    Returns (rows deleted, their file keys). Does not commit: the caller commits, then
    deletes the files, so a failed commit leaves every file in place.
    """
    ids = (sa.select(Upload.id).where(unattached_uploads_condition(older_than, now))
           .order_by(Upload.id))
    if limit is not None:
        ids = ids.limit(limit)
    # RETURNING: only the rows this call deleted (another run may be deleting the same)
    deleted = db.session.execute(
        sa.delete(Upload).where(Upload.id.in_(ids))
        .returning(Upload.display_key, Upload.thumb_key)
        .execution_options(synchronize_session=False)).all()
    keys = [key for row in deleted for key in row]
    return len(deleted), keys


def sweep_orphan_files(older_than: timedelta, batch: int = 500) -> int:
    """Remove photo files no upload row names, and temporary files left by a crash,
    last written more than ``older_than`` ago. Returns how many files went."""
    store = storage()
    removed = 0
    pending: list[tuple[str, object]] = []

    def flush_batch() -> int:
        keys = [k for k, _ in pending]
        known = set(db.session.execute(
            sa.select(Upload.display_key).where(Upload.display_key.in_(keys))).scalars())
        known |= set(db.session.execute(
            sa.select(Upload.thumb_key).where(Upload.thumb_key.in_(keys))).scalars())
        gone = store.delete_all([k for k in keys if k not in known])
        pending.clear()
        return gone

    for key, path in store.stale_files(older_than.total_seconds()):
        if key is None:
            try:
                path.unlink()
                removed += 1
            except OSError:
                log.warning("cannot delete temporary file %s", path, exc_info=True)
            continue
        pending.append((key, path))
        if len(pending) >= batch:
            removed += flush_batch()
    if pending:
        removed += flush_batch()
    return removed


def purge_unattached(result: MaintenanceResult, now: Optional[datetime] = None) -> None:
    """Retention (registered with ``core.maintenance``): photos never attached older than
    ``UPLOAD_UNATTACHED_HOURS``, their rows, then their files, then photo files no row
    names (a crash between write and commit). A batch's files go once its rows are gone
    for good: a failed commit leaves every file."""
    older_than = timedelta(hours=current_app.config["UPLOAD_UNATTACHED_HOURS"])
    rows = files = 0
    store = storage()
    while True:
        count, keys = cleanup_unattached(older_than, limit=BATCH, now=now)
        db.session.commit()
        rows += count
        files += store.delete_all(keys)
        if count < BATCH:
            break
    orphans = sweep_orphan_files(older_than)
    result.deleted.append(f"{rows} unattached uploads ({files} files)")
    result.removed.append(f"{orphans} orphan files")


register({
    "photo_not_found": {
        "zh": "照片不存在或不是您上传的，请重新上传。",
        "en": "The photo does not exist or is not yours; upload it again.",
    },
    "photo_already_used": {
        "zh": "这张照片已用于另一条记录。", "en": "This photo is already attached elsewhere.",
    },
    "too_many_photos": {"zh": "最多 9 张照片。", "en": "At most 9 photos."},
})
