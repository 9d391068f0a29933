"""Photo files on the local disk, under ``MEDIA_ROOT`` (``<instance>/media`` by default).

Each file gets a random, unguessable key (``ab/abc…xyz.jpg``: 144 random bits, the first
two characters as a folder so no directory grows huge). A file is written to a temporary
name in its final folder, flushed to disk and renamed into place (``os.replace``), so a
reader sees the whole file or none of it. Any failure to write (disk full, read-only or
missing folder, permissions) raises ``StorageError`` and leaves nothing behind.
"""
from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

SUFFIX = ".jpg"
_TEMP_PREFIX = ".tmp-"
_KEY = re.compile(r"^[A-Za-z0-9_-]{2}/[A-Za-z0-9_-]{24}\.jpg$")


class StorageError(Exception):
    """A photo file could not be written; ``errno`` as the OS said (ENOSPC, EACCES …)."""

    def __init__(self, message: str, errno_: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno_


def new_key() -> str:
    token = secrets.token_urlsafe(18)  # 24 characters
    return f"{token[:2]}/{token}{SUFFIX}"


def is_key(key: str) -> bool:
    return bool(_KEY.match(key))


class MediaStorage:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        # Keys come from the database, never from a request; checked anyway, so no key
        # can name a file outside the media folder.
        if not is_key(key):
            raise ValueError(f"not a media key: {key!r}")
        return self.root / key

    def save(self, data: bytes) -> str:
        """Write ``data`` under a new key, atomically; the key, or ``StorageError``."""
        key = new_key()
        final = self.path(key)
        tmp_name = None
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=final.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())  # the row that points here is about to be committed
            os.replace(tmp_name, final)
            tmp_name = None
        except OSError as exc:
            log.error("cannot store a photo under %s: %s", self.root,
                      errno.errorcode.get(exc.errno or 0, type(exc).__name__))
            raise StorageError("photo storage failed", exc.errno) from exc
        finally:
            if tmp_name is not None:
                _unlink_quietly(Path(tmp_name))
        return key

    def save_all(self, blobs: list[bytes]) -> list[str]:
        """Save several files: all of them, or (on ``StorageError``) none."""
        keys: list[str] = []
        try:
            for data in blobs:
                keys.append(self.save(data))
        except StorageError:
            self.delete_all(keys)
            raise
        return keys

    def delete(self, key: str) -> bool:
        """Remove a file; False when it was already gone."""
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def delete_all(self, keys: list[str]) -> int:
        deleted = 0
        for key in keys:
            try:
                deleted += self.delete(key)
            except OSError:
                log.warning("cannot delete photo file %s", key, exc_info=True)
        return deleted

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def stale_files(self, older_than_seconds: float) -> Iterator[tuple[str | None, Path]]:
        """Photo files and temporary files last written more than ``older_than_seconds``
        ago, as (key, path); the key is None for a temporary file (left by a crash).
        Anything else in the folder is not ours and is left alone."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - older_than_seconds
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir() or folder.is_symlink():
                continue
            for path in sorted(folder.iterdir()):
                try:
                    if not path.is_file() or path.stat().st_mtime > cutoff:
                        continue
                except OSError:
                    continue
                key = f"{folder.name}/{path.name}"
                if is_key(key):
                    yield key, path
                elif path.name.startswith(_TEMP_PREFIX):
                    yield None, path


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
