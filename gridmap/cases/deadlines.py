"""Deadlines and the traffic light: a category's limit for an urgency, the deadline it sets from a start time,
and a case's progress against it (live, frozen while parked, final once closed)."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from gridmap.cases.states import TERMINAL, S
from gridmap.cases.values import as_utc
from gridmap.catalogue.working_calendar import WorkingCalendar
from gridmap.store.models import Category, Urgency


def limit_for(category: Category, urgency: str) -> tuple[float, str]:
    """(amount, unit) of the category's limit for this urgency (the urgent limit falls back to the normal one)."""
    if urgency == Urgency.URGENT and category.urgent_unit:
        return float(category.urgent_amount or 0), category.urgent_unit
    return float(category.deadline_amount or 0), str(category.deadline_unit)


class DeadlineFields(TypedDict):
    deadline_unit: str
    limit_seconds: float
    deadline_at: dt.datetime


def deadline_fields(cal: WorkingCalendar, category: Category, urgency: str, start: dt.datetime) -> DeadlineFields:
    amount, unit = limit_for(category, urgency)
    limit = cal.budget_seconds(amount, unit)
    return {
        "deadline_unit": unit,
        "limit_seconds": limit,
        "deadline_at": cal.add(start, limit, unit).astimezone(dt.UTC),
    }


def progress_of(row: Any, cal: WorkingCalendar, now: dt.datetime) -> dict[str, object] | None:
    """The traffic light of a case: live for active cases, frozen when parked, final when closed or void."""
    if row.deadline_at is None or not row.limit_seconds:
        return None
    at = now
    if row.status == S.PARKED and row.paused_at is not None:
        at = as_utc(row.paused_at)
    elif row.status in TERMINAL and row.closed_at is not None:
        at = as_utc(row.closed_at)
    p = cal.progress(as_utc(row.deadline_at), row.limit_seconds, row.deadline_unit, at).to_dict()
    p["frozen"] = row.status in TERMINAL or row.status == S.PARKED
    return p
