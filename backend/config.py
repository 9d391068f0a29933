"""Settings read from the environment and validated at start-up.

Every setting is listed in the README. ``load_config`` returns a plain dict that
``create_app`` puts into ``app.config``; ``ConfigError`` stops the start-up with a
message that says which variable is wrong and what it expects.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

import click
from gunicorn.errors import AppImportError


class ConfigError(click.ClickException, AppImportError, RuntimeError):
    """A setting is missing, malformed or contradicts another one.

    Whoever starts the application shows its message alone, without a traceback, and
    exits non-zero: the ``flask`` command (click prints ``Error: …`` for a
    ``ClickException``, exit 1) and gunicorn (a worker that cannot load the application
    prints an ``AppImportError`` and the server stops, exit 4; with ``--preload`` gunicorn
    prints a ``RuntimeError`` and exits 1). Elsewhere it is an ordinary exception.
    """

    def __init__(self, problems: list[str] | str) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        if len(self.problems) == 1:
            text = (f"Linli cannot start: {self.problems[0]}.\nFix this environment "
                    "variable (README.md, Settings, describes each one) and start again.")
        else:
            text = ("Linli cannot start:\n  - " + ";\n  - ".join(self.problems) + ".\nFix "
                    "these environment variables (README.md, Settings, describes each one) "
                    "and start again.")
        super().__init__(text)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(env: Mapping[str, str], name: str, default: bool, problems: list[str]) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    problems.append(f"{name} must be 0 or 1, got {raw!r}")
    return default


def _int(env: Mapping[str, str], name: str, default: int, problems: list[str],
         minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name} must be an integer, got {raw!r}")
        return default
    if value < minimum:
        problems.append(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name} must be a number, got {raw!r}")
        return default
    if value <= 0:
        problems.append(f"{name} must be positive, got {value}")
    return value


def _trusted_proxies(env: Mapping[str, str], problems: list[str]) -> int:
    raw = env.get("TRUSTED_PROXIES")
    if raw is None or raw.strip() == "":
        return 0
    try:
        return check_trusted_proxies(int(raw.strip()))
    except (ValueError, ConfigError):
        problems.append(TRUSTED_PROXIES_PROBLEM.format(raw))
        return 0


TRUSTED_PROXIES_PROBLEM = ("TRUSTED_PROXIES must be the number of reverse proxies in front of "
                           "Linli (0 without one, 1 behind nginx), got {!r}")


def check_trusted_proxies(value: Any) -> int:
    """The proxy count as given to ``create_app`` (or read from the environment): a
    whole number ≥ 0, else ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(TRUSTED_PROXIES_PROBLEM.format(value))
    return value


# The shapes of real mini-program credentials: an AppID is "wx" and 16 hex digits, an
# AppSecret 32 hex digits. The tests' and a local fake's placeholders (wx-test-appid …)
# have neither shape.
_REAL_APPID = re.compile(r"wx[0-9a-f]{16}", re.IGNORECASE)
_REAL_SECRET = re.compile(r"[0-9a-f]{32}", re.IGNORECASE)


def wechat_credentials_look_real(appid: str, secret: str) -> bool:
    return bool(_REAL_APPID.fullmatch(appid or "") or _REAL_SECRET.fullmatch(secret or ""))


def dev_login_problem(dev_login: bool, appid: str, secret: str, api_base: str) -> str | None:
    """Why DEV_LOGIN=1 cannot go with these WeChat settings, or None.

    Refused with credentials shaped like real ones, whatever WECHAT_API_BASE is (a
    forwarding proxy or a local fake in front of real credentials changes nothing), and
    with any credentials aimed at a WeChat host (api., api2., sh.api. …, any scheme or
    case). Only no credentials, or placeholders against a fake, allow it."""
    if not dev_login or not (appid or secret):
        return None
    host = (urlsplit(api_base or "").hostname or "").lower()
    real_host = host == "weixin.qq.com" or host.endswith(".weixin.qq.com")
    if wechat_credentials_look_real(appid, secret) or real_host:
        return ("DEV_LOGIN=1 is refused while real WeChat credentials are configured "
                "(WECHAT_APPID / WECHAT_SECRET shaped like real ones, or aimed at WeChat): "
                "the development login would let anyone act as any resident. Switch "
                "DEV_LOGIN off, or use placeholder credentials with a fake WeChat server")
    return None


