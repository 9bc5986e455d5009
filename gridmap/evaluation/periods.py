"""Scoring periods: a week, month, quarter, year or any range of days, in the city's local time zone.

>>> import zoneinfo; tz = zoneinfo.ZoneInfo("Asia/Shanghai")
>>> p = parse_period("2026-11", tz); (p.key, p.kind, p.start.isoformat(), p.end.isoformat())
('2026-11', 'month', '2026-11-01T00:00:00+08:00', '2026-12-01T00:00:00+08:00')
>>> [q.key for q in p.previous(3)]
['2026-10', '2026-09', '2026-08']
>>> parse_period("2026-W48", tz).first_day.isoformat(), parse_period("2026-Q4", tz).end.date().isoformat()
('2026-11-23', '2027-01-01')
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from gridmap.errors import InvalidInput, Problem

PERIOD_HELP = "2026-11 (month), 2026-W47 (ISO week), 2026-Q4, 2026, or 2026-11-03..2026-11-20 (days, both included)"
MAX_RANGE_DAYS = 3660  # ten years: a longer range is a typing slip

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    """Days ``[first_day, end_day)`` in ``tz``; ``start``/``end`` are those days' local midnights (aware)."""

    key: str
    kind: str  # week | month | quarter | year | range
    first_day: dt.date
    end_day: dt.date  # exclusive
    tz: dt.tzinfo

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(0), tzinfo=self.tz)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.end_day, dt.time(0), tzinfo=self.tz)

    @property
    def start_utc(self) -> dt.datetime:
        return self.start.astimezone(dt.UTC)

    @property
    def end_utc(self) -> dt.datetime:
        return self.end.astimezone(dt.UTC)

    def label(self, lang: str = "zh_CN") -> str:
        """How a person reads it: 2026年11月, 2026年第48周 …"""
        y = self.first_day.year
        if lang == "en":
            return self.key
        if self.kind == "month":
            return f"{y}年{self.first_day.month}月"
        if self.kind == "week":
            return f"{self.first_day.isocalendar().year}年第{self.first_day.isocalendar().week}周"
        if self.kind == "quarter":
            return f"{y}年第{(self.first_day.month - 1) // 3 + 1}季度"
        if self.kind == "year":
            return f"{y}年"
        last = self.end_day - dt.timedelta(days=1)
        return f"{self.first_day.isoformat()} 至 {last.isoformat()}"

    def previous(self, n: int) -> list[Period]:
        """The ``n`` periods of the same kind and length before this one, newest first (for trends)."""
        out: list[Period] = []
        p = self
        for _ in range(n):
            p = p._before()
            out.append(p)
        return out

    def _before(self) -> Period:
        d = self.first_day
        if self.kind == "month":
            prev = (d.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            return month(prev.year, prev.month, self.tz)
        if self.kind == "quarter":
            prev = (d.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            return _quarter(prev.year, (prev.month - 1) // 3 + 1, self.tz)
        if self.kind == "year":
            return _year(d.year - 1, self.tz)
        length = self.end_day - self.first_day
        first = d - length
        if self.kind == "week":
            iso = first.isocalendar()
            return Period(f"{iso.year}-W{iso.week:02d}", "week", first, d, self.tz)
        last = d - dt.timedelta(days=1)
        return Period(f"{first.isoformat()}..{last.isoformat()}", "range", first, d, self.tz)


def month(year: int, m: int, tz: dt.tzinfo) -> Period:
    first = dt.date(year, m, 1)
    end = dt.date(year + (m == 12), m % 12 + 1, 1)
    return Period(f"{year}-{m:02d}", "month", first, end, tz)


def _quarter(year: int, q: int, tz: dt.tzinfo) -> Period:
    first = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)
    return Period(f"{year}-Q{q}", "quarter", first, end, tz)


def _year(year: int, tz: dt.tzinfo) -> Period:
    return Period(str(year), "year", dt.date(year, 1, 1), dt.date(year + 1, 1, 1), tz)


def parse_period(raw: object, tz: dt.tzinfo, field: str = "period") -> Period:
    """A period from its key (see :data:`PERIOD_HELP`). Raises InvalidInput saying what was expected."""
    text = str(raw or "").strip()

    def bad(why: str, zh: str) -> InvalidInput:
        return InvalidInput(Problem(f"{text[:40]!r}: {why}; give {PERIOD_HELP}", field=field,
                                    zh=f"“{text[:40]}”{zh}；请写 2026-11（月）、2026-W47（周）、2026-Q4（季度）、"
                                    "2026（年）或 2026-11-03..2026-11-20（日期范围，含首尾）"))  # fmt: skip

    try:
        if m := _MONTH.match(text):
            if not 1 <= int(m[2]) <= 12:
                raise bad("no such month", "月份不存在")
            return month(int(m[1]), int(m[2]), tz)
        if m := _WEEK.match(text):
            first = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return Period(f"{int(m[1])}-W{int(m[2]):02d}", "week", first, first + dt.timedelta(days=7), tz)
        if m := _QUARTER.match(text):
            return _quarter(int(m[1]), int(m[2]), tz)
        if m := _YEAR.match(text):
            return _year(int(m[1]), tz)
        if m := _RANGE.match(text):
            first, last = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
            if last < first:
                raise bad("the range ends before it starts", "结束日期早于开始日期")
            if (last - first).days > MAX_RANGE_DAYS:
                raise bad("a range of more than ten years", "日期范围超过十年")
            return Period(text, "range", first, last + dt.timedelta(days=1), tz)
    except ValueError as e:  # 2026-W60, 2026-02-30
        raise bad(f"not a date ({e})", "不是有效的日期") from e
    raise bad("not a period", "不是可识别的考核周期")
