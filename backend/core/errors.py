"""Linli's one error shape, for every status:

    {"error": {"code": "validation_error", "message": "…", "fields": {"photos": ["…"]}}}

Raise ``ApiError`` from operations and views; HTTP exceptions (404, 405, 413, 429 …),
webargs validation errors and unhandled exceptions are all turned into this shape here.
Nothing internal (exception text, SQL, stack) ever reaches the client.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from backend.core.i18n import t, translate_marshmallow

log = logging.getLogger(__name__)

# HTTP status -> (error code, message key)
_STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "bad_request"),
    401: ("unauthorized", "unauthorized"),
    403: ("forbidden", "forbidden"),
    404: ("not_found", "not_found"),
    405: ("method_not_allowed", "method_not_allowed"),
    409: ("conflict", "conflict"),
    413: ("payload_too_large", "payload_too_large"),
    415: ("unsupported_media_type", "unsupported_media_type"),
    422: ("validation_error", "validation_error"),
    429: ("rate_limited", "rate_limited"),
    500: ("internal_error", "internal_error"),
    503: ("service_unavailable", "service_unavailable"),
}


class ApiError(Exception):
    """An error a client can act on. ``key`` names a message in ``backend.core.i18n``."""

    def __init__(self, status: int, key: str, *, code: str | None = None,
                 fields: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None,
                 details: dict[str, Any] | None = None, **params: Any) -> None:
        super().__init__(key)
        # more the client acts on, beside code and message (the ticket a duplicate names)
        self.details = details or {}
        self.status = status
        self.key = key
        self.code = code or key
        self.fields = fields
        self.headers = headers or {}
        self.params = params


def field_error(field: str, key: str, status: int = 422, **params: Any) -> ApiError:
    """An error on one field, with the message translated now.

    422: the value is wrong; 403: the value names something the caller may not use;
    409: the value conflicts with what is stored (a taken username …)."""
    codes = {403: "forbidden", 409: "conflict"}
    key_for_message = {403: "forbidden", 409: "conflict"}.get(status, "validation_error")
    return ApiError(status, key_for_message, code=codes.get(status, "validation_error"),
                    fields={field: [t(key, **params)]})


def error_body(code: str, message: str, fields: dict | None = None,
               details: dict | None = None) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    if details:
        body.update({k: v for k, v in details.items() if k not in body})
    return {"error": body}


def _translate(messages: Any) -> Any:
    if isinstance(messages, str):
        return translate_marshmallow(messages)
    if isinstance(messages, list):
        return [_translate(m) for m in messages]
    if isinstance(messages, dict):
        return {str(k): _translate(v) for k, v in messages.items()}
    return messages


def _flatten_webargs(messages: dict) -> dict:
    """webargs keys errors by location (json, query, form, files …); clients want fields."""
    fields: dict[str, Any] = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            for name, value in errors.items():
                fields[name] = value
        else:
            fields[location] = errors
    return _translate(fields)


def _human_size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n} B"


def http_exception_response(error: HTTPException):
    status = error.code or 500
    code, key = _STATUS_CODES.get(status, ("http_error", "http_error"))
    fields = None
    headers: dict[str, str] = {}
    data = getattr(error, "data", None) or {}
    if isinstance(data, dict):
        if "messages" in data and isinstance(data["messages"], dict):
            fields = _flatten_webargs(data["messages"])
            if "_schema" in fields and status == 422:
                # the body was not an object, or a schema-level rule failed
                fields["_body"] = fields.pop("_schema")
        headers.update(data.get("headers") or {})
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    params = {}
    if status == 413:
        from flask import current_app

        params["limit"] = _human_size(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    if status >= 500:
        original = getattr(error, "original_exception", None)
        if _database_down(original):
            log.warning("database unavailable: %s", type(original).__name__)
            return _unavailable_response()
        if original is not None:
            log.error("unhandled exception", exc_info=original)
    response = jsonify(error_body(code, t(key, **params), fields))
    response.status_code = status
    for name, value in headers.items():
        response.headers[name] = value
    if status == 429:
        retry = getattr(error, "retry_after", None)
        if retry:
            response.headers.setdefault("Retry-After", str(int(retry)))
    return response


def api_error_response(error: ApiError):
    response = jsonify(error_body(error.code, t(error.key, **error.params), error.fields,
                                  error.details))
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def _database_down(error: BaseException | None) -> bool:
    return isinstance(error, (OperationalError, InterfaceError)) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)


def _unavailable_response():
    response = jsonify(error_body("service_unavailable", t("service_unavailable")))
    response.status_code = 503
    response.headers["Retry-After"] = "2"
    return response


def unhandled_exception_response(error: Exception):
    if _database_down(error):
        log.warning("database unavailable: %s", type(error).__name__)
        return _unavailable_response()
    log.exception("unhandled exception: %s", type(error).__name__)
    return http_exception_response(InternalServerError())


def stale_data_response(error: StaleDataError):
    """Two people changed the same row at once: the later write is refused, not applied."""
    log.info("stale write refused: %s", error)
    response = jsonify(error_body("stale_version", t("conflict")))
    response.status_code = 409
    return response


def commit_failure_response(error: Exception):
    """The request's final commit failed: nothing was saved; say so in the one shape."""
    if isinstance(error, StaleDataError):
        return stale_data_response(error)
    if isinstance(error, IntegrityError):
        log.warning("commit refused by a constraint: %s", type(error.orig).__name__)
        response = jsonify(error_body("conflict", t("conflict")))
        response.status_code = 409
        return response
    if _database_down(error):
        log.warning("database unavailable at commit: %s", type(error).__name__)
        return _unavailable_response()
    log.error("commit failed", exc_info=error)
    return http_exception_response(InternalServerError())


def integrity_error_response(error: IntegrityError):
    """A unique or foreign-key rule refused a write (two requests raced for one name …)."""
    log.warning("write refused by a constraint: %s", type(error.orig).__name__)
    response = jsonify(error_body("conflict", t("conflict")))
    response.status_code = 409
    return response


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, api_error_response)
    app.register_error_handler(IntegrityError, integrity_error_response)
    app.register_error_handler(StaleDataError, stale_data_response)
    app.register_error_handler(HTTPException, http_exception_response)
    app.register_error_handler(Exception, unhandled_exception_response)
