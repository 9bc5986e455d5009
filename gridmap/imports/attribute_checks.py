"""The attributes of an imported layer: each value coerced to its stored type and checked (length, required,
unique key, known parent), every problem collected and numbered by the file's feature."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.errors import InvalidInput, Problem
from gridmap.store.bulk_writes import LayerSpec, resolve_parents
from gridmap.store.models import (
    PLACE_KIND_WORDS,
    SEGMENT_LEVEL_HELP,
    SEGMENT_LEVEL_WORDS,
    Area,
    PlaceKind,
    SegmentLevel,
    Unit,
)

LEVEL_WORDS: dict[str, str] = {**{lv.value: lv for lv in SegmentLevel}, **SEGMENT_LEVEL_WORDS}
"""Accepted road-level words (English case-insensitively) → the stored value."""

PLACE_KIND_LOOKUP: dict[str, str] = {**{k.value: k for k in PlaceKind}, **PLACE_KIND_WORDS}
"""Accepted place-type words (English case-insensitively, or Chinese) → the stored kind."""
PLACE_KIND_HELP = "农贸市场、公园广场、建筑工地、学校周边、商业大街、医院、车站、政务服务大厅"

_INT_FIELDS = frozenset({"households"})
_DATE_FIELDS = frozenset({"valid_from"})


def max_length(spec: LayerSpec, f: str) -> int | None:
    col = Area.__table__.c.code if f == spec.parent_field else spec.model.__table__.c.get(f)
    return getattr(col.type, "length", None) if col is not None else None


def _missing(v: object) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def cell_text(v: object) -> str | None:
    """A file cell as text: None when empty or missing (NaN); a code read as a float loses its ``.0``."""
    if _missing(v):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # codes read from numeric columns: 141102001.0 → "141102001"
    if isinstance(v, bytes):
        v = v.decode("utf-8", errors="replace")
    s = str(v).strip()
    return s or None


_WORD_FIELDS = frozenset({("kind", "places"), ("level", "segments")})  # fields read through a word list


def coerce(spec: LayerSpec, f: str, col: str, raw: np.ndarray, name: str, problems: list[Problem]) -> list[object]:
    """One field's values as stored types; a problem for each value that does not fit."""
    out: list[object] = []
    limit = max_length(spec, f)
    label = f if f == col else f"{f} (column {col})"

    def bad(row: int, message: str) -> None:
        problems.append(Problem(message, source=name, feature=row, field=col))

    classified = f in _INT_FIELDS or f in _DATE_FIELDS or f == "class_code" or (f, spec.name) in _WORD_FIELDS
    if not classified:  # plain text (codes, names: a million rows of components), a str cell checked inline
        for row, v in enumerate(raw, start=1):
            s = (v.strip() or None) if type(v) is str else cell_text(v)
            if s is not None and limit is not None and len(s) > limit:
                bad(row, f"{label}: {s[:30]!r}… is {len(s)} characters long; at most {limit} fit")
            out.append(s)
        return out
    classes: dict[object, str | None] = {}  # a column of class codes holds a few distinct values
    for row, v in enumerate(raw, start=1):
        if _missing(v) or (isinstance(v, str) and not v.strip()):
            out.append(None)
        elif f in _INT_FIELDS:
            try:
                number = float(str(v).strip()) if not isinstance(v, int | float) else float(v)
                if not number.is_integer() or number < 0:
                    raise ValueError
                out.append(int(number))
            except ValueError:
                bad(row, f"{label}: {v!r} is not a whole number")
                out.append(None)
        elif f in _DATE_FIELDS:
            try:
                out.append(cell_date(v))
            except ValueError:
                bad(row, f"{label}: {v!r} is not a date (write 2024-05-01)")
                out.append(None)
        elif f == "class_code":
            code = classes[v] if v in classes else classes.setdefault(v, component_class(v))
            if code is None:
                problems.append(
                    Problem(
                        f"{label}: {str(v)[:30]!r} is not a component class: write its 4-digit code, e.g. 0101 "
                        "(manhole cover) or BJ0101",
                        source=name,
                        feature=row,
                        field=col,
                        zh=f"“{str(v)[:30]}”不是部件小类代码：请写 4 位代码，如 0101（井盖）或 BJ0101",
                    )
                )
            out.append(code)
        elif f == "kind" and spec.name == "places":
            word = str(v).strip()
            kind = PLACE_KIND_LOOKUP.get(word) or PLACE_KIND_LOOKUP.get(word.lower())
            if kind is None:
                problems.append(
                    Problem(
                        f"{label}: {word[:30]!r} is not a place type; use one of {', '.join(PlaceKind)} or "
                        f"{PLACE_KIND_HELP}",
                        source=name,
                        feature=row,
                        field=col,
                        zh=f"“{word[:30]}”不是考察点位类型：请写 {PLACE_KIND_HELP} 之一",
                    )
                )
            out.append(None if kind is None else str(kind))
        elif f == "level" and spec.name == "segments":
            word = str(v).strip()
            level = LEVEL_WORDS.get(word) or LEVEL_WORDS.get(word.lower())
            if level is None:
                bad(
                    row,
                    f"{label}: {word!r} is not a road level; use main/secondary/back or {SEGMENT_LEVEL_HELP}",
                )
            out.append(None if level is None else str(level))
        else:
            s = cell_text(v)
            if s is not None and limit is not None and len(s) > limit:
                bad(row, f"{label}: {s[:30]!r}… is {len(s)} characters long; at most {limit} fit")
            out.append(s)
    return out


