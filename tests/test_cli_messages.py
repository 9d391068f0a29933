"""Messages a person at a terminal can act on.

A wrong setting stops ``flask --app backend …``, ``flask run`` and gunicorn with a message
naming the variable and what it expects: no Python traceback, a non-zero exit. The
``accounts create-staff`` command speaks of its own options (``--scope``, ``--name``),
never of the API's field names, and refuses blank values before creating anything.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.accounts.models import User
from backend.extensions import db
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "long-enough-1"

# (variable, wrong value, a word of what the message says is expected)
BAD_SETTINGS = [
    ("MAX_UPLOAD_MB", "abc", "integer"),
    ("DATABASE_URL", "mysql://root:hunter2@db.example/linli", "postgresql://"),
    ("DATABASE_URL", "postgresql://linli:hunter2@db.example:port/linli", "port"),
    ("LOG_LEVEL", "LOUD", "WARNING"),
    ("LOGIN_RATE_LIMIT", "lots", "per minute"),
    ("REDIS_URL", "http://cache.example:6379/0", "redis://"),
    ("WECHAT_TOKEN_STORE", "disk", "memory"),
    ("LINLI_INSTANCE_PATH", "relative/instance", "absolute"),
]


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY", "FLASK_APP", "LOG_LEVEL")}
    env.update(PYTHONPATH=str(ROOT), LINLI_INSTANCE_PATH=str(tmp_path / "instance"),
               SECRET_KEY="cli-messages-test")
    env.update(settings)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    # A start-up that wrongly succeeded would serve forever: the timeout fails the test.
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)


def _assert_clear_refusal(done: subprocess.CompletedProcess, name: str, expected: str) -> None:
    assert done.returncode != 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert name in done.stderr, done.stderr
    assert expected in done.stderr, done.stderr
    assert "hunter2" not in done.stderr + done.stdout  # a password in the URL is not echoed


@pytest.mark.parametrize("name, value, expected", BAD_SETTINGS)
def test_a_bad_setting_stops_a_flask_command_with_a_clear_message(tmp_path, name, value,
                                                                   expected):
    done = _run([str(BIN / "flask"), "--app", "backend", "accounts", "create-staff", "root",
                 "--name", "管理员", "--role", "admin", "--password", PASSWORD],
                _env(tmp_path, **{name: value}))
    _assert_clear_refusal(done, name, expected)
    assert "Linli cannot start" in done.stderr


def test_a_bad_setting_stops_flask_builtin_commands_too(tmp_path):
    done = _run([str(BIN / "flask"), "--app", "backend", "db", "upgrade"],
                _env(tmp_path, BOOKING_MAX_ACTIVE="两个"))
    _assert_clear_refusal(done, "BOOKING_MAX_ACTIVE", "integer")


def test_a_bad_setting_stops_flask_run(tmp_path):
    done = _run([str(BIN / "flask"), "--app", "backend", "run", "--port", "0"],
                _env(tmp_path, DATABASE_URL="mysql://root:hunter2@db.example/linli"))
    _assert_clear_refusal(done, "DATABASE_URL", "sqlite:///")


def test_a_bad_setting_stops_gunicorn(tmp_path):
    done = _run([str(BIN / "gunicorn"), "--bind", "127.0.0.1:0", "--workers", "1",
                 "backend:create_app()"], _env(tmp_path, MAX_UPLOAD_MB="ten"))
    _assert_clear_refusal(done, "MAX_UPLOAD_MB", "integer")


def test_a_bad_worker_count_stops_gunicorn_with_a_clear_message(tmp_path):
    # (a value that is not an integer at all: gunicorn itself fails on it before reading
    # backend/gunicorn_conf.py)
    done = _run([str(BIN / "gunicorn"), "-c", "python:backend.gunicorn_conf", "--bind",
                 "127.0.0.1:0", "backend:create_app()"], _env(tmp_path, WEB_CONCURRENCY="0"))
    _assert_clear_refusal(done, "WEB_CONCURRENCY", "at least 1")


# --- accounts create-staff -------------------------------------------------------------

def _create_staff(app, *args: str):
    return app.test_cli_runner().invoke(args=["accounts", "create-staff", *args])


def _users() -> list[str]:
    db.session.rollback()
    return list(db.session.execute(sa.select(User.username)).scalars())


def _assert_refused(result, *words: str) -> None:
    assert result.exit_code != 0, result.output
    for word in words:
        assert word in result.output, result.output
    for internal in ("scope_place_id", "scope_code", "display_name", "scope_id"):
        assert internal not in result.output, result.output
    assert _users() == []


def test_create_staff_help_speaks_of_its_options(app, ctx):
    result = app.test_cli_runner().invoke(args=["accounts", "create-staff", "--help"])
    assert result.exit_code == 0
    assert "--scope" in result.output and "--name" in result.output
    assert "USERNAME" in result.output
    for internal in ("scope_place_id", "scope_code", "display_name"):
        assert internal not in result.output


def test_staff_without_scope_is_told_to_give_scope(app, ctx):
    result = _create_staff(app, "wang", "--name", "王老师", "--password", PASSWORD)
    _assert_refused(result, "--scope")


def test_an_unknown_scope_code_names_the_option_and_the_code(app, ctx):
    f.two_communities()
    result = _create_staff(app, "wang", "--name", "王老师", "--password", PASSWORD,
                           "--scope", "999999")
    assert result.exit_code != 0
    assert "--scope" in result.output and "999999" in result.output
    assert "scope_place_id" not in result.output


def test_a_scope_that_is_a_grid_cell_names_the_option(app, ctx):
    world = f.two_communities()
    result = _create_staff(app, "wang", "--name", "王老师", "--password", PASSWORD,
                           "--scope", world["a3"].code)
    assert result.exit_code != 0
    assert "--scope" in result.output and "scope_place_id" not in result.output
    assert "wang" not in _users()


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_a_blank_name_is_refused(app, ctx, name):
    result = _create_staff(app, "root", "--name", name, "--role", "admin",
                           "--password", PASSWORD)
    _assert_refused(result, "--name")


@pytest.mark.parametrize("username", ["", "  ", "a b"])
def test_a_blank_or_malformed_username_is_refused(app, ctx, username):
    result = _create_staff(app, username, "--name", "管理员", "--role", "admin",
                           "--password", PASSWORD)
    _assert_refused(result, "USERNAME")


def test_a_short_password_names_the_option(app, ctx):
    result = _create_staff(app, "root", "--name", "管理员", "--role", "admin",
                           "--password", "short")
    _assert_refused(result, "--password", "10")


def test_a_taken_username_names_the_argument(app, ctx):
    f.staff(None, role="admin", username="root")
    db.session.commit()
    result = _create_staff(app, "root", "--name", "管理员", "--role", "admin",
                           "--password", PASSWORD)
    assert result.exit_code != 0
    assert "USERNAME" in result.output and "root" in result.output


def test_staff_are_created_with_the_name_trimmed(app, ctx):
    world = f.two_communities()
    result = _create_staff(app, "wang", "--name", "  王老师 ", "--password", PASSWORD,
                           "--scope", world["a"].code)
    assert result.exit_code == 0, result.output
    user = db.session.execute(sa.select(User).where(User.username == "wang")).scalar_one()
    assert user.display_name == "王老师" and user.scope_place_id == world["a"].id


@pytest.mark.parametrize("name", ["", "   "])
def test_an_open311_key_needs_a_client_name(app, ctx, name):
    result = app.test_cli_runner().invoke(args=["open311", "keys", "create", name])
    assert result.exit_code != 0
    assert "NAME" in result.output
