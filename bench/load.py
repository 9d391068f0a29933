"""Mixed load under gunicorn: residents, staff, grid workers and /livez in one run.

    .venv/bin/python bench/load.py [--db sqlite|postgresql|both] [--quick]
        [--rate 250] [--seconds 30] [--max-requests 20000] [--saturate-seconds 10]
        [--livez-seconds 5] [--threads 48] [--workers cores] [--residents 300]
        [--pg-url postgresql://…/test]

For each database: a scratch SQLite file (then a scratch PostgreSQL schema, dropped at the
end), ``flask db upgrade`` and ``flask demo seed`` there, gunicorn (backend/gunicorn_conf.py: one
sync worker per core) on a free loopback port with DEV_LOGIN=1 and RATELIMIT_ENABLED=0 (the same
server setup as bench/create.py). The load generator is Python threads with http.client in
this process, loopback only: it shares the machine's cores with the server.

Three phases against the same server, each bounded by time and by a request count:

  1. GET /livez alone, closed loop (``--connections`` connections, one request in flight
     each): the baseline, the same app answering without the database;
  2. the mix, paced: requests *start* at ``--rate`` per second (an open schedule); latency
     is measured from each request's scheduled start, so a server that falls behind shows
     it in the percentiles (no coordinated omission). This is the target's measurement;
  3. the mix, unpaced (closed loop, ``--connections``): the most the server gives.

The mix, by share of requests (an operation whose prerequisite is missing does the
prerequisite instead: a report with no photo waiting uploads one first):

  resident   POST /api/v1/uploads (a 1280×960 JPEG, as wx.chooseImage's compressed copy)
             POST /api/v1/tickets (with that photo and an Idempotency-Key; 1 in 20 is sent
             again with the same key, as a phone retrying, and must replay the same ticket)
             GET  /api/v1/me/tickets, GET /api/v1/tickets/<own id>
             GET  /api/v1/service-centres/<id>/slots?item=…, POST /api/v1/bookings (a free
             slot, an Idempotency-Key; 409 when the slot filled meanwhile is an answer, not
             an error)
  staff      GET  /api/v1/tickets?state=submitted (the queue), POST …/accept, POST …/dispatch
  worker     GET  /api/v1/worker/tasks, POST …/resolve (an Idempotency-Key)
  baseline   GET  /livez

Prints, per phase and operation: requests, req/s, p50/p95/p99 ms, errors (5xx, connection
errors, any status the operation should not answer) and the throughput as a ratio of
/livez's (phase 1) in the same run. Afterwards every report answered 2xx must be in the
database exactly once (its key is in its description, and its id is the one answered),
every replay must have answered the same ticket, and every booking answered 2xx must exist
exactly once; exit status 1 otherwise. Asserts nothing about timing.
"""
from __future__ import annotations

import argparse
import collections
import http.client
import importlib.util
import io
import json
import os
import random
import resource
import shutil
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


