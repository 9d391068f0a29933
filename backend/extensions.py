"""Extensions, created unbound and attached to the app in ``create_app``."""
from __future__ import annotations

from apispec import BasePlugin
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api, Blueprint
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from backend.core.models import Base
from backend.core.parsing import LinliParser


class LinliApi(Api):
    """flask-smorest's Api with Linli's one error shape.

    flask-smorest answers errors as ``{"code", "status", "errors"}``; every error here,
    validation errors included, goes through ``backend.core.errors`` instead.
    """

    def handle_http_exception(self, error):  # noqa: D401 - flask-smorest hook
        from backend.core.errors import http_exception_response

        return http_exception_response(error)


# every @blp.arguments parses with it (set before any api module is imported)
Blueprint.ARGUMENTS_PARSER = LinliParser()


class JsonBodyResponses(BasePlugin):
    """Documents the 415 of every operation that takes a JSON body (LinliParser refuses a
    body sent without ``Content-Type: application/json``)."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                operation.setdefault("responses", {}).setdefault(415, "UNSUPPORTED_MEDIA_TYPE")


def _rate_limit_key() -> str:
    return get_remote_address() or request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
api = LinliApi(spec_kwargs={"extra_plugins": [JsonBodyResponses()]})
limiter = Limiter(key_func=_rate_limit_key, default_limits=[])
# CSRF is checked by the console blueprint only (the API uses bearer tokens, no cookies).
csrf = CSRFProtect()
# The console's text goes through gettext (``_`` in templates, ``flask_babel.gettext`` in
# Python); the locale is chosen in create_app.
babel = Babel()