def check_dev_login(config: Mapping[str, Any]) -> None:
    """The same rule for settings given to ``create_app`` directly."""
    problem = dev_login_problem(bool(config.get("DEV_LOGIN")),
                                str(config.get("WECHAT_APPID") or "").strip(),
                                str(config.get("WECHAT_SECRET") or "").strip(),
                                str(config.get("WECHAT_API_BASE") or ""))
    if problem:
        raise ConfigError(problem)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
REDIS_SCHEMES = ("redis", "rediss", "unix")


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings and pick the psycopg 3 driver for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key(instance_path: Path) -> str:
    """Read the key from the instance folder, creating a random one on first start.

    Nothing is hard-coded: a fresh machine gets its own key, kept across restarts so
    that console sessions survive them.
    """
    path = instance_path / "secret_key"
    try:
        if path.exists():
            return path.read_text().strip()
        instance_path.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
    except OSError as exc:
        raise ConfigError(f"SECRET_KEY is unset and the key kept in {str(path)!r} cannot be "
                          f"read or written ({exc.strerror}): set SECRET_KEY, or make "
                          "LINLI_INSTANCE_PATH a folder this user can write") from None
    return key


# Service-window booking rules (docs/domain.md#bookings): name → (default, minimum, maximum)
BOOKING_SETTINGS = {
    "BOOKING_MIN_NOTICE_MINUTES": (30, 0, 7 * 24 * 60),
    "BOOKING_MAX_ADVANCE_DAYS": (14, 1, 90),
    "BOOKING_MAX_ACTIVE": (2, 1, 50),
    "BOOKING_CANCEL_CUTOFF_HOURS": (2, 0, 7 * 24),
    "BOOKING_NO_SHOW_LIMIT": (3, 1, 100),
    "BOOKING_NO_SHOW_WINDOW_DAYS": (90, 1, 3660),
    "BOOKING_PAUSE_DAYS": (30, 1, 3660),
}


def _booking_settings(env: Mapping[str, str], problems: list[str]) -> dict[str, int]:
    values = {}
    for name, (default, minimum, maximum) in BOOKING_SETTINGS.items():
        value = _int(env, name, default, problems, minimum)
        if value > maximum:
            problems.append(f"{name} must be at most {maximum}, got {value}")
        values[name] = value
    return values


def _star_hours(env: Mapping[str, str], problems: list[str]) -> list[int]:
    raw = env.get("VOLUNTEER_STAR_HOURS", "100,300,600,1000,1500")
    try:
        values = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or any(v < 1 for v in values) or values != sorted(set(values)):
        problems.append("VOLUNTEER_STAR_HOURS must be increasing whole hours, e.g. "
                        f"100,300,600,1000,1500, got {raw!r}")
        return [100, 300, 600, 1000, 1500]
    return values


def _volunteer_step(env: Mapping[str, str], problems: list[str]) -> int:
    value = _int(env, "VOLUNTEER_HOURS_STEP_MINUTES", 30, problems, minimum=1)
    if value > 60 or 60 % value:
        problems.append(f"VOLUNTEER_HOURS_STEP_MINUTES must divide 60, got {value}")
        return 30
    return value


def instance_path(env: Mapping[str, str] | None = None) -> str | None:
    """LINLI_INSTANCE_PATH (absolute), or None for Flask's default ``./instance``."""
    env = os.environ if env is None else env
    raw = env.get("LINLI_INSTANCE_PATH") or None
    if raw is not None and not os.path.isabs(raw):
        raise ConfigError(f"LINLI_INSTANCE_PATH must be an absolute path, got {raw!r}")
    return raw


def make_instance_folder(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"LINLI_INSTANCE_PATH must name a folder this user can create "
                          f"and write, {path!r} cannot be created ({exc.strerror})") from None


