"""Scores and rankings: evaluation schemes kept as data, scorecards counted from case events, frozen when published.

A scheme (:mod:`~gridmap.evaluation.scheme`) is a validated JSON document stored in versions: indicators as
numerator/denominator sums of base counts, components scoring them (weighted linear, threshold with per-point
deduction, count tiers, per-event penalties) and grades. A scorecard counts every subject of a period in a few
grouped SQL statements, scores and ranks them within peer groups, and — once published — is read back frozen.

The modules, each using only those listed before it: :mod:`~gridmap.evaluation.periods` (week, month, quarter,
year, ranges in local time), :mod:`~gridmap.evaluation.counts` (the base counts over case events and cases due, one
statement per family, grouped by subject), :mod:`~gridmap.evaluation.scheme` (the document and its validation),
:mod:`~gridmap.evaluation.scoring` (pure arithmetic: values, points, grade, rank), :mod:`~gridmap.evaluation.subjects`
(units with peer groups, 街道/社区, grids, people in posts), :mod:`~gridmap.evaluation.defaults` (the seeded
schemes) and :mod:`~gridmap.evaluation.scorecards` (versions, compute, publish, read, trends).
"""

from gridmap.evaluation.periods import PERIOD_HELP, Period, parse_period
from gridmap.evaluation.scheme import SUBJECTS, SchemeDoc, parse_scheme
from gridmap.evaluation.scorecards import (
    compute,
    ensure_default_schemes,
    latest_scheme,
    list_schemes,
    publish,
    publish_period,
    read_scorecard,
    save_scheme,
    scheme_dict,
    scheme_for_subject,
    scheme_versions,
    scorecard,
    trends,
)

__all__ = [
    "PERIOD_HELP",
    "SUBJECTS",
    "Period",
    "SchemeDoc",
    "compute",
    "ensure_default_schemes",
    "latest_scheme",
    "list_schemes",
    "parse_period",
    "parse_scheme",
    "publish",
    "publish_period",
    "read_scorecard",
    "save_scheme",
    "scheme_dict",
    "scheme_for_subject",
    "scheme_versions",
    "scorecard",
    "trends",
]
