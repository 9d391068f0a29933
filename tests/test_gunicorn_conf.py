"""The production server settings (backend/gunicorn_conf.py) load, and size the workers."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _printed_config(env_extra: dict) -> str:
    env = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    env.update(PYTHONPATH=str(ROOT), **env_extra)
    done = subprocess.run([str(GUNICORN), "-c", "python:backend.gunicorn_conf", "--print-config",
                           "backend:create_app()"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _setting(printed: str, name: str) -> str:
    for line in printed.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name:
            return value.strip()
    raise AssertionError(f"{name} not printed")


def test_one_sync_worker_per_core_by_default():
    printed = _printed_config({})
    assert _setting(printed, "workers") == str(os.cpu_count())
    assert _setting(printed, "worker_class") == "sync"
    assert _setting(printed, "timeout") == "60"


def test_web_concurrency_sets_the_workers():
    assert _setting(_printed_config({"WEB_CONCURRENCY": "7"}), "workers") == "7"
