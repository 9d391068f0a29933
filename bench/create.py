"""Creation benchmark: POST /api/v1/tickets against GET /livez, under gunicorn, same run.

    .venv/bin/python bench/create.py [--db sqlite|postgresql|both] [--client auto|wrk|python]
        [--connections 10] [--seconds 10] [--livez-requests 50000] [--create-requests 5000]
        [--workers cores] [--residents 20] [--pg-url postgresql://…/test]

For each database: a scratch SQLite file (then a scratch PostgreSQL schema, dropped at the
end), ``flask db upgrade`` and ``flask demo seed`` there, then gunicorn
(backend/gunicorn_conf.py as in production: one sync worker per core; ``--workers``
overrides it) on a free loopback port with
DEV_LOGIN=1 and RATELIMIT_ENABLED=0. Residents log in with the development login; after a
short warm-up the load runs from a separate process, loopback only, bounded both by a
number of requests and by time:

  (a) GET /livez: the same app answering without touching the database (the baseline);
  (b) POST /api/v1/tickets: valid reports (a 小类, a description, a point in or near the
      demo grid), each with its own Idempotency-Key, spread over the residents.

Every client connection sends one request at a time. The client is ``wrk`` when it is
installed (a Lua script, one connection per wrk thread, stops sending at the request or
time bound and waits for the answers in flight), else Python threads with http.client.
Prints requests/s, p50/p95/p99 latency and errors for each, the ratio create / livez
(target: at least 35 %), the answers by status, "database is locked" lines in the server
log, and checks that every 2xx creation is in the database exactly once (its key is in the
description). Asserts nothing about timing; exits non-zero when that check fails.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

_HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(_HERE)
# keep bench/ off sys.path: bench/queue.py would shadow the standard library's queue
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402

BIN = os.path.dirname(sys.executable)
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
HOST = "127.0.0.1"
# points around the demo community (backend/demo/grid.py: about 104.030–104.047 E,
# 30.626–30.637 N); a few fall outside every cell and go to manual triage, as in life
LNG, LAT = (104.0315, 104.0465), (30.6262, 30.6366)
PHRASES = ("楼道灯不亮", "下水道堵了", "门口垃圾堆了一周", "电瓶车在楼道充电", "晚上噪音太大")
KEY_PATTERN = re.compile(r"\[(bench-[0-9a-z-]+)\]")


# --- the server ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def server_env(database_url: str, instance: str) -> dict:
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url, "LINLI_INSTANCE_PATH": instance,
                "DEV_LOGIN": "1", "RATELIMIT_ENABLED": "0", "LOG_LEVEL": "WARNING",
                "FLASK_APP": "backend", "PYTHONPATH": ROOT})
    for name in ("WECHAT_APPID", "WECHAT_SECRET", "REDIS_URL"):
        env.pop(name, None)
    return env


def prepare_database(env: dict) -> None:
    for command in (["db", "upgrade"], ["demo", "seed"]):
        done = subprocess.run([os.path.join(BIN, "flask"), "--app", "backend", *command],
                              env=env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{done.stderr[-3000:]}")


class Gunicorn:
    def __init__(self, env: dict, workers: int, log_path: str, app: str = "backend:create_app()",
                 config: str = "python:backend.gunicorn_conf"):
        self.port = free_port()
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "gunicorn"), "-c", config,
             "-w", str(workers), "-b", f"{HOST}:{self.port}", app],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.proc.returncode}); see {self.log_path}")
            try:
                status, _ = request(self.port, "GET", "/livez")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer /livez in time")

    def stop(self) -> None:
        """Stop the gunicorn master this object started (it stops its own workers)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def request(port: int, method: str, path: str, body=None, headers=None, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        data = json.dumps(body).encode() if body is not None else None
        hdrs = dict(headers or {})
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=hdrs)
        response = conn.getresponse()
        payload = response.read()
        if response.will_close:
            conn.close()
        return response.status, payload
    finally:
        if own:
            conn.close()


# --- the load ------------------------------------------------------------------------------

