"""Public accountability (issue 19.8): the 三率 of every community for anyone, and the
communities of a street side by side for its staff. The figures: tickets/performance.py."""
from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint

from backend.accounts.models import Role
from backend.core.auth import current_user, login_required
from backend.core.errors import ApiError
from backend.core.models import utcnow
from backend.extensions import limiter
from backend.tickets import performance, permissions
from backend.tickets.schemas import (
    PerformanceArgs, PerformanceSchema, RankingArgs, RankingSchema,
)

blp = Blueprint("ticket_performance", __name__, url_prefix="/api/v1",
                description="The 三率 and overdue counts of communities (public) and the "
                            "street's ranking of its communities")

PUBLIC_MAX_AGE = 300


def _public_limit() -> str:
    return current_app.config.get("PUBLIC_STATS_RATE_LIMIT", "60/minute")


def _address() -> str:
    return "public-stats:" + (get_remote_address() or "unknown")


@blp.route("/public/communities/performance", methods=["GET"])
@limiter.limit(_public_limit, key_func=_address)
@blp.arguments(PerformanceArgs, location="query")
@blp.response(200, PerformanceSchema, headers={"Cache-Control": {
    "schema": {"type": "string"}, "description": f"public, max-age={PUBLIC_MAX_AGE}"}})
def public_performance(args):
    """Every community's 及时响应率, 按时办结率, 满意率 and overdue count for the last 30 or
    90 days (no login). Each rate has its counts; with nothing to count it is null ("—").
    Overdue = open now past the deadline + resolved late in the period."""
    body = performance.community_figures(args["days"], utcnow())
    return body, 200, {"Cache-Control": f"public, max-age={PUBLIC_MAX_AGE}"}


@blp.route("/stats/communities", methods=["GET"])
@login_required(Role.staff.value, Role.admin.value)
@blp.arguments(RankingArgs, location="query")
@blp.response(200, RankingSchema)
def community_ranking(args):
    """社区排名: the communities of my street (or district; admins: all) side by side,
    sorted by a rate, the overdue count or the code. Community staff: 403."""
    user = current_user()
    if not permissions.can_rank_communities(user):
        raise ApiError(403, "forbidden")
    body = performance.community_figures(args["days"], utcnow(),
                                         None if user.role == Role.admin.value
                                         else user.scope_place)
    body["communities"] = performance.sort_communities(body["communities"], args["sort"],
                                                       args["order"])
    return dict(body, sort=args["sort"], order=args["order"])
