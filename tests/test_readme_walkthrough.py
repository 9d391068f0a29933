"""The README's five-minute walkthrough, run verbatim against `make run` so it cannot rot.

`make run` is started as a newcomer starts it (a fresh instance folder, a free port); the
shell block between the README's walkthrough markers is run with bash as it stands; then the
case it filed is checked through the API, and stopping `make run` must stop the notification
worker it started too.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- walkthrough:start -->\s*```sh\n(.*?)```\s*<!-- walkthrough:end -->",
                   re.S)


def walkthrough() -> str:
    found = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(found) == 1, "the README has one walkthrough block between its markers"
    return found[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str | None = None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _post(url: str, body: dict):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_the_walkthrough_block_walks_the_whole_case_loop():
    script = walkthrough()
    # every step the issue names is in it
    for step in ("/auth/dev-login", "/uploads", "/tickets\"", "/accept", "/dispatch",
                 "/resolve", "/rating", "/me/notifications"):
        assert step in script, step


@pytest.mark.skipif(sys.platform != "linux", reason="make run's process handling is Linux's")
def test_the_readme_walkthrough_runs_verbatim_on_make_run(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, LINLI_INSTANCE_PATH=str(tmp_path / "instance"))
    for name in ("TEST_DATABASE_URL", "DATABASE_URL", "WECHAT_APPID", "WECHAT_SECRET",
                 "WECHAT_API_BASE"):
        env.pop(name, None)
    log = open(tmp_path / "make-run.log", "w+")
    # the venv running these tests is the one make uses (make test made it)
    run = subprocess.Popen(["make", "run", f"PORT={port}", f"VENV={sys.prefix}"], cwd=ROOT,
                           env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if _get(f"{base}/readyz")["status"] == "ok":
                    break
            except OSError:
                pass
            assert run.poll() is None, (tmp_path / "make-run.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "make-run.log").read_text()
            time.sleep(0.5)

        done = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough()], cwd=ROOT,
                              env=dict(env, BASE=base), capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.strip().splitlines()
        assert lines[-2] == "closed", done.stdout
        assert "已结案" in lines[-1], done.stdout  # the worker delivered it to her inbox

        # the case the walkthrough filed, seen by 张主任 through the API
        zhang = _post(f"{base}/api/v1/auth/login",
                      {"username": "zhang", "password": "linli-staff-demo"})["token"]
        newest = _get(f"{base}/api/v1/tickets?state=closed&limit=50", zhang)["items"]
        mine = [t for t in newest if t["description"] == "5栋2单元楼道灯坏了一个星期"]
        assert len(mine) == 1, newest
        detail = _get(f"{base}/api/v1/tickets/{mine[0]['id']}", zhang)
        assert [p["phase"] for p in detail["photos"]] == ["report", "after"]
        assert detail["place"]["name"] == "晋吉南路12号院"
        assert detail["assignee"]["display_name"] == "陈师傅"
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        try:
            run.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    log.seek(0)
    text = log.read()
    started = re.search(r"notification worker started \(pid (\d+)\)", text)
    assert started, text
    worker = int(started.group(1))
    for _ in range(40):
        if not _alive(worker):
            break
        time.sleep(0.25)
    assert not _alive(worker), "stopping make run left its notification worker running"


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_the_worker_dies_with_a_server_killed_outright(tmp_path):
    """SIGKILL gives the server no chance to stop its worker: the kernel does it."""
    port = _free_port()
    env = dict(os.environ, LINLI_INSTANCE_PATH=str(tmp_path / "instance"), FLASK_APP="backend",
               DATABASE_URL=f"sqlite:///{tmp_path / 'kill.db'}")
    env.pop("TEST_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "backend"]
    subprocess.run(flask + ["db", "upgrade"], env=env, check=True, capture_output=True)
    server = subprocess.Popen(flask + ["demo-serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = server.stdout.readline()
        started = re.search(r"pid (\d+)", first)
        assert started, first
        worker = int(started.group(1))
        assert _alive(worker)
    finally:
        server.kill()
        server.wait()
    for _ in range(40):
        if not _alive(worker):
            break
        time.sleep(0.25)
    assert not _alive(worker)
