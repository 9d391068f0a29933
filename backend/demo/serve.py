"""`flask --app backend demo-serve`: what `make run` serves — the API and console, with the
notification worker beside them as a second process that starts and stops with the server,
so that the demo's inboxes fill as people use it.

The worker is `flask --app backend worker` run by this same Python; it is stopped when the
server stops (Ctrl-C, SIGTERM) and, on Linux, also dies with this process if this process is
killed outright (PR_SET_PDEATHSIG), so a demo never leaves a worker behind.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from typing import Optional

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def start_worker(interval: float) -> subprocess.Popen:
    """The notification worker as a child process of this one."""
    command = [sys.executable, "-m", "flask", "--app", "backend", "worker",
               "--interval", str(interval)]
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    return subprocess.Popen(command, env=dict(os.environ), preexec_fn=preexec)


def stop_worker(worker: Optional[subprocess.Popen]) -> None:
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


@click.command("demo-serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Run the notification worker beside the server.")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.1, 60),
              help="Seconds the worker sleeps when nothing is due.")
@with_appcontext
def demo_serve_command(host: str, port: int, worker: bool, interval: float) -> None:
    """Serve the API and console (development server) with the notification worker."""
    app = current_app._get_current_object()
    child = start_worker(interval) if worker else None

    def _terminate(*_):
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        if child is not None:
            click.echo(f"notification worker started (pid {child.pid})")
        # threaded, like `flask run`; no reloader (it would fork a second server)
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop_worker(child)
