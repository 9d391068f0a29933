"""Optimistic locking from the client's side: the version of a row it saw."""
from __future__ import annotations

import re
from typing import Optional

from flask import request

from backend.core.errors import ApiError


def expected_version(args: dict) -> Optional[int]:
    """The version the client saw: the body's ``version`` or the ``If-Match`` header
    (``"3"``, ``W/"3"`` or ``3``); None when it sent neither."""
    if args.get("version") is not None:
        return args["version"]
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return None
    match = re.fullmatch(r'(?:W/)?"?(\d{1,9})"?', header)
    if not match:
        raise ApiError(422, "validation_error", fields={"If-Match": ["不是有效的版本号。"]})
    return int(match.group(1))
