"""The case-import CSV file, column by column: read fast (pandas' C parser when the file is plain), parsed
vectorised (numbers, UTC offsets, white space, membership), and the error file written."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from gridmap.errors import InvalidInput, Problem


class ErrorRows:
    """The error file's rows: (row number, field, message)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, str, str]] = []

    def add(self, line: int | np.ndarray | Iterable[int], field: str, message: str | Iterable[str]) -> None:
        lines = list(np.asarray(line).tolist()) if not isinstance(line, int) else [line]
        msgs = [message] * len(lines) if isinstance(message, str) else list(message)
        self.rows.extend(zip(lines, [field] * len(lines), msgs, strict=True))


class Columns:
    """The good rows of the file, column by column (transposed once), stripped on first use."""

    def __init__(
        self,
        header: list[str],
        rows: list[list[str]] | None,
        by_name: dict[str, np.ndarray] | None = None,
        padded: bool = True,
    ) -> None:
        self.header = header
        self.padded = padded  # False: no value has surrounding white space, nothing to strip
        if by_name is not None:
            self._raw: list = [by_name[h] for h in header]
            self.n = len(self._raw[0]) if self._raw else 0
        else:
            rows = rows or []
            self.n = len(rows)
            self._raw = list(zip(*rows, strict=True)) if rows else [() for _ in header]
        self._done: dict[int, np.ndarray] = {}
        self.records = self.n  # records of the file these rows came from (blank and malformed ones too)

    def get(self, *names: str) -> np.ndarray | None:
        for name in names:
            if name in self.header:
                k = self.header.index(name)
                if k not in self._done:
                    if not self.n:
                        self._done[k] = np.zeros(0, dtype=object)
                    elif self.padded:
                        self._done[k] = pd.Series(self._raw[k], dtype=object).str.strip().to_numpy(dtype=object)
                    else:
                        self._done[k] = np.asarray(self._raw[k], dtype=object)
                return self._done[k]
        return None


BLOCK = 1 << 24  # bytes read at a time while the file is sniffed


def open_chunks(
    path: Path, size: int, errors: ErrorRows
) -> tuple[list[str], Iterator[tuple[Columns, np.ndarray]], int]:
    """The header of the file, its rows ``size`` at a time (as (well-formed rows by column, their row numbers)),
    and about how many rows it holds (its line ends); malformed rows go to ``errors``. Streamed: one part of the
    file is in memory at a time, whatever its size. Encoding (UTF-8, else GB 18030: an undecodable byte anywhere is
    refused naming its line, before any row is read) and whether any value is quoted are found by one pass over the
    bytes first."""
    try:
        encoding, quoted, line_ends = _sniff(path)
        with path.open(encoding=encoding, newline="") as fh:
            first = next(csv.reader(fh), None)
    except OSError as exc:
        raise InvalidInput(Problem(f"cannot read: {exc.strerror}", str(path), zh="无法读取文件")) from None
    if first is None:
        raise InvalidInput(Problem("the file is empty: expected a header row", str(path), zh="文件是空的：缺少表头行"))
    header = [h.strip() for h in first]
    parts = (
        _quoted_chunks(path, encoding, header, size, errors) if quoted else _plain_chunks(path, encoding, size, errors)
    )
    return header, parts, line_ends


def _sniff(path: Path) -> tuple[str, bool, int]:
    """(encoding, whether the file holds a double quote, how many line ends), reading it block by block;
    InvalidInput naming the line of the first byte that is neither UTF-8 nor GB 18030 (as
    :func:`gridmap.csv_text.decode` says it)."""
    quoted = False
    stops = []
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        done = held = line_ends = 0  # bytes read; of them, bytes the decoder holds (a character cut by the block's end)
        try:
            with path.open("rb") as fh:
                while block := fh.read(BLOCK):
                    quoted = quoted or b'"' in block
                    line_ends += block.count(b"\n")
                    held = len(decoder.getstate()[0])
                    decoder.decode(block)
                    done += len(block)
                held = len(decoder.getstate()[0])
                decoder.decode(b"", final=True)
            return encoding, quoted, line_ends
        except UnicodeDecodeError as exc:
            stops.append(done - held + exc.start)
    at = max(stops)  # where the text stops making sense in the likelier encoding
    with path.open("rb") as fh:
        before = fh.read(at + 1)
    line = before[:at].count(b"\n") + 1
    message = f"line {line}: byte 0x{before[at]:02X} is neither UTF-8 nor GB 18030 (GBK) text; save it as UTF-8"
    raise InvalidInput(Problem(message, str(path)))


