"""Past years' holidays from the maintained ``chinesecalendar`` package (PyPI, pinned), instead of typed by hand.

The package carries the State Council's notices from 2004 to the year before its release (1.11.0: up to 2026; it
agrees with the hand-seeded 2026 rows on 365 of 365 days). A year it does not carry — 2027's make-up days are in no
package yet — is refused with the way out (`gridmap categories holiday import` of the notice), and the December
warning of :mod:`~gridmap.catalogue.holiday_file` stays until the year is loaded.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.errors import InvalidInput, Problem


def package_years() -> tuple[int, int]:
    """The first and last year the installed package knows."""
    import chinese_calendar

    days = list(chinese_calendar.holidays) + list(chinese_calendar.workdays)
    return min(days).year, max(days).year


def package_rows(year: int) -> list[dict[str, object]]:
    """One year's days off and make-up working days as holiday rows (``day``, ``name``, ``is_workday``), named in
    Chinese as the notice names them (春节, 春节调休上班)."""
    import chinese_calendar

    first, last = package_years()
    if not first <= year <= last:
        raise InvalidInput(
            Problem(
                f"the chinesecalendar package knows the years {first}–{last}, not {year}: load {year} from the "
                f"State Council's notice with `gridmap categories holiday import FILE.csv`",
                field="year",
                zh=f"chinesecalendar 只含 {first}–{last} 年，没有 {year} 年：请用 gridmap categories holiday import "
                f"导入国务院办公厅的放假通知",
            )
        )
    rows: list[dict[str, object]] = []
    for table, workday in ((chinese_calendar.holidays, False), (chinese_calendar.workdays, True)):
        for day, name in sorted(table.items()):
            if day.year == year:
                zh = _chinese(name)
                rows.append({"day": day, "name": zh + ("调休上班" if workday and zh else ""), "is_workday": workday})
    return sorted(rows, key=lambda r: r["day"])  # type: ignore[arg-type,return-value]  # "day" holds a date


def _chinese(name: str) -> str:
    """The package stores the English name; its ``Holiday`` enum knows the Chinese one."""
    from chinese_calendar.constants import Holiday

    for h in Holiday:
        if h.value == name:
            return str(h.chinese)
    return name


def parse_years(text: str) -> list[int]:
    """``2019-2026`` or ``2024,2025`` (or a mix) as a sorted list of years; a bad part is an InvalidInput."""
    years: set[int] = set()
    for part in (p.strip() for p in text.replace("，", ",").split(",")):
        lo, _, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi or lo)
        except ValueError:
            raise InvalidInput(Problem(f"{part!r} is not a year or a range of years (2019-2026)", field="years",
                                       zh=f"“{part}”不是年份或年份范围（如 2019-2026）")) from None  # fmt: skip
        if not 1949 < a <= b < 2200:
            raise InvalidInput(Problem(f"{part!r} is not a range of years", field="years", zh=f"“{part}”不是年份范围"))
        years.update(range(a, b + 1))
    return sorted(years)


def seed_from_package(session: Session, years: list[int], *, actor: Actor) -> list[dict[str, int]]:
    """Replace each year's holidays with the package's (each a ``holiday.import`` in the audit trail, source named);
    every year is checked before anything is written. Does not commit."""
    from gridmap.catalogue.holiday_file import replace_year

    rows = {year: package_rows(year) for year in years}
    return [replace_year(session, year, rows[year], actor=actor, source="chinesecalendar") for year in years]


def day_kinds(rows: list[dict[str, object]], year: int) -> dict[dt.date, bool]:
    """Every day of ``year`` → is it a working day (Mon–Fri unless a row says otherwise): how two sources compare."""
    told = {r["day"]: bool(r["is_workday"]) for r in rows}
    out: dict[dt.date, bool] = {}
    day = dt.date(year, 1, 1)
    while day.year == year:
        out[day] = told.get(day, day.weekday() < 5)
        day += dt.timedelta(days=1)
    return out
