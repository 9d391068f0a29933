"""Per-request profile: what one request costs, statement by statement and function by
function, in this process (no server, no network).

    .venv/bin/python bench/profile_request.py [--db sqlite|postgresql] [--requests 300]
        [--what create|livez|both] [--top 25] [--pg-url postgresql://…/test]

Builds a scratch database (SQLite file, or a scratch PostgreSQL schema dropped at the end)
from the migrations and the demo seed, logs residents in with the development login, warms
up, then sends ``--requests`` requests through Flask's test client (the whole WSGI stack
Linli's gunicorn workers run: every request hook, the error handlers, the commit):

* ``create``: POST /api/v1/tickets, valid reports with their own Idempotency-Key;
* ``livez``: GET /livez.

Prints, per request: the SQL statements (count, and each distinct statement's text with
how many times it ran), the CPU time of this process (the worker's share), and cProfile's
top functions by cumulative and by own time. The statement list is what to merge; the
function list is what to make cheaper or move to the outbox worker.
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import random
import re
import sys
import tempfile
import time
import uuid

_HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(_HERE)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
LNG, LAT = (104.0315, 104.0465), (30.6262, 30.6366)


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


def _statements(app):
    from backend.extensions import db

    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, _params, _context, _many):
        seen.append(re.sub(r"\s+", " ", statement).strip())

    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--what", choices=("create", "livez", "both"), default="both")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()

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

        def create(n: int) -> None:
            body = {"category_id": rng.choice(categories),
                    "description": f"楼道灯不亮 [profile-{n}]",
                    "lat": rng.uniform(*LAT), "lng": rng.uniform(*LNG), "address": "晋阳路"}
            answer = client.post("/api/v1/tickets", json=body, headers={
                "Authorization": f"Bearer {tokens[n % len(tokens)]}",
                "Idempotency-Key": f"profile-{uuid.uuid4()}"})
            assert answer.status_code == 201, answer.get_json()

        def livez(_n: int) -> None:
            assert client.get("/livez").status_code == 200

        statements = _statements(app)
        kinds = ("create", "livez") if args.what == "both" else (args.what,)
        for kind in kinds:
            send = create if kind == "create" else livez
            for n in range(30):  # warm-up: caches, prepared plans, the calendar
                send(-n - 1)
            statements.clear()
            profile = cProfile.Profile()
            cpu, wall = time.process_time(), time.perf_counter()
            profile.enable()
            for n in range(args.requests):
                send(n)
            profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            ran = list(statements)
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