def _bench_module(name: str):
    spec = importlib.util.spec_from_file_location(f"linli_bench_{name}",
                                                  os.path.join(_HERE, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


server = _bench_module("create")  # the same gunicorn, environment and database setup

HOST = server.HOST
DEFAULT_PG_URL = server.DEFAULT_PG_URL
# inside the demo community's outline (backend/demo/grid.py), so every report has a cell
LNG, LAT = (104.0335, 104.0445), (30.6280, 30.6350)
MID_LNG, MID_LAT = 104.0390, 30.6314
PHRASES = ("楼道灯不亮", "下水道堵了", "门口垃圾堆了一周", "电瓶车在楼道充电", "晚上噪音太大")
KEY_MARK = "[load-"

# share of requests (per 100); the order is the printing order
MIX = (
    ("upload", 6), ("submit", 6), ("my_tickets", 14), ("ticket", 12),
    ("queue", 10), ("accept", 5), ("dispatch", 5),
    ("tasks", 8), ("resolve", 4),
    ("slots", 12), ("book", 4),
    ("livez", 14),
)
# answers an operation may give besides 2xx without it being an error
ALLOWED = {"book": {409}, "accept": {409}, "dispatch": {409}, "resolve": {409}}
LABELS = {
    "upload": "POST /uploads", "submit": "POST /tickets", "replay": "POST /tickets (retry)",
    "my_tickets": "GET /me/tickets", "ticket": "GET /tickets/<id>",
    "queue": "GET /tickets (queue)", "accept": "POST …/accept", "dispatch": "POST …/dispatch",
    "tasks": "GET /worker/tasks", "resolve": "POST …/resolve",
    "slots": "GET …/slots", "book": "POST /bookings", "livez": "GET /livez",
}


# --- HTTP ----------------------------------------------------------------------------------

class Client:
    """One keep-alive connection (gunicorn's sync workers close it after each answer)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = None
        self.last = b""  # the last answer's body, for error samples

    def send(self, method: str, path: str, token: str | None = None, body=None,
             raw: bytes | None = None, content_type: str | None = None,
             headers: dict | None = None):
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            content_type = "application/json"
        if content_type:
            hdrs["Content-Type"] = content_type
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                response = self.conn.getresponse()
                payload = response.read()
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                self.close()
                if attempt == 2:
                    raise
                continue  # a kept-alive connection the server had closed: reconnect once
            if response.will_close:
                self.close()
            self.last = payload
            return response.status, payload, response.headers
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _json(payload: bytes):
    try:
        return json.loads(payload)
    except ValueError:
        return None


def photo_bytes(seed: int) -> bytes:
    """A 1280×960 JPEG with some structure (flat colour would compress to nothing)."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", (1280, 960), (rng.randrange(256), 180, 160))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(1280), rng.randrange(960)
        draw.rectangle((x, y, x + rng.randrange(40, 300), y + rng.randrange(20, 200)),
                       fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    for _ in range(400):
        x, y = rng.randrange(1280), rng.randrange(960)
        draw.line((x, y, x + rng.randrange(-80, 80), y + rng.randrange(-80, 80)),
                  fill=(rng.randrange(256),) * 3, width=2)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def multipart(data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"wx-tmp.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# --- the world the load acts on ------------------------------------------------------------

class World:
    """Tokens, ids and the hand-offs between actors (a report to triage, a ticket to fix)."""

    def __init__(self, port: int, residents: int, run: str):
        self.port, self.run = port, run
        self.lock = threading.Lock()
        c = Client(port)
        self.residents = [self._dev_login(c, f"load-resident-{run}-{i}")
                          for i in range(residents)]
        self.staff = self._login(c, "jiedao", "linli-street-demo")  # the street's staff
        self.workers = {}
        for openid in ("demo-worker-li", "demo-worker-zhao", "demo-worker-chen"):
            token = self._dev_login(c, openid)
            status, payload, _ = c.send("GET", "/api/v1/me", token)
            self.workers[_json(payload)["id"]] = token
        status, payload, _ = c.send("GET", "/api/v1/categories", self.residents[0])
        self.categories = [child["id"] for top in _json(payload) for child in top["children"]
                           if not child.get("is_private")]
        status, payload, _ = c.send("GET", "/api/v1/service-centres", self.residents[0])
        centres = _json(payload)
        centres = centres.get("items", centres) if isinstance(centres, dict) else centres
        self.centre_id = centres[0]["id"]
        status, payload, _ = c.send("GET", f"/api/v1/service-items?centre_id={self.centre_id}",
                                    self.residents[0])
        items = _json(payload)
        items = items.get("items", items) if isinstance(items, dict) else items
        self.items = [item["id"] for item in items if item.get("bookable_online", True)]
        c.close()
        self.photos = [photo_bytes(i) for i in range(8)]
        self.worker_of_area = {}  # filled as dispatches succeed
        # hand-offs
        self.photo_waiting = collections.deque()   # (resident index, upload id)
        self.submitted = collections.deque()       # ticket ids to accept
        self.accepted = collections.deque()        # (ticket id, place code) to dispatch
        self.dispatched = collections.deque()      # (ticket id, worker token) to resolve
        self.own_tickets = collections.defaultdict(list)  # resident index -> ticket ids
        self.free_slots = collections.deque()      # (item id, start) seen free
        self.bookings_made = collections.Counter() # resident index -> bookings
        # for the check afterwards
        self.ok_submits: dict[str, int] = {}       # key -> ticket id answered 2xx
        self.replay_mismatches = 0
        self.ok_bookings: dict[str, int] = {}      # key -> booking id answered 2xx
        self.counter = 0

    def _dev_login(self, c: Client, openid: str) -> str:
        status, payload, _ = c.send("POST", "/api/v1/auth/dev-login", body={"openid": openid})
        if status != 200:
            raise SystemExit(f"dev-login answered {status}: {payload[:300]!r}")
        return _json(payload)["token"]

    def _login(self, c: Client, username: str, password: str) -> str:
        status, payload, _ = c.send("POST", "/api/v1/auth/login",
                                    body={"username": username, "password": password})
        if status != 200:
            raise SystemExit(f"login answered {status}: {payload[:300]!r}")
        return _json(payload)["token"]

    def next_key(self, kind: str) -> str:
        with self.lock:
            self.counter += 1
            return f"load-{self.run}-{kind}-{self.counter}"

    def take(self, queue: collections.deque):
        with self.lock:
            return queue.popleft() if queue else None


def worker_for(world: World, place_code: str | None, lat: float, lng: float):
    """The demo's grid worker for the area: 李 01, 赵 02, 陈 03 and 04 (backend/demo)."""
    ids = sorted(world.workers)  # li, zhao, chen in creation order
    if len(ids) < 3:
        return None
    area = place_code[12:14] if place_code and len(place_code) >= 14 else None
    if area is None:
        area = ("01" if lng < MID_LNG else "02") if lat >= MID_LAT else "03"
    return {"01": ids[0], "02": ids[1]}.get(area, ids[2])


# --- the operations: each sends one request and says what it did --------------------------

def op_upload(world: World, c: Client, rng: random.Random):
    who = rng.randrange(len(world.residents))
    body, ctype = multipart(rng.choice(world.photos))
    status, payload, _ = c.send("POST", "/api/v1/uploads", world.residents[who], raw=body,
                                content_type=ctype)
    if status == 201:
        with world.lock:
            world.photo_waiting.append((who, _json(payload)["id"]))
    return "upload", status


def op_submit(world: World, c: Client, rng: random.Random):
    waiting = world.take(world.photo_waiting)
    if waiting is None:
        return op_upload(world, c, rng)
    who, photo_id = waiting
    key = world.next_key("t")
    lat, lng = round(rng.uniform(*LAT), 6), round(rng.uniform(*LNG), 6)
    body = {"category_id": rng.choice(world.categories),
            "description": f"{rng.choice(PHRASES)} [{key}]", "lat": lat, "lng": lng,
            "address": f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元", "photo_ids": [photo_id]}
    token = world.residents[who]
    status, payload, _ = c.send("POST", "/api/v1/tickets", token, body=body,
                                headers={"Idempotency-Key": key})
    if 200 <= status < 300:
        ticket_id = _json(payload)["id"]
        with world.lock:
            world.ok_submits[key] = ticket_id
            world.submitted.append(ticket_id)
            world.own_tickets[who].append(ticket_id)
        if rng.random() < 0.05:  # the phone did not see the answer and sends it again
            again, replay, headers = c.send("POST", "/api/v1/tickets", token, body=body,
                                            headers={"Idempotency-Key": key})
            same = (200 <= again < 300 and _json(replay)["id"] == ticket_id
                    and headers.get("Idempotent-Replayed") == "true")
            if not same:
                with world.lock:
                    world.replay_mismatches += 1
            return "submit", status, ("replay", again)
    return "submit", status


def op_my_tickets(world: World, c: Client, rng: random.Random):
    who = rng.randrange(len(world.residents))
    status, _, _ = c.send("GET", "/api/v1/me/tickets?limit=20", world.residents[who])
    return "my_tickets", status


def op_ticket(world: World, c: Client, rng: random.Random):
    with world.lock:
        owners = [w for w, ids in world.own_tickets.items() if ids] if world.own_tickets else []
        if owners:
            who = rng.choice(owners)
            ticket_id = rng.choice(world.own_tickets[who])
    if not owners:
        return op_my_tickets(world, c, rng)
    status, _, _ = c.send("GET", f"/api/v1/tickets/{ticket_id}", world.residents[who])
    return "ticket", status


def op_queue(world: World, c: Client, rng: random.Random):
    status, _, _ = c.send("GET", "/api/v1/tickets?state=submitted", world.staff)
    return "queue", status


def op_accept(world: World, c: Client, rng: random.Random):
    ticket_id = world.take(world.submitted)
    if ticket_id is None:
        return op_queue(world, c, rng)
    status, payload, _ = c.send("POST", f"/api/v1/tickets/{ticket_id}/accept", world.staff,
                                body={})
    if status == 200:
        answer = _json(payload)
        place = answer.get("place") or {}
        with world.lock:
            world.accepted.append((ticket_id, place.get("code"), answer.get("lat"),
                                   answer.get("lng")))
    return "accept", status


def op_dispatch(world: World, c: Client, rng: random.Random):
    accepted = world.take(world.accepted)
    if accepted is None:
        return op_accept(world, c, rng)
    ticket_id, code, lat, lng = accepted
    worker = worker_for(world, code, lat or 0, lng or 0)
    status, _, _ = c.send("POST", f"/api/v1/tickets/{ticket_id}/dispatch", world.staff,
                          body={"assignee_id": worker})
    if status == 200:
        with world.lock:
            world.dispatched.append((ticket_id, world.workers[worker]))
    return "dispatch", status


def op_tasks(world: World, c: Client, rng: random.Random):
    token = rng.choice(list(world.workers.values()))
    status, _, _ = c.send("GET", "/api/v1/worker/tasks", token)
    return "tasks", status


def op_resolve(world: World, c: Client, rng: random.Random):
    dispatched = world.take(world.dispatched)
    if dispatched is None:
        return op_tasks(world, c, rng)
    ticket_id, token = dispatched
    status, _, _ = c.send("POST", f"/api/v1/tickets/{ticket_id}/resolve", token,
                          body={"note": "已处理"},
                          headers={"Idempotency-Key": world.next_key("r")})
    return "resolve", status


def op_slots(world: World, c: Client, rng: random.Random):
    item = rng.choice(world.items)
    who = rng.randrange(len(world.residents))
    status, payload, _ = c.send(
        "GET", f"/api/v1/service-centres/{world.centre_id}/slots?item={item}",
        world.residents[who])
    if status == 200:
        free = [(item, s["start"]) for day in _json(payload).get("days", [])
                for s in day.get("slots", []) if s.get("free")]
        if free:
            with world.lock:
                world.free_slots.extend(rng.sample(free, min(5, len(free))))
                while len(world.free_slots) > 200:
                    world.free_slots.popleft()
    return "slots", status


def op_book(world: World, c: Client, rng: random.Random):
    slot = world.take(world.free_slots)
    with world.lock:
        # BOOKING_MAX_ACTIVE is 2: a resident with two bookings books no more
        candidates = [i for i in rng.sample(range(len(world.residents)), 10)
                      if world.bookings_made[i] < 2]
        who = candidates[0] if candidates else None
        if who is not None and slot is not None:
            world.bookings_made[who] += 1
    if slot is None or who is None:
        return op_slots(world, c, rng)
    item, start = slot
    key = world.next_key("b")
    status, payload, _ = c.send("POST", "/api/v1/bookings", world.residents[who],
                                body={"centre_id": world.centre_id, "item_id": item,
                                      "start_at": start},
                                headers={"Idempotency-Key": key})
    if 200 <= status < 300:
        with world.lock:
            world.ok_bookings[key] = _json(payload)["id"]
    else:
        with world.lock:
            world.bookings_made[who] -= 1
    return "book", status


def op_livez(world: World, c: Client, rng: random.Random):
    status, _, _ = c.send("GET", "/livez")
    return "livez", status


OPERATIONS = {name: globals()[f"op_{name}"] for name, _ in MIX}


# --- running a phase -----------------------------------------------------------------------

class Phase:
    def __init__(self, name: str):
        self.name = name
        self.lock = threading.Lock()
        self.latencies = collections.defaultdict(list)   # op -> ms
        self.statuses = collections.defaultdict(collections.Counter)
        self.errors = collections.Counter()
        self.samples = collections.defaultdict(list)  # op -> the first error answers
        self.seconds = 0.0
        self.client_cpu = 0.0  # CPU seconds the load generator used in the phase
        self.server_cpu = 0.0  # CPU seconds gunicorn's workers (and their backends) used

    def record(self, op: str, status, ms: float, body: bytes = b"") -> None:
        with self.lock:
            self.latencies[op].append(ms)
            self.statuses[op][status] += 1
            bad = not isinstance(status, int) or (
                not 200 <= status < 300 and status not in ALLOWED.get(op, ()))
            if bad:
                self.errors[op] += 1
                if len(self.samples[op]) < 3:
                    self.samples[op].append(f"{status} {body[:200].decode('utf-8', 'replace')}")

    def rate(self, op: str) -> float:
        return len(self.latencies[op]) / self.seconds if self.seconds else 0.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def process_cpu(pids) -> dict[int, float]:
    """CPU seconds (user + system) of each process still alive."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


class ServerMeter:
    """The CPU the server used: gunicorn's workers and, on PostgreSQL, the backends serving
    their connections (found by ``application_name``). Not the load generator's, not other
    work on the machine: so CPU per request holds however busy the machine is."""

    def __init__(self, master_pid: int, pg_engine=None, app_name: str = ""):
        self.master_pid, self.pg_engine, self.app_name = master_pid, pg_engine, app_name

    def pids(self) -> list[int]:
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid == self.master_pid:
                    found.append(int(entry))
        if self.pg_engine is not None:
            with self.pg_engine.connect() as conn:
                found += conn.execute(sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": self.app_name}).scalars().all()
        return found

    def read(self) -> dict[int, float]:
        return process_cpu(self.pids())

    def workers(self) -> set[int]:
        """The gunicorn workers among ``pids()`` (the rest are database backends)."""
        return {pid for pid in self.pids() if pid not in self._backends()}

    def _backends(self) -> set[int]:
        if self.pg_engine is None:
            return set()
        with self.pg_engine.connect() as conn:
            return set(conn.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                {"name": self.app_name}).scalars().all())


def run_phase(name: str, world: World, threads: int, seconds: float, max_requests: int,
              rate: float, mix=MIX, seed: int = 7, meter: ServerMeter | None = None) -> Phase:
    """Paced (``rate`` > 0: request i starts at t0 + i / rate, latency from then) or closed
    loop (``rate`` = 0: each thread sends its next request when the last is answered)."""
    phase = Phase(name)
    names = [n for n, _ in mix]
    weights = [w for _, w in mix]
    state = {"issued": 0}
    state_lock = threading.Lock()
    t0 = time.monotonic() + 0.2
    end = t0 + seconds
    last_answer = [t0]

    def worker(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        client = Client(world.port)
        while True:
            with state_lock:
                i = state["issued"]
                if i >= max_requests:
                    break
                state["issued"] = i + 1
            scheduled = t0 + i / rate if rate else max(time.monotonic(), t0)
            if scheduled >= end or time.monotonic() >= end:
                break  # the time bound: what is scheduled later, or still due then, is not sent
            delay = scheduled - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            op = rng.choices(names, weights)[0]
            try:
                done = OPERATIONS[op](world, client, rng)
            except (OSError, http.client.HTTPException) as exc:
                client.close()
                client.last = b""
                done = (op, type(exc).__name__)
            finished = time.monotonic()
            phase.record(done[0], done[1], (finished - scheduled) * 1000, client.last)
            if len(done) > 2:  # a replay rode along: its own line, not timed from the schedule
                phase.record(done[2][0], done[2][1], float("nan"))
            last_answer[0] = max(last_answer[0], finished)
        client.close()

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    server0 = meter.read() if meter else {}
    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    phase.seconds = max(1e-9, last_answer[0] - t0)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    if meter:
        phase.server_cpu = sum(v - server0.get(pid, 0.0) for pid, v in meter.read().items())
    phase.client_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return phase


def cpu_per_operation(world: World, meter: ServerMeter, n: int) -> list[tuple]:
    """Each operation of the mix alone, ``n`` times in a row from one connection (the
    hand-offs in the mix's order: an upload before a report, a report before its
    acceptance…): the server's CPU a request for each, which says where the mix's CPU
    goes. Rows: (operation, requests that did it, of n, server CPU ms a request, of which
    the database backends')."""
    rows = []
    client = Client(world.port)
    rng = random.Random(99)
    for op, _weight in MIX:
        before = meter.read()
        done = collections.Counter()
        for _ in range(n):
            answer = OPERATIONS[op](world, client, rng)
            done[answer[0]] += 1
        workers = meter.workers()
        spent = {pid: v - before.get(pid, 0.0) for pid, v in meter.read().items()}
        backends = sum(v for pid, v in spent.items() if pid not in workers)
        rows.append((op, done[op], n, sum(spent.values()) / n * 1000, backends / n * 1000))
    client.close()
    return rows


# --- the check afterwards ------------------------------------------------------------------

def check_database(url: str, options: dict, world: World) -> tuple[bool, str]:
    engine = sa.create_engine(url, **options)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT id, description FROM tickets WHERE description LIKE :mark"),
                {"mark": f"%{KEY_MARK}{world.run}-t-%"}).all()
            booking_ids = set(conn.execute(sa.text("SELECT id FROM bookings")).scalars())
    finally:
        engine.dispose()
    by_key = collections.defaultdict(list)
    for ticket_id, description in rows:
        key = description[description.rindex(KEY_MARK) + 1:].rstrip("]")
        by_key[key].append(ticket_id)
    doubled = sum(1 for ids in by_key.values() if len(ids) > 1)
    missing = sum(1 for key in world.ok_submits if key not in by_key)
    wrong_id = sum(1 for key, tid in world.ok_submits.items()
                   if key in by_key and by_key[key] != [tid])
    unanswered = sum(1 for key in by_key if key not in world.ok_submits)
    booking_values = list(world.ok_bookings.values())
    bookings_missing = sum(1 for b in booking_values if b not in booking_ids)
    bookings_doubled = len(booking_values) - len(set(booking_values))
    ok = not (doubled or missing or wrong_id or world.replay_mismatches
              or bookings_missing or bookings_doubled)
    text = (f"{len(world.ok_submits):,} reports answered 2xx, {len(rows):,} rows with a load "
            f"key: {doubled} doubled, {missing} missing, {wrong_id} under another id, "
            f"{unanswered} stored without a 2xx (a timed-out or failed answer; allowed); "
            f"{world.replay_mismatches} retries not replayed as the same ticket; "
            f"{len(booking_values):,} bookings answered 2xx: {bookings_missing} missing, "
            f"{bookings_doubled} doubled")
    return ok, text


# --- one database --------------------------------------------------------------------------

def scratch_database(kind: str, pg_url: str, scratch: str):
    """(server URL, check URL, check options, cleanup, admin engine, application name)."""
    if kind == "sqlite":
        url = f"sqlite:///{os.path.join(scratch, 'load.db')}"
        return url, url, {}, lambda: None, None, ""
    from backend.config import normalise_database_url

    schema = f"bench_load_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    base = normalise_database_url(pg_url)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()

    sep = "&" if "?" in pg_url else "?"
    return (f"{pg_url}{sep}options=-csearch_path%3D{schema}&application_name={schema}", base,
            {"connect_args": {"options": f"-csearch_path={schema}"}}, drop, admin, schema)


def run_database(kind: str, args) -> dict:
    scratch = tempfile.mkdtemp(prefix=f"linli-bench-load-{kind}-")
    url, check_url, check_options, cleanup, admin, app_name = scratch_database(
        kind, args.pg_url, scratch)
    env = server.server_env(url, scratch)
    gunicorn = None
    try:
        server.prepare_database(env)
        gunicorn = server.Gunicorn(env, args.workers, os.path.join(scratch, "gunicorn.log"))
        gunicorn.wait_ready()
        world = World(gunicorn.port, args.residents, uuid.uuid4().hex[:6])
        meter = ServerMeter(gunicorn.proc.pid, admin, app_name)
        # warm-up: every worker imports, connects, builds its locate index, opens a photo
        run_phase("warm-up", world, args.connections, 3, 40 * args.workers, 0)
        phases = [
            run_phase("livez alone, closed loop", world, args.connections, args.livez_seconds,
                      args.max_requests * 4, 0, mix=(("livez", 1),), meter=meter),
            run_phase(f"mix paced at {args.rate:g} req/s", world, args.threads, args.seconds,
                      args.max_requests, args.rate, meter=meter),
        ]
        if args.saturate_seconds > 0:
            phases.append(run_phase("mix unpaced, closed loop", world, args.connections,
                                    args.saturate_seconds, args.max_requests, 0, meter=meter))
        per_operation = (cpu_per_operation(world, meter, args.per_operation)
                         if args.per_operation > 0 else [])
        gunicorn.stop()
        with open(gunicorn.log_path) as fh:
            log = fh.read()
        return {"phases": phases, "per_operation": per_operation,
                "check": check_database(check_url, check_options, world),
                "locked": log.count("database is locked"), "tracebacks": log.count("Traceback")}
    finally:
        if gunicorn is not None:
            gunicorn.stop()
        cleanup()
        shutil.rmtree(scratch, ignore_errors=True)


def report(kind: str, out: dict, args) -> bool:
    livez_rate = out["phases"][0].rate("livez")
    print(f"\n== {kind}: gunicorn -w {args.workers} (sync, backend/gunicorn_conf.py); client: Python threads in this "
          f"process, sharing the {os.cpu_count()} cores")
    for phase in out["phases"]:
        total = sum(len(v) for v in phase.latencies.values())
        errors = sum(phase.errors.values())
        print(f"\n-- {phase.name}: {total:,} requests in {phase.seconds:.1f} s = "
              f"{total / phase.seconds:,.1f} req/s, {errors} errors; "
              f"ratio to /livez alone: {total / phase.seconds / livez_rate:.1%}")
        cores = os.cpu_count() or 1
        per_request = phase.server_cpu / total * 1000 if total else float("nan")
        what = ("gunicorn workers and their PostgreSQL backends" if kind == "postgresql"
                else "gunicorn workers, SQLite in them")
        print(f"   server CPU {per_request:.1f} ms a request ({what}): at most "
              f"{cores * 1000 / per_request:,.0f} req/s on {cores} cores of its own; the server "
              f"had {phase.server_cpu / phase.seconds:.2f} cores, the load generator "
              f"{phase.client_cpu / phase.seconds:.2f}")
        print(f"{'operation':<24}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'p99 ms':>9}{'errors':>7}{'÷livez':>8}  statuses")
        everything = []
        for op in [n for n, _ in MIX] + ["replay"]:
            if op not in phase.latencies:
                continue
            ms = [v for v in phase.latencies[op] if v == v]  # the replays are not timed
            everything += ms
            statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(
                phase.statuses[op].items(), key=lambda kv: str(kv[0])))
            print(f"{LABELS[op]:<24}{len(phase.latencies[op]):>9,}{phase.rate(op):>9.1f}"
                  f"{percentile(ms, 50):>9.1f}{percentile(ms, 95):>9.1f}"
                  f"{percentile(ms, 99):>9.1f}{phase.errors[op]:>7}"
                  f"{phase.rate(op) / livez_rate:>8.2%}  {statuses}")
        print(f"{'all':<24}{total:>9,}{total / phase.seconds:>9.1f}"
              f"{percentile(everything, 50):>9.1f}{percentile(everything, 95):>9.1f}"
              f"{percentile(everything, 99):>9.1f}{errors:>7}")
        for op, samples in phase.samples.items():
            for sample in samples:
                print(f"  {LABELS[op]} error: {sample}")
    if out["per_operation"]:
        print("\n-- each operation alone, one connection (server CPU a request; an operation "
              "whose prerequisite ran out did the prerequisite instead)")
        weights = dict(MIX)
        share = sum(weights.values())
        mixed = 0.0
        for op, did, n, ms, database in out["per_operation"]:
            mixed += weights[op] / share * ms
            print(f"{LABELS[op]:<24}{ms:>7.2f} ms  (database {database:5.2f})  "
                  f"({did} of {n} did it)  {weights[op] / share:>5.1%} of the mix")
        print(f"{'weighted by the mix':<24}{mixed:>7.2f} ms a request")
    print(f"\nserver log: {out['locked']} 'database is locked', {out['tracebacks']} tracebacks")
    ok, text = out["check"]
    print(f"exactly once: {'OK' if ok else 'FAILED'} — {text}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true",
                        help="10 s paced, 5 s unpaced, 3 s of /livez")
    parser.add_argument("--rate", type=float, default=250, help="paced phase: req/s offered")
    parser.add_argument("--seconds", type=float, default=30, help="paced phase: time bound")
    parser.add_argument("--saturate-seconds", type=float, default=10,
                        help="unpaced phase: time bound (0: skip it)")
    parser.add_argument("--livez-seconds", type=float, default=5)
    parser.add_argument("--max-requests", type=int, default=20_000,
                        help="request bound of each mixed phase")
    parser.add_argument("--threads", type=int, default=48, help="paced phase: client threads")
    parser.add_argument("--connections", type=int, default=10,
                        help="closed-loop phases: connections, one request in flight each")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="gunicorn workers (default: one per core, as backend/gunicorn_conf.py)")
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--per-operation", type=int, default=0, metavar="N",
                        help="afterwards, each operation alone N times: its server CPU")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL))
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.saturate_seconds, args.livez_seconds = 10, 5, 3
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = {kind: run_database(kind, args) for kind in kinds}
    all_ok = True
    for kind, out in results.items():
        all_ok &= report(kind, out, args)
    if not all_ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
