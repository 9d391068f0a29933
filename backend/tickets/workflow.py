"""The case workflow: one table of what can be done to a ticket, by whom, from which state.

Every other view of the workflow is read from ``ACTIONS``:

- ``TRANSITIONS``, (from, to) → who may move a ticket that way, which ``_move`` checks
  every state change against, is the union of the actions' moves;
- ``REASON_REQUIRED``, the moves whose note is a reason a person will read;
- ``offered``, the ``actions`` the API answers for a viewer and a ticket, in the table's
  order; the console offers those of ``CONSOLE_ACTIONS``, in that order, named by
  ``label``.

"Who" is the actor's relation to the ticket, resolved per object by ``actor_kinds``:

- ``resident`` / ``grid_worker`` / ``staff``: creating a ticket (from None);
- ``reporter``: the resident who reported it;
- ``assignee``: the grid worker it is dispatched to, or staff of its area when it is
  dispatched to a department (they record the department's work);
- ``staff``: staff whose subtree holds the ticket's cell (admins everywhere);
- ``supervisor``: staff above the ticket's community (the street: 督办), and admins;
- ``follower``: a resident who follows the ticket (我也遇到), not its reporter;
- ``system``: auto-dispatch and the deadline sweeps (催办, 督办, 自动结案).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from backend.core.content_check import PASS
from backend.core.models import utcnow
from backend.tickets.models import State as S

# 不满意 within this many days of closing reopens the case; after it, no more rating.
REOPEN_DAYS = 7

Move = tuple[Optional[S], S]


def can_rate(ticket: Any) -> bool:
    """The reporter may confirm a resolved case, or rate a closed one once per closing,
    within ``REOPEN_DAYS``."""
    if ticket.state == S.resolved.value:
        return True
    if ticket.state == S.closed.value and ticket.closed_at:
        if (utcnow() - ticket.closed_at).days >= REOPEN_DAYS:
            return False
        return not (ticket.rated_at and ticket.rated_at >= ticket.closed_at)
    return False


def escalated(ticket: Any) -> bool:
    """Escalated to the street (督办) and still open."""
    return ticket.escalated_at is not None


def content_held(ticket: Any) -> bool:
    """WeChat's check held its content for a person to review (or could not check)."""
    return ticket.content_status != PASS


@dataclass(frozen=True)
class Action:
    """One way of doing something to a ticket.

    ``sources``: the states it is offered from (None: creating a ticket). ``moves``: the
    transitions it makes, by default (source, ``target``) for each source; none when it
    changes no state. ``when``: what else the ticket must be (a rating window, content
    held for review). ``listed``: in the ``actions`` a viewer may take (creation and the
    system's auto-dispatch are not). ``shortcut``: offered from a state that is not the
    action's own, doing another action's move first (resolving on the spot takes the
    task): the state alone does not allow it."""

    name: str
    label: str
    who: frozenset[str]
    sources: tuple[Optional[S], ...]
    target: Optional[S] = None
    moves: Optional[tuple[Move, ...]] = None
    reason_required: bool = False
    when: Optional[Callable[[Any], bool]] = None
    listed: bool = True
    shortcut: bool = False

    def __post_init__(self):
        if self.moves is None:
            moves = tuple((s, self.target) for s in self.sources) if self.target else ()
            object.__setattr__(self, "moves", moves)

    def ticket_allows(self, ticket: Any) -> bool:
        """The ticket's state (and ``when``) allow this action, whoever asks."""
        return ticket.state_enum in self.sources and (self.when is None or self.when(ticket))


def _action(name: str, label: str, who: str, sources, target: Optional[S] = None,
            **options) -> Action:
    if not isinstance(sources, tuple):
        sources = (sources,)
    return Action(name, label, frozenset(who.split()), sources, target, **options)


_OPEN = (S.submitted, S.accepted, S.dispatched, S.in_progress, S.resolved)
# the states whose deadline is the resolution's: 催办, 督办 and a new deadline apply there
_HANDLING = (S.accepted, S.dispatched, S.in_progress)

