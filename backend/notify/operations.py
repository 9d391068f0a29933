"""Writing to the outbox. Flush only: the row commits (or not) with the change itself."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Optional

import sqlalchemy as sa

from backend.core.models import utcnow
from backend.extensions import db
from backend.notify.models import OutboxMessage


def enqueue(user_ids: Iterable[int], kind: str, title: str, body: str = "", page: str = "",
            data: Optional[dict[str, Any]] = None, not_before: Optional[datetime] = None,
            dedupe_key: Optional[str] = None) -> list[OutboxMessage]:
    """One outbox row per recipient (each recipient once). With ``dedupe_key``, a row the
    recipient already has for that key is not written again."""
    rows = []
    for user_id in dict.fromkeys(u for u in user_ids if u):
        if dedupe_key is not None and db.session.execute(
                sa.select(OutboxMessage.id).where(OutboxMessage.user_id == user_id,
                                                  OutboxMessage.dedupe_key == dedupe_key)
        ).first():
            continue
        row = OutboxMessage(user_id=user_id, kind=kind, title=title[:100], body=body[:500],
                            page=page[:200], data=data, dedupe_key=dedupe_key,
                            not_before=not_before or utcnow())
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def cancel(dedupe_prefix: str) -> int:
    """Cancel pending rows whose key starts with ``dedupe_prefix`` (a cancelled booking's
    reminders …)."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == "pending",
               OutboxMessage.dedupe_key.startswith(dedupe_prefix, autoescape=True))
        .values(status="cancelled")
        .execution_options(synchronize_session=False))
    return result.rowcount or 0
