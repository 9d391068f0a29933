"""Photo benchmark: ``process_photo`` against a plain full Pillow decode of the same JPEG.

    .venv/bin/python bench/photo.py [--width 4000] [--height 3000] [--repeat 9] [--seed 1]

Generates a 12-megapixel JPEG (4000 × 3000, quality 90, with EXIF orientation 6) that
looks like a phone photo to the encoder: smooth gradients and shapes under per-pixel
noise, so it is several megabytes like a real one, not a few hundred kilobytes of flat
colour. Then, on the same bytes, several times each (interleaved, median reported):

  (a) ``Image.open(...).load()``: a plain full decode, nothing else;
  (b) ``process_photo``: open, header checks, reduced-scale decode (``draft``), display
      copy (1600), EXIF orientation, thumbnail (320), both encoded as JPEG (quality 82;
      optimised Huffman tables for the thumbnail only), metadata dropped.

Prints the median wall-clock and CPU ms for each and the ratio b / a (the target is at
most 1.5×).

Then the photo WeChat hands over most often (``wx.chooseMedia`` with ``sizeType:
compressed``): the same scene at 1280 × 960, quality 80, upright, with EXIF. It needs no
change, so ``process_photo`` keeps its compressed pixels and drops its metadata (c),
against the full path the same function takes for any other photo, decode and re-encode
(d). Prints both and the ratio c / d. Asserts nothing.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
# keep bench/ off sys.path: bench/queue.py would shadow the standard library's queue
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from backend.uploads import images  # noqa: E402
from backend.uploads.images import process_photo  # noqa: E402


def make_photo(width: int, height: int, seed: int, orientation: int = 6,
               quality: int = 90) -> bytes:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([
        120 + 80 * np.sin(x / 370.0) * np.cos(y / 290.0),
        110 + 70 * np.cos((x + y) / 510.0),
        100 + 60 * np.sin(y / 230.0 + x / 800.0),
    ], axis=-1)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(300):  # edges and detail, like objects in a street scene
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(20, 600)), int(rng.integers(20, 600))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.rectangle((x0, y0, x0 + w, y0 + h), fill=colour)
    noise = rng.normal(0, 9, (height, width, 3)).astype(np.float32)
    pixels = np.clip(np.asarray(img, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    img = Image.fromarray(pixels, "RGB")
    exif = Image.Exif()
    exif[0x0112] = orientation  # 6: rotated, as a phone held upright writes it
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def full_decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as img:
        img.load()


def pipeline(data: bytes) -> None:
    process_photo(data, max_bytes=len(data), max_pixels=50_000_000)


def full_path(data: bytes) -> None:
    """process_photo as it treats any photo that needs a change: decode, re-encode."""
    keeps = images._keeps_its_pixels
    images._keeps_its_pixels = lambda img: False
    try:
        pipeline(data)
    finally:
        images._keeps_its_pixels = keeps


def timed(fn, data: bytes) -> tuple[float, float]:
    """(wall ms, CPU ms of this process): on a shared machine the CPU time is steadier."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(data)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def report(label: str, runs: list[tuple[float, float]]) -> tuple[float, float]:
    wall = [w for w, _ in runs]
    cpu = [c for _, c in runs]
    print(f"{label} median {statistics.median(wall):6.1f} ms wall "
          f"(min {min(wall):.1f}, max {max(wall):.1f}), "
          f"{statistics.median(cpu):6.1f} ms CPU, n={len(runs)}")
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    data = make_photo(args.width, args.height, args.seed)
    result = process_photo(data, max_bytes=len(data), max_pixels=50_000_000)
    print(f"source: {args.width} × {args.height} JPEG, {len(data) / 1e6:.1f} MB; "
          f"display {result.width} × {result.height} ({len(result.display) / 1e3:.0f} kB), "
          f"thumb {result.thumb_width} × {result.thumb_height} "
          f"({len(result.thumb) / 1e3:.0f} kB)")

    full_decode(data)  # warm-up: plugin imports, allocator
    decode_runs, pipeline_runs = [], []
    for _ in range(args.repeat):  # interleaved, so a busy moment hits both alike
        decode_runs.append(timed(full_decode, data))
        pipeline_runs.append(timed(pipeline, data))
    a_wall, a_cpu = report("(a) full decode, Image.open().load():", decode_runs)
    b_wall, b_cpu = report("(b) process_photo:                   ", pipeline_runs)
    print(f"ratio b / a: {b_wall / a_wall:.2f}x wall, {b_cpu / a_cpu:.2f}x CPU "
          f"(target: at most 1.5x)")

    small = make_photo(1280, 960, args.seed, orientation=1, quality=80)
    kept = process_photo(small, max_bytes=len(small), max_pixels=50_000_000)
    print(f"\nsource: 1280 × 960 JPEG, quality 80, upright, {len(small) / 1e3:.0f} kB; "
          f"display kept as is ({len(kept.display) / 1e3:.0f} kB), thumb "
          f"({len(kept.thumb) / 1e3:.0f} kB)")
    kept_runs, full_runs = [], []
    for _ in range(args.repeat * 3):
        kept_runs.append(timed(pipeline, small))
        full_runs.append(timed(full_path, small))
    c_wall, c_cpu = report("(c) process_photo, pixels kept:      ", kept_runs)
    d_wall, d_cpu = report("(d) the full path, re-encoded:       ", full_runs)
    print(f"ratio c / d: {c_wall / d_wall:.2f}x wall, {c_cpu / d_cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
