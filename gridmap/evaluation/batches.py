"""Scorecard batches: many (scheme, period) scorecards at once — every scheme over a year of months, or a
province's years — task by task, in this process or on Dask (``dask.distributed``) when one machine is outgrown.

A task names the database, the scheme (code and version, fixed when the batch is planned), the period and the
moment counted "as of"; it opens its own connection (a worker on another machine reaches the same database) and
runs the same :func:`~gridmap.evaluation.scorecards.compute`, so the cards are identical whichever runs them.
Nothing is written: publishing stays one audited act per period (``gridmap scorecards publish``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmap.config import Settings
from gridmap.errors import InvalidInput, Problem
from gridmap.evaluation.periods import Period, parse_period
from gridmap.evaluation.scorecards import compute, latest_scheme, list_schemes
from gridmap.store.engine import make_engine, make_session_factory
from gridmap.store.models import EvaluationScheme

MOST_PERIODS = 1_000  # a batch's periods per scheme: 19 years of weeks, 83 of months


@dataclass(frozen=True)
class Task:
    """One scorecard to count: picklable, so it can travel to a Dask worker."""

    settings: Settings
    scheme_code: str
    scheme_version: int
    period: str
    tz: str
    now: dt.datetime


def periods_between(first: str, last: str, tz: dt.tzinfo) -> list[Period]:
    """The periods from ``first`` to ``last`` (both included, same kind: months, weeks, quarters or years), oldest
    first."""
    a, b = parse_period(first, tz, "from"), parse_period(last, tz, "to")
    if a.kind != b.kind or a.kind == "range":
        raise InvalidInput(
            Problem(
                f"--from {a.key} and --to {b.key} must be periods of one kind (months, weeks, quarters or years)",
                field="from",
                zh=f"起止周期 {a.key} 与 {b.key} 须为同一种周期（月、周、季度或年）",
            )
        )
    if a.first_day > b.first_day:
        raise InvalidInput(
            Problem(f"--from {a.key} is after --to {b.key}", field="from", zh=f"起始周期 {a.key} 晚于结束周期 {b.key}")
        )
    out = [b]
    while out[-1].first_day > a.first_day:
        if len(out) >= MOST_PERIODS:
            raise InvalidInput(
                Problem(
                    f"more than {MOST_PERIODS} periods", field="from", zh=f"周期数超过 {MOST_PERIODS} 个，请分批计算"
                )
            )
        out.append(out[-1].previous(1)[0])
    return out[::-1]


def plan(
    session: Session, settings: Settings, periods: Sequence[Period], now: dt.datetime, codes: Iterable[str] = ()
) -> list[Task]:
    """The tasks of a batch: each scheme (``codes``, default every scheme) × each period, with the schemes'
    current versions fixed now so that every task counts by the same rules."""
    wanted = list(codes)
    if wanted:  # NotFound names an unknown code
        schemes = [(row.code, row.version) for row in (latest_scheme(session, code) for code in wanted)]
    else:
        schemes = [(s["code"], s["version"]) for s in list_schemes(session)]  # the latest version of each
    tz_name = settings.cases.timezone
    return [Task(settings, code, version, p.key, tz_name, now) for code, version in schemes for p in periods]


_ENGINES: dict[str, Engine] = {}  # one engine per database per process (a Dask worker runs many tasks)


def run_task(task: Task) -> dict[str, Any]:
    """Count one scorecard (the counting of :func:`compute`, without the case-list links)."""
    engine = _ENGINES.get(task.settings.database_url)
    if engine is None:
        engine = _ENGINES[task.settings.database_url] = make_engine(task.settings)
    with make_session_factory(engine)() as session:
        scheme = session.scalars(
            select(EvaluationScheme).where(
                EvaluationScheme.code == task.scheme_code, EvaluationScheme.version == task.scheme_version
            )
        ).one()
        period = parse_period(task.period, ZoneInfo(task.tz))
        return compute(session, scheme, period, task.now, with_links=False)


def run(tasks: list[Task], scheduler: str | None = None) -> list[dict[str, Any]]:
    """The tasks' cards in the tasks' order: here one after the other, or spread over the Dask cluster of
    ``scheduler`` (``local:N`` or ``tcp://host:8786``; see :mod:`gridmap.dask_cluster`)."""
    if scheduler is None:
        return [run_task(t) for t in tasks]
    from gridmap.dask_cluster import dask_client

    with dask_client(scheduler) as client:
        return list(client.gather(client.map(run_task, tasks, pure=False)))
