"""Next year's holidays: loaded from the State Council's notice as a CSV file (a whole year, all or nothing), and
warned about from 1 December on the health endpoint, the admin pages and `gridmap serve` while they are missing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmap.catalogue import holiday_file
from gridmap.catalogue.categories import seed
from gridmap.cli import main
from gridmap.cli.serve import warn_missing_holidays
from gridmap.config import Settings
from gridmap.store.models import Holiday
from gridmap.web import create_app
from tests.accounts import client_as

NOTICE_2027 = """date,name,kind
2027-01-01,元旦,holiday
2027-02-06,春节,holiday
2027-02-07,春节,holiday
2027-02-14,春节调休上班,workday
"""


def _holidays(session: Session, year: int) -> dict[str, tuple[bool, str | None]]:
    rows = session.execute(
        select(Holiday.day, Holiday.is_workday, Holiday.name).where(
            Holiday.day >= dt.date(year, 1, 1), Holiday.day < dt.date(year + 1, 1, 1)
        )
    ).all()
    return {d.isoformat(): (w, n) for d, w, n in rows}


def test_a_year_loads_all_or_nothing_with_row_numbers(
    settings: Settings, engine: Engine, session: Session, tmp_path: Path
) -> None:
    seed(session)
    session.commit()
    run = CliRunner()
    url = ["--database-url", settings.database_url]
    good = tmp_path / "2027.csv"
    good.write_text("\ufeff" + NOTICE_2027 + "2027-10-01,国庆节,holiday\n", encoding="utf-8")  # as Excel saves it
    out = run.invoke(main, [*url, "categories", "holiday", "import", str(good)])
    assert out.exit_code == 0, out.output
    assert "2027: 4 days off, 1 make-up working days" in out.output
    session.commit()  # a new transaction: see what the command wrote
    assert _holidays(session, 2027)["2027-02-14"] == (True, "春节调休上班") and len(_holidays(session, 2027)) == 5
    # the corrected notice replaces the year (国庆 dropped); 2026 is untouched
    before_2026 = _holidays(session, 2026)
    good.write_text(NOTICE_2027, encoding="utf-8")
    assert run.invoke(main, [*url, "categories", "holiday", "import", str(good)]).exit_code == 0
    session.commit()  # a new transaction: see what the command wrote
    assert len(_holidays(session, 2027)) == 4 and _holidays(session, 2026) == before_2026
    # a bad file: every problem with its row, nothing written
    bad = tmp_path / "bad.csv"
    bad.write_text("date,name,kind\n2027-05-01,劳动节,holiday\n2027-13-01,x,holiday\n2027-05-02,y,off\n"
                   "2027-05-01,again,holiday\n2028-01-01,元旦,holiday\n", encoding="utf-8")  # fmt: skip
    out = run.invoke(main, [*url, "categories", "holiday", "import", str(bad)])
    assert out.exit_code != 0
    for said in ("row 3: '2027-13-01' is not a date", "row 4: 'off' is neither holiday nor workday",
                 "row 5: 2027-05-01 is listed twice (row 2)", "spans the years 2027, 2028"):  # fmt: skip
        assert said in out.output, out.output
    session.commit()  # a new transaction: see what the command wrote
    assert len(_holidays(session, 2027)) == 4 and not _holidays(session, 2028)
    nohead = tmp_path / "nohead.csv"
    nohead.write_text("2027-05-01,劳动节,holiday\n", encoding="utf-8")
    assert "date, name, kind" in run.invoke(main, [*url, "categories", "holiday", "import", str(nohead)]).output
    # one day, in the older form and the new one
    assert run.invoke(main, [*url, "categories", "holiday", "2027-05-01", "--off"]).exit_code == 0
    assert run.invoke(main, [*url, "categories", "holiday", "set", "2027-05-08", "--workday"]).exit_code == 0
    session.commit()  # a new transaction: see what the command wrote
    assert _holidays(session, 2027)["2027-05-01"][0] is False and _holidays(session, 2027)["2027-05-08"][0] is True


def test_from_1_december_the_missing_year_is_warned_about_everywhere(
    settings: Settings,
    engine: Engine,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed(session)  # 2026 only
    session.commit()
    monkeypatch.setattr(holiday_file, "_today", lambda: dt.date(2026, 11, 30))
    assert holiday_file.missing_holidays(session) is None
    app = create_app(settings)
    admin = client_as(app, "admin")
    assert "warnings" not in admin.get("/api/v1/health").get_json()
    assert 'id="holiday-warning"' not in admin.get("/admin/accounts").get_data(as_text=True)

    monkeypatch.setattr(holiday_file, "_today", lambda: dt.date(2026, 12, 1))
    warning = holiday_file.missing_holidays(session)
    assert warning is not None and warning.year == 2027
    health = admin.get("/api/v1/health").get_json()
    assert health["warnings"] == [{"code": "holidays_missing", "year": 2027, "message": warning.zh}]
    assert "2027" in warning.zh and "gridmap categories holiday import" in warning.zh
    assert admin.get("/api/v1/health?lang=en").get_json()["warnings"][0]["message"] == warning.en
    for page in ("/admin/accounts", "/audit"):
        assert warning.zh in admin.get(page, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True), page
    warn_missing_holidays(app)  # what `gridmap serve` prints as it starts
    assert f"警告：{warning.zh}" in capsys.readouterr().err

    # loaded: silent again
    session.add(Holiday(day=dt.date(2027, 1, 1), is_workday=False, name="元旦"))
    session.commit()
    assert holiday_file.missing_holidays(session) is None
    assert "warnings" not in admin.get("/api/v1/health").get_json()
    assert 'id="holiday-warning"' not in admin.get("/audit").get_data(as_text=True)


def test_the_package_agrees_with_the_2026_notice_on_every_day() -> None:
    from gridmap.catalogue.categories import HOLIDAYS_2026
    from gridmap.catalogue.holiday_package import day_kinds, package_rows

    seeded = [{"day": dt.date.fromisoformat(d), "name": n, "is_workday": w} for d, n, w in HOLIDAYS_2026]
    ours, theirs = day_kinds(seeded, 2026), day_kinds(package_rows(2026), 2026)
    assert len(ours) == 365
    assert sum(ours[d] == theirs[d] for d in ours) == 365
    names = {r["day"]: r["name"] for r in package_rows(2026)}
    assert names[dt.date(2026, 2, 17)] == "春节" and names[dt.date(2026, 2, 14)] == "春节调休上班"


def test_past_years_seed_from_the_package_and_2027_is_refused(
    settings: Settings, engine: Engine, session: Session
) -> None:
    run = CliRunner()
    url = ["--database-url", settings.database_url]
    out = run.invoke(main, [*url, "categories", "holiday", "seed", "--from-package", "2024-2025"])
    assert out.exit_code == 0, out.output
    assert "2024: " in out.output and "2025: " in out.output
    session.commit()
    days_2025 = _holidays(session, 2025)
    assert days_2025["2025-01-29"] == (False, "春节") and days_2025["2025-01-26"] == (True, "春节调休上班")
    assert days_2025["2025-10-08"][0] is False and "2025-10-09" not in days_2025
    # 2027 is in no package yet: refused, nothing of the command written, the December warning still there
    out = run.invoke(main, [*url, "categories", "holiday", "seed", "--from-package", "2026,2027"])
    assert out.exit_code != 0 and "not 2027" in out.output and "holiday import" in out.output
    session.commit()
    assert not _holidays(session, 2027) and not _holidays(session, 2026)
    assert holiday_file.missing_holidays(session, dt.date(2026, 12, 1)) is not None
    bad = run.invoke(main, [*url, "categories", "holiday", "seed", "--from-package", "twenty"])
    assert bad.exit_code != 0 and "'twenty' is not a year" in bad.output
