"""The bulk path's fast readers and writers give what the per-value code gives."""

from __future__ import annotations

import csv
import datetime as dt
import io
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


def test_columns_are_written_byte_for_byte_as_csv_writes_rows(tmp_path: Path) -> None:
    texts = ["a,b", 'say "hi"', "line\nbreak", "cr\ronly", "", " lead space", "中文，全角", "'", "tab\there", '"']
    columns: list[Any] = [texts, np.arange(len(texts)) - 3, [1.5, 0.1, None, True, 2, "x", 3.0, -0.0, 1e20, ""]]
    for cols in (columns, columns[:1], columns[1:]):
        write_columns_atomically(tmp_path / "fast.csv", ["t", "n", "x"][: len(cols)], cols)
        with (tmp_path / "slow.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["t", "n", "x"][: len(cols)])
            w.writerows(zip(*[c.tolist() if isinstance(c, np.ndarray) else c for c in cols], strict=True))
        assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "slow.csv").read_bytes()


def test_rows_and_their_line_numbers_are_those_of_a_row_by_row_read() -> None:
    from gridmap.routing.csv_file import records_by_line, records_of

    texts = [
        "a,b,c\n1,2,3\n\n4,5\n,,\n6,7,8,9\n  , ,\n10,11,12",
        "a,b,c\r\n1,2,3\r\n\r\n4,5,6\r\n",
        "a,b,c\r1,2,3\r4,5,6\r",
        'a,b,c\n1,"two\nlines",3\n4,5,6\n\n7,8\n',
        'a,b,c\n1,"cr\ronly",3\n4,5,6\n',
        "a,b,c\n",
        "a,b,c",
    ]
    for text in texts:
        reader = csv.reader(io.StringIO(text, newline=""))
        next(reader)
        fast = records_of(reader, text, 3)
        assert fast == records_by_line(csv.reader(io.StringIO(text, newline="")), 3), text
