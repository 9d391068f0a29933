"""Liveness and readiness."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from backend.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez():
    """The process answers; touches nothing (the baseline benchmarks compare against)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database answers and its schema is migrated."""
    try:
        version = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        log.warning("readiness check failed", exc_info=True)
        db.session.rollback()
        response = jsonify({"error": {"code": "service_unavailable",
                                      "message": "database unavailable"}})
        response.status_code = 503
        return response
    return jsonify(status="ok", database=db.engine.dialect.name, schema=version)