def component_class(v: object) -> str | None:
    """A component class cell as the stored 4-digit code (the category is ``BJ`` + it); None if it is not one.

    >>> component_class("BJ0101"), component_class(101.0), component_class("0101"), component_class("井盖")
    ('0101', '0101', '0101', None)
    """
    s = cell_text(v)
    if s is None:
        return None
    s = s.upper().removeprefix("BJ")
    if s.isdigit() and len(s) == 3:  # read from a numeric column: 0101 → 101
        s = "0" + s
    return s if len(s) == 4 and s.isascii() and s.isdigit() else None


def check_owners(
    session: Session, gdf: gpd.GeoDataFrame, columns: dict[str, str], name: str, problems: list[Problem]
) -> None:
    """Each component's owner 权属单位, given by unit code or name, as ``gdf["owner_unit_id"]`` (None when blank);
    a problem for each owner that names no unit."""
    if "owner" not in gdf.columns:
        return
    rows = session.execute(select(Unit.id, Unit.code, Unit.name)).all()
    by_code = {c: i for i, c, _ in rows if c}
    by_name = {_squash(n): i for i, _, n in rows}
    ids: list[int | None] = []
    known: dict[str, int | None] = {}  # each distinct owner looked up once (a million components, a few owners)
    for row, v in enumerate(gdf["owner"], start=1):
        s = cell_text(v)
        if s is None:
            ids.append(None)
            continue
        uid = known[s] if s in known else known.setdefault(s, by_code.get(s) or by_name.get(_squash(s)))
        if uid is None:
            problems.append(
                Problem(
                    f"owner {s!r} names no unit (by code or name): add the unit first (gridmap units import)",
                    source=name,
                    feature=row,
                    field=columns["owner"],
                    zh=f"权属单位“{s}”不存在（按代码或名称均未找到）：请先导入该单位",
                )
            )
        ids.append(uid)
    gdf["owner_unit_id"] = pd.Series(ids, index=gdf.index, dtype=object)


def _squash(s: str) -> str:
    """A unit name compared without spaces and with full-width letters/digits folded (NFKC)."""
    return unicodedata.normalize("NFKC", s).replace(" ", "")


def cell_date(v: object) -> dt.date:
    """A file cell as a date: ISO, 2024/05/01, 20240501, 2024.05.01 or 2024年05月01日; ValueError otherwise."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = str(v).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(s[:10] if fmt == "%Y-%m-%d" else s, fmt).date()
        except ValueError:
            continue
    raise ValueError(s)


def check_required(
    spec: LayerSpec, raw: dict[str, np.ndarray], columns: dict[str, str], name: str, problems: list[Problem]
) -> None:
    for f in spec.required:
        if f not in columns or f in spec.blank_ok:
            continue  # the missing column is already reported; a blank value is allowed
        for row, v in enumerate(raw[columns[f]], start=1):
            if _missing(v) or (isinstance(v, str) and not v.strip()):
                problems.append(Problem(f"{f} is required but empty", source=name, feature=row, field=columns[f]))


def check_duplicates(
    spec: LayerSpec, values: dict[str, list[object]], columns: dict[str, str], name: str, problems: list[Problem]
) -> None:
    if not spec.key or spec.key not in values:
        return
    first: dict[object, int] = {}
    for row, key in enumerate(values[spec.key], start=1):
        if key is None:
            continue
        if key in first:
            problems.append(
                Problem(
                    f"duplicate {spec.key} {key!r}: features {first[key]} and {row} both have it",
                    source=name,
                    feature=row,
                    field=columns[spec.key],
                )
            )
        else:
            first[key] = row


def check_parents(
    session: Session,
    spec: LayerSpec,
    gdf: gpd.GeoDataFrame,
    columns: dict[str, str],
    name: str,
    problems: list[Problem],
) -> None:
    """Unknown parent codes are reported with the other problems (write_features would stop at them anyway)."""
    if not spec.parent_field or spec.parent_field not in gdf.columns:
        return
    try:
        resolve_parents(session, spec, gdf)
    except InvalidInput as exc:
        rows = np.arange(1, len(gdf) + 1)
        problems.extend(renumber(p, rows, name, columns) for p in exc.problems)


def renumber(p: Problem, rows: np.ndarray, name: str, columns: dict[str, str]) -> Problem:
    """A problem raised about a written chunk, renamed to the file's feature number and column."""
    feature = int(rows[p.feature - 1]) if p.feature else None
    return Problem(p.message, source=p.source or name, feature=feature, field=columns.get(p.field or "", p.field))


def ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.feature is not None, p.feature or 0, p.field or ""))
