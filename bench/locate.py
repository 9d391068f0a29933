"""Locate benchmark: LocateIndex against a bare shapely STRtree on the same cells.

    .venv/bin/python bench/locate.py [--rows 100] [--cols 200] [--points 50000] [--seed 1]

Builds a synthetic grid the way the app sees it — rows of (id, code, level, GeoJSON dict),
handed to ``LocateIndex.from_rows`` exactly as ``backend.places.operations`` does — and
locates the same random points (about 10 % of them outside every cell) with

  (a) a bare ``STRtree.query(Point, predicate="covered_by")`` on the same geometries, and
  (b) ``LocateIndex.locate(lng, lat)`` (deepest cell, smallest code on a shared border).

The grid: ``rows × cols`` slightly irregular quadrilaterals (level 3), sharing jittered
vertices so they tile without overlap; blocks of 5 × 10 of them are unioned into level-2
areas and blocks of 50 × 50 into communities; every tenth level-3 cell holds a level-4 unit
(its south-west half). So a point inside the grid is covered by 3 or 4 nested cells, as in
a real community, and a point on a border by several siblings.

Prints µs per point for each, their ratio (the target is LocateIndex within 2× of the bare
query), build times and the process RSS. Asserts nothing about timing; it does check that
LocateIndex gives the same cell as a brute-force ranking of the bare query's hits.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
# keep bench/ off sys.path: bench/queue.py would shadow the standard library's queue
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from shapely.geometry import Polygon, mapping, shape  # noqa: E402
from shapely.strtree import STRtree  # noqa: E402

from backend.places.index import LocateIndex  # noqa: E402
from backend.places.models import LEVEL_DEPTH, PlaceLevel  # noqa: E402

ORIGIN = (103.95, 30.55)   # south-west corner, GCJ-02, in Chengdu
SIZE = 0.0005              # one level-3 cell is about 48 m × 55 m
JITTER = 0.15              # vertices move up to 15 % of a cell: quads stay convex
L2_BLOCK = (5, 10)         # level-3 cells per level-2 area: rows × cols (50, codes 01–50)
COMMUNITY_BLOCK = (50, 50)  # level-3 cells per community (50 level-2 areas, codes 01–50)
L4_EVERY = 10


def rss_mb() -> float:
    """Current resident set size (VmRSS) in MB."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def make_rows(n_rows: int, n_cols: int, rng: random.Random) -> list[tuple]:
    """(id, code, level, geometry dict) rows: communities, level 2, level 3, level 4."""
    lng0, lat0 = ORIGIN
    # shared, jittered vertices; the outer boundary stays straight
    vx = np.empty((n_rows + 1, n_cols + 1))
    vy = np.empty((n_rows + 1, n_cols + 1))
    for r in range(n_rows + 1):
        for c in range(n_cols + 1):
            jx = 0 if c in (0, n_cols) else rng.uniform(-JITTER, JITTER)
            jy = 0 if r in (0, n_rows) else rng.uniform(-JITTER, JITTER)
            vx[r, c] = round(lng0 + (c + jx) * SIZE, 7)
            vy[r, c] = round(lat0 + (r + jy) * SIZE, 7)

    def quad(r, c):
        return Polygon([(vx[r, c], vy[r, c]), (vx[r, c + 1], vy[r, c + 1]),
                        (vx[r + 1, c + 1], vy[r + 1, c + 1]), (vx[r + 1, c], vy[r + 1, c])])

    rows: list[tuple] = []
    next_id = iter(range(1, 10**9))
    cr, cc = COMMUNITY_BLOCK
    br, bc = L2_BLOCK
    community_no = 0
    for r0 in range(0, n_rows, cr):
        for c0 in range(0, n_cols, cc):
            community_no += 1
            community_code = f"510107021{community_no:03d}"
            community_quads = []
            l2_no = 0
            for r1 in range(r0, min(r0 + cr, n_rows), br):
                for c1 in range(c0, min(c0 + cc, n_cols), bc):
                    l2_no += 1
                    l2_code = f"{community_code}{l2_no:02d}"
                    quads = []
                    l3_no = 0
                    for r in range(r1, min(r1 + br, n_rows)):
                        for c in range(c1, min(c1 + bc, n_cols)):
                            l3_no += 1
                            l3_code = f"{l2_code}{l3_no:02d}"
                            q = quad(r, c)
                            quads.append(q)
                            rows.append((next(next_id), l3_code, "grid3", mapping(q)))
                            if (r * n_cols + c) % L4_EVERY == 0:
                                minx, miny, maxx, maxy = q.bounds
                                half = q.intersection(shapely.box(minx, miny, maxx,
                                                                  (miny + maxy) / 2))
                                rows.append((next(next_id), l3_code + "01", "grid4",
                                             mapping(half)))
                    area = shapely.union_all(quads)
                    community_quads.append(area)
                    rows.append((next(next_id), l2_code, "grid2", mapping(area)))
            rows.append((next(next_id), community_code, "community",
                         mapping(shapely.union_all(community_quads))))
    return rows