# In the order the API lists the actions a viewer may take.
ACTIONS: tuple[Action, ...] = (
    # a resident's report, or staff filing one for a yard meeting or a call
    _action("report", "上报", "resident staff", None, S.submitted, listed=False),
    # a grid worker's patrol report (巡查上报), accepted at once
    _action("patrol_report", "巡查上报", "grid_worker staff", None, S.accepted, listed=False),
    # staff file a case for a caller, a walk-in or a 12345 transfer (登记): accepted at
    # once in the cell of its pin, or waiting for triage when the pin is in no cell
    _action("intake", "登记", "staff", None, listed=False,
            moves=((None, S.accepted), (None, S.submitted))),
    _action("accept", "立案", "staff", S.submitted, S.accepted),
    _action("reject", "不予立案", "staff", (S.submitted, S.accepted), S.rejected,
            reason_required=True),
    # 派遣, and re-dispatch (改派) of a task already out
    _action("dispatch", "派遣", "staff", (S.accepted, S.dispatched, S.in_progress),
            S.dispatched),
    _action("auto_dispatch", "自动派遣", "system", S.accepted, S.dispatched, listed=False),
    _action("merge", "合并", "staff", (S.submitted, S.accepted, S.dispatched), S.merged),
    _action("start", "开始处置", "assignee", S.dispatched, S.in_progress),  # 接单
    _action("check_in", "到达现场", "assignee", S.dispatched, S.in_progress),
    _action("resolve", "处置完成", "assignee", S.in_progress, S.resolved),
    # 退回 by the handler (not my job) or recall by staff
    _action("hand_back", "撤回派遣", "assignee staff", (S.dispatched, S.in_progress),
            S.accepted, reason_required=True),
    _action("close", "核查结案", "staff", S.resolved, S.closed),  # 核查 passed
    _action("rework", "返工", "staff", S.resolved, S.dispatched, reason_required=True),
    # fixed on the spot: taking the task is implied
    _action("resolve", "处置完成", "assignee", S.dispatched, S.resolved,
            moves=((S.dispatched, S.in_progress), (S.in_progress, S.resolved)),
            shortcut=True),
    # 更正: category (小类) and priority; deadline, department and privacy follow
    _action("recategorize", "更正分类", "staff", _OPEN, reason_required=True),
    _action("release", "内容审核", "staff", tuple(S), when=content_held),
    # the deadline sweeps: 催办 to the assignee when overdue (and to staff, once, for a
    # report not accepted in time), then 督办 to the street
    _action("remind", "催办", "system", (S.submitted, *_HANDLING), listed=False),
    _action("escalate", "督办", "system", _HANDLING, listed=False),
    # the street answers a 督办 with a new deadline (or re-dispatches: ``dispatch``)
    _action("set_deadline", "调整期限", "supervisor", _HANDLING, when=escalated,
            reason_required=True),
    # a resolved case the reporter has not rated closes itself after N working days
    _action("auto_close", "自动结案", "system", S.resolved, S.closed, listed=False),
    # the reporter confirms and rates (确认办结) …
    _action("rate", "评价", "reporter", S.resolved, S.closed, when=can_rate),
    # … or rates a closed case within the window: 不满意 reopens it, with the comment
    # (or a default note) as the reason
    _action("rate", "评价", "reporter", S.closed, S.accepted, when=can_rate,
            reason_required=True),
    # the reporter, or a follower, adds a photo or a note (moderated like a report)
    _action("supplement", "补充信息", "reporter follower", _OPEN),
)
# The forms of the ticket page, in the order it shows them; the worker's own check-in
# is the mini-program's, rating and supplements are the reporter's.
CONSOLE_ACTIONS = ("accept", "dispatch", "set_deadline", "release", "close", "rework", "start",
                   "resolve", "merge", "recategorize", "hand_back", "reject")

LABELS: dict[str, str] = {a.name: a.label for a in ACTIONS}


def _transitions() -> dict[Move, frozenset[str]]:
    table: dict[Move, frozenset[str]] = {}
    for action in ACTIONS:
        for move in action.moves:
            table[move] = table.get(move, frozenset()) | action.who
    return table


TRANSITIONS: dict[Move, frozenset[str]] = _transitions()

# Transitions whose note is the reason a person will read: it must not be empty.
REASON_REQUIRED: frozenset[Move] = frozenset(
    move for action in ACTIONS if action.reason_required for move in action.moves)


_KIND_ORDER = ("staff", "supervisor", "assignee", "reporter", "follower", "system",
               "resident", "grid_worker")


def allowed(from_state: Optional[S], to_state: S, kind: str) -> bool:
    return kind in TRANSITIONS.get((from_state, to_state), frozenset())


def pick_kind(from_state: Optional[S], to_state: S, kinds: set[str]) -> Optional[str]:
    """The actor kind under which ``kinds`` may make this move (staff before others)."""
    permitted = TRANSITIONS.get((from_state, to_state), frozenset())
    for kind in _KIND_ORDER:
        if kind in kinds and kind in permitted:
            return kind
    return None


def acting_kind(name: str, kinds: set[str]) -> Optional[str]:
    """The kind under which ``kinds`` may take the action ``name`` (one that changes no
    state, like ``supplement``), in ``pick_kind``'s order; None when none may."""
    who = frozenset().union(*(a.who for a in ACTIONS if a.name == name))
    for kind in _KIND_ORDER:
        if kind in kinds and kind in who:
            return kind
    return None


def offered(kinds: set[str], ticket: Any) -> list[str]:
    """The actions someone related to ``ticket`` as ``kinds`` may take now, in order."""
    out: list[str] = []
    for action in ACTIONS:
        if action.listed and action.who & kinds and action.ticket_allows(ticket) \
                and action.name not in out:
            out.append(action.name)
    return out


def state_allows(name: str, ticket: Any) -> bool:
    """Whether the ticket (its state, its content, its rating window) allows the action
    for someone; when it does and a person is still not offered it, the person may not."""
    return any(a.name == name and not a.shortcut and a.ticket_allows(ticket)
               for a in ACTIONS)
