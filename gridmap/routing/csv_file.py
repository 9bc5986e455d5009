"""Bulk routing of a CSV file of reports (``gridmap snap``): good rows routed, bad rows set aside, none lost.

The input is read whole (UTF-8, with or without BOM, or GB18030 as Chinese Excel writes it). Rows with the wrong
number of fields, or whose coordinates/time/crs cannot be used, go to the error file with their row number (as a
spreadsheet shows it: the header is row 1), the field and the message; every other row is routed in one
vectorised call (:func:`gridmap.routing.route_points`) and written to the output with the routing columns
appended. Output files are written to a temporary name and renamed, so a failure never leaves half a file.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from gridmap.csv_text import ERROR_COLUMNS, decode, write_atomically, write_columns_atomically
from gridmap.errors import InvalidInput, Problem
from gridmap.gc_pause import paused_gc
from gridmap.routing import PointError, RoutingBatch, RoutingConfig, route_points, routing_layers
from gridmap.routing.bulk_text import candidates_json, each, explanations, round1
from gridmap.routing.config import ANSWER_RULES, MATCH_KINDS
from gridmap.routing.tables import Layers

ROUTING_COLUMNS = (
    "unit_id",
    "unit_name",
    "rule",
    "matched_kind",
    "matched_id",
    "matched_name",
    "distance_m",
    "ambiguous",
    "community",
    "street",
    "candidates",
    "explanation",
    "row",
)


@dataclass(frozen=True)
class SnapSummary:
    rows: int
    routed: int
    bad: int
    seconds: float
    output: Path
    errors: Path | None

    def describe(self) -> str:
        rate = self.rows / self.seconds if self.seconds > 0 else float("inf")
        text = (
            f"{self.rows} rows: {self.routed} routed, {self.bad} bad in {self.seconds:.2f} s ({rate:,.0f} points/s)"
            f"\n  routed → {self.output}"
        )
        if self.errors is not None:
            text += f"\n  bad rows → {self.errors}"
        return text


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(Problem(f"cannot read: {exc.strerror}", str(path))) from None
    return decode(raw, str(path))[1]


def snap_csv(
    session: Session,
    source: Path,
    output: Path,
    *,
    errors_path: Path | None = None,
    lon_col: str = "lon",
    lat_col: str = "lat",
    crs: str = "wgs84",
    category_col: str | None = None,
    time_col: str | None = None,
    config: RoutingConfig | None = None,
    scheduler: str | None = None,
) -> SnapSummary:
    """Route every row of ``source`` and write ``output`` (and ``errors_path`` when some rows are bad; by default
    ``<output>.errors.csv``). Raises InvalidInput only when the file as a whole is unusable (unreadable, no
    header, a named column missing). ``scheduler``: route on Dask (``tcp://host:8786`` or ``local:N``; see
    :mod:`gridmap.routing.distributed`) — the same file comes out. The collector is paused: a file's rows are
    millions of Python objects (:mod:`gridmap.gc_pause`)."""
    with paused_gc():
        return _snap_csv(
            session, source, output, errors_path, lon_col, lat_col, crs, category_col, time_col, config, scheduler
        )


def _snap_csv(
    session: Session,
    source: Path,
    output: Path,
    errors_path: Path | None,
    lon_col: str,
    lat_col: str,
    crs: str,
    category_col: str | None,
    time_col: str | None,
    config: RoutingConfig | None,
    scheduler: str | None,
) -> SnapSummary:
    started = time.perf_counter()
    text = _read_text(source)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise InvalidInput(Problem("the file is empty: expected a header row", str(source)))
    header = [h.strip() for h in header]
    wanted = {"lon": lon_col, "lat": lat_col, "category": category_col, "observed_at": time_col}
    missing = [c for c in wanted.values() if c and c not in header]
    if missing:
        raise InvalidInput(
            Problem(f"column(s) {missing} not found; the header has {header}", str(source), 1, missing[0])
        )
    pos = {k: header.index(c) for k, c in wanted.items() if c}
    width = len(header)
    good, good_line, bad_rows = records_of(reader, text, width)
    n = len(good)
    cols = {k: list(map(itemgetter(p), good)) for k, p in pos.items()}
    if scheduler is None:
        layers = routing_layers(session)
        parts = [route_chunk(layers, cols, crs, config or RoutingConfig.from_env())]
    else:
        from gridmap.routing.distributed import route_chunks

        parts = route_chunks(routing_layers(session), cols, crs, config or RoutingConfig.from_env(), scheduler)
    field_names = {"lon": lon_col, "lat": lat_col, "observed_at": time_col or "observed_at", "crs": "crs"}
    ok_parts, routed_parts = [], []
    for start, errors, ok, routed in parts:
        for e in errors:
            fields = [field_names.get(f, f) for f in e.field.split("/")]
            bad_rows.append((good_line[start + e.index], "/".join(fields), e.message))
        ok_parts.append(ok + start)
        routed_parts.append(routed)
    bad_rows.sort()
    ok = np.concatenate(ok_parts) if ok_parts else np.zeros(0, np.int64)
    out_header = list(header) + [c if c not in header else f"{c}_routed" for c in ROUTING_COLUMNS]
    kept = good if len(ok) == n else list(map(good.__getitem__, ok.tolist()))
    columns: list[object] = list(zip(*kept, strict=True)) if kept else [[] for _ in range(width)]
    columns += [
        np.concatenate([np.asarray(p[k], dtype=object) for p in routed_parts] or [np.zeros(0, object)])
        for k in range(len(ROUTING_COLUMNS) - 1)
    ]
    columns.append(np.asarray(good_line)[ok])
    write_columns_atomically(output, out_header, columns)
    written_errors: Path | None = None
    if bad_rows:
        written_errors = errors_path or output.with_name(output.stem + ".errors.csv")
        write_atomically(written_errors, ERROR_COLUMNS, bad_rows)
    elif errors_path is not None:
        write_atomically(errors_path, ERROR_COLUMNS, [])
        written_errors = errors_path
    return SnapSummary(
        rows=n + sum(1 for b in bad_rows if b[1] == "-"),
        routed=len(ok),
        bad=len({b[0] for b in bad_rows}),
        seconds=time.perf_counter() - started,
        output=output,
        errors=written_errors,
    )


def records_of(reader: Iterator[list[str]], text: str, width: int) -> tuple[list[list[str]], list[int], list[Bad]]:
    """The rows after the header: ``(good records, their line numbers, bad rows)``. Blank lines are skipped; a row
    with the wrong number of fields is bad. When every record is one line (no quoted line breaks), the line
    numbers are counted, not tracked row by row, and the checks run over the whole list."""
    records = list(reader)
    lines = text.count("\n") + text.count("\r") - text.count("\r\n") + (not text.endswith(("\n", "\r")))
    if lines - 1 != len(records):  # some record spans lines: read again, tracking each record's line
        return records_by_line(csv.reader(io.StringIO(text, newline="")), width)
    n = len(records)
    filled = np.fromiter(map(bool, map(str.strip, map("".join, records))), bool, n)
    right = np.fromiter(map(len, records), np.int64, n) == width
    bad: list[Bad] = []
    for i in np.flatnonzero(filled & ~right).tolist():
        bad.append((i + 2, "-", f"expected {width} fields (as in the header), found {len(records[i])}"))
    keep = filled & right
    return list(compress(records, keep.tolist())), (np.flatnonzero(keep) + 2).tolist(), bad


def records_by_line(reader: Iterator[list[str]], width: int) -> tuple[list[list[str]], list[int], list[Bad]]:
    """:func:`records_of` tracking each record's first line (for files with line breaks inside quoted fields)."""
    next(reader)  # the header
    bad: list[Bad] = []
    good: list[list[str]] = []
    good_line: list[int] = []
    for record in reader:
        line = reader.line_num  # type: ignore[attr-defined]  # (a csv reader's)
        if not record or not "".join(record).strip():
            continue  # blank line
        if len(record) != width:
            bad.append((line, "-", f"expected {width} fields (as in the header), found {len(record)}"))
            continue
        good.append(record)
        good_line.append(line)
    return good, good_line, bad


