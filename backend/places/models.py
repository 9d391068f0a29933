from __future__ import annotations

import enum
import logging
import os
import re
import threading
import time
import uuid
from typing import Any, Callable, Optional

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import orm as so

from backend.core.change_marker import ChangeMarker
from backend.core.models import TimestampMixin
from backend.extensions import db

log = logging.getLogger(__name__)


class PlaceLevel(str, enum.Enum):
    district = "district"    # 区
    street = "street"        # 街道
    community = "community"  # 社区 = grid level 1
    grid2 = "grid2"          # 二级网格: a committee member's area
    grid3 = "grid3"          # 三级网格: a yard, an estate, a resident unit
    grid4 = "grid4"          # 四级网格: a unit inside a large yard or estate


# Hierarchical codes: district 6 digits, street 3, community 3, then 2 per grid level.
CODE_LENGTH = {
    PlaceLevel.district: 6,
    PlaceLevel.street: 9,
    PlaceLevel.community: 12,
    PlaceLevel.grid2: 14,
    PlaceLevel.grid3: 16,
    PlaceLevel.grid4: 18,
}
LEVEL_BY_CODE_LENGTH = {length: level for level, length in CODE_LENGTH.items()}
LEVEL_DEPTH = {level: depth for depth, level in enumerate(PlaceLevel)}
# Levels that are grid cells: the community and everything below it.
GRID_LEVELS = (PlaceLevel.community, PlaceLevel.grid2, PlaceLevel.grid3, PlaceLevel.grid4)
# Levels a grid worker can own.
CELL_LEVELS = (PlaceLevel.grid2, PlaceLevel.grid3, PlaceLevel.grid4)

LEVEL_NAMES_ZH = {
    PlaceLevel.district: "区",
    PlaceLevel.street: "街道",
    PlaceLevel.community: "社区",
    PlaceLevel.grid2: "二级网格",
    PlaceLevel.grid3: "三级网格",
    PlaceLevel.grid4: "四级网格",
}


