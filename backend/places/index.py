"""The locate index: the deepest grid cell containing a point, through a shapely STRtree.

One index per process, built from the grid cells (community and below) and rebuilt when
the ``places`` revision stored in the database changes, so an import on one server is seen
by every server.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree

from backend.places.models import GRID_LEVELS, LEVEL_DEPTH, PlaceLevel


@dataclass(frozen=True)
class IndexedCell:
    id: int
    code: str
    depth: int


class LocateIndex:
    """Immutable once built; a rebuild makes a new one."""

    def __init__(self, cells: Sequence[IndexedCell], geometries: Sequence, revision: int = 0):
        self.revision = revision
        self.cells = list(cells)
        self._geoms = np.asarray(geometries, dtype=object)
        for geom in self._geoms:
            shapely.prepare(geom)
        self._tree = STRtree(self._geoms)
        # ranking key per cell: deepest first, then the smallest code (a shared border
        # always resolves to the same cell)
        self._depth = np.array([c.depth for c in self.cells], dtype=np.int64)

    @classmethod
    def from_rows(cls, rows, revision: int = 0) -> "LocateIndex":
        """rows: (id, code, level, geometry dict) of places that have a geometry."""
        cells, geoms = [], []
        grid_levels = {lvl.value for lvl in GRID_LEVELS}
        for pid, code, level, geometry in rows:
            if geometry is None or level not in grid_levels:
                continue
            cells.append(IndexedCell(pid, code, LEVEL_DEPTH[PlaceLevel(level)]))
            geoms.append(shape(geometry))
        return cls(cells, geoms, revision)

    def __len__(self) -> int:
        return len(self.cells)

    def locate(self, lng: float, lat: float) -> Optional[IndexedCell]:
        """The deepest cell covering the point (border included), or None."""
        if not self.cells:
            return None
        hits = self._tree.query(shapely.Point(lng, lat), predicate="covered_by")
        if len(hits) == 0:
            return None
        if len(hits) == 1:
            return self.cells[int(hits[0])]
        best = max(hits, key=lambda i: (self._depth[i], _neg(self.cells[i].code)))
        return self.cells[int(best)]


def _neg(code: str) -> tuple:
    # max() with the smallest code winning ties
    return tuple(-ord(ch) for ch in code)


_lock = threading.Lock()
_current: Optional[LocateIndex] = None


def get_index(load_revision, load_rows) -> LocateIndex:
    """The process's index, rebuilt when ``load_revision()`` differs from the built one."""
    global _current
    revision = load_revision()
    index = _current
    if index is not None and index.revision == revision:
        return index
    with _lock:
        if _current is None or _current.revision != revision:
            _current = LocateIndex.from_rows(load_rows(), revision)
        return _current


def reset() -> None:
    global _current
    with _lock:
        _current = None
