"""CSV files in and out: the text of an uploaded file — UTF-8 (with or without BOM), else GB 18030 (what Excel
saves on a Chinese Windows), anything else refused with the line and byte where it stops being text — and files
written whole or not at all, with a BOM so that Excel opens them as UTF-8."""

from __future__ import annotations

import contextlib
import csv
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

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


@contextlib.contextmanager
def _atomic_text(path: Path) -> Iterator[TextIO]:
    """A text file written next to ``path`` (UTF-8 with BOM, for Excel) and renamed into place when the block
    ends without error: a reader never sees half a file; on error nothing is left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
    """Write a CSV file next to its final name and rename it into place: a reader never sees half a file."""
    with _atomic_text(path) as fh:
        w = csv.writer(fh)
        w.writerow(list(header))
        w.writerows(rows)


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')  # what makes the csv module (excel dialect, QUOTE_MINIMAL) quote a field
_CHUNK = 100_000  # rows joined into one piece of text before it is written


def csv_fields(column: object) -> list[str]:
    """A column's fields as :mod:`csv`'s excel dialect writes them (``str`` of each value, quoted only when it holds
    a comma, a double quote or a line break, its quotes doubled): the per-value check runs in C."""
    values = column.tolist() if isinstance(column, np.ndarray) else list(column)  # type: ignore[call-overload]  # numpy's stubs lack tolist()'s overload for object arrays
    types = set(map(type, values))
    if types <= {str, int}:
        values = list(map(str, values)) if int in types else values
    else:
        values = ["" if v is None else v if isinstance(v, str) else repr(v) if isinstance(v, float) else str(v)
                  for v in values]  # fmt: skip
    if not _NEEDS_QUOTES.search("".join(values)):
        return values
    quote = np.flatnonzero(np.fromiter(map(bool, map(_NEEDS_QUOTES.search, values)), bool, len(values))).tolist()
    for i in quote:
        values[i] = '"' + values[i].replace('"', '""') + '"'
    return values


def write_columns_atomically(path: Path, header: Iterable[str], columns: list[object]) -> None:
    """:func:`write_atomically` for a table given as columns (lists or arrays), byte for byte what :mod:`csv` writes
    row by row — but each column is quoted as a whole (:func:`csv_fields`) and the rows are joined in C, a chunk
    of rows per write: per-row writes cost more than a bulk file's routing."""
    fields = [csv_fields(c) for c in columns]
    if len(fields) == 1:  # a row of one empty field is written "" (else it would read as a blank line)
        fields[0] = [v or '""' for v in fields[0]]
    n = len(fields[0]) if fields else 0
    if any(len(f) != n for f in fields):
        raise ValueError("columns of different lengths")
    with _atomic_text(path) as fh:
        csv.writer(fh).writerow(list(header))
        for s in range(0, n, _CHUNK):
            rows = map(",".join, zip(*(f[s : s + _CHUNK] for f in fields), strict=True))
            fh.write("\r\n".join(rows) + "\r\n")
