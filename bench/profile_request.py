"""Per-request profile: what one request costs, statement by statement and function by
function, in this process (no server, no network).

    .venv/bin/python bench/profile_request.py [--db sqlite|postgresql] [--requests 300]
        [--what create|livez|both] [--top 25] [--pg-url postgresql://…/test] [--instructions]

Builds a scratch database (SQLite file, or a scratch PostgreSQL schema dropped at the end)
from the migrations and the demo seed, logs residents in with the development login, warms
up, then sends ``--requests`` requests through Flask's test client (the whole WSGI stack
Linli's gunicorn workers run: every request hook, the error handlers, the commit):

* ``create``: POST /api/v1/tickets, valid reports with their own Idempotency-Key;
* ``livez``: GET /livez;
* the rest of bench/load.py's mix, each on tickets made for it beforehand (unprofiled):
  ``accept`` and ``dispatch`` (street staff), ``resolve`` (the grid worker, with an
  Idempotency-Key), ``queue`` (GET /api/v1/tickets?state=submitted), ``tasks``
  (GET /api/v1/worker/tasks), ``mine`` (GET /api/v1/me/tickets), ``ticket``
  (GET /api/v1/tickets/<own id>), ``slots`` and ``book`` (a free slot, an Idempotency-Key).

Prints, per request: the SQL statements (count, and each distinct statement's text with
how many times it ran), the CPU time of this process (the worker's share), and cProfile's
top functions by cumulative and by own time. The statement list is what to merge; the
function list is what to make cheaper or move to the outbox worker.

``--instructions`` runs the script again under valgrind's callgrind and, instead of timing
and profiling, counts the instructions of the ``--requests`` requests of each operation
(instrumentation switched on only around them, with ``callgrind_control``): a figure that
does not move with the machine's speed (this VM's moves by half within minutes).
"""
from __future__ import annotations

import argparse
import collections
import importlib.util
import cProfile
import io
import os
import pstats
import random
import re
import sys
import tempfile
import time
import uuid

_HERE = os.path.dirname(os.path.abspath(__file__))
# the app profiled: this checkout's, or another revision's (bench/compare.py sets it)
ROOT = os.environ.get("LINLI_PROFILE_ROOT") or os.path.dirname(_HERE)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
LNG, LAT = (104.0315, 104.0465), (30.6262, 30.6366)
INSIDE_LNG, INSIDE_LAT = (104.0335, 104.0445), (30.6280, 30.6350)  # inside the grid cells


_CALLGRIND_DIR = "LINLI_CALLGRIND_DIR"
_DUMP = re.compile(r"^desc: Trigger: dump (\w+)$", re.M)
_TOTALS = re.compile(r"^totals: (\d+)$", re.M)


def _under_callgrind(args) -> int:
    """Run this script again under callgrind, instrumenting only the measured requests
    (``_callgrind`` turns it on and off around them); print each operation's
    instructions a request from the dumps."""
    import shutil
    import subprocess

    if not shutil.which("valgrind"):
        return "--instructions needs valgrind (apt-get install valgrind)"
    out = tempfile.mkdtemp(prefix="linli-callgrind-")
    try:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={out}/cg.%p.out", sys.executable, *sys.argv],
            env=dict(os.environ, **{_CALLGRIND_DIR: out}), stderr=subprocess.PIPE,
            text=True, errors="replace")
        if done.returncode:  # valgrind's chatter hidden, the script's own failure shown
            print("\n".join([line for line in done.stderr.splitlines()
                             if not line.startswith("==")][-30:]), file=sys.stderr)
            return done.returncode
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name), encoding="utf-8", errors="replace") as fh:
                head = fh.read()
            kind, totals = _DUMP.search(head), _TOTALS.search(head)
            if kind and totals:
                print(f"instructions {kind[1]}: {int(totals[1]) / args.requests / 1e6:.3f} "
                      f"million a request ({args.requests} requests)", flush=True)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return 0


