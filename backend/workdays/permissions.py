"""Who may change the working calendar (holidays, 调休). Reading it is for the console's
people: the API's calendar endpoints are staff-only (``login_required``)."""
from __future__ import annotations

from typing import Optional

from backend.accounts.models import User
from backend.accounts.permissions import is_admin


def can_edit_calendar(user: Optional[User]) -> bool:
    """The working calendar is one for every community: admins keep it."""
    return is_admin(user)
