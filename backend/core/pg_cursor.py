"""PostgreSQL cursors that describe their result's columns only when someone reads them.

psycopg makes a ``Column`` object for every column of a result each time
``cursor.description`` is read (1.6 µs a column here: 94 µs for 60 columns, about what
running and fetching the statement costs). SQLAlchemy reads it after every statement, but
for a statement from its compiled cache it only asks whether it is None: the columns it
knows already. A request's token with its user and area, or a page of tickets, made 100 to
250 Column objects nobody looked at.

``DescribedOnDemand.description`` answers None exactly when psycopg's does, and otherwise a
sequence whose Column objects are psycopg's own, made on first use from the result the
cursor had when the description was taken (the cursor may have moved on by then).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

import psycopg
from psycopg import pq

_TUPLES = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)


class _ResultOf:
    """What psycopg's Column reads of a cursor, held for one result."""

    __slots__ = ("pgresult", "_encoding", "adapters")

    def __init__(self, cursor: psycopg.Cursor) -> None:
        self.pgresult = cursor.pgresult
        self._encoding = cursor._encoding
        self.adapters = cursor.adapters


class LazyDescription(Sequence):
    """psycopg's description of one result, its Column objects made when first read."""

    __slots__ = ("_source", "_count", "_columns")

    def __init__(self, cursor: psycopg.Cursor, count: int) -> None:
        self._source: Optional[_ResultOf] = _ResultOf(cursor)
        self._count = count
        self._columns: Optional[list[psycopg.Column]] = None

    def _made(self) -> list[psycopg.Column]:
        if self._columns is None:
            source = self._source
            self._columns = [psycopg.Column(source, i) for i in range(self._count)]
            self._source = None
        return self._columns

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __getitem__(self, index: Any) -> Any:
        return self._made()[index]

    def __iter__(self):
        return iter(self._made())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # a list's equality, a list's (lack of) hash

    def __repr__(self) -> str:
        return repr(self._made())


class DescribedOnDemand(psycopg.Cursor):
    @property
    def description(self) -> Optional[LazyDescription]:  # type: ignore[override]
        res = self.pgresult
        # as psycopg: columns if there are any, or if the statement said it gave tuples
        if res and (res.nfields or res.status in _TUPLES):
            return LazyDescription(self, res.nfields)
        return None


def install(engine) -> None:
    """Every new connection of ``engine`` (PostgreSQL through psycopg) makes such cursors."""
    import sqlalchemy as sa

    @sa.event.listens_for(engine, "connect")
    def _described_on_demand(dbapi_connection, _record) -> None:
        dbapi_connection.cursor_factory = DescribedOnDemand
