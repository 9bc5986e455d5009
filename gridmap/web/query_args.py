"""Query-string arguments several pages and API routes share."""

from __future__ import annotations

import datetime as dt

from flask import request

from gridmap.errors import InvalidInput, Problem
from gridmap.maps.layers import parse_date


def at_arg() -> dt.date | None:
    problems: list[Problem] = []
    at = parse_date(request.args.get("at"), "at", problems)
    if problems:
        raise InvalidInput(problems)
    return at