class Place(TimestampMixin, db.Model):
    __tablename__ = "places"
    __table_args__ = (
        sa.CheckConstraint(
            "level IN ('district','street','community','grid2','grid3','grid4')",
            name="level_known",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(18), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    level: so.Mapped[str] = so.mapped_column(sa.String(16))
    # For level 3: 自治院落 yard, 物管小区 estate, 驻区单位 unit (free text otherwise).
    kind: so.Mapped[Optional[str]] = so.mapped_column(sa.String(20))
    parent_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("places.id", ondelete="RESTRICT"), index=True
    )
    # A GeoJSON Polygon or MultiPolygon in GCJ-02, as stored. Deferred: most reads of a
    # place want its name and code, and a real cell's polygon is hundreds of vertices.
    # Readers of the polygon ask for it (``so.undefer(Place.geometry)``); a place loaded
    # without it loads it on first access.
    geometry: so.Mapped[Optional[dict[str, Any]]] = so.mapped_column(sa.JSON, deferred=True)
    min_lng: so.Mapped[Optional[float]]
    min_lat: so.Mapped[Optional[float]]
    max_lng: so.Mapped[Optional[float]]
    max_lat: so.Mapped[Optional[float]]

    parent: so.Mapped[Optional["Place"]] = so.relationship(remote_side=[id])

    @property
    def is_cell(self) -> bool:
        return self.level in {lvl.value for lvl in CELL_LEVELS}

    def __repr__(self) -> str:
        return f"<Place {self.code} {self.name}>"


class Revision(db.Model):
    """A random token per kind of cached data, replaced in every transaction that changes it.

    Each process keeps its locate index with the revision it was built from and rebuilds
    when the stored one differs, so an import on one server is seen by all of them.
    """

    __tablename__ = "revisions"

    name: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    value: so.Mapped[str] = so.mapped_column(sa.String(32))


PLACES_REVISION = "places"

# The revisions kept, with the models whose changes replace each one. Other features add
# theirs with ``watch_revision`` (bookings: the schedule behind the free slots).
_WATCHED: dict[str, tuple[type, ...]] = {PLACES_REVISION: (Place,)}


def watch_revision(name: str, *models: type) -> None:
    """Replace revision ``name`` in every flush that adds, changes or deletes one of
    ``models`` (ORM objects; a bulk Core statement on their tables must not be used)."""
    _WATCHED[name] = tuple(dict.fromkeys(_WATCHED.get(name, ()) + models))


_ALL_REVISIONS = sa.select(Revision.name, Revision.value)
# the revisions as read once in this request (a creation asks for three: places,
# categories, the calendar; one statement reads them all)
_G_REVISIONS = "linli_revisions"


def read_revision(name: str) -> str:
    """The stored revision ``name``: read with all the others once a request, again after
    a flush of this request replaced one; the process keeps what it read for the next
    requests while nothing changed (``KeptRevisions``)."""
    seen = g.get(_G_REVISIONS) if has_request_context() else None
    if seen is None:
        kept = current_app.extensions.get(_KEPT) if has_app_context() else None
        if kept is None or db.session.info.get(_BUMPED):
            # (this transaction replaced one: only its own session sees the new value)
            seen = _read_all()
        else:
            seen = kept.read(_read_all)
        if has_request_context():
            g.setdefault(_G_REVISIONS, seen)
    return seen.get(name) or ""


def _read_all() -> dict[str, str]:
    return dict(db.session.execute(_ALL_REVISIONS).all())


_KEPT = "linli_kept_revisions"
_BUMPED = "linli_revisions_bumped"  # Session.info: this transaction replaced a revision
REVISIONS_MARKER_FILE = "revision-changes"


class KeptRevisions:
    """The revisions as last read by this process, used by the next requests instead of a
    statement (a third of bench/load.py's requests read them) while

    * the host's revision marker (a ``ChangeMarker`` in the instance folder, mapped by every
      process) holds the bytes read before they were read: a transaction that replaces a
      revision (a flush that changes a watched model, or an UPDATE, DELETE or INSERT on the
      revisions table as SQL text) writes new bytes there after it commits, before its
      request answers, so a change is seen by the very next request on this host;
    * they were read less than ``REVISIONS_KEPT_SECONDS`` (2) ago: what another host (or
      SQL by hand) changed is seen within those seconds.
    """

    def __init__(self, marker: ChangeMarker, seconds: float) -> None:
        self.marker, self.seconds = marker, seconds
        self._lock = threading.Lock()
        self._kept: Optional[tuple[bytes, float, dict[str, str]]] = None

    def read(self, load: Callable[[], dict[str, str]]) -> dict[str, str]:
        with self._lock:
            kept = self._kept
        marker = self.marker.read()
        if kept is not None and kept[0] == marker and time.monotonic() < kept[1]:
            return kept[2]
        values = load()  # read after the marker: a change meanwhile leaves it stale
        with self._lock:
            self._kept = (marker, time.monotonic() + self.seconds, values)
        return values

    def clear(self) -> None:
        with self._lock:
            self._kept = None


def kept_revisions() -> Optional[KeptRevisions]:
    return current_app.extensions.get(_KEPT)


def keep_revisions(app) -> None:
    """Keep the revisions per process when ``REVISIONS_KEPT_SECONDS`` > 0 and the instance
    folder is writable (a read-only one: read every request, as before)."""
    seconds = float(app.config.get("REVISIONS_KEPT_SECONDS", 0))
    if seconds <= 0:
        return
    path = os.path.join(app.instance_path, REVISIONS_MARKER_FILE)
    try:
        os.makedirs(app.instance_path, exist_ok=True)
        marker = ChangeMarker(path)
    except OSError as exc:
        log.warning("revisions are not kept: cannot use %s (%s)", path, exc)
        return
    app.extensions[_KEPT] = KeptRevisions(marker, seconds)


def forget_revisions() -> None:
    """The next ``read_revision`` of this request reads them again."""
    if has_app_context():
        g.pop(_G_REVISIONS, None)


def read_places_revision() -> str:
    return read_revision(PLACES_REVISION)


@sa.event.listens_for(so.Session, "before_flush")
def _bump_revisions(session, flush_context, instances) -> None:
    """Any change to a watched model replaces its revision, in the same transaction."""
    if session.info.get("linli_bumping"):
        return
    touched = (*session.new, *session.dirty, *session.deleted)
    if not touched:
        return
    names = [name for name, models in _WATCHED.items()
             if any(isinstance(obj, models) for obj in touched)]
    if not names:
        return
    session.info["linli_bumping"] = True
    session.info[_BUMPED] = True
    forget_revisions()
    try:
        with session.no_autoflush:
            for name in names:
                token = uuid.uuid4().hex
                row = session.get(Revision, name)
                if row is None:
                    session.add(Revision(name=name, value=token))
                else:
                    row.value = token
    finally:
        session.info["linli_bumping"] = False


# the revisions table written by SQL text through the session (a reset, a repair)
_REVISIONS_WRITE = re.compile(r"\b(?:update|delete\s+from|insert\s+into)\s+\"?revisions\b",
                              re.IGNORECASE)


@sa.event.listens_for(so.Session, "do_orm_execute")
def _revisions_by_statement(state) -> None:
    statement = state.statement
    if (state.is_update or state.is_delete or state.is_insert) and getattr(
            getattr(statement, "table", None), "name", None) == Revision.__tablename__ \
            or isinstance(statement, sa.TextClause) and _REVISIONS_WRITE.search(statement.text):
        state.session.info[_BUMPED] = True


@sa.event.listens_for(so.Session, "after_commit")
def _move_revisions_marker(session) -> None:
    """After a commit that replaced a revision: every process of the host reads them again
    (this happens before the request that committed answers)."""
    if session.in_nested_transaction():
        return  # a savepoint released: not committed yet
    if session.info.pop(_BUMPED, None) and has_app_context():
        kept = current_app.extensions.get(_KEPT)
        if kept is not None:
            kept.marker.move()
            kept.clear()


@sa.event.listens_for(so.Session, "after_rollback")
def _no_revision_replaced(session) -> None:
    if not session.in_nested_transaction():  # (a savepoint's leaves the rest)
        session.info.pop(_BUMPED, None)


class RevisionCache:
    """Detached copies of rarely changing rows (categories, grid cells), kept by the
    process while their revision stays the same, handed to the request's session with
    ``merge(load=False)``: no statement for a row every request reads (a creation's 小类
    and cell). Rows of a model watched by ``watch_revision(revision, model)`` only."""

    def __init__(self, model: type, revision: str, options: tuple = ()):
        self.model, self.revision, self.options = model, revision, options
        self._lock = threading.Lock()
        self._at: Optional[str] = None
        self._rows: dict[Any, Any] = {}

    def get(self, key: Any):
        """The row ``key`` (primary key) in the request's session, or None."""
        present = db.session.identity_map.get(db.session.identity_key(self.model, key))
        if present is not None:
            # already in the session: merging onto it would mark it changed (and a flush
            # would then replace the revision for nothing)
            return present
        revision = read_revision(self.revision)
        with self._lock:
            kept = self._rows.get(key) if self._at == revision else None
        if kept is None:
            kept = self._load(key)
            if kept is None:
                return None
            with self._lock:
                if self._at != revision:
                    self._at, self._rows = revision, {}
                self._rows[key] = kept
        return db.session.merge(kept, load=False)

    def _load(self, key: Any):
        # on the request's own connection (on SQLite a second one would wait for the
        # write lock this request may hold); a side session that expires nothing, so the
        # copy keeps what it loaded once detached
        side = so.Session(bind=db.session.connection(), expire_on_commit=False,
                          autoflush=False)
        try:
            row = side.get(self.model, key, options=list(self.options))
            side.expunge_all()
            return row
        finally:
            side.close()

    def clear(self) -> None:
        with self._lock:
            self._at, self._rows = None, {}


class RevisionKept:
    """Plain values a process works out per key from rarely changing rows (a community's
    settings, a cell's ancestors), kept while the revisions named stay the same; all of
    them dropped when one changes. ``RevisionCache`` keeps ORM rows; this keeps what was
    read from them (treat it as read-only: callers hand out copies)."""

    def __init__(self, *revisions: str):
        self.revisions = revisions
        self._lock = threading.Lock()
        self._at: Optional[tuple] = None
        self._values: dict[Any, Any] = {}

    def get(self, key: Any, load):
        """The value kept for ``key``, or ``load(key)`` kept from now on."""
        db.session.flush()  # this request's own change first: its flush replaces a revision
        at = tuple(read_revision(name) for name in self.revisions)
        with self._lock:
            value = self._values.get(key) if self._at == at else None
        if value is None:
            value = load(key)
            with self._lock:
                if self._at != at:
                    self._at, self._values = at, {}
                self._values[key] = value
        return value
