"""Delivering the outbox: claim a batch under a lease, write the in-app notification, send
the WeChat subscribe message where the user accepted the template, retry with back-off.

Claiming is one conditional UPDATE: on PostgreSQL the candidate rows are picked with
``FOR UPDATE SKIP LOCKED``, so several workers take disjoint batches; on SQLite the
statement runs under the single write lock (BEGIN IMMEDIATE), which serialises claims.
A worker that dies leaves its rows leased; when the lease runs out another takes them.
Writing the inbox row is idempotent (one per outbox row), so a retried row is never shown
twice; a WeChat message can go out twice only if a worker dies between WeChat's answer
and its own commit — the lease is kept well above the WeChat timeout to make that rare.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import User
from backend.core.models import utcnow
from backend.core.wechat import WeChatError, get_client
from backend.extensions import db
from backend.notify.models import Notification, OutboxMessage, SubscriptionGrant
from backend.notify.templates import message_data, template_for

log = logging.getLogger(__name__)

# WeChat answers that will not change on a retry: the user refused (43101), a bad openid
# (40003), a bad template (40037), a bad argument (47003).
PERMANENT = {43101, 40003, 40037, 47003}
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    inbox_only: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0),
                                 BACKOFF_CAP_SECONDS))


def claim(worker_id: str, batch_size: int, lease_seconds: int) -> list[OutboxMessage]:
    now = utcnow()
    lease_until = now + timedelta(seconds=lease_seconds)
    candidates = (
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.not_before <= now,
               sa.or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now))
        .order_by(OutboxMessage.id).limit(batch_size))
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()))
        .values(lease_until=lease_until, leased_by=worker_id)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return list(db.session.execute(
        sa.select(OutboxMessage).where(OutboxMessage.leased_by == worker_id,
                                       OutboxMessage.lease_until == lease_until)
        .order_by(OutboxMessage.id)).scalars())


def _write_inbox(row: OutboxMessage) -> None:
    exists = db.session.execute(sa.select(Notification.id).where(
        Notification.outbox_id == row.id)).first()
    if not exists:
        db.session.add(Notification(user_id=row.user_id, outbox_id=row.id, kind=row.kind,
                                    title=row.title, body=row.body, page=row.page,
                                    language=row.language or "zh",
                                    created_at=row.created_at))


def _take_grant(user_id: int, template_id: str) -> bool:
    """Spend one acceptance of this template, atomically; False when there is none."""
    taken = db.session.execute(
        sa.update(SubscriptionGrant)
        .where(SubscriptionGrant.user_id == user_id, SubscriptionGrant.template_id == template_id,
               SubscriptionGrant.remaining > 0)
        .values(remaining=SubscriptionGrant.remaining - 1)
        .execution_options(synchronize_session=False)).rowcount
    return taken == 1


def _give_back_grant(user_id: int, template_id: str) -> None:
    db.session.execute(
        sa.update(SubscriptionGrant)
        .where(SubscriptionGrant.user_id == user_id, SubscriptionGrant.template_id == template_id)
        .values(remaining=SubscriptionGrant.remaining + 1)
        .execution_options(synchronize_session=False))


def _prepare_wechat(row: OutboxMessage, client) -> Optional[dict]:
    """Inside the transaction: what to send, with one acceptance taken; None to skip."""
    if client is None:
        return None
    template_id = template_for(row.kind)
    user = db.session.get(User, row.user_id)
    if not template_id or user is None or not user.openid:
        return None
    if not _take_grant(user.id, template_id):
        return None  # the user has not (or no longer) accepted this template
    return {"openid": user.openid, "template_id": template_id, "data": message_data(row),
            "page": row.page or None}


def _send(message: dict, client) -> tuple[str, str]:
    """Outside any transaction (a slow WeChat must not hold SQLite's write lock):
    (sent | failed | retry, error text)."""
    try:
        client.call(client.wxa.send_subscribe_message, message["openid"],
                    message["template_id"], message["data"], page=message["page"])
    except WeChatError as exc:
        error = f"{exc.kind} {exc.errcode or ''} {exc.errmsg}"[:300]
        return ("failed" if exc.errcode in PERMANENT else "retry"), error
    return "sent", ""


def deliver(row: OutboxMessage, client, result: BatchResult) -> None:
    """Inbox first (committed), then WeChat outside the transaction, then the outcome.

    ``wechat_status`` 'sending' marks a message whose acceptance is already taken: a
    worker that died there leaves it to the next one, which sends without taking another.
    """
    row_id, user_id = row.id, row.user_id
    _write_inbox(row)
    message = None
    if row.wechat_status == "pending":
        message = _prepare_wechat(row, client)
        row.wechat_status = "sending" if message else "skipped"
    elif row.wechat_status == "sending" and client is not None:
        message = row.data.get("_wechat") if row.data else None
    if message:
        row.data = dict(row.data or {}, _wechat=message)
    db.session.commit()

    outcome, error = ("skipped", "") if not message else _send(message, client)

    row = db.session.get(OutboxMessage, row_id)
    if error:
        row.last_error = error
    row.attempts += 1
    if outcome == "retry" and row.attempts < MAX_ATTEMPTS:
        _give_back_grant(user_id, message["template_id"])
        row.wechat_status = "pending"
        row.not_before = utcnow() + backoff(row.attempts)
        row.lease_until = None
        row.leased_by = None
        result.retried += 1
        return
    if outcome == "retry":
        outcome = "failed"
    if outcome == "failed" and message and "43101" not in error:
        _give_back_grant(user_id, message["template_id"])  # only a refusal spends it
    row.wechat_status = outcome
    row.status = "sent"  # the inbox has it whatever WeChat said
    row.sent_at = utcnow()
    row.lease_until = None
    if outcome == "sent":
        result.sent += 1
    elif outcome == "failed":
        result.failed += 1
    else:
        result.inbox_only += 1


def _client():
    if not current_app.config.get("WECHAT_APPID"):
        return None
    try:
        return get_client()
    except WeChatError:
        return None


def run_batch(worker_id: Optional[str] = None, batch_size: int = 50,
              lease_seconds: int = 120) -> BatchResult:
    worker_id = worker_id or secrets.token_hex(8)
    result = BatchResult()
    rows = claim(worker_id, batch_size, lease_seconds)
    result.claimed = len(rows)
    client = _client() if rows else None
    db.session.commit()  # nothing held while WeChat is asked
    ids = [row.id for row in rows]
    for row_id in ids:
        row = db.session.get(OutboxMessage, row_id)
        try:
            deliver(row, client, result)
            db.session.commit()
        except Exception as exc:  # one bad row must not stop the batch
            db.session.rollback()
            log.exception("delivering outbox row %s failed", row_id)
            result.errors.append(f"{row_id}: {type(exc).__name__}")
            _postpone(row_id, type(exc).__name__)
    return result


def _postpone(row_id: int, error: str) -> None:
    """A row whose delivery crashed is tried again later, and given up after MAX_ATTEMPTS."""
    row = db.session.get(OutboxMessage, row_id)
    if row is None:
        return
    row.attempts += 1
    row.last_error = error[:300]
    row.lease_until = None
    row.leased_by = None
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
    else:
        row.not_before = utcnow() + backoff(row.attempts)
    db.session.commit()
