"""A change marker: 16 bytes in a file of the instance folder, shared by the processes of
one host. Every process maps it (``mmap``: reading it is a memory read); a transaction
that changed what processes keep writes new bytes there after it commits, and every
process compares the bytes it kept something under with the bytes there now.

Used by the kept bearer tokens (``accounts/token_cache.py``) and the kept revisions
(``places/models.py``), each with a file of its own."""
from __future__ import annotations

import mmap
import os
import secrets

MARKER_SIZE = 16


class ChangeMarker:
    """16 bytes in a file shared by the processes of one host (the instance folder)."""

    def __init__(self, path: str) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < MARKER_SIZE:
                os.pwrite(fd, secrets.token_bytes(MARKER_SIZE), 0)
            self._map = mmap.mmap(fd, MARKER_SIZE, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        self.path = path

    def read(self) -> bytes:
        return self._map[:MARKER_SIZE]

    def move(self) -> None:
        """New bytes: what every process kept under the old ones is stale from now on."""
        fd = os.open(self.path, os.O_WRONLY)
        try:
            os.pwrite(fd, secrets.token_bytes(MARKER_SIZE), 0)
        finally:
            os.close(fd)