Bad = tuple[int, str, str]
"""A bad row: ``(line, field, message)``."""

Chunk = tuple[int, list[PointError], np.ndarray, list[object]]
"""A routed slice of the rows: ``(first row, its bad points, its routed rows, their routing columns)``."""


def route_chunk(layers: Layers, cols: dict[str, list[str]], crs: str, config: RoutingConfig, start: int = 0) -> Chunk:
    """Route the rows ``cols`` (a slice starting at row ``start``) against ``layers``: the work of one process."""
    batch = route_points(
        None,  # type: ignore[arg-type]  # the layers are given: no database is read
        cols["lon"],
        cols["lat"],
        crs=crs,
        categories=cols.get("category"),
        observed_at=[v or None for v in cols["observed_at"]] if "observed_at" in cols else None,
        config=config,
        layers=layers,
    )
    ok = np.flatnonzero(batch.ok)
    return start, batch.errors, ok, routed_columns(batch, ok)


def routed_columns(batch: RoutingBatch, ok: np.ndarray) -> list[object]:
    """The routing columns of the rows ``ok`` (from ``unit_id`` to ``explanation``), all built over the batch's
    arrays (the candidates and the explanations by :mod:`gridmap.routing.bulk_text`)."""
    layers = batch.layers
    unit = batch.unit_id[ok]
    names = layers.unit_names
    unit_name = np.where(unit >= 0, each(unit, lambda u: names.get(u, f"#{u}")), "")
    rule = np.asarray((*ANSWER_RULES, ""), dtype=object)[batch.rule[ok]]
    kind = batch.matched_kind[ok]
    mid = batch.matched_id[ok]
    mname = np.full(len(ok), "", dtype=object)
    rows = batch.matched_row[ok]
    for k, name in enumerate(MATCH_KINDS):
        m = batch.kind_code[ok] == k
        if m.any():
            mname[m] = np.asarray(layers.tables[name].names, dtype=object)[rows[m]].astype(str)
    matched = mid >= 0
    dist_text = np.where(matched, each(round1(batch.distance[ok]), str), "")
    areas = [
        np.where(r >= 0, np.asarray(layers.tables[lv].names, dtype=object)[np.maximum(r, 0)].astype(str), "")
        if len(layers.tables[lv])
        else np.full(len(ok), "", dtype=object)
        for lv, r in (("community", batch.community_row[ok]), ("street", batch.street_row[ok]))
    ]
    return [
        np.where(unit >= 0, unit.astype(str).astype(object), ""),
        unit_name,
        rule,
        kind,
        np.where(matched, mid.astype(str).astype(object), ""),
        mname,
        dist_text,
        np.where(batch.ambiguous[ok], "1", "0"),
        *areas,
        candidates_json(batch, ok),
        explanations(batch, ok),
    ]


__all__ = ["ERROR_COLUMNS", "ROUTING_COLUMNS", "SnapSummary", "snap_csv"]
