"""The category catalogue and holidays as kept by this process (gridmap.catalogue.cache): an edit committed here or by
another process is seen at once, and a transaction sees its own edits — on both databases. And how
gridmap.store.change_counters reads a statement's target tables."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gridmap.catalogue.categories import case_category, load_calendar, set_holiday, upsert_category
from gridmap.config import CaseSettings, Settings
from gridmap.store.change_counters import written_tables
from tests.accounts import TESTER
from tests.case_helpers import seed_city

RULES = CaseSettings()
MONDAY = dt.date(2026, 3, 2)


@pytest.fixture
def seeded(session: Session) -> Session:
    seed_city(session)
    session.commit()
    return session


def test_a_committed_edit_is_seen_at_once(seeded: Session) -> None:
    s = seeded
    assert case_category(s, "0102").deadline_amount == 4  # read into this process's copy
    assert load_calendar(s, RULES).is_workday(MONDAY)
    upsert_category(s, {"code": "0102", "deadline": {"amount": 3, "unit": "work_hours"}}, actor=TESTER)
    set_holiday(s, MONDAY, is_workday=False, name="调休", actor=TESTER)
    s.commit()
    assert case_category(s, "0102").deadline_amount == 3
    assert not load_calendar(s, RULES).is_workday(MONDAY)


def test_a_transaction_sees_its_own_edits_and_others_do_not(seeded: Session, engine: Engine) -> None:
    s = seeded
    assert load_calendar(s, RULES).is_workday(MONDAY)
    set_holiday(s, MONDAY, is_workday=False, actor=TESTER)  # flushed, not committed
    assert not load_calendar(s, RULES).is_workday(MONDAY)
    with Session(engine) as other:
        assert load_calendar(other, RULES).is_workday(MONDAY)  # the copy: nothing committed yet
    s.rollback()
    assert load_calendar(s, RULES).is_workday(MONDAY)


def test_another_process_edit_is_seen_at_once(seeded: Session, engine: Engine) -> None:
    s = seeded
    assert case_category(s, "0104").deadline_amount == 2  # read into this process's copy
    # a write that does not go through this process's engines (another process, or psql)
    raw = engine.raw_connection()
    try:
        raw.cursor().execute("UPDATE categories SET deadline_amount = 7 WHERE code = '0104'")
        raw.commit()
    finally:
        raw.close()
    s.commit()  # end the session's read transaction (SQLite reads from its snapshot until then)
    assert case_category(s, "0104").deadline_amount == 7


@pytest.mark.parametrize(
    ("statement", "tables"),
    [
        ("INSERT INTO holidays (day) VALUES (?)", {"holidays"}),
        ('insert or replace into "categories" values (1)', {"categories"}),
        ("UPDATE units SET name = 'x'", {"units"}),
        ("  DELETE FROM segments WHERE id = 1", {"segments"}),
        ("TRUNCATE categories, holidays, cases RESTART IDENTITY CASCADE", {"categories", "holidays", "cases"}),
        ("TRUNCATE TABLE ONLY grids", {"grids"}),
        ("SELECT * FROM categories", set()),
        ("WITH x AS (SELECT 1) SELECT * FROM x", set()),
    ],
)
def test_written_tables_of_a_statement(statement: str, tables: set[str]) -> None:
    assert written_tables(statement) == tables


def test_a_report_reads_the_counter_once(seeded: Session, engine: Engine, tmp_path) -> None:
    """A report needs its category and the calendar: the counter is read once per transaction, not per use."""
    from sqlalchemy import event

    from gridmap.cases import open_report
    from tests.case_helpers import MONDAY_9, FakeRouter, case_settings, report

    settings = case_settings(Settings(database_url=str(engine.url)), tmp_path)
    reads: list[str] = []

    def note(conn, cursor, statement, *args) -> None:
        if "change_counters" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        open_report(seeded, report(), settings, now=MONDAY_9, router=FakeRouter(None), actor=TESTER)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len(reads) == 1, reads