def _plain_chunks(path: Path, encoding: str, size: int, errors: ErrorRows) -> Iterator[tuple[Columns, np.ndarray]]:
    """A file without quotes: a row is a line, so ``size`` lines at a time, each part read as a small file of
    its own (the header, then its lines) by pandas' C parser, or the csv module where that refuses it."""
    with path.open("rb") as fh:
        head = fh.readline()
        done = 1  # lines read: the header is row 1
        while lines := list(itertools.islice(fh, size)):
            raw = head + b"".join(lines)
            fast = _read_fast(raw, encoding, errors, padded=encoding != "utf-8-sig" or has_white_space(raw))
            if fast is not None:
                cols, numbers_ = fast[1], np.asarray(fast[2], dtype=np.int64) + (done - 1)
            else:
                reader = csv.reader(io.StringIO(raw.decode(encoding), newline=""))
                next(reader)
                cols, numbers_ = _collect(
                    reader, [h.strip() for h in head.decode(encoding).split(",")], done + 1, errors
                )
            done += len(lines)
            yield cols, numbers_


def _quoted_chunks(
    path: Path, encoding: str, header: list[str], size: int, errors: ErrorRows
) -> Iterator[tuple[Columns, np.ndarray]]:
    """A file with quotes (a value may hold a comma or a line end): the csv module, ``size`` rows at a time."""
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        line = 2
        while True:
            part = itertools.islice(reader, size)
            cols, numbers_ = _collect(part, header, line, errors)
            read = cols.records
            if not read:
                return
            line += read
            yield cols, numbers_


def _collect(
    reader: Iterable[list[str]], header: list[str], first: int, errors: ErrorRows
) -> tuple[Columns, np.ndarray]:
    """The well-formed rows of ``reader`` (row numbers from ``first``) by column; the others to ``errors``."""
    rows: list[list[str]] = []
    lines: list[int] = []
    width = len(header)
    line = first - 1
    for line, row in enumerate(reader, start=first):
        if len(row) == width:
            rows.append(row)
            lines.append(line)
        elif row:
            errors.add(line, "row", f"{len(row)} fields where the header has {width}")
    cols = Columns(header, rows)
    cols.records = line - first + 1  # records read, blank and malformed ones included
    return cols, np.asarray(lines, dtype=np.int64)


_WS_BYTE = np.zeros(256, dtype=bool)
_WS_BYTE[[c for c in range(128) if chr(c).isspace() and chr(c) not in "\r\n"]] = True
_WS_UTF8 = [chr(c).encode() for c in range(128, 0x3001) if chr(c).isspace()]  # U+0085 … U+3000: lead C2…E3
_WS_LEAD = np.zeros(256, dtype=bool)
_WS_LEAD[[w[0] for w in _WS_UTF8]] = True
_WS_CODES = np.asarray([int.from_bytes(w.ljust(3, b"\0")) for w in _WS_UTF8], dtype=np.int64)


def has_white_space(raw: bytes) -> bool:
    """Whether UTF-8 text holds any character ``str.strip`` removes, line ends aside; when it does not, no value
    needs stripping (saves a Python call per value). Vectorised over the bytes: ASCII by table look-up, the
    multi-byte spaces (U+00A0, U+3000 …) confirmed at their lead bytes."""
    b = np.frombuffer(raw, dtype=np.uint8)
    low = np.flatnonzero(b <= 32)  # line ends, mostly: plain comparisons are the fastest pass numpy makes
    if _WS_BYTE[b[low]].any():
        return True
    lead = np.flatnonzero((b >= 0xC2) & (b <= 0xE3))
    lead = lead[_WS_LEAD[b[lead]]]
    if not len(lead):
        return False

    def at(k: int) -> np.ndarray:
        i = lead + k
        return np.where(i < len(b), b[np.minimum(i, len(b) - 1)], 0).astype(np.int64)

    three = (at(0) << 16) | (at(1) << 8) | at(2)
    two = three & ~0xFF
    return bool(np.isin(three, _WS_CODES).any() or np.isin(two, _WS_CODES).any())


