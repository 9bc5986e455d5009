"""The working calendar: deadlines in urgent hours, working hours or working days, and the traffic light.

Pure rules over a holiday set — no database, no Flask. A deadline limit is counted in one of three units:

- ``urgent_hours``: continuous wall-clock hours (nights, weekends and holidays count);
- ``work_hours``: hours inside the working hours (default 08:30–12:00 and 14:30–18:00) of working days;
- ``work_days``: whole working days, i.e. ``n`` × the length of a working day in working time (a case opened on
  Monday at 10:00 with 2 working days is due on Wednesday at 10:00; one opened on a Saturday is due at the end of
  Tuesday).

A working day is Monday–Friday unless the holiday table says otherwise: a public holiday is a day off, a make-up
working day (调休, often a Saturday or Sunday) is a working day.

Working time is handled as a position on a "working clock": ``W(t)`` is the number of working microseconds
from a fixed origin to ``t``. Elapsed working time is ``W(b) − W(a)``; adding a budget is ``W⁻¹(W(t) + budget)``,
taking the earliest instant (a deadline that uses the whole morning ends at 12:00, not at 14:30). Both are
vectorised over numpy arrays with ``searchsorted`` on a table of the working intervals, so a million deadlines
take well under a second. The scalar :meth:`WorkingCalendar.add` and :meth:`WorkingCalendar.elapsed` walk the same
table with :mod:`bisect` over Python lists: one call costs a few microseconds, not numpy's per-call overhead (the
demo's year of history computes thousands of deadlines one at a time).

>>> import datetime as dt
>>> cal = WorkingCalendar(tz="Asia/Shanghai")
>>> tz = cal.tz
>>> cal.deadline(dt.datetime(2026, 3, 2, 11, 0, tzinfo=tz), 2, "work_hours").isoformat()
'2026-03-02T15:30:00+08:00'
>>> traffic_light(0.5), traffic_light(0.8), traffic_light(1.2)
('green', 'yellow', 'red')
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

URGENT_HOURS = "urgent_hours"
WORK_HOURS = "work_hours"
WORK_DAYS = "work_days"
UNITS = (URGENT_HOURS, WORK_HOURS, WORK_DAYS)
UNIT_LABELS_ZH = {URGENT_HOURS: "紧急小时", WORK_HOURS: "工作时", WORK_DAYS: "工作日"}

DEFAULT_WORKING_HOURS = "08:30-12:00,14:30-18:00"
YELLOW_AT = 0.8  # green below 80 % of the limit used, yellow from 80 % to 100 %, red when overdue

_US = 1_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def parse_working_hours(spec: str) -> tuple[tuple[dt.time, dt.time], ...]:
    """``"08:30-12:00,14:30-18:00"`` → ((08:30, 12:00), (14:30, 18:00)); ``24:00`` is allowed as an end.

    >>> parse_working_hours("09:00-17:00")
    ((datetime.time(9, 0), datetime.time(17, 0)),)
    """
    out: list[tuple[dt.time, dt.time]] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        try:
            a, b = (x.strip() for x in part.split("-"))
            start = dt.time.fromisoformat(a)
            end = dt.time.max if b == "24:00" else dt.time.fromisoformat(b)
        except ValueError as exc:
            raise ValueError(f"working hours {spec!r}: {part!r} is not HH:MM-HH:MM") from exc
        if end <= start:
            raise ValueError(f"working hours {spec!r}: {part!r} ends before it starts")
        if out and start < out[-1][1]:
            raise ValueError(f"working hours {spec!r}: periods overlap or are not in order")
        out.append((start, end))
    if not out:
        raise ValueError(f"working hours {spec!r}: no period given")
    return tuple(out)


def to_us(t: dt.datetime) -> int:
    """An aware datetime → integer microseconds since 1970-01-01 UTC."""
    if t.tzinfo is None:
        raise ValueError("naive datetime: give a time zone")
    delta = t - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def from_us(us: int, tz: dt.tzinfo) -> dt.datetime:
    return (_EPOCH + dt.timedelta(microseconds=int(us))).astimezone(tz)


def traffic_light(used_fraction: float) -> str:
    """green < 80 % of the limit used, yellow 80–100 %, red beyond (overdue)."""
    if used_fraction > 1.0:
        return "red"
    if used_fraction >= YELLOW_AT:
        return "yellow"
    return "green"


@dataclass(frozen=True)
class Progress:
    """Where a case stands against its limit at one instant."""

    limit_seconds: float
    used_seconds: float
    remaining_seconds: float
    used_fraction: float
    light: str
    overdue: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "limit_seconds": round(self.limit_seconds, 3),
            "used_seconds": round(self.used_seconds, 3),
            "remaining_seconds": round(self.remaining_seconds, 3),
            "used_fraction": round(self.used_fraction, 4),
            "light": self.light,
            "overdue": self.overdue,
        }


class WorkingCalendar:
    """Working days and hours of one city, with its holidays and make-up working days.

    Parameters
    ----------
    holidays
        date → is_workday: ``False`` for a public holiday, ``True`` for a make-up working day (调休).
    hours
        The working periods of a working day, local time, e.g. ``"08:30-12:00,14:30-18:00"``.
    weekdays
        The normal working weekdays (Monday = 0).
    tz
        The city's time zone; deadlines are computed in local time and returned as aware datetimes.
    """

    def __init__(
        self,
        holidays: Mapping[dt.date, bool] | None = None,
        hours: str | Sequence[tuple[dt.time, dt.time]] = DEFAULT_WORKING_HOURS,
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        tz: str | dt.tzinfo = "Asia/Shanghai",
    ) -> None:
        self.holidays = dict(holidays or {})
        self.hours = parse_working_hours(hours) if isinstance(hours, str) else tuple(hours)
        self.weekdays = frozenset(weekdays)
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.day_seconds = sum(_seconds(end) - _seconds(start) for start, end in self.hours)
        self._table: _Table | None = None

    # -- days -----------------------------------------------------------------------------------------------
    def is_workday(self, day: dt.date) -> bool:
        return self.holidays.get(day, day.weekday() in self.weekdays)

    def budget_seconds(self, amount: float, unit: str) -> float:
        """The length of a limit in seconds of its own clock (wall-clock for urgent hours, working time else)."""
        if unit in (URGENT_HOURS, WORK_HOURS):
            return float(amount) * 3600.0
        if unit == WORK_DAYS:
            return float(amount) * self.day_seconds
        raise ValueError(f"unknown deadline unit {unit!r}: use one of {', '.join(UNITS)}")

    # -- the working-interval table -------------------------------------------------------------------------
    def _build(self, first_year: int, last_year: int) -> _Table:
        starts: list[int] = []
        ends: list[int] = []
        day = dt.date(first_year, 1, 1)
        stop = dt.date(last_year + 1, 1, 1)
        one = dt.timedelta(days=1)
        while day < stop:
            if self.is_workday(day):
                for a, b in self.hours:
                    starts.append(to_us(_local(day, a, self.tz)))
                    ends.append(to_us(_local(day, b, self.tz)))
            day += one
        s = np.asarray(starts, dtype=np.int64)
        e = np.asarray(ends, dtype=np.int64)
        cum_end = np.cumsum(e - s)
        cum = cum_end - (e - s)
        # the years strictly inside the table: a time there needs no rebuild (the first and last years are margin)
        safe = (to_us(_local(dt.date(first_year + 1, 1, 1), dt.time(0), self.tz)),
                to_us(_local(dt.date(last_year, 1, 1), dt.time(0), self.tz)))  # fmt: skip
        lists = (s.tolist(), e.tolist(), cum.tolist(), cum_end.tolist())
        # one tuple, swapped in one assignment: readers in other threads never see half a table
        self._table = _Table((first_year, last_year), s, e, cum, cum_end, safe, lists)
        return self._table

    def _ensure(self, lo_us: int, hi_us: int) -> _Table:
        tab = self._table
        if tab is not None and tab.safe_us[0] <= lo_us and hi_us < tab.safe_us[1]:
            return tab
        lo = from_us(lo_us, self.tz).year
        hi = from_us(hi_us, self.tz).year
        if tab is None or lo <= tab.years[0] or hi >= tab.years[1]:
            first = min(lo - 1, tab.years[0] if tab else lo - 1)
            last = max(hi + 2, tab.years[1] if tab else hi + 2)
            tab = self._build(first, last)
        return tab

    @staticmethod
    def _position_one(tab: _Table, t: int) -> int:
        """:meth:`_position` of one time (µs), with bisect over the table's lists."""
        starts, ends, cum, _ = tab.lists
        i = bisect.bisect_right(starts, t) - 1
        if i < 0:
            return 0
        return cum[i] + min(t - starts[i], ends[i] - starts[i])

    @staticmethod
    def _position(tab: _Table, t_us: np.ndarray) -> np.ndarray:
        """W(t): working microseconds since the start of the table."""
        i = np.searchsorted(tab.starts, t_us, side="right") - 1
        inside = i >= 0
        ic = np.clip(i, 0, None)
        into = np.minimum(t_us - tab.starts[ic], tab.ends[ic] - tab.starts[ic])
        return np.where(inside, tab.cum[ic] + into, 0)

    @staticmethod
    def _instant(tab: _Table, w: np.ndarray) -> np.ndarray:
        """W⁻¹(w): the earliest instant at which ``w`` working microseconds have passed."""
        j = np.searchsorted(tab.cum_end, w, side="left")
        return tab.starts[j] + (w - tab.cum[j])

    # -- scalar API ------------------------------------------------------------------------------------------
    def add(self, start: dt.datetime, seconds: float, unit: str) -> dt.datetime:
        """``start`` plus ``seconds`` on the clock of ``unit`` (wall clock or working time); the same instant as
        :meth:`add_us` gives, computed without numpy."""
        t = to_us(start)
        budget = round(float(seconds) * _US)  # half to even, as np.rint
        if budget < 0:
            raise ValueError("a budget cannot be negative")
        if unit == URGENT_HOURS or budget == 0:
            if unit != URGENT_HOURS:
                self._check_unit(unit)
            return from_us(t + budget, self.tz)
        self._check_unit(unit)
        tab = self._ensure(t, t)
        w = self._position_one(tab, t) + budget
        while w > tab.lists[3][-1]:  # very long limits: grow the table forward
            tab = self._build(tab.years[0], tab.years[1] + 5)
        starts, _, cum, cum_end = tab.lists
        j = bisect.bisect_left(cum_end, w)
        return from_us(starts[j] + (w - cum[j]), self.tz)

    def elapsed(self, a: dt.datetime, b: dt.datetime, unit: str) -> float:
        """Seconds from ``a`` to ``b`` on the clock of ``unit`` (negative when ``b`` is before ``a``)."""
        if unit == URGENT_HOURS:
            return (b - a).total_seconds()
        self._check_unit(unit)
        ua, ub = to_us(a), to_us(b)
        tab = self._ensure(min(ua, ub), max(ua, ub))
        return float(self._position_one(tab, ub) - self._position_one(tab, ua)) / _US

    def deadline(self, start: dt.datetime, amount: float, unit: str) -> dt.datetime:
        return self.add(start, self.budget_seconds(amount, unit), unit)

    def progress(self, deadline: dt.datetime, limit_seconds: float, unit: str, at: dt.datetime) -> Progress:
        """How much of the limit is used at ``at`` (for a parked case pass the moment it was parked)."""
        remaining = self.elapsed(at, deadline, unit)
        used = limit_seconds - remaining
        fraction = used / limit_seconds if limit_seconds > 0 else (0.0 if remaining >= 0 else float("inf"))
        overdue = remaining < 0
        light = "red" if overdue else traffic_light(min(fraction, 1.0))
        return Progress(limit_seconds, used, remaining, fraction, light, overdue)

    # -- vectorised API --------------------------------------------------------------------------------------
    def add_us(self, starts_us: np.ndarray, seconds: np.ndarray, unit: str) -> np.ndarray:
        """Vectorised :meth:`add` over microsecond timestamps; returns microsecond timestamps."""
        starts_us = np.asarray(starts_us, dtype=np.int64)
        budget = np.rint(np.asarray(seconds, dtype=float) * _US).astype(np.int64)
        if np.any(budget < 0):
            raise ValueError("a budget cannot be negative")
        if unit == URGENT_HOURS:
            return starts_us + budget
        self._check_unit(unit)
        if len(starts_us) == 0:
            return starts_us
        tab = self._ensure(int(starts_us.min()), int(starts_us.max()))
        w = self._position(tab, starts_us) + budget
        while w.max() > tab.cum_end[-1]:  # very long limits: grow the table forward
            tab = self._build(tab.years[0], tab.years[1] + 5)
            w = self._position(tab, starts_us) + budget
        out = self._instant(tab, w)
        return np.where(budget == 0, starts_us, out)

    def deadlines_us(self, starts_us: np.ndarray, amounts: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Deadlines for many cases at once: per-row amount and unit."""
        starts_us = np.asarray(starts_us, dtype=np.int64)
        amounts = np.asarray(amounts, dtype=float)
        units = np.asarray(units, dtype=object)
        out = np.empty(len(starts_us), dtype=np.int64)
        for unit in set(units.tolist()):
            mask = units == unit
            secs = amounts[mask] * (self.day_seconds if unit == WORK_DAYS else 3600.0)
            out[mask] = self.add_us(starts_us[mask], secs, unit)
        return out

    def _check_unit(self, unit: str) -> None:
        if unit not in UNITS:
            raise ValueError(f"unknown deadline unit {unit!r}: use one of {', '.join(UNITS)}")


class _Table(NamedTuple):
    years: tuple[int, int]
    starts: np.ndarray
    ends: np.ndarray
    cum: np.ndarray
    cum_end: np.ndarray
    safe_us: tuple[int, int]  # [from, to) µs needing no rebuild
    lists: tuple[list[int], list[int], list[int], list[int]]  # starts, ends, cum, cum_end for bisect


def _seconds(t: dt.time) -> float:
    if t == dt.time.max:
        return 86_400.0
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / _US


def _local(day: dt.date, t: dt.time, tz: dt.tzinfo) -> dt.datetime:
    if t == dt.time.max:  # "24:00": the start of the next day
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return dt.datetime.combine(day, t, tzinfo=tz)