def load_config(instance_path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if env is None else env
    problems: list[str] = []
    instance = Path(instance_path)

    database_url = normalise_database_url(
        env.get("DATABASE_URL") or f"sqlite:///{instance / 'linli.db'}"
    )
    _check_database_url(database_url, problems)

    wechat_appid = env.get("WECHAT_APPID", "").strip()
    wechat_secret = env.get("WECHAT_SECRET", "").strip()
    wechat_base = env.get("WECHAT_API_BASE", "https://api.weixin.qq.com/").strip()
    if not wechat_base.endswith("/"):
        wechat_base += "/"
    if not wechat_base.startswith(("http://", "https://")):
        problems.append("WECHAT_API_BASE must be an http(s) URL")
    if bool(wechat_appid) != bool(wechat_secret):
        problems.append("WECHAT_APPID and WECHAT_SECRET must be set together")

    dev_login = _bool(env, "DEV_LOGIN", False, problems)
    problem = dev_login_problem(dev_login, wechat_appid, wechat_secret, wechat_base)
    if problem:
        problems.append(problem)

    office_hours = env.get("OFFICE_HOURS", "09:00-12:00,13:30-18:00")
    try:
        from backend.core.workcalendar import OfficeHours

        OfficeHours.parse(office_hours)
    except ValueError as exc:
        problems.append(f"OFFICE_HOURS is not valid ({exc})")

    if env.get("WECHAT_TOKEN_STORE", "file") not in ("file", "memory"):
        problems.append("WECHAT_TOKEN_STORE must be file or memory, "
                        f"got {env['WECHAT_TOKEN_STORE']!r}")
    redis_url = env.get("REDIS_URL", "").strip() or None
    if redis_url and urlsplit(redis_url).scheme.lower() not in REDIS_SCHEMES:
        problems.append("REDIS_URL must be a redis://, rediss:// or unix:// URL, "
                        f"got a {_scheme(redis_url)} URL")
    log_level = env.get("LOG_LEVEL", "INFO").strip().upper()
    if log_level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, "
                        f"got {env['LOG_LEVEL']!r}")
        log_level = "INFO"
    login_rate_limit = env.get("LOGIN_RATE_LIMIT", "10 per minute")
    _check_rate_limit("LOGIN_RATE_LIMIT", login_rate_limit, problems)
    max_upload_mb = _int(env, "MAX_UPLOAD_MB", 10, problems, minimum=1)

    config: dict[str, Any] = {
        "SECRET_KEY": env.get("SECRET_KEY") or _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLITE_BUSY_TIMEOUT_MS": _int(env, "SQLITE_BUSY_TIMEOUT_MS", 5000, problems),
        "DB_PING_AFTER_IDLE_SECONDS": _int(env, "DB_PING_AFTER_IDLE_SECONDS", 10, problems, 0),
        "REDIS_URL": redis_url,
        "WECHAT_APPID": wechat_appid,
        "WECHAT_SECRET": wechat_secret,
        "WECHAT_API_BASE": wechat_base,
        "WECHAT_TIMEOUT": _float(env, "WECHAT_TIMEOUT", 5.0, problems),
        "WECHAT_TOKEN_STORE": env.get("WECHAT_TOKEN_STORE", "file"),
        "WECHAT_TEMPLATE_TICKET": env.get("WECHAT_TEMPLATE_TICKET", "").strip(),
        "WECHAT_TEMPLATE_TASK": env.get("WECHAT_TEMPLATE_TASK", "").strip(),
        "WECHAT_TEMPLATE_BOOKING": env.get("WECHAT_TEMPLATE_BOOKING", "").strip(),
        "WECHAT_TEMPLATE_VOLUNTEER": env.get("WECHAT_TEMPLATE_VOLUNTEER", "").strip(),
        "WECHAT_TEMPLATE_PARTICIPATION": env.get("WECHAT_TEMPLATE_PARTICIPATION", "").strip(),
        "DEV_LOGIN": dev_login,
        "RESIDENT_TOKEN_TTL_HOURS": _int(env, "RESIDENT_TOKEN_TTL_HOURS", 24 * 30, problems, 1),
        "STAFF_TOKEN_TTL_HOURS": _int(env, "STAFF_TOKEN_TTL_HOURS", 12, problems, 1),
        "BINDING_CODE_TTL_HOURS": _int(env, "BINDING_CODE_TTL_HOURS", 72, problems, 1),
        "OFFICE_HOURS": office_hours,
        **_booking_settings(env, problems),
        "VOLUNTEER_STAR_HOURS": _star_hours(env, problems),
        "VOLUNTEER_HOURS_STEP_MINUTES": _volunteer_step(env, problems),
        "CONSOLE_SESSION_MINUTES": _int(env, "CONSOLE_SESSION_MINUTES", 30, problems, 1),
        "LOGIN_RATE_LIMIT": login_rate_limit,
        # werkzeug's password hash (backend/accounts/operations.py): scrypt, n=2^15
        "PASSWORD_HASH_METHOD": "scrypt",
        # reverse proxies in front (nginx: 1); their X-Forwarded-For/-Proto are believed
        "TRUSTED_PROXIES": _trusted_proxies(env, problems),
        "MAX_CONTENT_LENGTH": max_upload_mb * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": max_upload_mb * 1024 * 1024,
        "MEDIA_ROOT": env.get("MEDIA_ROOT") or str(instance / "media"),
        "MAX_PHOTO_MB": _int(env, "MAX_PHOTO_MB", 10, problems, minimum=1),
        "MAX_PHOTO_PIXELS": _int(env, "MAX_PHOTO_PIXELS", 50_000_000, problems, 1_000_000),
        "MEDIA_URL_TTL_SECONDS": _int(env, "MEDIA_URL_TTL_SECONDS", 3600, problems, 60),
        # resolved bearer tokens kept per process at most this long (0: not kept);
        # backend/accounts/token_cache.py
        "TOKEN_CACHE_SECONDS": _int(env, "TOKEN_CACHE_SECONDS", 60, problems, 0),
        # the revisions kept per process at most this long (0: read every request);
        # backend/places/models.py
        "REVISIONS_KEPT_SECONDS": _int(env, "REVISIONS_KEPT_SECONDS", 2, problems, 0),
        # retention (backend/core/maintenance.py)
        "IDEMPOTENCY_KEEP_HOURS": _int(env, "IDEMPOTENCY_KEEP_HOURS", 48, problems, 1),
        "OUTBOX_KEEP_DAYS": _int(env, "OUTBOX_KEEP_DAYS", 30, problems, 1),
        "UPLOAD_UNATTACHED_HOURS": _int(env, "UPLOAD_UNATTACHED_HOURS", 24, problems, 1),
        "MAINTENANCE_EVERY_MINUTES": _int(env, "MAINTENANCE_EVERY_MINUTES", 60, problems, 0),
        # the deadline sweeps (催办, 督办, 自动结案: backend/tickets/deadlines.py); 0: never
        "SWEEP_EVERY_MINUTES": _int(env, "SWEEP_EVERY_MINUTES", 5, problems, 0),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _bool(env, "RATELIMIT_ENABLED", True, problems),
        "RATELIMIT_HEADERS_ENABLED": True,
        # no pool_pre_ping: a round trip on every request; see _ping_idle_connections
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_NAME": "linli_console",
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked by the console blueprint
        "WTF_CSRF_TIME_LIMIT": None,      # the session timeout bounds it instead
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env, "SESSION_COOKIE_SECURE", False, problems),
        "LOG_LEVEL": log_level,
        # flask-smorest / OpenAPI
        "API_TITLE": "Linli 邻里 API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        # Served from the swagger-ui-bundle package: the page works offline.
        "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs-assets/",
    }
    if problems:
        raise ConfigError(problems)
    return config


def _scheme(url: str) -> str:
    """How a URL is named in a message: its scheme only (the rest may hold a password)."""
    scheme = url.partition("://")[0] if "://" in url else ""
    return repr(scheme + "://") if scheme and scheme.replace("+", "").isalnum() else "malformed"


def _check_database_url(url: str, problems: list[str]) -> None:
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        problems.append("DATABASE_URL must be a sqlite:///path or postgresql://user@host/db "
                        f"URL, got a {_scheme(url)} URL")
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url)
    except (ArgumentError, ValueError):  # a port that is not a number: ValueError
        problems.append("DATABASE_URL is not a valid URL (expected "
                        "postgresql://user:password@host:port/database with a numeric port, "
                        "or sqlite:///path)")


def _check_rate_limit(name: str, value: str, problems: list[str]) -> None:
    from limits import parse_many

    try:
        if not parse_many(value):
            raise ValueError(value)
    except ValueError:
        problems.append(f"{name} must be a rate such as '10 per minute' or "
                        f"'5/second; 100/hour', got {value!r}")