class Plan:
    """What to send: livez, or creations with their bodies, tokens and keys."""

    def __init__(self, kind: str, tokens=(), categories=(), seed: int = 1, run: str = ""):
        self.kind, self.tokens, self.categories = kind, list(tokens), list(categories)
        self.rng = random.Random(seed)
        self.run = run  # a prefix, so keys from the warm-up and the run never collide

    def key(self, conn_no: int, n: int) -> str:
        return f"bench-{self.run}{conn_no}-{n}"

    def body(self, key: str, rng: random.Random) -> dict:
        return {"category_id": rng.choice(self.categories),
                "description": f"{rng.choice(PHRASES)} [{key}]",
                "lat": round(rng.uniform(*LAT), 6), "lng": round(rng.uniform(*LNG), 6),
                "address": f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"}


class Result:
    def __init__(self, client: str):
        self.client = client
        self.requests = 0
        self.seconds = 0.0
        self.latencies_ms: list[float] = []
        self.p = {}  # 50/95/99 in ms when the client gives percentiles
        self.statuses: dict[str, int] = {}
        self.socket_errors = 0
        self.ok_keys: list[str] = []

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.socket_errors + sum(n for s, n in self.statuses.items()
                                        if not s.startswith("2"))

    def percentile(self, q: float) -> float:
        if q in self.p:
            return self.p[q]
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def python_load(port: int, plan: Plan, connections: int, max_requests: int,
                seconds: float) -> Result:
    """Threads, one keep-alive HTTPConnection each, one request in flight per thread."""
    result = Result("python threads")
    lock = threading.Lock()
    budget = iter(range(max_requests))
    deadline = time.monotonic() + seconds

    def worker(conn_no: int):
        rng = random.Random(conn_no)
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        lat, statuses, keys, errs = [], {}, [], 0
        n = 0
        while time.monotonic() < deadline:
            with lock:
                if next(budget, None) is None:
                    break
            n += 1
            if plan.kind == "livez":
                args = ("GET", "/livez", None, None)
                key = None
            else:
                key = plan.key(conn_no, n)
                args = ("POST", "/api/v1/tickets", plan.body(key, rng), {
                    "Authorization": f"Bearer {plan.tokens[(conn_no + n) % len(plan.tokens)]}",
                    "Idempotency-Key": key})
            start = time.perf_counter()
            try:
                status, _ = request(port, *args, conn=conn)
            except (OSError, http.client.HTTPException):
                errs += 1
                conn.close()
                continue
            lat.append((time.perf_counter() - start) * 1000)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if key and 200 <= status < 300:
                keys.append(key)
        conn.close()
        with lock:
            result.latencies_ms += lat
            result.socket_errors += errs
            result.ok_keys += keys
            for s, c in statuses.items():
                result.statuses[s] = result.statuses.get(s, 0) + c

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - start
    result.requests = len(result.latencies_ms)
    return result


WRK_SCRIPT = r"""
local tokens = %(tokens)s
local categories = %(categories)s
local phrases = %(phrases)s
local kind, run = "%(kind)s", "%(run)s"
local counter, threads = 0, {}
-- a monotonic clock in seconds (LuaJIT's ffi): the run ends before wrk's -d does
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

function setup(thread)
  thread:set("conn_no", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  budget = tonumber(args[1])
  deadline = now() + tonumber(args[2])
  issued, answered, last_key = 0, 0, nil
  first_sent, last_answer = -1, -1
  statuses, ok_keys = {}, {}
  math.randomseed(1000 + conn_no)
end

-- at the bound, send nothing more; stop once the answer in flight (one per connection,
-- one connection per thread) has arrived
local function finished()
  return issued >= budget or now() >= deadline
end

function delay()
  if finished() then
    if answered >= issued then wrk.thread:stop() end
    return 3600000
  end
  return 0
end

function request()
  issued = issued + 1
  if first_sent < 0 then first_sent = now() end
  if kind == "livez" then
    last_key = nil
    return wrk.format("GET", "/livez")
  end
  last_key = string.format("bench-%%s%%d-%%d", run, conn_no, issued)
  local body = string.format(
    '{"category_id": %%d, "description": "%%s [%%s]", "lat": %%.6f, "lng": %%.6f, '
    .. '"address": "%%d栋"}',
    categories[math.random(#categories)], phrases[math.random(#phrases)], last_key,
    %(lat0)f + math.random() * %(dlat)f, %(lng0)f + math.random() * %(dlng)f,
    math.random(30))
  return wrk.format("POST", "/api/v1/tickets", {
    ["Authorization"] = "Bearer " .. tokens[(conn_no + issued) %% #tokens + 1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = last_key}, body)
end

function response(status, headers, body)
  answered = answered + 1
  last_answer = now()
  local s = tostring(status)
  statuses[s] = (statuses[s] or 0) + 1
  if last_key and status >= 200 and status < 300 then
    ok_keys[#ok_keys + 1] = last_key
  end
  if answered >= issued and finished() then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local e = summary.errors
  local first, last = nil, nil
  for _, t in ipairs(threads) do
    local f, l = t:get("first_sent"), t:get("last_answer")
    if f >= 0 and (first == nil or f < first) then first = f end
    if l >= 0 and (last == nil or l > last) then last = l end
  end
  -- the window from the first request sent to the last answer, in microseconds
  local window = (first and last) and math.floor((last - first) * 1e6) or summary.duration
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d\n", summary.requests,
    window, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect, e.read, e.write, e.timeout))
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("statuses")) do io.write("STATUS " .. s .. " " .. n .. "\n") end
    for _, k in ipairs(t:get("ok_keys")) do io.write("OK " .. k .. "\n") end
  end
end
"""


def _lua(values) -> str:
    return "{" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "}"


def wrk_load(port: int, plan: Plan, connections: int, max_requests: int, seconds: float,
             scratch: str) -> Result:
    script = os.path.join(scratch, f"{plan.kind}-{plan.run}.lua")
    with open(script, "w", encoding="utf-8") as fh:
        fh.write(WRK_SCRIPT % {
            "tokens": _lua(plan.tokens or ["-"]), "categories": _lua(plan.categories or [0]),
            "phrases": _lua(PHRASES), "kind": plan.kind, "run": plan.run,
            "lat0": LAT[0], "dlat": LAT[1] - LAT[0], "lng0": LNG[0], "dlng": LNG[1] - LNG[0]})
    per_conn = max(1, max_requests // connections)
    done = subprocess.run(
        ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{int(seconds) + 15}s",
         "--timeout", "60s", "-s", script, f"http://{HOST}:{port}", "--",
         str(per_conn), str(int(seconds))], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"wrk failed: {done.stderr[-2000:]}")
    result = Result("wrk")
    for line in done.stdout.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "RESULT":
            n, dur, p50, p95, p99, c, r, w, t = map(int, parts[1:])
            result.requests, result.seconds = n, dur / 1e6
            result.p = {50: p50 / 1000, 95: p95 / 1000, 99: p99 / 1000}
            result.socket_errors = c + r + w + t
        elif parts[0] == "STATUS":
            result.statuses[parts[1]] = result.statuses.get(parts[1], 0) + int(parts[2])
        elif parts[0] == "OK":
            result.ok_keys.append(parts[1])
    return result


def loader(client: str):
    """``load(port, plan, connections, max_requests, seconds, scratch) -> Result``"""
    if client == "wrk":
        return wrk_load
    return lambda port, plan, c, n, s, _scratch: python_load(port, plan, c, n, s)


# --- one database --------------------------------------------------------------------------

def login_residents(port: int, n: int) -> list[str]:
    tokens = []
    for i in range(n):
        status, payload = request(port, "POST", "/api/v1/auth/dev-login",
                                  {"openid": f"bench-resident-{i}"})
        if status != 200:
            raise SystemExit(f"dev-login answered {status}: {payload[:300]!r}")
        tokens.append(json.loads(payload)["token"])
    return tokens


def leaf_categories(port: int, token: str) -> list[int]:
    status, payload = request(port, "GET", "/api/v1/categories",
                              headers={"Authorization": f"Bearer {token}"})
    if status != 200:
        raise SystemExit(f"/api/v1/categories answered {status}")
    return [child["id"] for top in json.loads(payload) for child in top["children"]]


def ticket_descriptions(url: str, options: dict) -> list[str]:
    engine = sa.create_engine(url, **options)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT description FROM tickets").scalars().all()
    finally:
        engine.dispose()


def check_database(url: str, options: dict, seeded: int, ok_keys: list[str]):
    """Every 2xx creation in the database exactly once, and nothing else created."""
    descriptions = ticket_descriptions(url, options)
    keys = [m.group(1) for d in descriptions if (m := KEY_PATTERN.search(d))]
    stored, answered = set(keys), set(ok_keys)
    duplicates = len(keys) - len(stored)
    missing = len(answered - stored)
    unanswered = len(stored - answered)
    others = len(descriptions) - len(keys) - seeded
    ok = duplicates == missing == unanswered == others == 0 and len(keys) == len(ok_keys)
    return ok, (f"{len(keys):,} new ticket rows for {len(ok_keys):,} answers 2xx "
                f"(+ {seeded} from the demo seed); {duplicates} duplicated, {missing} "
                f"answered but missing, {unanswered} stored but not answered 2xx, "
                f"{others} other new rows")


class ScratchDatabase:
    """A SQLite file in ``scratch``, or a new schema of the PostgreSQL database at ``pg_url``
    (``drop`` removes it): ``url`` for the server, ``check_url`` and ``check_options`` for
    this process's own engine."""

    def __init__(self, kind: str, scratch: str, pg_url: str, prefix: str = "bench_create"):
        self.schema = None
        if kind == "sqlite":
            self.url = f"sqlite:///{os.path.join(scratch, 'bench.db')}"
            self.check_url, self.check_options = self.url, {}
            return
        from backend.config import normalise_database_url

        self.schema = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.check_url = normalise_database_url(pg_url)
        self._admin(f'CREATE SCHEMA "{self.schema}"')
        sep = "&" if "?" in pg_url else "?"
        self.url = f"{pg_url}{sep}options=-csearch_path%3D{self.schema}"
        self.check_options = {"connect_args": {"options": f"-csearch_path={self.schema}"}}

    def _admin(self, sql: str) -> None:
        admin = sa.create_engine(self.check_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(sql)
        finally:
            admin.dispose()

    def drop(self) -> None:
        if self.schema:
            self._admin(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


def warm_up(port: int, tokens: list[str], categories: list[int], args) -> list[Result]:
    """Every worker imports, connects (and Linli's builds its locate index)."""
    return [python_load(port, Plan("livez"), args.connections, 200, 10),
            python_load(port, Plan("create", tokens, categories, run="w"),
                        args.connections, 10 * args.workers, 20)]


def run_database(kind: str, args, client: str) -> dict:
    scratch = tempfile.mkdtemp(prefix=f"linli-bench-create-{kind}-")
    database = ScratchDatabase(kind, scratch, args.pg_url)
    url, check_url, check_options = database.url, database.check_url, database.check_options
    env = server_env(url, scratch)
    server = None
    out = {}
    try:
        prepare_database(env)
        seeded = len(ticket_descriptions(check_url, check_options))
        server = Gunicorn(env, args.workers, os.path.join(scratch, "gunicorn.log"))
        server.wait_ready()
        tokens = login_residents(server.port, args.residents)
        categories = leaf_categories(server.port, tokens[0])
        warm = warm_up(server.port, tokens, categories, args)
        load = loader(client)
        livez = load(server.port, Plan("livez"), args.connections, args.livez_requests,
                     args.seconds, scratch)
        create = load(server.port, Plan("create", tokens, categories, run="r"),
                      args.connections, args.create_requests, args.seconds, scratch)
        server.stop()
        with open(server.log_path) as fh:
            log = fh.read()
        out = {"livez": livez, "create": create,
               "locked": log.count("database is locked"),
               "tracebacks": log.count("Traceback"),
               "check": check_database(check_url, check_options, seeded,
                                       warm[1].ok_keys + create.ok_keys),
               "warm_errors": warm[0].errors + warm[1].errors}
    finally:
        if server is not None:
            server.stop()
        database.drop()
        shutil.rmtree(scratch, ignore_errors=True)
    return out


def report(kind: str, out: dict, args) -> bool:
    livez, create = out["livez"], out["create"]
    print()
    print(f"== {kind}: gunicorn -w {args.workers} (sync, backend/gunicorn_conf.py), "
          f"{args.connections} connections, "
          f"client {livez.client}")
    print(f"{'':<22}{'requests':>9}{'seconds':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}{'errors':>8}  statuses")
    for label, r in (("GET /livez", livez), ("POST /api/v1/tickets", create)):
        statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(r.statuses.items()))
        print(f"{label:<22}{r.requests:>9,}{r.seconds:>9.1f}{r.rate:>9.1f}"
              f"{r.percentile(50):>9.1f}{r.percentile(95):>9.1f}{r.percentile(99):>9.1f}"
              f"{r.errors:>8}  {statuses}")
    ratio = create.rate / livez.rate if livez.rate else float("nan")
    print(f"ratio create / livez: {ratio:.1%} (target: at least 35 %)")
    print(f"server log: {out['locked']} 'database is locked', {out['tracebacks']} tracebacks; "
          f"warm-up errors: {out['warm_errors']}")
    ok, text = out["check"]
    print(f"exactly once: {'OK' if ok else 'FAILED'} — {text}")
    return ok


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the servers and the load (bench/floor.py takes them too)."""
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10, help="time bound per load")
    parser.add_argument("--livez-requests", type=int, default=50_000)
    parser.add_argument("--create-requests", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="gunicorn workers (default: one per core, as backend/gunicorn_conf.py)")
    parser.add_argument("--residents", type=int, default=20)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL))


def pick_client(choice: str) -> str:
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if choice == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk), or use --client python")
    return choice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args()
    client = pick_client(args.client)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = {kind: run_database(kind, args, client) for kind in kinds}
    print(f"\n{os.cpu_count()} cores; load client and server share them")
    all_ok = True
    for kind, out in results.items():
        all_ok &= report(kind, out, args)
    if not all_ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
