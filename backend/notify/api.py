"""The in-app inbox and WeChat subscription acceptances."""
from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Blueprint

from backend.core.auth import current_user, login_required
from backend.core.errors import ApiError, field_error
from backend.core.fields import is_id
from backend.core.models import utcnow
from backend.extensions import db
from backend.notify import messages  # noqa: F401 - registers the feature's messages
from backend.notify.models import Notification, SubscriptionGrant
from backend.notify.schemas import (
    GrantSchema, NotificationListArgs, NotificationPageSchema, NotificationSchema,
    ReadAllSchema, SubscriptionArgs, TemplatesSchema,
)
from backend.notify.templates import template_ids
from backend.core.paging import keyset_page, page

blp = Blueprint("notifications", __name__, url_prefix="/api/v1",
                description="The in-app inbox and WeChat subscribe-message consent")


def _unread(user_id: int) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))).scalar_one()


def _out(n: Notification) -> dict:
    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "page": n.page,
            "language": n.language, "created_at": n.created_at,
            "read": n.read_at is not None}


@blp.route("/me/notifications", methods=["GET"])
@login_required()
@blp.arguments(NotificationListArgs, location="query")
@blp.response(200, NotificationPageSchema)
def inbox(args):
    """My notifications, newest first, with the unread count."""
    user = current_user()
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if args.get("unread"):
        query = query.where(Notification.read_at.is_(None))
    rows, cursor = keyset_page(query, (Notification.id,), ("int",), True, args.get("cursor"),
                               args["limit"])
    return page([_out(n) for n in rows], cursor, unread_count=_unread(user.id))


@blp.route("/me/notifications/<int:notification_id>/read", methods=["POST"])
@login_required()
@blp.response(200, NotificationSchema)
def mark_read(notification_id):
    """Mark one notification read."""
    user = current_user()
    n = db.session.get(Notification, notification_id) if is_id(notification_id) else None
    if n is None or n.user_id != user.id:
        raise ApiError(404, "not_found")
    if n.read_at is None:
        n.read_at = utcnow()
    return _out(n)


@blp.route("/me/notifications/read-all", methods=["POST"])
@login_required()
@blp.response(200, ReadAllSchema)
def mark_all_read():
    """Mark every notification read."""
    user = current_user()
    marked = db.session.execute(
        sa.update(Notification).where(Notification.user_id == user.id,
                                      Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    return {"marked": marked or 0, "unread_count": 0}


@blp.route("/notifications/templates", methods=["GET"])
@login_required()
@blp.response(200, TemplatesSchema)
def templates():
    """The subscribe-message template ids to ask for (at most 3 per tap)."""
    return {"templates": template_ids()}


@blp.route("/me/subscriptions", methods=["POST"])
@login_required()
@blp.arguments(SubscriptionArgs)
@blp.response(200, GrantSchema(many=True))
def subscriptions(args):
    """Report what `wx.requestSubscribeMessage` answered; each "accept" lets one message
    of that template through."""
    user = current_user()
    known = set(template_ids().values())
    out = []
    for template_id, answer in args["results"].items():
        if template_id not in known:
            raise field_error("results", "template_unknown")
        grant = db.session.get(SubscriptionGrant, (user.id, template_id))
        if grant is None:
            grant = SubscriptionGrant(user_id=user.id, template_id=template_id, remaining=0)
            db.session.add(grant)
        if answer == "accept":
            grant.remaining = min(grant.remaining + 1, 100)
        elif answer == "ban":
            grant.remaining = 0
        out.append(grant)
    db.session.flush()
    return out
