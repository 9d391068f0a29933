"""Field types shared by every feature's schemas."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

# The database's integer range: an id or count beyond it is a 422 on its field, not an
# overflow in the driver (a 500).
INT_MAX = 2**31 - 1
ID_RANGE = validate.Range(min=1, max=INT_MAX)


def Id(**kwargs) -> ma.fields.Integer:  # noqa: N802 - a field type, named like one
    """A row id (1 … 2**31-1). ``strict=True`` for JSON bodies (no "5" for 5); query
    strings are text, so the default there reads "5" as 5."""
    return ma.fields.Integer(validate=ID_RANGE, **kwargs)