def _read_fast(
    raw: bytes, encoding: str, errors: ErrorRows, padded: bool = True
) -> tuple[list[str], Columns, list[int], ErrorRows] | None:
    """pandas' C parser, fed the bytes, for the common plain file (no quotes, every line with the header's field
    count — counted over the bytes, vectorised); None otherwise, and the csv module reads it row by row, finding
    the malformed rows. Commas, quotes and line feeds are single bytes in UTF-8 and GB 18030 alike."""
    if b'"' in raw:
        return None
    b = np.frombuffer(raw, dtype=np.uint8)
    end = len(raw.rstrip())
    if end == 0:
        return None
    line_ends = np.flatnonzero(b[:end] == 10)
    line_ends = np.append(line_ends, end)  # the last line ends where the text does
    commas = np.flatnonzero(b[:end] == 44)
    per_line = np.diff(np.searchsorted(commas, line_ends), prepend=0)
    if (per_line != per_line[0]).any():
        return None
    try:
        df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, engine="c", encoding=encoding)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, UnicodeDecodeError):
        return None
    header = [str(h).strip() for h in df.columns]
    if len(df) != len(line_ends) - 1 or len(set(header)) != len(header):
        return None
    by_name = {h: df.iloc[:, k].to_numpy(dtype=object) for k, h in enumerate(header)}
    cols = Columns(header, None, by_name, padded=padded)
    return header, cols, list(range(2, len(df) + 2)), errors


def numbers(raw: np.ndarray) -> np.ndarray:
    """Text → float, NaN where it is not a number: numpy's C conversion, pandas' per-value one when some fail."""
    try:
        return raw.astype(float)
    except (TypeError, ValueError):
        return np.array(pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce"), dtype=float)


def has_offset(values: np.ndarray) -> np.ndarray:
    """Whether each ISO-8601 text ends in a UTC offset (``Z``, ``±hh:mm``, ``±hhmm``), vectorised over the code
    points of the last six characters (no regular-expression call per row)."""
    out = np.zeros(len(values), dtype=bool)
    for s in range(0, len(values), 200_000):  # bounded memory: a fixed-width copy of one slice at a time
        a = np.asarray(values[s : s + 200_000], dtype=str)
        width = a.dtype.itemsize // 4
        if width == 0:
            continue
        cp = a.view(np.uint32).reshape(len(a), width)
        n = (cp != 0).sum(axis=1)  # trailing NULs pad the shorter texts
        rows = np.arange(len(a))

        def at(k: int, cp=cp, n=n, rows=rows) -> np.ndarray:
            return np.where(n >= k, cp[rows, np.maximum(n - k, 0)], 0)

        def digit(k: int) -> np.ndarray:
            c = at(k)
            return (c >= 48) & (c <= 57)

        def sign(k: int) -> np.ndarray:
            return (at(k) == ord("+")) | (at(k) == ord("-"))

        zulu = at(1) == ord("Z")
        colon = sign(6) & digit(5) & digit(4) & (at(3) == ord(":")) & digit(2) & digit(1)
        plain = sign(5) & digit(4) & digit(3) & digit(2) & digit(1)
        out[s : s + len(a)] = zulu | colon | plain
    return out


def series_us(t: pd.Series) -> np.ndarray:
    out = t.astype("datetime64[us, UTC]").to_numpy(dtype="datetime64[us]").astype(np.int64)
    return np.where(t.isna().to_numpy(), np.iinfo(np.int64).min, out)


def isin(values: np.ndarray, allowed: Iterable[object]) -> np.ndarray:
    """``np.isin`` for object arrays, by hashing (numpy sorts object arrays: slow on a million strings)."""
    return pd.Series(values, dtype=object).isin(list(allowed)).to_numpy()
