"""Database ids from user input: a whole number within the INTEGER range both databases share (a larger one
would fail in the driver, as an internal error, instead of being refused)."""

from __future__ import annotations

MAX_ID = 2**31 - 1


def as_id(value: object) -> int | None:
    """A database id from user input (int or digit string within the INTEGER range), else None."""
    if isinstance(value, bool):
        return None
    try:
        i = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None
    if isinstance(value, float) and value != i:
        return None
    return i if 0 < i <= MAX_ID else None
