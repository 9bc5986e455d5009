"""Values from user input — a query string, a JSON body, a form — parsed once, the same way everywhere.

Each parser takes the raw value, the field's name and the list of problems of the request: a bad value adds a
:class:`~gridmap.errors.Problem` naming the field (so one answer lists everything wrong) and gives ``None`` (or the
default). Cells of imported files have rules of their own (pandas' NaN, codes read as floats):
:mod:`gridmap.imports.attribute_checks`.

>>> problems = []
>>> parse_day("2026-01-01T08:00", "at", problems), parse_flag("yes", "overdue", problems), problems
(datetime.date(2026, 1, 1), True, [])
>>> parse_int("0", "limit", problems, lo=1), [str(p) for p in problems]
(None, ["field 'limit': 0 is too small: the least allowed is 1"])
"""

from __future__ import annotations

import datetime as dt
import math

from gridmap.errors import Problem

MAX_ID = 2**31 - 1  # the INTEGER range both databases share: a larger id would fail in the driver


def as_id(value: object) -> int | None:
    """A database id from user input (int or digit string within the INTEGER range), else None."""
    if isinstance(value, bool):
        return None
    try:
        i = int(value)  # type: ignore[call-overload]  # any input: what int() refuses raises, caught below
    except (TypeError, ValueError, OverflowError):
        return None
    if isinstance(value, float) and value != i:
        return None
    return i if 0 < i <= MAX_ID else None


def id_in_text(text: str) -> int | None:
    """A database id written in a URL (ASCII digits only, within the INTEGER range), else None: the caller answers
    "not found" (a number beyond the range would fail in the driver).

    >>> id_in_text("42"), id_in_text(str(2**31)), id_in_text("²"), id_in_text("1_0"), id_in_text("-3")
    (42, None, None, None, None)
    """
    return as_id(text) if text.isascii() and text.isdigit() else None


def parse_day(value: object, field: str, problems: list[Problem], default: dt.date | None = None) -> dt.date | None:
    """A day: ``YYYY-MM-DD``, or the day of an ISO time (``2026-01-01T08:00``), or a date object; empty → default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10] if "T" in text else text)
    except ValueError:
        problems.append(
            Problem(f"{text[:40]!r} is not a date (YYYY-MM-DD)", field=field, zh=f"“{text[:40]}”不是日期（年-月-日）")
        )
        return None


def parse_flag(value: object, field: str, problems: list[Problem]) -> bool | None:
    """true/false, 1/0, yes/no (any case); empty → None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in ("1", "true", "yes"):
        return True
    if s in ("0", "false", "no"):
        return False
    problems.append(Problem(f"{str(value)[:40]!r} is not true or false", field=field, zh="须为“是”或“否”"))
    return None


def parse_int(
    value: object, field: str, problems: list[Problem], *, lo: int, hi: int = MAX_ID, default: int | None = None
) -> int | None:
    """A whole number within ``lo``..``hi``; empty → default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        problems.append(Problem(f"{value!r} is not a whole number", field=field, zh="须为整数"))
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        problems.append(Problem(f"{str(value)[:40]!r} is not a whole number", field=field, zh="须为整数"))
        return default
    if number < lo:
        problems.append(
            Problem(f"{number} is too small: the least allowed is {lo}", field=field, zh=f"{number} 太小，最小为 {lo}")
        )
        return default
    if number > hi:
        problems.append(
            Problem(f"{str(value)[:40]} is too large: the most allowed is {hi}", field=field, zh=f"太大，最大为 {hi}")
        )
        return default
    return number


def parse_number(value: object, field: str, problems: list[Problem], *, required: bool = True) -> float | None:
    """A finite number (not a boolean); missing → a problem when ``required``, else None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(Problem("is required", field=field, zh="必填"))
        return None
    if isinstance(value, bool):
        problems.append(Problem(f"{value!r} is not a number", field=field, zh="须为数字"))
        return None
    try:
        number = float(value)  # type: ignore[arg-type]  # any input: what float() refuses raises, caught below
    except (TypeError, ValueError):
        problems.append(Problem(f"{str(value)[:40]!r} is not a number", field=field, zh="须为数字"))
        return None
    if not math.isfinite(number):
        problems.append(Problem(f"{value!r} is not a finite number", field=field, zh="须为有限的数字"))
        return None
    return number


def parse_text(value: object, field: str, problems: list[Problem], max_len: int) -> str | None:
    """Text (numbers are taken as their text) without surrounding white space, at most ``max_len`` characters;
    empty → None."""
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        problems.append(Problem("must be text", field=field, zh="须为文字"))
        return None
    s = str(value).strip()
    if len(s) > max_len:
        problems.append(
            Problem(
                f"is {len(s)} characters long; at most {max_len}",
                field=field,
                zh=f"共 {len(s)} 个字，最多 {max_len} 个",
            )
        )
        return None
    return s or None
