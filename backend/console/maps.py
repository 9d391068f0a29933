"""The grid map: the place polygons of the user's area as inline SVG (no tile server, works
offline), the open tickets as points coloured by state; a cell is a link that filters the
queue to it."""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from flask import g, render_template, request, url_for

from backend.console import forms, lookups
from backend.console import format as fmt
from backend.console import geometry
from backend.console.blueprint import allowed_or_403, bp, staff_required
from backend.accounts.permissions import can_manage_place, is_admin
from backend.tickets import permissions
from backend.core.errors import ApiError
from backend.core.models import utcnow
from backend.extensions import db
from backend.places.models import CODE_LENGTH, Place
from backend.places.operations import parent_code_of
from backend.tickets import queries
from backend.tickets.models import OPEN_STATES, Ticket

POINTS_CAP = 3000
LABELS_CAP = 60
OPEN = [s.value for s in OPEN_STATES]


# The fill of a cell is a neutral blue scale (pale: no open case, dark: the most), so that
# no fill can be taken for a pin's state colour or for the red and yellow rings of the
# deadlines; pins carry a white outline over it.
HEAT_STOPS = ((0.0, (234, 241, 250)), (0.5, (164, 193, 227)), (1.0, (83, 122, 173)))
HEAT_NONE = "#f2f4f7"
RING_COLOURS = {"red": "#b42318", "yellow": "#f5b400"}


def heat(count: int, top: int) -> str:
    """A fill from pale grey (no open case) through the blue scale (the most)."""
    if count <= 0 or top <= 0:
        return HEAT_NONE
    share = count / top
    for (s0, c0), (s1, c1) in zip(HEAT_STOPS, HEAT_STOPS[1:]):
        if share <= s1:
            k = (share - s0) / (s1 - s0)
            rgb = [round(a + (b - a) * k) for a, b in zip(c0, c1)]
            return "#%02x%02x%02x" % tuple(rgb)
    return "#%02x%02x%02x" % HEAT_STOPS[-1][1]


def ring(overdue: bool, tier) -> str | None:
    """The deadline ring around a pin: red when overdue, yellow past warn_at (75 % of
    its time), none otherwise."""
    if overdue:
        return "red"
    return "yellow" if tier == "yellow" else None


def _root(user, args) -> Place | None:
    if args.get("place_id"):
        place = db.session.get(Place, args["place_id"])
        if place is None:
            raise ApiError(404, "not_found")
        allowed_or_403(can_manage_place(user, place))
        return place
    return None if is_admin(user) else user.scope_place


@bp.route("/map", methods=["GET"])
@staff_required
def ticket_map():
    user = g.console_user
    args = forms.parse(forms.MapForm(), request.args)
    root = _root(user, args)
    places = [p for p in lookups.places_in_scope(user, under=root, geometry=True)
              if p.geometry]
    parents = {parent_code_of(p.code) for p in places}
    leaves = [p for p in places if p.code not in parents]
    outlines = sorted((p for p in places if p not in leaves), key=lambda p: -len(p.code))

    where = [queries.staff_scope_filter(user), Ticket.state.in_(OPEN)]
    if root is not None:
        where.append(Ticket.place_code.startswith(root.code, autoescape=True))
    tickets = db.session.execute(
        sa.select(Ticket).where(*where, Ticket.place_code.is_not(None))
        .order_by(Ticket.due_at, Ticket.id).limit(POINTS_CAP)).scalars().all()
    unplaced = db.session.execute(
        sa.select(sa.func.count()).select_from(Ticket)
        .where(*where, Ticket.place_code.is_(None))).scalar_one() if root is None or \
        len(root.code) <= permissions.TRIAGE_SCOPE_MAX_CODE else 0
    # open tickets of each place and of everything inside it: a code counts for its prefixes
    inside: Counter = Counter()
    for code, n in Counter(t.place_code for t in tickets).items():
        for length in CODE_LENGTH.values():
            if length <= len(code):
                inside[code[:length]] += n
    open_in = {p.code: inside[p.code] for p in places}

    f = geometry.frame([(p.min_lng, p.min_lat, p.max_lng, p.max_lat) for p in places]
                       or [(t.lng, t.lat, t.lng, t.lat) for t in tickets],
                       width=860, max_height=680)
    now = utcnow()
    cells, lines, points = [], [], []
    if f is not None:
        top = max((open_in[p.code] for p in leaves), default=0)
        for p in leaves:
            label = geometry.label_point(p.geometry, f) if len(leaves) <= LABELS_CAP else None
            cells.append({"place": p, "d": geometry.path_data(p.geometry, f),
                          "fill": heat(open_in[p.code], top), "open": open_in[p.code],
                          "label": label,
                          "href": url_for("console.queue", place_id=p.id, state=OPEN)})
        for p in outlines:
            lines.append({"d": geometry.path_data(p.geometry, f), "level": p.level})
        for t in tickets:
            x, y = f.xy(t.lng, t.lat)
            overdue, tier = t.is_overdue(now), t.tier(now)
            points.append({"ticket": t, "x": x, "y": y, "colour": fmt.STATE_COLOURS[t.state],
                           "overdue": overdue, "tier": tier, "ring": ring(overdue, tier),
                           "href": url_for("console.ticket_page", ticket_id=t.id)})
    ranking = sorted((p for p in leaves if open_in[p.code]),
                     key=lambda p: (-open_in[p.code], p.code))
    zoom = lookups.place_options(lookups.places_in_scope(
        user, ("district", "street", "community", "grid2")))
    return render_template(
        "console/map.html", frame=f, cells=cells, lines=lines, points=points, root=root,
        ranking=[(p, open_in[p.code]) for p in ranking][:40],
        level_names={lvl.value: str(name) for lvl, name in fmt.LEVEL_LABELS.items()},
        legend=[(s.value, fmt.state_name(s.value), fmt.STATE_COLOURS[s.value])
                for s in OPEN_STATES],
        heat_scale=[heat(n, 4) for n in (1, 2, 3, 4)], heat_none=HEAT_NONE,
        rings=RING_COLOURS, total_open=len(tickets), unplaced=unplaced, zoom=zoom,
        open_states=OPEN, capped=len(tickets) >= POINTS_CAP)
