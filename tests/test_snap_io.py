"""The bulk path's fast readers and writers give what the per-value code gives."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from gridmap.csv_text import write_columns_atomically
from gridmap.routing.inputs import observed_days, one_day

TZ = ZoneInfo("Asia/Shanghai")


def test_naive_iso_times_read_as_their_date_and_the_rest_as_before() -> None:
    values = [
        "2025-06-01 09:00",
        "2025-06-01T23:59:59",
        " 2025-12-31 00:00:00.123456 ",
        "2025-02-30",  # no such day
        "0000-01-01",
        "2025-06-01T10:00:00+00:00",  # aware: converted to local
        "2025-06-01T20:00:00Z",  # next day in Shanghai
        "20250601",
        "yesterday",
        "",
        None,
        dt.date(2024, 2, 29),
        "2025-06-01 24:00",
    ] * 2
    errors: list = []
    got = observed_days(values, len(values), TZ, errors)
    for i, v in enumerate(values):
        want = one_day(v, TZ)
        if want is None:
            assert any(e.index == i for e in errors), v
        else:
            assert got[i] == want, v
    assert {e.index for e in errors} == {i for i, v in enumerate(values) if one_day(v, TZ) is None}


def test_columns_are_written_as_csv_writes_rows(tmp_path: Path) -> None:
    cols: list[Any] = [["a,b", 'say "hi"', "line\nbreak", "", "中文"], np.array([1, -1, 2, 3, 4]), ["x"] * 5]
    write_columns_atomically(tmp_path / "out.csv", ["t", "n", "x"], cols)
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["t", "n", "x"]
    assert rows[1:] == [[t, str(n), "x"] for t, n in zip(cols[0], cols[1].tolist(), strict=True)]
