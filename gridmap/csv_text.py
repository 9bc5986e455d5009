"""CSV files in and out: the text of an uploaded file — UTF-8 (with or without BOM), else GB 18030 (what Excel
saves on a Chinese Windows), anything else refused with the line and byte where it stops being text — and files
written whole or not at all, with a BOM so that Excel opens them as UTF-8."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from gridmap.errors import InvalidInput, Problem

ERROR_COLUMNS = ("row", "field", "message")  # the bad-rows file of every bulk command


def decode(raw: bytes, source: str) -> tuple[str, str]:
    """``(encoding, text)`` of a file's bytes; InvalidInput naming the first undecodable byte otherwise."""
    try:
        return "utf-8-sig", raw.decode("utf-8-sig")
    except UnicodeDecodeError as not_utf8:
        try:
            return "gb18030", raw.decode("gb18030")
        except UnicodeDecodeError as not_gb:
            at = max(not_utf8.start, not_gb.start)  # where the text stops making sense in the likelier encoding
            line = raw[:at].count(b"\n") + 1
            message = f"line {line}: byte 0x{raw[at]:02X} is neither UTF-8 nor GB 18030 (GBK) text; save it as UTF-8"
            raise InvalidInput(Problem(message, source)) from None


def write_atomically(path: Path, header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
    """Write a CSV file next to its final name and rename it into place: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(list(header))
            w.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_columns_atomically(path: Path, header: Iterable[str], columns: list[object]) -> None:
    """:func:`write_atomically` for a table given as columns (lists or arrays): the rows are zipped in C and written
    by :mod:`csv` in one call — no Python call per field, which otherwise costs more than a bulk file's routing."""
    cols = [c.tolist() if isinstance(c, np.ndarray) else c for c in columns]
    write_atomically(path, header, zip(*cols, strict=True))
