"""Values from user input are parsed one way everywhere (gridmap.inputs), and the modules' examples hold."""

from __future__ import annotations

import datetime as dt
import doctest

import pytest

import gridmap.inputs
import gridmap.store.targets
from gridmap.config import Settings
from gridmap.errors import Problem
from gridmap.inputs import parse_day, parse_flag, parse_int, parse_number, parse_text
from gridmap.web import create_app
from tests.accounts import client_as


@pytest.fixture
def app_client(settings: Settings):
    return client_as(create_app(settings))


@pytest.mark.parametrize("module", [gridmap.inputs, gridmap.store.targets])
def test_the_examples_in_the_docstrings_hold(module) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_a_day_is_a_date_or_the_day_of_a_time_in_every_field() -> None:
    problems: list[Problem] = []
    assert parse_day("2026-03-01", "at", problems) == dt.date(2026, 3, 1)
    assert parse_day("2026-03-01T23:59:59+08:00", "at", problems) == dt.date(2026, 3, 1)
    assert parse_day(dt.datetime(2026, 3, 1, 8), "at", problems) == dt.date(2026, 3, 1)
    assert parse_day("  ", "at", problems, default=dt.date(2000, 1, 1)) == dt.date(2000, 1, 1)
    assert problems == []
    for bad in ("2026-02-30", "yesterday", "2026/03/01", "01-03-2026"):
        assert parse_day(bad, "valid_from", problems) is None
    assert [p.field for p in problems] == ["valid_from"] * 4
    assert "is not a date (YYYY-MM-DD)" in problems[0].message


@pytest.mark.demo_city
def test_the_map_and_the_gaps_take_the_same_days(app_client) -> None:
    """``?at=`` with a time was accepted by /map and refused by the gaps (two parse_date); now both take it."""
    for url in ("/map?at=2026-01-01T00:00", "/api/v1/gaps/summary?at=2026-01-01T00:00", "/api/v1/heat?at=2026-01-01"):
        assert app_client.get(url).status_code == 200, url
    for url in ("/map?at=2026-13-01", "/api/v1/gaps/summary?at=2026-13-01", "/gaps?at=tomorrow"):
        r = app_client.get(url, headers={"Accept": "application/json"})
        assert r.status_code == 400 and "'at'" in " ".join(r.get_json()["details"]), url


def test_flags_numbers_and_text() -> None:
    problems: list[Problem] = []
    assert [parse_flag(v, "f", problems) for v in ("TRUE", "1", "no", "", None, False)] == [
        True, True, False, None, None, False,
    ]  # fmt: skip
    assert parse_flag("maybe", "overdue", problems) is None and problems[-1].field == "overdue"
    assert parse_int("5", "limit", problems, lo=1, hi=10) == 5
    assert parse_int("11", "limit", problems, lo=1, hi=10) is None and "too large" in problems[-1].message
    assert parse_int("", "page", problems, lo=1, default=1) == 1
    assert parse_int(True, "page", problems, lo=0) is None and "whole number" in problems[-1].message
    assert parse_number("1e3", "lon", problems) == 1000.0
    assert parse_number("nan", "lon", problems) is None and "finite" in problems[-1].message
    assert parse_number(None, "lat", problems) is None and problems[-1].message == "is required"
    assert parse_number(None, "amount", problems, required=False) is None and problems[-1].field == "lat"
    assert parse_text("  a  ", "note", problems, 10) == "a"
    assert parse_text("x" * 11, "note", problems, 10) is None and "at most 10" in problems[-1].message
    assert parse_text(["x"], "note", problems, 10) is None and problems[-1].message == "must be text"
