"""Query-string arguments several pages and API routes share."""

from __future__ import annotations

import datetime as dt

from flask import request

from gridmap.errors import InvalidInput, Problem
from gridmap.inputs import parse_day


def at_arg() -> dt.date | None:
    problems: list[Problem] = []
    at = parse_day(request.args.get("at"), "at", problems)
    if problems:
        raise InvalidInput(problems)
    return at
