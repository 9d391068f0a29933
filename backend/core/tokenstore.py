"""A WeChat access-token store that every process of one machine shares.

WeChat invalidates the previous access token when a new one is fetched, so processes that
each fetch their own break each other (random 40001). With Redis (``REDIS_URL``) wechatpy's
RedisStorage is shared by every server; without it, this file store (one JSON file in the
instance folder, guarded by an exclusive ``flock``) is shared by the processes of one
machine — gunicorn workers and delivery workers alike.
"""
from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

from wechatpy.session import SessionStorage


class FileTokenStorage(SessionStorage):
    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def _locked(self):
        with open(self.path.with_suffix(".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict) -> None:
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)

    def get(self, key, default=None):
        with self._locked():
            entry = self._read().get(key)
        if not entry or (entry.get("expires_at") and entry["expires_at"] < time.time()):
            return default
        return entry.get("value", default)

    def set(self, key, value, ttl=None):
        with self._locked():
            data = self._read()
            data[key] = {"value": value,
                         "expires_at": time.time() + ttl if ttl else None}
            self._write(data)

    def delete(self, key):
        with self._locked():
            data = self._read()
            if data.pop(key, None) is not None:
                self._write(data)
