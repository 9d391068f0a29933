"""Two revisions side by side: each operation's CPU a request, alternating, same machine.

    .venv/bin/python bench/compare.py [--base REV] [--rounds 3] [--db sqlite|postgresql]
        [--what queue,tasks,…] [--requests 150]

This VM's CPU speed moves by half within minutes, so a figure only compares with one
measured in the same sitting. This runs bench/profile_request.py of ``--base`` (default:
the parent of HEAD; checked out in a temporary git worktree) and of the working tree in
turn, ``--rounds`` times, and prints for each operation the median of each side (the
unprofiled CPU of the process serving the requests: Flask, SQLAlchemy, the driver; not the
PostgreSQL backend's) and their ratio. It asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(r"^== (\w+) on \w+: ([\d.]+) statements a request; CPU ([\d.]+) ms")


def run(tree: str, args) -> dict[str, tuple[float, float]]:
    command = [sys.executable, os.path.join(tree, "bench", "profile_request.py"),
               "--db", args.db, "--what", args.what, "--requests", str(args.requests),
               "--top", "0"]
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=tree))
    if done.returncode:
        raise SystemExit(f"profile_request.py failed in {tree}:\n{done.stderr[-2000:]}")
    found = {}
    for line in done.stdout.splitlines():
        match = LINE.match(line)
        if match:
            found[match[1]] = (float(match[3]), float(match[2]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD~1")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--what", default="accept,dispatch,queue,tasks,mine,ticket,book",
                        help="as profile_request.py (accept before dispatch)")
    parser.add_argument("--requests", type=int, default=150)
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="linli-base-")
    subprocess.run(["git", "worktree", "add", "--detach", base, args.base], cwd=ROOT,
                   check=True, capture_output=True)
    try:
        sides: dict[str, list[dict]] = {"base": [], "this": []}
        for n in range(args.rounds):
            for side, tree in (("base", base), ("this", ROOT)):
                sides[side].append(run(tree, args))
                print(f"round {n + 1} {side}: " + ", ".join(
                    f"{op} {cpu:.2f}" for op, (cpu, _s) in sides[side][-1].items()), flush=True)
        print(f"\n{'operation':10} {'base ms':>9} {'this ms':>9} {'ratio':>7}  statements "
              f"(base → this), medians of {args.rounds} rounds, base {args.base}")
        for op in sides["this"][0]:
            before = statistics.median(r[op][0] for r in sides["base"] if op in r)
            after = statistics.median(r[op][0] for r in sides["this"])
            statements = (sides["base"][0].get(op, (0, 0))[1], sides["this"][0][op][1])
            print(f"{op:10} {before:9.2f} {after:9.2f} {after / before:7.2f}  "
                  f"{statements[0]:.1f} → {statements[1]:.1f}")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", base], cwd=ROOT,
                       capture_output=True)


if __name__ == "__main__":
    main()
