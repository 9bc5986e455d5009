"""A year of life for the demo's cases, made up deterministically and ending when the demo is loaded.

The demo's reports (``reports.csv``) are spread over the year before the load day (:func:`spread_reports`), opened
when observed, and then each case lives through the closed loop as a city's cases do (:func:`plan_history`):
public reports verified on site, cases dispatched, accepted and reported back by their unit's clerk, re-checked by
the dispatcher or an inspector — about one in ten failing the re-check once (返工), one in thirteen asking for
more time (延期, mostly granted), one in sixteen supervised (督办) by the commander, a few voided (作废) or parked
(挂账), some finished late, and some still open long after their deadline. Everything after the start of the load
day is cut off, so the latest cases are caught mid-way — pending, open, dispatched, being handled, waiting for the
re-check. The steps are applied in bulk with the workflow's own rules (:func:`gridmap.cases.replay.replay`).

Every case draws from its own generator, seeded by the seed and the report's number: two loads on the same day
give the same history, event for event.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from gridmap.accounts.actor import Actor
from gridmap.cases.deadlines import deadline_fields
from gridmap.cases.replay import Step
from gridmap.cases.values import as_utc
from gridmap.catalogue.working_calendar import WORK_HOURS, WorkingCalendar
from gridmap.store.models import Category

SEED = 20261205
DAYS = 365

VOID = 0.03  # voided: a duplicate or no matter for the city
STUCK = 0.04  # still open, long overdue
PARKED = 0.015  # parked (挂账) and still waiting
REWORK = 0.10  # re-check failed once (twice for a few)
EXTENSION = 0.075  # more time asked for (most granted)
SUPERVISED = 0.06  # supervised by the commander (more among the late and the stuck)
LATE = 0.08  # reported back after the deadline
PENDING_RECENT = 0.3  # share of the last week's public reports still waiting for verification

_VOID_NOTES = ("重复上报", "经核实不属于城市管理问题", "现场未发现所报问题", "上报信息不全，无法核实")
_REWORK_NOTES = ("现场仍有残留，请彻底清理", "整改不到位，请重新处置", "照片与现场不符，请复核处置")
_SUPERVISE_NOTES = ("督办：已超时，请立即处置", "督办：群众反映强烈，请加快办理", "督办：请于今日内反馈处置结果")
_EXTENSION_NOTES = ("需协调多个部门", "需等待设备到位", "涉及产权单位，需协商处置")
_PARK_NOTES = ("需纳入年度改造计划", "待施工季节处置", "涉及历史遗留问题，需上级协调")
_REPORT_NOTES = ("已处置完毕", "已清理完毕，恢复原状", "已整改到位", "已劝离并教育")


@dataclass(frozen=True)
class Cast:
    """Who acts in the history: the demo's accounts (a clerk per unit)."""

    dispatcher: Actor
    commander: Actor
    inspector: Actor
    clerks: Mapping[int, Actor]  # unit id → its clerk


@dataclass(frozen=True)
class DemoCase:
    """What the planner needs of an imported case."""

    id: int
    number: int  # the report's number (demo-00042 → 42): the seed of its own generator
    public: bool  # pending until verified
    opened: dt.datetime  # aware
    unit_id: int
    category: str
    urgency: str


def history_end(as_of: dt.date, cal: WorkingCalendar) -> dt.datetime:
    """The start of the load day, local time: nothing in the history happens at or after it."""
    return dt.datetime.combine(as_of, dt.time(0), tzinfo=cal.tz).astimezone(dt.UTC)