def make_points(n: int, n_rows: int, n_cols: int, rng: random.Random) -> list[tuple]:
    """Random (lng, lat); the box is 5 % wider on every side, so about 10 % fall outside.
    A few hundred land exactly on shared vertices (borders)."""
    lng0, lat0 = ORIGIN
    w, h = n_cols * SIZE, n_rows * SIZE
    pts = [(lng0 + rng.uniform(-0.05, 1.05) * w, lat0 + rng.uniform(-0.05, 1.05) * h)
           for _ in range(n)]
    return pts


def bare_query(tree, lng, lat):
    return tree.query(shapely.Point(lng, lat), predicate="covered_by")


def time_loop(func, points) -> float:
    start = time.perf_counter()
    for lng, lat in points:
        func(lng, lat)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--cols", type=int, default=200)
    parser.add_argument("--points", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds; the best counts")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    gc.collect()
    rss_start = rss_mb()
    t0 = time.perf_counter()
    rows = make_rows(args.rows, args.cols, rng)
    t_gen = time.perf_counter() - t0
    levels: dict[str, int] = {}
    for _, _, level, _ in rows:
        levels[level] = levels.get(level, 0) + 1
    gc.collect()
    rss_rows = rss_mb()

    t0 = time.perf_counter()
    index = LocateIndex.from_rows(rows)
    t_index = time.perf_counter() - t0
    gc.collect()
    rss_index = rss_mb()

    # the bare tree: the same geometries, no preparation, no ranking
    t0 = time.perf_counter()
    bare_geoms = [shape(geometry) for _, _, _, geometry in rows]
    t_shape = time.perf_counter() - t0
    t0 = time.perf_counter()
    tree = STRtree(bare_geoms)
    t_tree = time.perf_counter() - t0
    codes = [code for _, code, _, _ in rows]
    depths = [LEVEL_DEPTH[PlaceLevel(level)] for _, _, level, _ in rows]
    ids = [pid for pid, _, _, _ in rows]
    gc.collect()
    rss_bare = rss_mb()

    points = make_points(args.points, args.rows, args.cols, rng)
    # a few hundred points exactly on shared vertices, where siblings tie
    vertex_points = [tuple(rng.choice(rng.choice(rows[:2000])[3]["coordinates"][0]))
                     for _ in range(min(500, args.points // 100))]
    points[: len(vertex_points)] = vertex_points

    # correctness: LocateIndex against a brute-force ranking of the bare hits
    agree = inside = 0
    for lng, lat in points:
        hits = bare_query(tree, lng, lat)
        if len(hits):
            inside += 1
            best = min(hits, key=lambda i: (-depths[i], codes[i]))
            expected = ids[best]
        else:
            expected = None
        got = index.locate(lng, lat)
        agree += (got.id if got else None) == expected
    hits_per_point = np.mean([len(bare_query(tree, lng, lat)) for lng, lat in points[:5000]])

    # timing: interleaved rounds, the best of each
    bare_best = index_best = float("inf")
    for _ in range(args.repeat):
        bare_best = min(bare_best, time_loop(lambda x, y: bare_query(tree, x, y), points))
        index_best = min(index_best, time_loop(index.locate, points))
    bare_us = bare_best / len(points) * 1e6
    index_us = index_best / len(points) * 1e6

    del rows, bare_geoms
    gc.collect()
    rss_end = rss_mb()

    print(f"cells: {len(index):,} ({', '.join(f'{k} {v:,}' for k, v in sorted(levels.items()))})"
          f" from a {args.rows}×{args.cols} grid of quadrilaterals")
    print(f"points: {len(points):,} ({inside:,} inside a cell, {len(vertex_points)} exactly on "
          f"vertices; {hits_per_point:.2f} covering cells per point on average)")
    print(f"agreement with brute-force ranking: {agree:,}/{len(points):,}")
    print()
    print(f"(a) bare STRtree.query(Point, 'covered_by'): {bare_us:7.2f} µs/point")
    print(f"(b) LocateIndex.locate(lng, lat):            {index_us:7.2f} µs/point")
    print(f"    ratio (b)/(a): {index_us / bare_us:.2f}× (target ≤ 2×)")
    print()
    print(f"build: LocateIndex.from_rows {t_index:.2f} s "
          f"(bare: shape() {t_shape:.2f} s + STRtree {t_tree:.3f} s); "
          f"generating the rows {t_gen:.2f} s")
    print(f"RSS: start {rss_start:.0f} MB, with rows {rss_rows:.0f} MB, "
          f"+ LocateIndex {rss_index:.0f} MB (+{rss_index - rss_rows:.0f} MB), "
          f"+ bare tree {rss_bare:.0f} MB (+{rss_bare - rss_index:.0f} MB); "
          f"rows dropped {rss_end:.0f} MB; peak {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
