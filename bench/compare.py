"""Two revisions side by side: each operation's CPU a request, alternating, same machine.

    .venv/bin/python bench/compare.py [--base REV] [--rounds 3] [--db sqlite|postgresql]
        [--what queue,tasks,…] [--requests 150] [--instructions]

This VM's CPU speed moves by half within minutes, so a figure only compares with one
measured in the same sitting. This runs bench/profile_request.py of ``--base`` (default:
the parent of HEAD; checked out in a temporary git worktree) and of the working tree in
turn, ``--rounds`` times, and prints for each operation the median of each side (the
unprofiled CPU of the process serving the requests: Flask, SQLAlchemy, the driver; not the
PostgreSQL backend's) and their ratio. It asserts nothing.

With ``--instructions`` it counts instructions instead (valgrind's callgrind, switched on
only around the measured requests): the count does not move with the machine's speed, so
one round of ``--requests 30`` is enough (two runs of the same code agreed within 1 %).
This checkout's profile_request.py then drives both revisions' apps
(``LINLI_PROFILE_ROOT``). About five minutes for eight operations on PostgreSQL.

``--what mix`` measures every operation of bench/load.py's mix and adds a line for one
request of the mix: each operation weighted by its share of requests (``load.MIX``), the
figure the mix's target is about (its server CPU a request), as a ratio of ``--base``.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(r"^== (\w+) on \w+: ([\d.]+) statements a request; CPU ([\d.]+) ms")
STATEMENTS = re.compile(r"^== (\w+) on \w+: ([\d.]+) statements a request")
INSTRUCTIONS = re.compile(r"^instructions (\w+): ([\d.]+) million a request")


def run(tree: str, args) -> dict[str, tuple[float, float]]:
    """Each operation's (cost, statements) a request: CPU ms, or with ``--instructions``
    millions of instructions (this checkout's profile_request.py driving ``tree``'s app)."""
    harness = ROOT if args.instructions else tree
    command = [sys.executable, os.path.join(harness, "bench", "profile_request.py"),
               "--db", args.db, "--what", args.what, "--requests", str(args.requests),
               "--top", "0"] + (["--instructions"] if args.instructions else [])
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=tree, LINLI_PROFILE_ROOT=tree))
    if done.returncode:
        raise SystemExit(f"profile_request.py failed in {tree}:\n{done.stderr[-2000:]}")
    found, statements = {}, {}
    for line in done.stdout.splitlines():
        match = LINE.match(line)
        if match:
            found[match[1]] = (float(match[3]), float(match[2]))
        elif (match := STATEMENTS.match(line)):
            statements[match[1]] = float(match[2])
        elif (match := INSTRUCTIONS.match(line)):
            found[match[1]] = (float(match[2]), statements.get(match[1], 0.0))
    return found


def _load_mix() -> tuple:
    spec = importlib.util.spec_from_file_location(
        "linli_bench_load", os.path.join(ROOT, "bench", "load.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MIX


# bench/load.py's operations by their names in profile_request.py (a report there carries
# no photo, and the one retry in twenty is left out)
MIX_OPERATIONS = {"upload": "upload", "submit": "create", "accept": "accept",
                  "dispatch": "dispatch", "resolve": "resolve", "my_tickets": "mine",
                  "ticket": "ticket", "queue": "queue", "tasks": "tasks", "slots": "slots",
                  "book": "book", "livez": "livez"}


def mix_average(sides: dict[str, list[dict]]) -> tuple | None:
    """(base, this, (statements base, this)) for one request of bench/load.py's mix, each
    operation's median weighted by its share of requests; None unless all were measured."""
    shares = {MIX_OPERATIONS[name]: share for name, share in _load_mix()}
    total = sum(shares.values())
    result = []
    for side in ("base", "this"):
        if any(op not in rounds for rounds in sides[side] for op in shares):
            return None
        result.append(sum(statistics.median(r[op][0] for r in sides[side]) * share
                          for op, share in shares.items()) / total)
    statements = tuple(sum(sides[side][0][op][1] * share for op, share in shares.items())
                       / total for side in ("base", "this"))
    return result[0], result[1], statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD~1")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--what", default="accept,dispatch,queue,tasks,mine,ticket,book",
                        help="as profile_request.py; mix = every operation of bench/load.py's "
                             "mix, and their average weighted by its shares")
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--instructions", action="store_true",
                        help="millions of instructions a request under callgrind instead of "
                             "CPU time: the same on a busy machine (one round is enough; "
                             "use --requests 30)")
    args = parser.parse_args()
    if args.what == "mix":
        args.what = ",".join(MIX_OPERATIONS.values())
    unit = "M instr" if args.instructions else "ms"
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
        print(f"\n{'operation':10} {'base ' + unit:>12} {'this ' + unit:>12} {'ratio':>7}  "
              f"statements "
              f"(base → this), medians of {args.rounds} rounds, base {args.base}")
        for op in sides["this"][0]:
            before = statistics.median(r[op][0] for r in sides["base"] if op in r)
            after = statistics.median(r[op][0] for r in sides["this"])
            statements = (sides["base"][0].get(op, (0, 0))[1], sides["this"][0][op][1])
            print(f"{op:10} {before:12.2f} {after:12.2f} {after / before:7.2f}  "
                  f"{statements[0]:.1f} → {statements[1]:.1f}")
        mixed = mix_average(sides)
        if mixed:
            before, after, statements = mixed
            print(f"{'the mix':10} {before:12.2f} {after:12.2f} {after / before:7.2f}  "
                  f"{statements[0]:.1f} → {statements[1]:.1f}   (a request of bench/load.py's "
                  f"mix: each operation weighted by its share)")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", base], cwd=ROOT,
                       capture_output=True)


if __name__ == "__main__":
    main()