def spread_reports(table: pd.DataFrame, end: dt.datetime, cal: WorkingCalendar) -> pd.DataFrame:
    """The reports with their ``observed_at`` moved into the :data:`DAYS` days before ``end`` — evenly, in their
    order, each keeping its local time of day."""
    out = table.copy()
    observed = pd.to_datetime(out["observed_at"], format="ISO8601", utc=True).dt.tz_convert(str(cal.tz))
    order = observed.argsort(kind="stable").to_numpy()
    n = len(out)
    last_day = end.astimezone(cal.tz).date() - dt.timedelta(days=1)
    times: list[str] = [""] * n
    for rank, i in enumerate(order):
        day = last_day - dt.timedelta(days=DAYS - 1 - (rank * DAYS) // max(n, 1))
        local = observed.iloc[i]
        t = dt.datetime.combine(day, dt.time(local.hour, local.minute, local.second), tzinfo=cal.tz)
        times[i] = t.isoformat()
    out["observed_at"] = times
    return out


class _Life:
    """One case's steps as they are planned: times only ever move forward, nothing at or after ``end``."""

    def __init__(self, case: DemoCase, cal: WorkingCalendar, end: dt.datetime) -> None:
        self.case, self.cal, self.end = case, cal, end
        self.t = as_utc(case.opened)
        self.steps: list[Step] = []
        self.cut = False

    def at(self, t: dt.datetime) -> dt.datetime:
        """``t``, or a minute after the last step when that is later."""
        return max(as_utc(t), self.t + dt.timedelta(minutes=1))

    def after(self, work_hours: float) -> dt.datetime:
        return self.at(self.cal.add(self.t, max(work_hours, 0.05) * 3600.0, WORK_HOURS))

    def step(self, when: dt.datetime, action: str, actor: Actor, note: str | None = None,
             data: dict[str, Any] | None = None) -> bool:  # fmt: skip
        """Add a step at ``when`` (moved after the previous one); False (and nothing more) once past the end."""
        when = self.at(when)
        if self.cut or when >= self.end:
            self.cut = True
            return False
        self.steps.append(Step(self.case.id, action, actor, when, note, data))
        self.t = when
        return True


def plan_history(
    cases: list[DemoCase],
    categories: Mapping[str, Category],
    cal: WorkingCalendar,
    cast: Cast,
    end: dt.datetime,
    seed: int = SEED,
) -> list[Step]:
    """The steps of every case's life up to ``end``, each case's in time order."""
    steps: list[Step] = []
    for case in cases:
        steps.extend(
            _plan_one(case, categories[case.category], cal, cast, end, random.Random(seed * 100_003 + case.number))
        )
    return steps


def _plan_one(
    case: DemoCase, category: Category, cal: WorkingCalendar, cast: Cast, end: dt.datetime, rng: random.Random
) -> list[Step]:
    life = _Life(case, cal, end)
    clerk = cast.clerks[case.unit_id]
    u = rng.random()
    fate = "normal"
    for name, share in (("void", VOID), ("stuck", STUCK), ("parked", PARKED)):
        if u < share:
            fate = name
            break
        u -= share
    age = end - as_utc(case.opened)
    if fate in ("stuck", "parked") and age < dt.timedelta(days=45):
        fate = "normal"  # a recent case is not forgotten yet
    if case.public and age < dt.timedelta(days=7) and rng.random() < PENDING_RECENT:
        return []  # waits for the on-site verification
    if fate == "void":
        life.step(life.after(rng.uniform(0.3, 6)), "void", cast.commander, rng.choice(_VOID_NOTES))
        return life.steps

    start = as_utc(case.opened)
    if case.public:
        if not life.step(life.after(rng.uniform(0.2, 3)), "verify", cast.dispatcher):
            return life.steps
        start = life.t
    fields = deadline_fields(cal, category, case.urgency, start)
    unit, limit, deadline = fields["deadline_unit"], fields["limit_seconds"], fields["deadline_at"]

    def point(fraction: float) -> dt.datetime:
        """The instant ``fraction`` of the limit into the case's own clock."""
        return cal.add(start, max(fraction, 0.0) * limit, unit)

    supervised = rng.random() < SUPERVISED / 4  # the late and the stuck are supervised more often
    late = rng.random() < LATE
    stage = rng.choices(("open", "dispatched", "in_progress", "reported_back"), (0.15, 0.2, 0.5, 0.15))[0]
    if fate == "stuck" and stage == "open":
        return _supervise_late(life, cast, deadline, rng)
    if not life.step(point(rng.uniform(0.02, 0.1)), "dispatch", cast.dispatcher):
        return life.steps
    if fate == "stuck" and stage == "dispatched":
        return _supervise_late(life, cast, deadline, rng)
    if rng.random() < EXTENSION:
        amount = rng.choice((1, 2)) if unit == "work_days" else rng.choice((2, 4, 8))
        if not life.step(point(rng.uniform(0.1, 0.3)), "request_extension", clerk, rng.choice(_EXTENSION_NOTES),
                         {"amount": amount}):  # fmt: skip
            return life.steps
        granted = rng.random() < 0.85
        if not life.step(life.after(rng.uniform(0.2, 2)), "approve_extension" if granted else "reject_extension",
                         cast.commander):  # fmt: skip
            return life.steps
        if granted:
            seconds = cal.budget_seconds(amount, unit)
            limit += seconds
            deadline = cal.add(deadline, seconds, unit).astimezone(dt.UTC)
    if not life.step(point(rng.uniform(0.1, 0.2)), "accept", clerk):
        return life.steps
    if fate == "stuck" and stage == "in_progress":
        return _supervise_late(life, cast, deadline, rng)
    if fate == "parked":
        life.step(life.after(rng.uniform(1, 16)), "park", cast.commander, rng.choice(_PARK_NOTES))
        return life.steps
    done = rng.uniform(1.1, 2.5) if late else rng.uniform(0.3, 0.75)
    if (supervised or (late and rng.random() < 0.2)) and not life.step(
        point(min(done - 0.05, 1.02) if late else done * 0.8), "supervise", cast.commander,
        rng.choice(_SUPERVISE_NOTES),
    ):  # fmt: skip
        return life.steps
    if not life.step(point(done), "report_back", clerk, rng.choice(_REPORT_NOTES)):
        return life.steps
    if fate == "stuck":  # waits for a re-check that does not come
        return _supervise_late(life, cast, deadline, rng)
    checker = cast.dispatcher if rng.random() < 0.6 else cast.inspector
    for _round in range(2 if rng.random() < 0.15 else 1):
        if rng.random() >= REWORK:
            break
        if not life.step(life.after(rng.uniform(0.1, 2)), "recheck_fail", checker, rng.choice(_REWORK_NOTES)):
            return life.steps
        if not life.step(life.after(rng.uniform(0.5, 6)), "report_back", clerk, rng.choice(_REPORT_NOTES)):
            return life.steps
    finish = point(rng.uniform(done + 0.02, max(done + 0.05, 0.98))) if not late else life.after(rng.uniform(0.1, 3))
    life.step(finish, "recheck_pass", checker)
    return life.steps


def _supervise_late(life: _Life, cast: Cast, deadline: dt.datetime, rng: random.Random) -> list[Step]:
    """A case left open past its deadline: the commander supervises it (once or twice) now and then."""
    when = deadline + dt.timedelta(days=rng.uniform(1, 20))
    for _level in range(rng.choice((0, 1, 1, 2))):
        if not life.step(when, "supervise", cast.commander, rng.choice(_SUPERVISE_NOTES)):
            break
        when = when + dt.timedelta(days=rng.uniform(5, 30))
    return life.steps


def clerk_username(unit_code: str) -> str:
    """The demo clerk account of a unit (U001's is the one-per-role ``demo-clerk``)."""
    return "demo-clerk" if unit_code == "U001" else f"demo-clerk-{unit_code.lower()}"


def make_cast(units: Mapping[int, tuple[str, str]], actor: Callable[..., Actor]) -> Cast:
    """The cast: ``units`` id → (code, name); ``actor(username, role, unit_id=None)`` builds an actor."""
    return Cast(
        dispatcher=actor("demo-dispatcher", "dispatcher"),
        commander=actor("demo-commander", "commander"),
        inspector=actor("demo-inspector", "inspector"),
        clerks={uid: actor(clerk_username(code), "unit_clerk", uid) for uid, (code, _name) in units.items()},
    )
