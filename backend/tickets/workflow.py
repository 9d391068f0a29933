"""The case workflow: one table of (from, to) → who may move a ticket that way.

The code and the tests share this table. "Who" is the actor's relation to the ticket,
resolved per object by ``actor_kinds``:

- ``resident`` / ``grid_worker`` / ``staff``: creating a ticket (from None);
- ``reporter``: the resident who reported it;
- ``assignee``: the grid worker it is dispatched to, or staff of its area when it is
  dispatched to a department (they record the department's work);
- ``staff``: staff whose subtree holds the ticket's cell (admins everywhere);
- ``system``: auto-dispatch.
"""
from __future__ import annotations

from typing import Optional

from backend.tickets.models import State as S

TRANSITIONS: dict[tuple[Optional[S], S], frozenset[str]] = {
    (None, S.submitted): frozenset({"resident", "staff"}),
    # a grid worker's patrol report (巡查上报), or staff filing for a yard meeting or a call
    (None, S.accepted): frozenset({"grid_worker", "staff"}),
    (S.submitted, S.accepted): frozenset({"staff"}),
    (S.submitted, S.rejected): frozenset({"staff"}),
    (S.submitted, S.merged): frozenset({"staff"}),
    (S.accepted, S.dispatched): frozenset({"staff", "system"}),
    (S.accepted, S.rejected): frozenset({"staff"}),
    (S.accepted, S.merged): frozenset({"staff"}),
    (S.dispatched, S.dispatched): frozenset({"staff"}),          # re-dispatch
    (S.dispatched, S.in_progress): frozenset({"assignee"}),      # take it / check in
    (S.dispatched, S.accepted): frozenset({"assignee", "staff"}),  # hand back 退回 / recall
    (S.dispatched, S.merged): frozenset({"staff"}),
    (S.in_progress, S.resolved): frozenset({"assignee"}),
    (S.in_progress, S.accepted): frozenset({"assignee", "staff"}),  # hand back / recall
    (S.in_progress, S.dispatched): frozenset({"staff"}),         # re-dispatch
    (S.resolved, S.closed): frozenset({"staff", "reporter"}),    # verified 核查 / confirmed
    (S.resolved, S.dispatched): frozenset({"staff"}),            # rework 返工
    (S.closed, S.accepted): frozenset({"reporter"}),             # reopen: unsatisfied, ≤ 7 days
}

# Transitions whose note is the reason a person will read: it must not be empty.
REASON_REQUIRED = {
    (S.submitted, S.rejected), (S.accepted, S.rejected),
    (S.dispatched, S.accepted), (S.in_progress, S.accepted),
    (S.resolved, S.dispatched), (S.closed, S.accepted),
}


def allowed(from_state: Optional[S], to_state: S, kind: str) -> bool:
    return kind in TRANSITIONS.get((from_state, to_state), frozenset())


def pick_kind(from_state: Optional[S], to_state: S, kinds: set[str]) -> Optional[str]:
    """The actor kind under which ``kinds`` may make this move (staff before others)."""
    permitted = TRANSITIONS.get((from_state, to_state), frozenset())
    for kind in ("staff", "assignee", "reporter", "system", "resident", "grid_worker"):
        if kind in kinds and kind in permitted:
            return kind
    return None
