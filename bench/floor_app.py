"""The stack's floor: a bare Flask + Flask-SQLAlchemy + marshmallow app (bench/floor.py).

    gunicorn -c backend/gunicorn_conf.py 'bench.floor_app:create_app()'   (DATABASE_URL set)

It does what creating a report needs and nothing more, with the libraries (and versions)
Linli installs and none of Linli's code:

- ``POST /api/v1/tickets``: the bearer token looked up in the database (its SHA-256), the
  body validated by a marshmallow schema (category_id, description, lat, lng; an optional
  address), the Idempotency-Key claimed in a transaction of its own (a row unique per user
  and key), then the ticket and its first event inserted and the answer stored on the
  claim in a second transaction; 201 and the ticket as JSON. The same key again replays the
  stored answer (``Idempotent-Replayed: true``); the same key with another body is 422.
- ``GET /livez``: answers without touching the database.

SQLite as Linli runs it (WAL, synchronous=NORMAL, a busy timeout, BEGIN IMMEDIATE for
writing requests), else one writer at a time would fail instead of wait. The tables are
created by whoever uses the app (``db.create_all()``: the bench, the test).
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from typing import Optional

import sqlalchemy as sa
from flask import Flask, Response, has_request_context, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import orm as so
from sqlalchemy.exc import IntegrityError

db = SQLAlchemy()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class Token(db.Model):
    __tablename__ = "tokens"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int]


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int]
    key: so.Mapped[str] = so.mapped_column(sa.String(200))
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64))
    ticket_id: so.Mapped[Optional[int]]
    answer: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=_now)


class Ticket(db.Model):
    __tablename__ = "tickets"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reporter_id: so.Mapped[int] = so.mapped_column(index=True)
    category_id: so.Mapped[int]
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    lat: so.Mapped[float]
    lng: so.Mapped[float]
    address: so.Mapped[Optional[str]] = so.mapped_column(sa.String(200))
    state: so.Mapped[str] = so.mapped_column(sa.String(20), default="submitted")
    created_at: so.Mapped[datetime] = so.mapped_column(default=_now)


class TicketEvent(db.Model):
    __tablename__ = "ticket_events"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tickets.id"), index=True)
    actor_id: so.Mapped[int]
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    created_at: so.Mapped[datetime] = so.mapped_column(default=_now)


class TicketIn(Schema):
    category_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    address = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=200))


class TicketOut(Schema):
    id = fields.Integer()
    state = fields.String()
    category_id = fields.Integer()
    description = fields.String()
    lat = fields.Float()
    lng = fields.Float()
    address = fields.String(allow_none=True)
    created_at = fields.DateTime()


def _error(status: int, code: str, **extra) -> Response:
    response = jsonify(error={"code": code, **extra})
    response.status_code = status
    return response


def _answer(text: str, status: int = 201, replayed: bool = False) -> Response:
    response = Response(text, status=status, mimetype="application/json")
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _sqlite_like_linli(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                       "busy_timeout=5000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        reading = has_request_context() and request.method in ("GET", "HEAD")
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def create_app(database_url: Optional[str] = None) -> Flask:
    url = database_url or os.environ["DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    if url.startswith("sqlite"):
        with app.app_context():
            _sqlite_like_linli(db.engine)
    ticket_in, ticket_out = TicketIn(), TicketOut()

    @app.get("/livez")
    def livez():
        return jsonify(status="ok")

    @app.post("/api/v1/tickets")
    def create_ticket():
        raw = request.headers.get("Authorization", "")
        user_id = None
        if raw.startswith("Bearer "):
            user_id = db.session.scalar(
                sa.select(Token.user_id).where(Token.token_hash == token_hash(raw[7:])))
        if user_id is None:
            return _error(401, "unauthorized")
        body = request.get_json(silent=True)
        try:
            data = ticket_in.load(body if isinstance(body, dict) else {})
        except ValidationError as err:
            return _error(422, "validation_error", fields=err.messages)
        key = request.headers.get("Idempotency-Key")
        claim = None
        if key:
            fingerprint = hashlib.sha256(
                json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()
            claim = IdempotencyKey(user_id=user_id, key=key, fingerprint=fingerprint)
            db.session.add(claim)
            try:
                db.session.commit()  # the claim, in a transaction of its own
            except IntegrityError:
                db.session.rollback()
                earlier = db.session.scalar(sa.select(IdempotencyKey).filter_by(
                    user_id=user_id, key=key))
                if earlier is None or earlier.answer is None:
                    response = _error(409, "idempotency_in_progress")
                    response.headers["Retry-After"] = "1"
                    return response
                if earlier.fingerprint != fingerprint:
                    return _error(422, "idempotency_key_reused")
                return _answer(earlier.answer, replayed=True)
        try:
            ticket = Ticket(reporter_id=user_id, **data)
            db.session.add(ticket)
            db.session.flush()
            db.session.add(TicketEvent(ticket_id=ticket.id, actor_id=user_id, kind="submitted"))
            text = json.dumps(ticket_out.dump(ticket), ensure_ascii=False)
            if claim is not None:
                claim.ticket_id, claim.answer = ticket.id, text
            db.session.commit()
        except Exception:
            db.session.rollback()
            if claim is not None:  # give the key up: a retry may try again
                db.session.execute(sa.delete(IdempotencyKey).filter_by(id=claim.id))
                db.session.commit()
            raise
        return _answer(text)

    return app
