"""The stack's floor: Linli's creation and /livez against a bare app's, same run, alternating.

    .venv/bin/python bench/floor.py [--db sqlite|postgresql|both] [--rounds 2] [--seconds 10]
        [--client auto|wrk|python] [--connections 10] [--workers cores] [--residents 20]
        [--livez-requests 200000] [--create-requests 20000] [--pg-url postgresql://…/test]

The bare app (bench/floor_app.py) is Flask + Flask-SQLAlchemy + marshmallow and nothing of
Linli: POST /api/v1/tickets checks a bearer token in the database, validates the body,
commits the Idempotency-Key claim on its own, then inserts the ticket and its event and
answers 201 JSON; GET /livez touches no database. It is what the same libraries cost for the
same work, so Linli / floor says how much of the cost is Linli's own.

For each database, both servers are set up as bench/create.py sets up Linli (its functions
are reused): a scratch SQLite file each, or a scratch PostgreSQL schema each (dropped at the
end); Linli migrated and seeded, the floor's four tables by ``db.create_all()`` and its
tokens inserted; then each under gunicorn with backend/gunicorn_conf.py (sync workers, one
per core; ``--workers`` overrides it for both), the same environment, on its own loopback
port, and warmed up. Both stay up for the whole run, and only one is loaded at a time: an
idle sync worker sleeps in select(), so the other server costs nothing measurable, and
neither restarts between rounds (no cold start in one and not the other).

Each round loads, with the same client (wrk when installed, else Python threads), the same
connections and the same bounds: Linli's /livez, the floor's /livez, Linli's creation, the
floor's creation. Printed: req/s, p50/p99 and errors of each load, the ratio Linli / floor
of each round (creation: target at least 75 %; /livez: at least 90 %) and the median over
the rounds. A pair of loads minutes apart on a shared machine is not comparable; the loads
of one round are seconds apart, so the ratio is taken round by round. Afterwards every
creation answered 2xx (warm-up included) must be in its database exactly once and nothing
else created, for Linli and for the floor: exit status 1 otherwise.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(_HERE)
# keep bench/ off sys.path: bench/queue.py would shadow the standard library's queue
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, ROOT)

from bench import create  # noqa: E402  (bench/ is a namespace package below ROOT)

TARGETS = {"create": 0.75, "livez": 0.90}
LABELS = {"livez": "GET /livez", "create": "POST /api/v1/tickets"}
FLOOR_CATEGORIES = list(range(1, 21))


class Served:
    """One app under gunicorn on its own scratch database, with what its loads gave."""

    def __init__(self, name: str, kind: str, scratch: str, args):
        self.name, self.scratch, self.args = name, scratch, args
        os.makedirs(scratch)
        self.database = create.ScratchDatabase(kind, scratch, args.pg_url,
                                               prefix=f"bench_floor_{name.lower()}")
        self.env = create.server_env(self.database.url, scratch)
        self.server = None
        self.tokens: list[str] = []
        self.categories: list[int] = []
        self.seeded = 0
        self.ok_keys: list[str] = []
        self.warm_errors = 0
        self.results: dict[str, list] = {"livez": [], "create": []}
        self.log = ""
        self.checked = (False, "not checked")

    @property
    def port(self) -> int:
        return self.server.port

    def start(self, app: str, config: str) -> None:
        self.server = create.Gunicorn(self.env, self.args.workers,
                                      os.path.join(self.scratch, "gunicorn.log"), app, config)
        self.server.wait_ready()

    def warm_up(self) -> None:
        warm = create.warm_up(self.port, self.tokens, self.categories, self.args)
        self.ok_keys += warm[1].ok_keys
        self.warm_errors = warm[0].errors + warm[1].errors

    def plan(self, target: str, run: str) -> create.Plan:
        if target == "livez":
            return create.Plan("livez")
        return create.Plan("create", self.tokens, self.categories, run=run)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            with open(self.server.log_path) as fh:
                self.log = fh.read()
            self.server = None

    def check(self) -> tuple[bool, str]:
        return create.check_database(self.database.check_url, self.database.check_options,
                                     self.seeded, self.ok_keys)


def start_linli(kind: str, scratch: str, args) -> Served:
    """As bench/create.py: migrated, the demo seeded, residents through the dev login."""
    linli = Served("Linli", kind, scratch, args)
    create.prepare_database(linli.env)
    linli.seeded = len(create.ticket_descriptions(linli.database.check_url,
                                                  linli.database.check_options))
    linli.start("backend:create_app()", "python:backend.gunicorn_conf")
    linli.tokens = create.login_residents(linli.port, args.residents)
    linli.categories = create.leaf_categories(linli.port, linli.tokens[0])
    return linli


def start_floor(kind: str, scratch: str, args) -> Served:
    """The bare app: its tables and one token per resident, written from here."""
    from bench import floor_app

    floor = Served("floor", kind, scratch, args)
    floor.tokens = [secrets.token_urlsafe(32) for _ in range(args.residents)]
    floor.categories = FLOOR_CATEGORIES
    app = floor_app.create_app(floor.database.url)
    with app.app_context():
        floor_app.db.create_all()
        floor_app.db.session.add_all(
            floor_app.Token(token_hash=floor_app.token_hash(raw), user_id=n)
            for n, raw in enumerate(floor.tokens, start=1))
        floor_app.db.session.commit()
        floor_app.db.session.remove()
        floor_app.db.engine.dispose()
    # the same settings file, read as a file: the floor's server imports nothing of Linli
    floor.start("bench.floor_app:create_app()",
                os.path.join(ROOT, "backend", "gunicorn_conf.py"))
    return floor


def run_database(kind: str, args, client: str) -> list[Served]:
    scratch = tempfile.mkdtemp(prefix=f"linli-bench-floor-{kind}-")
    served: list[Served] = []
    load = create.loader(client)
    bounds = {"livez": args.livez_requests, "create": args.create_requests}
    try:
        served.append(start_linli(kind, os.path.join(scratch, "linli"), args))
        served.append(start_floor(kind, os.path.join(scratch, "floor"), args))
        for one in served:
            one.warm_up()
        for round_no in range(1, args.rounds + 1):
            for target in ("livez", "create"):
                for one in served:
                    result = load(one.port, one.plan(target, f"r{round_no}x"),
                                  args.connections, bounds[target], args.seconds, one.scratch)
                    one.results[target].append(result)
                    one.ok_keys += result.ok_keys
                    print(f"  {kind} round {round_no}: {one.name:<5} {LABELS[target]:<21}"
                          f"{result.rate:>9.1f} req/s  p99 {result.percentile(99):.1f} ms  "
                          f"errors {result.errors}", flush=True)
        for one in served:
            one.stop()
            one.checked = one.check()
    finally:
        for one in served:
            one.stop()
            one.database.drop()
        shutil.rmtree(scratch, ignore_errors=True)
    return served


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def report(kind: str, served: list[Served], args, client: str) -> bool:
    linli, floor = served
    print()
    print(f"== {kind}: gunicorn -w {args.workers} (sync, backend/gunicorn_conf.py) for both, "
          f"{args.connections} connections, {args.seconds:g} s a load, client {client}")
    print(f"{'':<22}{'':<7}{'round':>5}{'requests':>10}{'req/s':>10}{'p50 ms':>9}"
          f"{'p99 ms':>9}{'errors':>8}  statuses")
    for target in ("livez", "create"):
        for round_no in range(args.rounds):
            for one in served:
                r = one.results[target][round_no]
                statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(r.statuses.items()))
                print(f"{LABELS[target]:<22}{one.name:<7}{round_no + 1:>5}{r.requests:>10,}"
                      f"{r.rate:>10.1f}{r.percentile(50):>9.1f}{r.percentile(99):>9.1f}"
                      f"{r.errors:>8}  {statuses}")
    for target in ("create", "livez"):
        pairs = list(zip(linli.results[target], floor.results[target]))
        ratios = [_ratio(a.rate, b.rate) for a, b in pairs]
        rounds = ", ".join(f"{r:.1%}" for r in ratios)
        median = statistics.median(ratios)
        verdict = "met" if median >= TARGETS[target] else "not met"
        print(f"Linli / floor, {LABELS[target]}: {rounds}; median {median:.1%} "
              f"(target at least {TARGETS[target]:.0%}: {verdict})")
        for one in served:
            results = one.results[target]
            print(f"    {one.name:<5} median {statistics.median(r.rate for r in results):,.1f} "
                  f"req/s, p99 {statistics.median(r.percentile(99) for r in results):.1f} ms")
    linli_ratio = statistics.median(
        _ratio(r.rate, z.rate) for r, z in zip(linli.results["create"], linli.results["livez"]))
    print(f"Linli create / Linli livez (bench/create.py's ratio): median {linli_ratio:.1%}")
    all_ok = True
    for one in served:
        ok, text = one.checked
        all_ok &= ok
        print(f"{one.name}: server log {one.log.count('database is locked')} 'database is "
              f"locked', {one.log.count('Traceback')} tracebacks; warm-up errors "
              f"{one.warm_errors}; exactly once: {'OK' if ok else 'FAILED'} — {text}")
    return all_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    create.add_arguments(parser)
    parser.set_defaults(livez_requests=200_000, create_requests=20_000)
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating rounds (Linli, floor) of each load")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    client = create.pick_client(args.client)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    started = time.monotonic()
    results = {kind: run_database(kind, args, client) for kind in kinds}
    print(f"\n{os.cpu_count()} cores, load client and servers share them; load average after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{time.monotonic() - started:.0f} s in all")
    all_ok = True
    for kind, served in results.items():
        all_ok &= report(kind, served, args, client)
    if not all_ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