def _callgrind(*command: str) -> None:
    """callgrind_control on this process, sleeping meanwhile (valgrind answers it between
    system calls; a busy wait would be counted)."""
    import subprocess
    import threading

    done = threading.Event()

    def control() -> None:
        subprocess.run(["callgrind_control", *command, str(os.getpid())],
                       capture_output=True)
        done.set()

    threading.Thread(target=control).start()
    while not done.is_set():
        time.sleep(0.002)


def _photo_bytes(seed: int) -> bytes:
    """bench/load.py's photo: a 1280×960 JPEG, as wx.chooseImage's compressed copy."""
    spec = importlib.util.spec_from_file_location("linli_bench_load", os.path.join(_HERE, "load.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.photo_bytes(seed)


def _app(url: str, instance: str):
    os.environ.update({"DATABASE_URL": url, "LINLI_INSTANCE_PATH": instance, "DEV_LOGIN": "1",
                       "RATELIMIT_ENABLED": "0", "LOG_LEVEL": "WARNING"})
    for name in ("WECHAT_APPID", "WECHAT_SECRET", "REDIS_URL"):
        os.environ.pop(name, None)
    from flask_migrate import upgrade

    from backend import create_app
    from backend.demo.operations import seed
    from backend.extensions import db

    app = create_app()
    with app.app_context():
        upgrade()
        seed()
        db.session.commit()
        db.session.remove()
    return app


# what ``--what`` can name (``senders`` in main), in the order "all" runs them
OPERATIONS = ("create", "livez", "upload", "accept", "dispatch", "resolve", "queue", "tasks",
              "mine", "ticket", "slots", "book")


def _statements(app):
    from backend.extensions import db

    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)  # as is: tidied when printed, not inside the measured requests

    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--what", default="both",
                        help="comma-separated: create, livez, upload, accept, dispatch, resolve, queue, "
                             "tasks, mine, ticket, slots, book; both = create,livez; all")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--instructions", action="store_true",
                        help="count the instructions of each request under valgrind's "
                             "callgrind (the same count on a busy or a quiet machine) "
                             "instead of timing and profiling it")
    args = parser.parse_args()
    if args.instructions and not os.environ.get(_CALLGRIND_DIR):
        raise SystemExit(_under_callgrind(args))

    instance = tempfile.mkdtemp(prefix="linli-profile-")
    schema = None
    if args.db == "sqlite":
        url = f"sqlite:///{instance}/linli.db"
    else:
        schema = f"profile_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        sep = "&" if "?" in args.pg_url else "?"
        url = f"{args.pg_url}{sep}options=-csearch_path%3D{schema}"
    try:
        app = _app(url, instance)
        client = app.test_client()
        tokens = []
        for i in range(10):
            answer = client.post("/api/v1/auth/dev-login", json={"openid": f"profile-{i}"})
            tokens.append(answer.get_json()["token"])
        categories = [c["id"] for top in client.get(
            "/api/v1/categories", headers={"Authorization": f"Bearer {tokens[0]}"}).get_json()
            for c in top["children"]]
        rng = random.Random(1)

        def create(n: int, inside: bool = False) -> int:
            lat, lng = (INSIDE_LAT, INSIDE_LNG) if inside else (LAT, LNG)
            body = {"category_id": rng.choice(categories),
                    "description": f"楼道灯不亮 [profile-{n}]",
                    "lat": rng.uniform(*lat), "lng": rng.uniform(*lng), "address": "晋阳路"}
            answer = client.post("/api/v1/tickets", json=body, headers={
                "Authorization": f"Bearer {tokens[n % len(tokens)]}",
                "Idempotency-Key": f"profile-{uuid.uuid4()}"})
            assert answer.status_code == 201, answer.get_json()
            return answer.get_json()["id"]

        def livez(_n: int) -> None:
            assert client.get("/livez").status_code == 200

        photos = [_photo_bytes(seed) for seed in range(4)]

        def upload(n: int) -> None:  # the photo bench/load.py sends, as wx.uploadFile does
            answer = client.post("/api/v1/uploads", headers=resident(n), data={
                "file": (io.BytesIO(photos[n % len(photos)]), "wx-tmp.jpg", "image/jpeg")},
                content_type="multipart/form-data")
            assert answer.status_code == 201, answer.get_json()

        staff = {"Authorization": "Bearer " + client.post("/api/v1/auth/login", json={
            "username": "jiedao", "password": "linli-street-demo"}).get_json()["token"]}
        workers = {}  # area code (digits 13-14 of a cell's code) -> (id, headers)
        for openid, areas in (("demo-worker-li", ("01",)), ("demo-worker-zhao", ("02",)),
                              ("demo-worker-chen", ("03", "04"))):
            token = client.post("/api/v1/auth/dev-login", json={"openid": openid}).get_json()
            headers = {"Authorization": f"Bearer {token['token']}"}
            me = client.get("/api/v1/me", headers=headers).get_json()
            for area in areas:
                workers[area] = (me["id"], headers)
        made: list[int] = []     # reports to accept
        accepted: list[tuple] = []  # (id, area) to dispatch
        dispatched: list[tuple] = []  # (id, worker headers) to resolve
        centre = client.get("/api/v1/service-centres", headers={
            "Authorization": f"Bearer {tokens[0]}"}).get_json()
        centre = (centre.get("items", centre) if isinstance(centre, dict) else centre)[0]["id"]
        items = client.get(f"/api/v1/service-items?centre_id={centre}", headers={
            "Authorization": f"Bearer {tokens[0]}"}).get_json()
        items = [i["id"] for i in (items.get("items", items) if isinstance(items, dict) else items)
                 if i.get("bookable_online", True)]
        booker = {"n": 0}

        def resident(n: int) -> dict:
            return {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}

        def make_reports(count: int) -> None:
            for _ in range(count):
                made.append(create(len(made) + 10_000, inside=True))

        def accept(_n: int) -> None:
            ticket_id = made.pop()
            answer = client.post(f"/api/v1/tickets/{ticket_id}/accept", json={}, headers=staff)
            assert answer.status_code == 200, answer.get_json()
            code = (answer.get_json().get("place") or {}).get("code") or ""
            accepted.append((ticket_id, code[12:14]))

        def dispatch(_n: int) -> None:
            ticket_id, area = accepted.pop()
            worker_id, headers = workers.get(area, workers["03"])
            answer = client.post(f"/api/v1/tickets/{ticket_id}/dispatch", headers=staff,
                                 json={"assignee_id": worker_id})
            assert answer.status_code == 200, answer.get_json()
            dispatched.append((ticket_id, headers))

        def resolve(_n: int) -> None:
            ticket_id, headers = dispatched.pop()
            answer = client.post(f"/api/v1/tickets/{ticket_id}/resolve", json={"note": "已处理"},
                                 headers={**headers, "Idempotency-Key": f"r-{uuid.uuid4()}"})
            assert answer.status_code == 200, answer.get_json()

        def queue(_n: int) -> None:
            assert client.get("/api/v1/tickets?state=submitted", headers=staff).status_code == 200

        def tasks(n: int) -> None:
            headers = list(workers.values())[n % 4][1]
            assert client.get("/api/v1/worker/tasks", headers=headers).status_code == 200

        def mine(n: int) -> None:
            assert client.get("/api/v1/me/tickets?limit=20",
                              headers=resident(n)).status_code == 200

        own = {}

        def ticket(n: int) -> None:
            who = n % len(tokens)
            if who not in own:  # one of theirs (a report first when they have none yet)
                mine = client.get("/api/v1/me/tickets?limit=1",
                                  headers=resident(who)).get_json()["items"]
                own[who] = mine[0]["id"] if mine else create(who)
            assert client.get(f"/api/v1/tickets/{own[who]}",
                              headers=resident(who)).status_code == 200

        def slots(n: int) -> list:
            answer = client.get(f"/api/v1/service-centres/{centre}/slots?item="
                                f"{items[n % len(items)]}", headers=resident(n))
            assert answer.status_code == 200
            return [(items[n % len(items)], s["start"]) for day in answer.get_json()["days"]
                    for s in day.get("slots", []) if s.get("free")]

        free: list = []

        bookers: list[str] = []

        def book(_n: int) -> None:
            if not bookers:  # one booking each (at most two may be open): logged in first
                bookers.extend(client.post("/api/v1/auth/dev-login", json={
                    "openid": f"booker-{i}"}).get_json()["token"]
                    for i in range(30 + 2 * args.requests))
            while not free:
                free.extend(slots(booker["n"])[::7])
                booker["n"] += 1
            item, start = free.pop()
            headers = {"Authorization": "Bearer " + bookers.pop(),
                       "Idempotency-Key": f"b-{uuid.uuid4()}"}
            answer = client.post("/api/v1/bookings", headers=headers, json={
                "centre_id": centre, "item_id": item, "start_at": start})
            assert answer.status_code in (201, 409), answer.get_json()

        senders = {"create": create, "livez": livez, "upload": upload, "accept": accept, "dispatch": dispatch,
                   "resolve": resolve, "queue": queue, "tasks": tasks, "mine": mine,
                   "ticket": ticket, "slots": slots, "book": book}
        statements = _statements(app)
        if args.what == "both":
            kinds = ("create", "livez")
        elif args.what == "all":
            kinds = OPERATIONS
        else:
            kinds = tuple(args.what.split(","))
            unknown = sorted(set(kinds) - set(senders))
            if unknown:
                raise SystemExit(f"--what: no operation {', '.join(unknown)} "
                                 f"(one of {', '.join(OPERATIONS)})")
        pipeline = [k for k in ("accept", "dispatch", "resolve") if k in kinds]
        steps = iter(pipeline)  # each step on what the one before it left, whatever the order asked
        kinds = tuple(next(steps) if k in pipeline else k for k in kinds)
        if pipeline:  # the tickets each step needs, made before any profile
            make_reports(30 + 2 * args.requests)
        for kind in kinds:
            send = senders[kind]
            if kind == "dispatch" and "accept" not in kinds:
                for n in range(len(made)):
                    accept(n)
            if kind == "resolve" and "dispatch" not in kinds:
                for n in range(len(made)):
                    accept(n)
                for n in range(len(accepted)):
                    dispatch(n)
            for n in range(30):  # warm-up: caches, prepared plans, the calendar
                send(-n - 1)
            statements.clear()
            if args.instructions:
                _callgrind("-z")
                _callgrind("-i", "on")
                for n in range(args.requests):
                    send(n)
                _callgrind("-i", "off")
                _callgrind(f"--dump={kind}")
                print(f"\n== {kind} on {args.db}: {len(statements) / args.requests:.1f} "
                      f"statements a request", flush=True)
                continue
            profile = cProfile.Profile()
            cpu, wall = time.process_time(), time.perf_counter()
            profile.enable()
            for n in range(args.requests):
                send(n)
            profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            ran = [re.sub(r"\s+", " ", text).strip() for text in statements]
            # a second, unprofiled pass: CPU without the profiler's own overhead
            cpu2 = time.process_time()
            for n in range(args.requests):
                send(args.requests + n)
            cpu2 = time.process_time() - cpu2
            per = args.requests
            print(f"\n== {kind} on {args.db}: {len(ran) / per:.1f} statements a request; "
                  f"CPU {cpu2 / per * 1000:.2f} ms a request unprofiled "
                  f"({cpu / per * 1000:.2f} profiled, wall {wall / per * 1000:.2f})")
            for text, count in collections.Counter(ran).most_common():
                print(f"  {count / per:5.2f} × {text[:160]}")
            stats = pstats.Stats(profile)
            if os.environ.get("PROFILE_DUMP"):
                stats.dump_stats(f"{os.environ['PROFILE_DUMP']}.{kind}")
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
    finally:
        if schema:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()


if __name__ == "__main__":
    main()
