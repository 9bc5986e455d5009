"""Patrol pages: /patrol, a road chief's or grid worker's phone page that records a patrol while it is open (开始巡查
/ 结束巡查) and sends it to ``POST /api/v1/patrols``; /patrols, the coverage page — the map coloured by days since the
last patrol, coverage per 街道, unit and road chief, and the segments that missed this month's rule."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, g, render_template, request

from gridmap.accounts.roles import R
from gridmap.errors import InvalidInput, Problem
from gridmap.inputs import parse_day, parse_int
from gridmap.patrols import coverage, record
from gridmap.web.auth import allow, current_actor
from gridmap.web.i18n import translate
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("patrols", __name__)

PHONE_STRINGS = (
    "patrol_start", "patrol_stop", "patrol_recording", "patrol_no_gps", "patrol_too_few", "patrol_sending",
    "patrol_sent", "patrol_failed", "patrol_retry", "patrol_no_person",
)  # fmt: skip
MAP_STRINGS = ("patrol_days_legend", "patrol_never", "patrol_no_chief", "patrol_days_n")


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


@bp.get("/patrol")
@allow(*record.RECORDS_OWN)
def patrol_page():
    lang = _lang()
    return render_template(
        "patrol.html",
        linked=current_actor().person_id is not None,
        strings={k: translate(k, lang) for k in PHONE_STRINGS},
    )


@bp.get("/patrols")
@allow(*record.READS)
def coverage_page():
    settings = app_state().settings
    today = dt.datetime.now(ZoneInfo(settings.cases.timezone)).date()
    problems: list[Problem] = []
    as_of = parse_day(request.args.get("as_of"), "as_of", problems, default=today) or today
    days = parse_int(request.args.get("days"), "days", problems, lo=1, hi=366) or settings.patrols.coverage_days
    if problems:
        raise InvalidInput(problems)
    coverage.check_period(as_of, as_of, "as_of")
    coverage.check_period(as_of - dt.timedelta(days=days - 1), as_of, "days")
    session = db_session()
    found = coverage.coverage(session, settings, as_of, days)
    first, last = coverage.month_bounds(as_of.strftime("%Y-%m"), as_of)
    monthly = coverage.monthly_rule(session, settings, first, min(last, as_of))
    lang = _lang()
    return render_template(
        "patrols.html", cov=found, monthly=monthly, as_of=as_of, days=days, today=today,
        sees_misses=current_actor().has(*record.READS_MISSES), is_phone_role=current_actor().role in (R.GRID_WORKER,
                                                                                                       R.INSPECTOR),
        strings={k: translate(k, lang) for k in MAP_STRINGS},
    )  # fmt: skip
