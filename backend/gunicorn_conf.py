"""gunicorn's settings for Linli: ``gunicorn -c python:backend.gunicorn_conf 'backend:create_app()'``.

Workers: one sync worker per core (``WEB_CONCURRENCY`` overrides it). A Linli request is
CPU-bound: the database answers each statement in well under a millisecond, the rest is
Python. The usual ``2 × cores + 1`` is meant for workers that wait on slow I/O; here the
extra processes only share the same cores and pay for it in context switches and cold
caches. Measured with bench/load.py (PostgreSQL on the same 2-core machine, the mix paced
at 250 req/s, 2026-11-22): 2 workers 7.2–7.5 ms of server CPU a request (242–247 req/s
served), 3 workers 8.0–8.4 ms (220–231 req/s), 4 workers 9.6 ms, 5 workers 10.0–10.1 ms
(185 req/s). With a database across a network (a millisecond or more a statement), raise
``WEB_CONCURRENCY`` until the cores are busy.

Behind a buffering proxy (nginx) a slow client never holds a worker.
"""
from __future__ import annotations

import os
import sys


def _workers() -> int:
    raw = os.environ.get("WEB_CONCURRENCY", "").strip()
    if not raw:
        return os.cpu_count() or 1
    if not raw.isdigit() or int(raw) < 1:
        # (gunicorn itself refuses a value that is not an integer before reading this
        # file.) gunicorn prints a traceback for an error here; SystemExit is printed as
        # it is, exit 1.
        sys.exit(f"Linli cannot start: WEB_CONCURRENCY must be a whole number of worker "
                 f"processes (at least 1), got {raw!r}.")
    return int(raw)


workers = _workers()
worker_class = "sync"
timeout = 60
graceful_timeout = 30
