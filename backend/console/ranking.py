"""社区排名: the communities of a street (or district) side by side with their 三率 and
overdue counts for the last 30 or 90 days, sortable by each column. For staff above
community level and admins (``tickets.permissions.can_rank_communities``); the figures
are ``tickets.performance``'s, the same the public page shows."""
from __future__ import annotations

from flask import g, render_template, request
from flask_babel import lazy_gettext as _l

from backend.accounts.permissions import is_admin
from backend.console import forms
from backend.console.blueprint import allowed_or_403, bp, staff_required
from backend.core.models import utcnow
from backend.tickets import performance
from backend.tickets import permissions as ticket_rules
from backend.tickets.schemas import RankingArgs

COLUMNS = (("response_rate", _l("及时响应率"), _l("按时立案 / 已立案")),
           ("resolution_rate", _l("按时办结率"), _l("按时处置 / 已处置")),
           ("satisfaction_rate", _l("满意率"), _l("满意与基本满意 / 已评价")))


@bp.route("/communities", methods=["GET"])
@staff_required
def community_ranking():
    user = g.console_user
    allowed_or_403(ticket_rules.can_rank_communities(user))
    args = forms.parse(RankingArgs(), request.args)
    body = performance.community_figures(args["days"], utcnow(),
                                         None if is_admin(user) else user.scope_place)
    rows = performance.sort_communities(body["communities"], args["sort"], args["order"])
    return render_template("console/ranking.html", rows=rows, period=body["period"],
                           columns=COLUMNS, days=args["days"], sort=args["sort"],
                           order=args["order"], scope=None if is_admin(user)
                           else user.scope_place)
