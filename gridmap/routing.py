"""Routing a report to its responsible unit: which rule, which feature, how far, who — and why.

A report is a point (WGS-84, or GCJ-02 from Amap/Tencent clients), optionally a category code and the time it was
observed. The rules run in a configurable order (:class:`RoutingConfig`), per point, and the first one that finds
a feature **with a responsible unit on the observed day** fires:

``compound``
    the residential compound 小区 covering the point (nested compounds: the smallest wins);
``segment``
    the nearest road segment 路段 within the tolerance of its level (defaults: main 50 m, secondary 30 m,
    back street 15 m);
``grid``
    the unit grid 单元网格 in force on the observed day covering the point (a point on a shared edge belongs to the
    grid with the lowest code — see :mod:`gridmap.geo.snapping`);
``default``
    the default party 属地兜底: the unit of the point's community 社区, else of its street office 街道.

A feature without a responsible unit that day does not stop the search: it is listed among the candidates (with
``unit`` null) and named in the explanation, and the next rule is tried. The answer's ``candidates`` are the
features each tried rule found within its tolerance (the matched one excepted); ``ambiguous`` is set when
another unit's feature of the firing rule lies no more than ``ambiguous_m`` (3 m) farther than the match — a
boundary case for a commander to confirm. The point's community is the community of its grid (grids never cross
community boundaries), else the community polygon covering it (lowest code on a shared edge); its street is the
community's parent, else the street polygon covering it.

Two paths, one decision function (:func:`_route_block`), so they cannot disagree:

* :func:`route_point` — one report: fetches the features around the point through the database's spatial index
  (SpatiaLite: the ``idx_<table>_geom`` R*Tree, named explicitly; PostGIS: ``&&`` on the GiST index), builds a
  tiny :class:`~gridmap.geo.snapping.SnapIndex`, decides. A few milliseconds.
* :func:`route_points` — many reports: every layer loaded once into a metric index (cached per engine, refreshed
  when the store's fingerprint changes), points answered in vectorised blocks; responsibility taken from the
  assignment history as of each point's own day.

Coordinates that are missing, not numbers, out of range, apparently swapped, or far (``far_m``, 5 km) outside
every district/street/community are refused with :class:`~gridmap.errors.InvalidInput` naming the field (one-off)
or reported per point while the good points are still answered (bulk).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
import tomllib
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, LargeBinary, func, select
from sqlalchemy.orm import Session

from gridmap.errors import InvalidInput, Problem
from gridmap.gc_pause import paused_gc
from gridmap.geo.crs import gcj02_to_wgs84
from gridmap.geo.snapping import Pairs, SnapIndex, best_per_point, containing, flag_rivals, utm_epsg
from gridmap.models import Area, Compound, Grid, Segment, Unit
from gridmap.responsibility import (
    OPEN_END,
    History,
    area_units,
    as_day,
    in_force_sql,
    load_history,
    prefer_area_units,
    raw_rows,
)
from gridmap.spatial_sql import box_params, box_sql

__all__ = [
    "RULES",
    "Candidate",
    "Matched",
    "PointError",
    "RoutingBatch",
    "RoutingConfig",
    "RoutingResult",
    "invalidate_cache",
    "route_point",
    "route_points",
    "routing_layers",
]

RULES = ("compound", "segment", "grid", "default")
SEGMENT_LEVELS = ("main", "secondary", "back")
CRS_NAMES = ("wgs84", "gcj02")
_FEATURE_KINDS = ("compound", "segment", "grid")
_MATCH_KINDS = ("compound", "segment", "grid", "community", "street")
_KIND_ZH = {"compound": "小区", "segment": "路段", "grid": "单元网格", "community": "社区", "street": "街道"}
_LEVEL_ZH = {"main": "主干道", "secondary": "次干道", "back": "背街小巷"}
_EPOCH = dt.date(1970, 1, 1)
_BLOCK = 100_000  # points per vectorised block (bounds memory; a block is answered without Python loops)
_DEG_MARGIN = 1.2  # degree boxes around a point are this much wider than the metric radius needs


# ------------------------------------------------------------------------------------------------ configuration


def _rule_tuple(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidInput(Problem(f"expected a list of rules from {list(RULES)}, got {value!r}", field=where))
    rules = tuple(str(v) for v in value)
    bad = [r for r in rules if r not in RULES]
    if bad or not rules or len(set(rules)) != len(rules):
        raise InvalidInput(
            Problem(f"{list(rules)!r}: each rule once, from {list(RULES)} (unknown: {bad or 'none'})", field=where)
        )
    return rules


_DEFAULT_TOLERANCE = {"main": 50.0, "secondary": 30.0, "back": 15.0}


@dataclass(frozen=True)
class RoutingConfig:
    """How reports are routed. Defaults follow common practice; a city overrides them in a TOML or JSON file
    named by ``GRIDMAP_ROUTING_CONFIG``::

        order = ["compound", "segment", "grid", "default"]
        ambiguous_m = 3        # another unit's feature this much farther away → ambiguous
        far_m = 5000           # farther than this outside every area → refused
        [tolerance_m]          # nearest-segment tolerance per road level
        main = 50
        secondary = 30
        back = 15
        [category_order]       # per category-code prefix (longest prefix wins)
        BJ0101 = ["segment", "compound", "grid", "default"]   # manhole covers go to the road's unit
    """

    order: tuple[str, ...] = RULES
    tolerance_m: Mapping[str, float] = field(default_factory=lambda: {"main": 50.0, "secondary": 30.0, "back": 15.0})
    ambiguous_m: float = 3.0
    far_m: float = 5000.0
    category_order: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timezone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        # Levels not given keep their defaults.
        object.__setattr__(self, "tolerance_m", {**_DEFAULT_TOLERANCE, **dict(self.tolerance_m)})
        for level in SEGMENT_LEVELS:
            v = self.tolerance_m.get(level)
            if not isinstance(v, int | float) or not 0 <= float(v) <= 1000:
                problems.append(Problem(f"{v!r}: a distance 0..1000 m", field=f"tolerance_m.{level}"))
        extra = set(self.tolerance_m) - set(SEGMENT_LEVELS)
        if extra:
            problems.append(Problem(f"unknown road levels {sorted(extra)}", field="tolerance_m"))
        if not isinstance(self.ambiguous_m, int | float) or not 0 <= self.ambiguous_m <= 100:
            problems.append(Problem(f"{self.ambiguous_m!r}: a distance 0..100 m", field="ambiguous_m"))
        if not isinstance(self.far_m, int | float) or not 0 < self.far_m <= 1_000_000:
            problems.append(Problem(f"{self.far_m!r}: a distance in metres > 0", field="far_m"))
        try:
            ZoneInfo(self.timezone)
        except Exception:
            problems.append(Problem(f"{self.timezone!r} is not a time zone", field="timezone"))
        if problems:
            raise InvalidInput(problems)
        object.__setattr__(self, "order", _rule_tuple(self.order, "order"))
        object.__setattr__(self, "tolerance_m", {k: float(self.tolerance_m[k]) for k in SEGMENT_LEVELS})
        object.__setattr__(
            self,
            "category_order",
            {str(k): _rule_tuple(v, f"category_order.{k}") for k, v in self.category_order.items()},
        )

    @property
    def max_tolerance(self) -> float:
        return max(self.tolerance_m.values())

    def order_for(self, category: str | None) -> tuple[str, ...]:
        """The rule order for a category code: the longest configured prefix of the code, else the default."""
        if category:
            best = max((p for p in self.category_order if category.startswith(p)), key=len, default=None)
            if best is not None:
                return self.category_order[best]
        return self.order

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "routing config") -> RoutingConfig:
        known = {"order", "tolerance_m", "ambiguous_m", "far_m", "category_order", "timezone"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput(Problem(f"unknown settings {unknown}; known: {sorted(known)}", source))
        kwargs = dict(data)
        try:
            return cls(**kwargs)
        except InvalidInput as exc:
            raise InvalidInput([Problem(p.message, source, p.feature, p.field) for p in exc.problems]) from None

    @classmethod
    def from_file(cls, path: str | Path) -> RoutingConfig:
        path = Path(path)
        try:
            raw = path.read_text(encoding="utf-8")
            data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw)
        except OSError as exc:
            raise InvalidInput(Problem(f"cannot read: {exc.strerror}", str(path))) from None
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
            raise InvalidInput(Problem(f"not valid {kind}: {exc}", str(path))) from None
        if not isinstance(data, dict):
            raise InvalidInput(Problem("expected a table of settings", str(path)))
        return cls.from_mapping(data, str(path))

    @classmethod
    def from_env(cls) -> RoutingConfig:
        """The file named by ``GRIDMAP_ROUTING_CONFIG`` (re-read when it changes), else the defaults."""
        path = os.environ.get("GRIDMAP_ROUTING_CONFIG", "")
        tz = os.environ.get("GRIDMAP_TIMEZONE", "")
        if not path:
            return cls(timezone=tz) if tz else _DEFAULT_CONFIG
        stamp = (path, Path(path).stat().st_mtime_ns if Path(path).exists() else None)
        with _LOCK:
            hit = _CONFIG_CACHE.get(stamp)
        if hit is None:
            hit = cls.from_file(path)
            with _LOCK:
                _CONFIG_CACHE.clear()
                _CONFIG_CACHE[stamp] = hit
        return hit


_DEFAULT_CONFIG = RoutingConfig()
_CONFIG_CACHE: dict[tuple[str, int | None], RoutingConfig] = {}
_LOCK = threading.RLock()


# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Matched:
    kind: str  # compound | segment | grid | community | street
    id: int
    name: str


@dataclass(frozen=True)
class Candidate:
    kind: str
    id: int
    name: str
    unit_id: int | None
    unit_name: str | None
    distance_m: float


@dataclass(frozen=True)
class AreaRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class RoutingResult:
    """The routing answer for one point. :meth:`to_dict` is the API shape."""

    lon: float
    lat: float
    crs: str
    wgs84_lon: float
    wgs84_lat: float
    observed_on: dt.date
    category: str | None
    responsible: tuple[int, str] | None
    matched: Matched | None
    rule: str | None
    distance_m: float | None
    candidates: tuple[Candidate, ...]
    ambiguous: bool
    community: AreaRef | None
    street: AreaRef | None
    order: tuple[str, ...]
    ambiguous_m: float
    tolerance_m: float | None = None  # the tolerance that applied to the matched segment

    @property
    def explanation(self) -> str:
        return explain(self)

    def to_dict(self) -> dict[str, object]:
        return {
            "point": {
                "lon": self.lon,
                "lat": self.lat,
                "crs": self.crs,
                "wgs84": {"lon": round(self.wgs84_lon, 7), "lat": round(self.wgs84_lat, 7)},
            },
            "observed_on": self.observed_on.isoformat(),
            "category": self.category,
            "responsible": (
                {"unit_id": self.responsible[0], "unit_name": self.responsible[1]} if self.responsible else None
            ),
            "matched": (
                {"kind": self.matched.kind, "id": self.matched.id, "name": self.matched.name} if self.matched else None
            ),
            "rule": self.rule,
            "distance_m": self.distance_m,
            "candidates": [
                {
                    "kind": c.kind,
                    "id": c.id,
                    "name": c.name,
                    "unit_id": c.unit_id,
                    "unit_name": c.unit_name,
                    "distance_m": c.distance_m,
                }
                for c in self.candidates
            ],
            "ambiguous": self.ambiguous,
            "explanation": self.explanation,
            "community": _area_dict(self.community),
            "street": _area_dict(self.street),
        }


def _area_dict(a: AreaRef | None) -> dict[str, object] | None:
    return {"id": a.id, "code": a.code, "name": a.name} if a else None


def explain(r: RoutingResult) -> str:
    """One Chinese sentence saying why the report went where it went."""
    before = r.order[: r.order.index(r.rule)] if r.rule in r.order else r.order
    tried = [k for k in before if k != "default"]
    skipped = [
        c for c in r.candidates if c.unit_id is None and c.kind in tried and (c.kind == "segment" or c.distance_m == 0)
    ]
    lead = ""
    if skipped:
        s = skipped[0]
        lead = f"{_KIND_ZH[s.kind]}「{s.name}」{r.observed_on.isoformat()}无包联单位；"
    if r.matched is None or r.responsible is None:
        where = "、".join(_KIND_ZH[k] for k in tried) or "任何规则"
        area = r.community or r.street
        place = (
            f"所在{('社区' if r.community else '街道')}「{area.name}」也未设责任单位"
            if area
            else "不在任何社区或街道内"
        )
        return f"{lead}未找到责任单位：没有已包联的{where}，{place}，请指挥中心指定"
    unit = r.responsible[1]
    m = r.matched
    if r.rule == "compound":
        text_ = f"位于小区「{m.name}」内，包联单位：{unit}"
    elif r.rule == "segment":
        tol = f"（{_fmt(r.tolerance_m)} 米容差内最近的已包联路段）" if r.tolerance_m is not None else ""
        text_ = f"距路段「{m.name}」{_fmt(r.distance_m)} 米{tol}，包联单位：{unit}"
    elif r.rule == "grid":
        text_ = f"位于单元网格 {m.name} 内，责任单位：{unit}"
    else:
        tried_zh = "、".join(_KIND_ZH[k] for k in tried)
        why = f"不在已包联的{tried_zh}范围内，" if tried_zh else ""
        if m.kind == "street" and r.community is not None:
            why += f"所在社区「{r.community.name}」未设责任单位，"
        text_ = f"{why}由所在{_KIND_ZH[m.kind]}「{m.name}」属地兜底：{unit}"
    if r.ambiguous:
        rival = next(
            (c for c in r.candidates if c.kind == m.kind and c.unit_id is not None and c.unit_id != r.responsible[0]),
            None,
        )
        if rival is not None:
            text_ += (
                f"；另有{_KIND_ZH[rival.kind]}「{rival.name}」（{rival.unit_name}）相距不足 {_fmt(r.ambiguous_m)} 米，"
                "属边界情况，请指挥中心确认"
            )
    return lead + text_


def _fmt(v: float | None) -> str:
    if v is None:
        return "?"
    return f"{v:.1f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))


@dataclass(frozen=True)
class PointError:
    """A point that could not be routed: its index in the input (0-based), the field, and what is wrong."""

    index: int
    field: str
    message: str


# ------------------------------------------------------------------------------------------------ feature tables


@dataclass
class _Table:
    """Columnar features of one layer (rows are positions; ``ids`` are the database ids)."""

    ids: np.ndarray
    names: np.ndarray
    geoms: np.ndarray
    level: np.ndarray | None = None  # segments: 0 main, 1 secondary, 2 back
    area: np.ndarray | None = None  # compounds: m²
    code: np.ndarray | None = None  # grids, areas
    valid_from: np.ndarray | None = None  # grids: days
    valid_to: np.ndarray | None = None
    community_id: np.ndarray | None = None  # grids
    parent_id: np.ndarray | None = None  # areas
    _rank: np.ndarray | None = None
    _sorted: tuple[np.ndarray, np.ndarray] | None = None
    _lists: tuple[list, list, list | None] | None = None

    def lists(self) -> tuple[list, list, list | None]:
        """``(ids, names, codes)`` as Python lists (built once; answers are assembled from them)."""
        if self._lists is None:
            codes = self.code.tolist() if self.code is not None else None
            self._lists = (self.ids.tolist(), self.names.tolist(), codes)
        return self._lists

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def rank(self) -> np.ndarray:
        """Order of the codes (lowest code → 0): the shared-edge tie-break of grids and areas."""
        if self._rank is None:
            codes = self.code if self.code is not None else self.ids.astype(str)
            _, inv = np.unique(np.asarray(codes, dtype=str), return_inverse=True)
            self._rank = inv.astype(np.int64)
        return self._rank

    def rows_for(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the given database ids (-1 where absent)."""
        ids = np.asarray(ids, dtype=np.int64)
        if self._sorted is None:
            order = np.argsort(self.ids, kind="stable")
            self._sorted = (self.ids[order], order)
        sid, order = self._sorted
        pos = np.searchsorted(sid, ids)
        pos_c = np.minimum(pos, max(len(sid) - 1, 0))
        ok = (pos < len(sid)) & (len(sid) > 0)
        if len(sid):
            ok &= sid[pos_c] == ids
        return np.where(ok, order[pos_c] if len(sid) else -1, -1)

    @staticmethod
    def empty(**extra: np.ndarray) -> _Table:
        z = np.zeros(0, np.int64)
        return _Table(z, np.zeros(0, object), np.zeros(0, object), **extra)


def _day_value(v: object) -> int:
    """Days since 1970 of a date (or an ISO string, as SQLite returns dates to raw SQL); OPEN_END for None."""
    if v is None:
        return OPEN_END
    if isinstance(v, str):
        return int(np.datetime64(v[:10], "D").astype(np.int64))
    return as_day(v)  # type: ignore[arg-type,return-value]


def _days_or_open(values: Iterable[object]) -> np.ndarray:
    return np.fromiter((_day_value(v) for v in values), dtype=np.int64)


def _geoms(blobs: list[bytes | None]) -> np.ndarray:
    if not blobs:
        return np.zeros(0, object)
    return shapely.from_wkb(np.asarray([None if b is None else bytes(b) for b in blobs], dtype=object))


def _wkb(col):
    return func.ST_AsBinary(col, type_=LargeBinary)


def _segments_table(rows: list[Any]) -> _Table:
    level = {lv: i for i, lv in enumerate(SEGMENT_LEVELS)}
    return _Table(
        ids=np.fromiter((r[0] for r in rows), np.int64, len(rows)),
        names=np.array([r[1] or (f"路段 {r[2]}" if r[2] else f"路段 #{r[0]}") for r in rows], dtype=object),
        geoms=_geoms([r[4] for r in rows]),
        level=np.fromiter((level.get(r[3], 2) for r in rows), np.int8, len(rows)),
    )


def _compounds_table(rows: list[Any]) -> _Table:
    return _Table(
        ids=np.fromiter((r[0] for r in rows), np.int64, len(rows)),
        names=np.array([r[1] or (f"小区 {r[2]}" if r[2] else f"小区 #{r[0]}") for r in rows], dtype=object),
        geoms=_geoms([r[4] for r in rows]),
        area=np.fromiter((r[3] or 0.0 for r in rows), float, len(rows)),
    )


def _grids_table(rows: list[Any]) -> _Table:
    return _Table(
        ids=np.fromiter((r[0] for r in rows), np.int64, len(rows)),
        names=np.array([r[1] for r in rows], dtype=object),
        code=np.array([r[1] for r in rows], dtype=object),
        geoms=_geoms([r[5] for r in rows]),
        community_id=np.fromiter((r[2] for r in rows), np.int64, len(rows)),
        valid_from=_days_or_open(r[3] for r in rows) if rows else np.zeros(0, np.int64),
        valid_to=_days_or_open(r[4] for r in rows) if rows else np.zeros(0, np.int64),
    )


def _areas_table(rows: list[Any]) -> _Table:
    return _Table(
        ids=np.fromiter((r[0] for r in rows), np.int64, len(rows)),
        names=np.array([r[2] for r in rows], dtype=object),
        code=np.array([r[1] for r in rows], dtype=object),
        geoms=_geoms([r[4] for r in rows]),
        parent_id=np.fromiter((-1 if r[3] is None else r[3] for r in rows), np.int64, len(rows)),
    )


_SEGMENT_COLS = (Segment.id, Segment.name, Segment.ext_id, Segment.level, _wkb(Segment.geom))
_COMPOUND_COLS = (Compound.id, Compound.name, Compound.ext_id, Compound.area_m2, _wkb(Compound.geom))
_GRID_COLS = (Grid.id, Grid.code, Grid.community_id, Grid.valid_from, Grid.valid_to, _wkb(Grid.geom))
_AREA_COLS = (Area.id, Area.code, Area.name, Area.parent_id, _wkb(Area.geom))


class _Layers:
    """Everything one routing decision reads: feature tables, who is responsible, and metric indexes."""

    def __init__(
        self,
        tables: dict[str, _Table],
        *,
        has_areas: bool,
        unit_names: dict[int, str],
        area_unit: dict[int, int],
        histories: dict[str, History] | None = None,
        units_on_day: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.tables = tables
        self.has_areas = has_areas
        self.unit_names = unit_names
        self.histories = histories
        self.units_on_day = units_on_day
        # The default party's unit per community / street row (-1: the area names no unit).
        self.community_unit = np.fromiter(
            (area_unit.get(int(i), -1) for i in tables["community"].ids), np.int64, len(tables["community"])
        )
        self.street_unit = np.fromiter(
            (area_unit.get(int(i), -1) for i in tables["street"].ids), np.int64, len(tables["street"])
        )
        self._indexes: dict[tuple[int, tuple[float, ...], float], SnapIndex] = {}
        self._day_cache: dict[tuple[str, int], np.ndarray] = {}

    def index(self, epsg: int, config: RoutingConfig) -> SnapIndex:
        key = (int(epsg), tuple(config.tolerance_m.values()), config.ambiguous_m)
        with _LOCK:
            idx = self._indexes.get(key)
        if idx is None:
            t = self.tables
            idx = SnapIndex(
                {
                    "compound": (t["compound"].geoms, config.ambiguous_m),
                    "segment": (t["segment"].geoms, _tolerances(config)[t["segment"].level]),
                    "grid": (t["grid"].geoms, config.ambiguous_m),
                    "community": (t["community"].geoms, 0.0),
                    "street": (t["street"].geoms, 0.0),
                    "district": (t["district"].geoms, 0.0),
                },
                epsg=int(epsg),
            )
            with _LOCK:
                self._indexes[key] = idx
        return idx

    def units_of(self, kind: str, rows: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Responsible unit id of each feature row on each day (-1: nobody)."""
        if self.units_on_day is not None:  # one-off: one day, already resolved
            return self.units_on_day[kind][rows] if len(rows) else np.zeros(0, np.int64)
        assert self.histories is not None
        history = self.histories[kind]
        if len(days) and (days == days[0]).all():
            day = int(days[0])
            key = (kind, day)
            per_row = self._day_cache.get(key)
            if per_row is None:
                per_row = history.unit_at(np.arange(len(self.tables[kind])), day)
                if len(self._day_cache) > 32:
                    self._day_cache.clear()
                self._day_cache[key] = per_row
            return per_row[rows]
        return history.unit_at(rows, days)


# ------------------------------------------------------------------------------------------------ the decision


@dataclass
class _Block:
    """Answers for a block of points, as arrays (rows index the layer tables of the block's _Layers)."""

    far: np.ndarray
    grid: np.ndarray  # row of the grid covering the point (-1: none)
    rule: np.ndarray  # int8 index into RULES, -1 none
    kind: np.ndarray  # int8 index into _MATCH_KINDS, -1 none
    row: np.ndarray
    unit: np.ndarray
    distance: np.ndarray
    ambiguous: np.ndarray
    tolerance: np.ndarray
    community: np.ndarray
    street: np.ndarray
    cand_point: np.ndarray
    cand_kind: np.ndarray
    cand_row: np.ndarray
    cand_unit: np.ndarray
    cand_distance: np.ndarray

    @staticmethod
    def allocate(n: int) -> _Block:
        i64 = lambda v: np.full(n, v, dtype=np.int64)  # noqa: E731
        return _Block(
            far=np.zeros(n, bool),
            grid=i64(-1),
            rule=np.full(n, -1, np.int8),
            kind=np.full(n, -1, np.int8),
            row=i64(-1),
            unit=i64(-1),
            distance=np.full(n, np.nan),
            ambiguous=np.zeros(n, bool),
            tolerance=np.full(n, np.nan),
            community=i64(-1),
            street=i64(-1),
            cand_point=np.zeros(0, np.int64),
            cand_kind=np.zeros(0, np.int8),
            cand_row=np.zeros(0, np.int64),
            cand_unit=np.zeros(0, np.int64),
            cand_distance=np.zeros(0),
        )


def _order_table(config: RoutingConfig, categories: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per point, the index of its rule order; and the table of orders (rule codes, -1 padded)."""
    orders = [config.order]
    code = np.zeros(n, dtype=np.int64)
    if categories is not None and config.category_order:
        inv, uniq = pd.factorize(pd.Series(categories, dtype=object).fillna(""))
        which = []
        for c in uniq:  # one entry per distinct category, not per point
            o = config.order_for(c or None)
            if o not in orders:
                orders.append(o)
            which.append(orders.index(o))
        code = np.asarray(which, dtype=np.int64)[inv]
    table = np.full((len(orders), len(RULES)), -1, dtype=np.int8)
    for i, o in enumerate(orders):
        table[i, : len(o)] = [RULES.index(r) for r in o]
    return code, table


def _route_block(
    layers: _Layers,
    epsg: int,
    lon: np.ndarray,
    lat: np.ndarray,
    days: np.ndarray,
    order_code: np.ndarray,
    order_table: np.ndarray,
    config: RoutingConfig,
) -> _Block:
    """Decide a block of points of one UTM zone: the single decision function of both paths."""
    n = len(lon)
    out = _Block.allocate(n)
    t = layers.tables
    idx = layers.index(epsg, config)
    x, y = idx.project(lon, lat)
    pts = shapely.points(x, y)

    # The unit grid in force on the day covering the point (the lowest code on a shared edge).
    covering_grids = _in_force(idx.covering("grid", x, y, pts), t["grid"], days)
    grid_cover = containing(covering_grids, n, t["grid"].rank)
    single_cover = np.bincount(covering_grids.point, minlength=n) == 1

    # Community: the grid's, else the covering community polygon; street: the community's parent, else covering.
    comm = np.full(n, -1, np.int64)
    has = grid_cover >= 0
    if has.any():
        comm[has] = t["community"].rows_for(t["grid"].community_id[grid_cover[has]])
    _fill_covering(idx, "community", t["community"], comm, x, y, pts)
    street = np.full(n, -1, np.int64)
    has = comm >= 0
    if has.any():
        street[has] = t["street"].rows_for(t["community"].parent_id[comm[has]])
    _fill_covering(idx, "street", t["street"], street, x, y, pts)
    out.grid, out.community, out.street = grid_cover, comm, street

    # Far outside the managed area: covered by nothing and no area within far_m.
    inside = (grid_cover >= 0) | (comm >= 0) | (street >= 0)
    if layers.has_areas and not inside.all():
        rest = np.flatnonzero(~inside)
        district = np.full(len(rest), -1, np.int64)
        _fill_covering(idx, "district", t["district"], district, x[rest], y[rest], pts[rest])
        rest = rest[district < 0]
        near = np.zeros(len(rest), bool)
        for name in ("district", "street", "community"):
            todo = rest[~near]
            if len(todo):
                near[~near] = idx.any_within(name, x[todo], y[todo], config.far_m, pts[todo])
        out.far[rest[~near]] = True

    decided = out.far.copy()
    cands: list[tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]] = []
    tol_by_level = _tolerances(config)
    for rank in range(order_table.shape[1]):
        rule_at = order_table[order_code, rank]
        for rule_code in np.unique(rule_at[~decided]):
            if rule_code < 0:
                continue
            sel = np.flatnonzero(~decided & (rule_at == rule_code))
            rule = RULES[rule_code]
            if rule == "default":
                _apply_default(layers, out, sel, decided)
                continue
            if rule == "grid":
                pairs = _grids_near(idx, t["grid"], sel, x, y, pts, days, grid_cover, single_cover, config)
            else:
                pairs = idx.near(rule, x[sel], y[sel], pts[sel])  # (segments: within their level's tolerance)
                pairs = Pairs(sel[pairs.point], pairs.feature, pairs.distance)
            if not len(pairs):
                continue
            unit = layers.units_of(rule, pairs.feature, days[pairs.point])
            kind_code = _MATCH_KINDS.index(rule)
            cands.append((pairs.point, kind_code, pairs.feature, unit, pairs.distance))
            pool = unit >= 0
            if not pool.any():
                continue
            p = pairs.take(pool)
            u = unit[pool]
            table = t[rule]
            if rule == "segment":
                not_ok = np.zeros(len(p), np.int8)
                tie = np.zeros(len(p))
            else:  # polygons: only a covering one can match; neighbours within the margin are rivals only
                not_ok = (p.distance > 0).astype(np.int8)
                tie = table.area[p.feature] if rule == "compound" else table.rank[p.feature].astype(float)
            best = best_per_point(n, p.point, not_ok, p.distance, tie, table.ids[p.feature])
            has = best >= 0
            has[has] = not_ok[best[has]] == 0
            best = np.where(has, best, -1)
            amb = flag_rivals(n, p.point, p.distance, u, best, config.ambiguous_m)
            won = np.flatnonzero(has)
            b = best[won]
            out.rule[won] = rule_code
            out.kind[won] = kind_code
            out.row[won] = p.feature[b]
            out.unit[won] = u[b]
            out.distance[won] = p.distance[b]
            out.ambiguous[won] = amb[won]
            if rule == "segment":
                out.tolerance[won] = tol_by_level[table.level[p.feature[b]]]
            decided[won] = True

    if cands:
        cp = np.concatenate([c[0] for c in cands])
        ck = np.concatenate([np.full(len(c[0]), c[1], np.int8) for c in cands])
        cr = np.concatenate([c[2] for c in cands])
        cu = np.concatenate([c[3] for c in cands])
        cd = np.concatenate([c[4] for c in cands])
        keep = ~((ck == out.kind[cp]) & (cr == out.row[cp])) & ~out.far[cp]
        cp, ck, cr, cu, cd = cp[keep], ck[keep], cr[keep], cu[keep], cd[keep]
        ids = np.zeros(len(cr), np.int64)
        for k in np.unique(ck):
            m = ck == k
            ids[m] = t[_MATCH_KINDS[k]].ids[cr[m]]
        o = np.lexsort((ids, cd, ck, cp))
        out.cand_point, out.cand_kind, out.cand_row = cp[o], ck[o], cr[o]
        out.cand_unit, out.cand_distance = cu[o], cd[o]
    return out


def _tolerances(config: RoutingConfig) -> np.ndarray:
    """Segment tolerance by level code (0 main, 1 secondary, 2 back)."""
    return np.array([config.tolerance_m[lv] for lv in SEGMENT_LEVELS])


def _grids_near(
    idx: SnapIndex,
    grids: _Table,
    sel: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    pts: np.ndarray,
    days: np.ndarray,
    cover: np.ndarray,
    single: np.ndarray,
    config: RoutingConfig,
) -> Pairs:
    """Grids in force within ``ambiguous_m`` of the points ``sel``. A point inside exactly one grid and farther
    than the margin from its edge has no other grid that near (grids tile without overlapping), so only the
    points near an edge or outside every grid are looked up again."""
    c = cover[sel]
    deep = np.zeros(len(sel), bool)
    inside = np.flatnonzero((c >= 0) & single[sel])
    if len(inside):
        s = sel[inside]
        deep[inside] = idx.boundary_distance("grid", c[inside], x[s], y[s]) > config.ambiguous_m
    rest = sel[~deep]
    near = idx.near("grid", x[rest], y[rest], pts[rest])
    near = _in_force(Pairs(rest[near.point], near.feature, near.distance), grids, days)
    d = sel[deep]
    return Pairs(
        np.concatenate([d, near.point]),
        np.concatenate([c[deep], near.feature]),
        np.concatenate([np.zeros(len(d)), near.distance]),
    )


def _in_force(pairs: Pairs, grids: _Table, days: np.ndarray) -> Pairs:
    """Only the grid versions in force on each point's day."""
    if not len(pairs):
        return pairs
    d = days[pairs.point]
    return pairs.take((grids.valid_from[pairs.feature] <= d) & (d < grids.valid_to[pairs.feature]))


def _fill_covering(
    idx: SnapIndex, name: str, table: _Table, target: np.ndarray, x: np.ndarray, y: np.ndarray, pts: np.ndarray
) -> None:
    """Fill the -1 entries of ``target`` with the covering polygon of ``name`` (lowest code on a shared edge)."""
    need = np.flatnonzero(target < 0)
    if not len(need) or not len(table):
        return
    pairs = idx.covering(name, x[need], y[need], pts[need])
    target[need] = containing(pairs, len(need), table.rank)


def _apply_default(layers: _Layers, out: _Block, sel: np.ndarray, decided: np.ndarray) -> None:
    comm, street = out.community[sel], out.street[sel]
    cu = np.where(comm >= 0, layers.community_unit[np.maximum(comm, 0)], -1) if len(layers.community_unit) else -1
    su = np.where(street >= 0, layers.street_unit[np.maximum(street, 0)], -1) if len(layers.street_unit) else -1
    cu = np.broadcast_to(cu, sel.shape)
    su = np.broadcast_to(su, sel.shape)
    use_c = cu >= 0
    use_s = ~use_c & (su >= 0)
    for mask, kind, rows, units in ((use_c, "community", comm, cu), (use_s, "street", street, su)):
        w = sel[mask]
        out.rule[w] = RULES.index("default")
        out.kind[w] = _MATCH_KINDS.index(kind)
        out.row[w] = rows[mask]
        out.unit[w] = units[mask]
        out.distance[w] = 0.0
        decided[w] = True


# ------------------------------------------------------------------------------------------------ input checks


def _coerce(values: object, n: int | None, name: str, errors: list[PointError]) -> np.ndarray:
    """Numbers from anything array-like; a PointError for each missing or non-numeric entry."""
    arr = values if isinstance(values, np.ndarray) else np.asarray(values)
    if arr.ndim == 0:
        arr = np.full(n or 1, arr.item(), dtype=object)
    if arr.dtype.kind not in "fiu":
        arr = arr.astype(object)
        if len(arr) <= 16:  # a handful of values: plain Python beats building a pandas Series
            arr = np.array([_number(v) for v in arr], dtype=object)
            if all(isinstance(v, float) for v in arr):
                arr = arr.astype(float)
    if arr.dtype.kind in "fiu":
        out = arr.astype(float)
        for i in np.flatnonzero(~np.isfinite(out)):
            msg = f"{name} is missing" if np.isnan(out[i]) else f"{out[i]} is not a finite number"
            errors.append(PointError(int(i), name, msg))
        return out
    s = pd.Series(arr, dtype=object)
    num = pd.to_numeric(s.where(~s.map(lambda v: isinstance(v, bool))), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(num)
    for i in np.flatnonzero(bad):
        v = arr[i]
        if v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
            errors.append(PointError(int(i), name, f"{name} is missing"))
        elif isinstance(v, float | int) and not isinstance(v, bool):
            errors.append(PointError(int(i), name, f"{v} is not a finite number"))
        else:
            errors.append(PointError(int(i), name, f"{v!r} is not a number"))
    return num


def _number(v: object) -> object:
    """A float when ``v`` reads as one, else ``v`` unchanged (to be reported)."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int | float | np.number):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return v
    return v


def _check_ranges(lon: np.ndarray, lat: np.ndarray, ok: np.ndarray, errors: list[PointError]) -> None:
    bad_lat = ok & (np.abs(lat) > 90)
    bad_lon = ok & (np.abs(lon) > 180)
    for i in np.flatnonzero(bad_lat | bad_lon):
        if bad_lat[i] and abs(lon[i]) <= 90 and abs(lat[i]) <= 180:
            errors.append(
                PointError(
                    int(i),
                    "lat",
                    f"latitude {lat[i]:g} is outside -90..90: longitude and latitude look swapped "
                    f"(did you mean lon={lat[i]:g}, lat={lon[i]:g}?)",
                )
            )
        elif bad_lat[i]:
            errors.append(PointError(int(i), "lat", f"latitude {lat[i]:g} is outside -90..90"))
        else:
            errors.append(PointError(int(i), "lon", f"longitude {lon[i]:g} is outside -180..180"))


def _crs_array(crs: object, n: int, errors: list[PointError]) -> np.ndarray:
    def norm(c: object) -> str:
        if c is None or (isinstance(c, float) and np.isnan(c)) or (isinstance(c, str) and not c.strip()):
            return "wgs84"
        return {"wgs-84": "wgs84", "gcj-02": "gcj02"}.get(str(c).strip().lower(), str(c).strip().lower())

    if crs is None or isinstance(crs, str):
        arr = np.full(n, norm(crs), dtype=object)
    else:
        arr = np.array([norm(c) for c in crs], dtype=object)
        if len(arr) != n:
            raise ValueError("crs has not one entry per point")
    for i in np.flatnonzero(~np.isin(arr, CRS_NAMES)):
        errors.append(PointError(int(i), "crs", f"{arr[i]!r} is not one of {', '.join(CRS_NAMES)}"))
    return arr


def _days(observed_at: object, n: int, tz: ZoneInfo, errors: list[PointError]) -> np.ndarray:
    """The local date of each observation, as days since 1970 (today when not given). Equal values are parsed
    once (a bulk file holds far fewer distinct times than rows); numpy datetimes (naive: local) need no parsing."""
    today = as_day(dt.datetime.now(tz).date())
    if observed_at is None:
        return np.full(n, today, np.int64)
    if isinstance(observed_at, dt.date | str | pd.Timestamp | np.datetime64):
        day = _one_day(observed_at, tz)
        if day is None:
            errors.extend(PointError(j, "observed_at", _bad_time(observed_at)) for j in range(n))
        return np.full(n, today if day is None else day, np.int64)
    arr = observed_at if isinstance(observed_at, np.ndarray) else np.asarray(list(observed_at), dtype=object)
    if len(arr) != n:
        raise ValueError("observed_at has not one entry per point")
    if arr.dtype.kind == "M":
        d = arr.astype("datetime64[D]")
        return np.where(np.isnat(d), today, d.astype(np.int64))
    out = np.full(n, today, np.int64)
    for i, v in _unique_values(arr.astype(object)):
        day = _one_day(v, tz)
        if day is None:
            errors.extend(PointError(int(j), "observed_at", _bad_time(v)) for j in i)
        else:
            out[i] = day
    return out


def _bad_time(v: object) -> str:
    return f"{v!r} is not an ISO-8601 date or date-time"


def _unique_values(vals: np.ndarray) -> Iterable[tuple[np.ndarray, object]]:
    """Group equal values: ``(indices, value)`` per distinct value."""
    if len(vals) <= 16:
        for i, v in enumerate(vals):
            yield np.array([i]), v
        return
    try:
        codes, _ = pd.factorize(pd.Series(vals, dtype=object), use_na_sentinel=False)
    except TypeError:  # unhashable values (lists from JSON): group by their text
        codes, _ = pd.factorize(pd.Series([repr(v) for v in vals], dtype=object), use_na_sentinel=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for group in np.split(order, bounds):
        if len(group):
            yield group, vals[group[0]]


def _one_day(v: object, tz: ZoneInfo) -> int | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
        return as_day(dt.datetime.now(tz).date())
    if isinstance(v, pd.Timestamp | np.datetime64) or v is pd.NaT:  # (pandas' types pass for datetimes)
        ts = pd.Timestamp(v)
        return as_day(dt.datetime.now(tz).date()) if ts is pd.NaT else _one_day(ts.to_pydatetime(), tz)
    if isinstance(v, dt.datetime):
        return as_day(v.astimezone(tz).date() if v.tzinfo else v.date())
    if isinstance(v, dt.date):
        return as_day(v)
    if isinstance(v, str):
        s = v.strip()
        try:
            parsed = dt.datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
        except ValueError:
            return None
        return _one_day(parsed, tz)
    return None


def _categories(categories: object, n: int) -> np.ndarray | None:
    if categories is None:
        return None
    if isinstance(categories, str):
        return np.full(n, categories.strip(), dtype=object)
    arr = np.asarray(
        ["" if c is None or (isinstance(c, float) and np.isnan(c)) else str(c).strip() for c in categories],
        dtype=object,
    )
    if len(arr) != n:
        raise ValueError("categories has not one entry per point")
    return arr


# ------------------------------------------------------------------------------------------------ bulk


class RoutingBatch:
    """Answers for many points, kept as arrays; :meth:`result` builds one point's :class:`RoutingResult`."""

    def __init__(
        self,
        layers: _Layers,
        config: RoutingConfig,
        lon: np.ndarray,
        lat: np.ndarray,
        crs: np.ndarray,
        wlon: np.ndarray,
        wlat: np.ndarray,
        days: np.ndarray,
        categories: np.ndarray | None,
        order_code: np.ndarray,
        order_table: np.ndarray,
        block: _Block,
        errors: list[PointError],
    ) -> None:
        self._layers = layers
        self.config = config
        self.lon, self.lat, self.crs, self.wgs84_lon, self.wgs84_lat = lon, lat, crs, wlon, wlat
        self.days = days
        self.categories = categories
        self._order_code, self._order_table = order_code, order_table
        self._b = block
        self.errors = sorted(errors, key=lambda e: (e.index, e.field))
        self._errors_by_index: dict[int, list[PointError]] | None = None
        self._lists: dict[str, Any] | None = None
        self.ok = np.ones(len(lon), bool)
        self.ok[[e.index for e in self.errors]] = False
        self._cand_start = np.searchsorted(block.cand_point, np.arange(len(lon) + 1))

    def __len__(self) -> int:
        return len(self.lon)

    @property
    def routed(self) -> int:
        return int(self.ok.sum())

    # -- columns (vectorised; for files and benchmarks)
    @property
    def unit_id(self) -> np.ndarray:
        """Responsible unit id per point, -1 where none (or the point is bad)."""
        return np.where(self.ok, self._b.unit, -1)

    @property
    def rule(self) -> np.ndarray:
        """Rule per point as an index into :data:`RULES`, -1 where none."""
        return np.where(self.ok, self._b.rule, -1)

    @property
    def matched_kind(self) -> np.ndarray:
        return np.where(self.ok & (self._b.kind >= 0), np.array((*_MATCH_KINDS, ""), dtype=object)[self._b.kind], "")

    @property
    def matched_id(self) -> np.ndarray:
        out = np.full(len(self), -1, np.int64)
        for k, kind in enumerate(_MATCH_KINDS):
            m = self.ok & (self._b.kind == k)
            out[m] = self._layers.tables[kind].ids[self._b.row[m]]
        return out

    @property
    def distance_m(self) -> np.ndarray:
        return np.where(self.ok, np.round(self._b.distance, 1), np.nan)

    @property
    def ambiguous(self) -> np.ndarray:
        return self.ok & self._b.ambiguous

    def _py(self) -> dict[str, Any]:
        """The columns as Python lists, built once: reading numpy scalars one by one costs more than the answer."""
        if self._lists is None:
            b = self._b
            cols: dict[str, Any] = {
                name: getattr(b, name).tolist()
                for name in ("kind", "row", "unit", "distance", "ambiguous", "tolerance", "community", "street", "rule")
            }
            cols.update(
                cand_kind=b.cand_kind.tolist(),
                cand_row=b.cand_row.tolist(),
                cand_unit=b.cand_unit.tolist(),
                cand_distance=b.cand_distance.tolist(),
                cand_start=self._cand_start.tolist(),
                ok=self.ok.tolist(),
                days=self.days.tolist(),
                order=[tuple(RULES[c] for c in o if c >= 0) for o in self._order_table.tolist()],
                order_code=self._order_code.tolist(),
                tables={k: t.lists() for k, t in self._layers.tables.items()},
            )
            self._lists = cols
        return self._lists

    def result(self, i: int) -> RoutingResult | None:
        """The answer for point ``i`` (None for a bad point: see :attr:`errors`)."""
        c = self._py()
        if not c["ok"][i]:
            return None
        tables, names = c["tables"], self._layers.unit_names
        matched = None
        k = c["kind"][i]
        if k >= 0:
            kind = _MATCH_KINDS[k]
            ids, labels, _codes = tables[kind]
            row = c["row"][i]
            matched = Matched(kind, ids[row], str(labels[row]))
        cands = []
        for j in range(c["cand_start"][i], c["cand_start"][i + 1]):
            kind = _MATCH_KINDS[c["cand_kind"][j]]
            ids, labels, _codes = tables[kind]
            r, u = c["cand_row"][j], c["cand_unit"][j]
            cands.append(
                Candidate(
                    kind,
                    ids[r],
                    str(labels[r]),
                    u if u >= 0 else None,
                    names.get(u) if u >= 0 else None,
                    round(c["cand_distance"][j], 1),
                )
            )
        unit = c["unit"][i]
        rule = c["rule"][i]
        tol = c["tolerance"][i]
        return RoutingResult(
            lon=float(self.lon[i]),
            lat=float(self.lat[i]),
            crs=str(self.crs[i]),
            wgs84_lon=float(self.wgs84_lon[i]),
            wgs84_lat=float(self.wgs84_lat[i]),
            observed_on=_EPOCH + dt.timedelta(days=c["days"][i]),
            category=(str(self.categories[i]) or None) if self.categories is not None else None,
            responsible=(unit, names.get(unit, f"#{unit}")) if unit >= 0 else None,
            matched=matched,
            rule=RULES[rule] if rule >= 0 else None,
            distance_m=round(c["distance"][i], 1) if matched is not None else None,
            candidates=tuple(cands),
            ambiguous=c["ambiguous"][i],
            community=self._area_ref("community", c["community"][i]),
            street=self._area_ref("street", c["street"][i]),
            order=c["order"][c["order_code"][i]],
            ambiguous_m=self.config.ambiguous_m,
            tolerance_m=tol if tol == tol else None,  # NaN: not a segment
        )

    def _area_ref(self, kind: str, row: int) -> AreaRef | None:
        if row < 0:
            return None
        ids, labels, codes = self._py()["tables"][kind]
        return AreaRef(ids[row], str(codes[row]), str(labels[row]))

    def results(self) -> list[RoutingResult | None]:
        return [self.result(i) for i in range(len(self))]

    def error_of(self, i: int) -> list[PointError]:
        """What is wrong with point ``i`` (empty when it was routed)."""
        if self._errors_by_index is None:
            by: dict[int, list[PointError]] = {}
            for e in self.errors:
                by.setdefault(e.index, []).append(e)
            self._errors_by_index = by
        return self._errors_by_index.get(i, [])


def _prepare_points(
    lons: object,
    lats: object,
    crs: object,
    categories: object,
    observed_at: object,
    config: RoutingConfig,
) -> tuple[np.ndarray, ...]:
    errors: list[PointError] = []
    lon_in = _coerce(lons, None, "lon", errors)
    lat_in = _coerce(lats, len(lon_in), "lat", errors)
    n = len(lon_in)
    if len(lat_in) != n:
        raise ValueError(f"{n} longitudes but {len(lat_in)} latitudes")
    crs_arr = _crs_array(crs, n, errors)
    days = _days(observed_at, n, ZoneInfo(config.timezone), errors)
    cats = _categories(categories, n)
    ok = np.isfinite(lon_in) & np.isfinite(lat_in)
    _check_ranges(lon_in, lat_in, ok, errors)
    bad = np.zeros(n, bool)
    bad[[e.index for e in errors]] = True
    wlon, wlat = lon_in.copy(), lat_in.copy()
    gcj = ~bad & (crs_arr == "gcj02")
    if gcj.any():
        wlon[gcj], wlat[gcj] = gcj02_to_wgs84(lon_in[gcj], lat_in[gcj])
    return lon_in, lat_in, crs_arr, wlon, wlat, days, cats, bad, errors  # type: ignore[return-value]


def _far_errors(
    layers_for: Any, lon: np.ndarray, lat: np.ndarray, far_idx: np.ndarray, config: RoutingConfig
) -> list[PointError]:
    """Messages for points far outside the managed area; says so when swapping lon/lat would put them inside."""
    errors: list[PointError] = []
    if not len(far_idx):
        return errors
    slon, slat = lat[far_idx], lon[far_idx]
    swappable = (np.abs(slat) <= 90) & (np.abs(slon) <= 180)
    inside_swapped = np.zeros(len(far_idx), bool)
    if swappable.any():
        inside_swapped[swappable] = layers_for(slon[swappable], slat[swappable])
    km = config.far_m / 1000
    for k, i in enumerate(far_idx):
        msg = f"the point (lon {lon[i]:.6f}, lat {lat[i]:.6f}) is more than {km:g} km outside the managed area"
        if inside_swapped[k]:
            msg += f"; longitude and latitude look swapped (lon={lat[i]:g}, lat={lon[i]:g} is inside)"
        errors.append(PointError(int(i), "lon/lat", msg))
    return errors


def _managed(layers: _Layers, lon: np.ndarray, lat: np.ndarray, config: RoutingConfig) -> np.ndarray:
    """True where a point is inside or within far_m of the managed area (used for the swapped-coordinates hint)."""
    out = np.zeros(len(lon), bool)
    zones = utm_epsg(lon, lat)
    for z in np.unique(zones):
        m = np.flatnonzero(zones == z)
        idx = layers.index(int(z), config)
        x, y = idx.project(lon[m], lat[m])
        hit = np.zeros(len(m), bool)
        for name in ("district", "street", "community", "grid"):
            todo = ~hit
            if todo.any() and idx.size(name):
                hit[todo] = idx.any_within(name, x[todo], y[todo], config.far_m)
        out[m] = hit
    return out


def route_points(
    session: Session,
    lons: object,
    lats: object,
    *,
    crs: str | Sequence[str | None] | None = "wgs84",
    categories: str | Sequence[str | None] | None = None,
    observed_at: object = None,
    config: RoutingConfig | None = None,
    layers: _Layers | None = None,
) -> RoutingBatch:
    """Route many points at once (vectorised). Bad points are reported in ``.errors``; the others are answered.

    ``lons``/``lats`` may hold anything (numbers, numeric strings, None); ``crs``, ``categories`` and
    ``observed_at`` are one value for all points or one per point (``observed_at``: dates, datetimes or ISO-8601
    strings; naive times are local, ``config.timezone``).
    """
    config = config or RoutingConfig.from_env()
    layers = layers or routing_layers(session)
    with paused_gc():
        return _route_points(lons, lats, crs, categories, observed_at, config, layers)


def _route_points(
    lons: object,
    lats: object,
    crs: str | Sequence[str | None] | None,
    categories: str | Sequence[str | None] | None,
    observed_at: object,
    config: RoutingConfig,
    layers: _Layers,
) -> RoutingBatch:
    lon, lat, crs_arr, wlon, wlat, days, cats, bad, errors = _prepare_points(
        lons, lats, crs, categories, observed_at, config
    )
    n = len(lon)
    order_code, order_table = _order_table(config, cats, n)
    block = _Block.allocate(n)
    good = np.flatnonzero(~bad)
    cand_parts: list[tuple[np.ndarray, ...]] = []
    zones = utm_epsg(wlon[good], wlat[good])
    for z in np.unique(zones):
        members = good[zones == z]
        for s in range(0, len(members), _BLOCK):
            m = members[s : s + _BLOCK]
            b = _route_block(layers, int(z), wlon[m], wlat[m], days[m], order_code[m], order_table, config)
            for name in ("far", "grid", "rule", "kind", "row", "unit", "distance", "ambiguous", "tolerance"):
                getattr(block, name)[m] = getattr(b, name)
            block.community[m], block.street[m] = b.community, b.street
            cand_parts.append((m[b.cand_point], b.cand_kind, b.cand_row, b.cand_unit, b.cand_distance))
    if cand_parts:
        cp = np.concatenate([c[0] for c in cand_parts])
        o = np.argsort(cp, kind="stable")
        block.cand_point = cp[o]
        block.cand_kind, block.cand_row, block.cand_unit, block.cand_distance = (
            np.concatenate([c[k] for c in cand_parts])[o] for k in range(1, 5)
        )
    far_idx = np.flatnonzero(block.far)
    errors.extend(_far_errors(lambda lo, la: _managed(layers, lo, la, config), lon, lat, far_idx, config))
    return RoutingBatch(
        layers, config, lon, lat, crs_arr, wlon, wlat, days, cats, order_code, order_table, block, errors
    )


# ------------------------------------------------------------------------------------------------ bulk layers cache


@dataclass
class _Cached:
    quick: tuple  # max ids: checked on every call (index lookups)
    full: tuple  # counts and sums: checked at most every FULL_CHECK_SECONDS (they scan tables)
    checked: float
    layers: _Layers


_CACHE: weakref.WeakKeyDictionary[Engine, _Cached] = weakref.WeakKeyDictionary()
FULL_CHECK_SECONDS = 10.0
_TABLES = ("segments", "compounds", "grids", "areas", "assignments", "units")
_QUICK = "SELECT " + ", ".join(f"(SELECT max(id) FROM {t})" for t in _TABLES)
_FULL = """
    SELECT
      (SELECT count(*) FROM segments), (SELECT sum(length_m) FROM segments),
      (SELECT count(*) FROM compounds), (SELECT sum(area_m2) FROM compounds),
      (SELECT count(*) FROM grids), (SELECT count(valid_to) FROM grids),
      (SELECT count(*) FROM areas), (SELECT sum(area_m2) FROM areas),
      (SELECT count(*) FROM assignments), (SELECT count(valid_to) FROM assignments),
      (SELECT count(*) FROM units), (SELECT sum(area_id) FROM units)
"""


def invalidate_cache(engine: Engine | None = None) -> None:
    """Forget the loaded layers (of one engine, or all): the next bulk call reloads them."""
    with _LOCK:
        if engine is None:
            _CACHE.clear()
        else:
            _CACHE.pop(engine, None)


def routing_layers(session: Session, *, refresh: bool = False) -> _Layers:
    """Every layer, the responsibility history and the default parties, loaded once per engine and reused while
    the store is unchanged.

    Change detection: the largest id of each table is read on every call (index lookups: new features, new
    assignments and re-assignments are seen at once); counts and sums, which also see edits that add no row
    (an assignment ended by UPDATE, a re-imported geometry, a deleted feature), scan tables and are re-read at
    most every :data:`FULL_CHECK_SECONDS`. Call :func:`invalidate_cache` after such an edit to see it at once.
    (The one-off :func:`route_point` reads the database every time and is never stale.)
    """
    engine = session.get_bind()
    quick = tuple(raw_rows(session, _QUICK)[0])
    with _LOCK:
        hit = _CACHE.get(engine)  # type: ignore[arg-type]
    now = time.monotonic()
    if hit is not None and not refresh and hit.quick == quick:
        if now - hit.checked < FULL_CHECK_SECONDS:
            return hit.layers
        full = tuple(raw_rows(session, _FULL)[0])
        if full == hit.full:
            hit.checked = now
            return hit.layers
    else:
        full = tuple(raw_rows(session, _FULL)[0])
    layers = _load_layers(session)
    with _LOCK:
        _CACHE[engine] = _Cached(quick, full, now, layers)  # type: ignore[index]
    return layers


def _load_layers(session: Session) -> _Layers:
    tables = {
        "segment": _segments_table(session.execute(select(*_SEGMENT_COLS).order_by(Segment.id)).all()),
        "compound": _compounds_table(session.execute(select(*_COMPOUND_COLS).order_by(Compound.id)).all()),
        "grid": _grids_table(session.execute(select(*_GRID_COLS).order_by(Grid.id)).all()),
    }
    for level in ("community", "street", "district"):
        rows = session.execute(select(*_AREA_COLS).where(Area.level == level).order_by(Area.id)).all()
        tables[level] = _areas_table(rows)
    histories = {}
    for kind in _FEATURE_KINDS:
        t = tables[kind]
        histories[kind] = load_history(session, kind, dict(zip(t.ids.tolist(), range(len(t)), strict=True)))
    unit_names = dict(session.execute(select(Unit.id, Unit.name)).all())
    area_unit = {a: u for a, (u, _name) in area_units(session).items()}
    has_areas = any(len(tables[k]) for k in ("community", "street", "district"))
    return _Layers(tables, has_areas=has_areas, unit_names=unit_names, area_unit=area_unit, histories=histories)


# ------------------------------------------------------------------------------------------------ one-off


def _degree_box(lon: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    """A lon/lat box certainly holding every point within ``metres`` (UTM metres) of (lon, lat)."""
    r = metres * _DEG_MARGIN / 0.9996 + 0.5
    dlat = r / 110_000.0
    coslat = max(np.cos(np.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    dlon = r / (111_000.0 * coslat)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


_SQL_CACHE: dict[tuple, str] = {}
_FEATURE_COLUMNS = {  # name, ext_id, level, area_m2, code, community_id, valid_from, valid_to
    "segment": ("segments", "f.name, f.ext_id, f.level, CAST(NULL AS FLOAT), CAST(NULL AS VARCHAR(20)),"
                " CAST(NULL AS INTEGER), CAST(NULL AS DATE), CAST(NULL AS DATE)"),
    "compound": ("compounds", "f.name, f.ext_id, CAST(NULL AS VARCHAR(16)), f.area_m2, CAST(NULL AS VARCHAR(20)),"
                 " CAST(NULL AS INTEGER), CAST(NULL AS DATE), CAST(NULL AS DATE)"),
    "grid": ("grids", "f.code, CAST(NULL AS VARCHAR(64)), CAST(NULL AS VARCHAR(16)), CAST(NULL AS FLOAT), f.code,"
             " f.community_id, f.valid_from, f.valid_to"),
}  # fmt: skip


def _dialect(session: Session) -> tuple[bool, str, str]:
    """(is SQLite, DBAPI placeholder, the function giving WKB)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    return sqlite, ("?" if sqlite else "%s"), ("AsBinary" if sqlite else "ST_AsBinary")


def _features_around(
    session: Session, lon: float, lat: float, day: dt.date, config: RoutingConfig
) -> tuple[dict[str, _Table], dict[str, np.ndarray], dict[int, str]]:
    """Segments, compounds and grids near one point, with the unit responsible for each on ``day``: one query.

    Hand-written SQL on the raw connection (:func:`~gridmap.responsibility.raw_rows`): compiling SQLAlchemy
    statements and a round trip per layer would cost more than the indexed lookups themselves.
    """
    sqlite, ph, wkb = _dialect(session)
    ph_day = dt.date.isoformat(day) if sqlite else day
    cond, cond_params = in_force_sql("a", ph, ph_day)
    key = ("features", sqlite)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        branches = [
            f"SELECT '{kind}', f.id, {cols}, {wkb}(f.geom), a.unit_id, u.name, a.valid_from, a.id FROM {table} f"
            f" LEFT JOIN assignments a ON a.target_kind = '{kind}' AND a.target_id = f.id AND {cond}"
            f" LEFT JOIN units u ON u.id = a.unit_id WHERE {box_sql(sqlite, ph, 'f', table)}"
            for kind, (table, cols) in _FEATURE_COLUMNS.items()
        ]
        sql = _SQL_CACHE[key] = " UNION ALL ".join(branches) + " ORDER BY 1, 2, 14, 15"
    seg_box = _degree_box(lon, lat, config.max_tolerance)
    amb_box = _degree_box(lon, lat, config.ambiguous_m)
    params: list[object] = []
    for box in (seg_box, amb_box, amb_box):
        params += [*cond_params, *box_params(sqlite, box)]
    rows: dict[str, dict[int, tuple]] = {k: {} for k in _FEATURE_KINDS}
    unit: dict[str, dict[int, int]] = {k: {} for k in _FEATURE_KINDS}
    names: dict[int, str] = {}
    for r in raw_rows(session, sql, tuple(params)):
        rows[r[0]].setdefault(r[1], r)
        if r[11] is not None:  # ordered by the period's start: the latest start wins (as responsible_at)
            unit[r[0]][r[1]] = r[11]
            names[r[11]] = r[12]
    tables = {
        "segment": _segments_table([(r[1], r[2], r[3], r[4], r[10]) for r in rows["segment"].values()]),
        "compound": _compounds_table([(r[1], r[2], r[3], r[5], r[10]) for r in rows["compound"].values()]),
        "grid": _grids_table([(r[1], r[6], r[7], r[8], r[9], r[10]) for r in rows["grid"].values()]),
    }
    units_on_day = {
        k: np.fromiter((unit[k].get(int(i), -1) for i in tables[k].ids), np.int64, len(tables[k]))
        for k in _FEATURE_KINDS
    }
    return tables, units_on_day, names


def _areas_around(
    session: Session, lon: float, lat: float, config: RoutingConfig, grids: _Table, mode: str
) -> tuple[dict[str, _Table], bool, dict[int, int], dict[int, str]]:
    """The areas one decision may read, with the unit standing for each: one query.

    ``linked``: the communities of the grids found and their streets, without geometry (enough when a grid
    covers the point); ``covering``: also every area whose box holds the point (with the street of each such
    community); ``wide``: every area within ``far_m`` (to tell "far outside the city" exactly).
    """
    sqlite, ph, wkb = _dialect(session)
    ids = sorted(set(grids.community_id.tolist()))
    key = ("areas", sqlite, mode, len(ids))
    sql = _SQL_CACHE.get(key)
    if sql is None:
        in_ids = f"IN ({', '.join([ph] * len(ids))})"
        # The wanted ids as one semi-join (an OR of conditions would make PostgreSQL scan the table).
        if mode == "linked":
            geom = "NULL"
            picks = [f"SELECT p.id FROM areas p WHERE p.id {in_ids}"] if ids else []
            comms = f"p.id {in_ids}" if ids else ""
        else:
            geom = f"{wkb}(r.geom)"
            box_p = box_sql(sqlite, ph, "p", "areas")
            picks = [f"SELECT p.id FROM areas p WHERE {box_p}"] + (
                [f"SELECT p.id FROM areas p WHERE p.id {in_ids}"] if ids else []
            )
            comms = f"({box_p}" + (f" OR p.id {in_ids})" if ids else ")")
        if comms:
            picks.append(f"SELECT p.parent_id FROM areas p WHERE p.level = 'community' AND {comms}")
        cond = f"r.id IN ({' UNION '.join(picks)})" if picks else "1 = 0"
        sql = (
            f"SELECT r.id, r.code, r.name, r.parent_id, {geom}, r.level, un.id, un.name, un.kind"
            f" FROM areas r LEFT JOIN units un ON un.area_id = r.id WHERE {cond}"
        )
        if len(_SQL_CACHE) < 512:
            _SQL_CACHE[key] = sql
    if mode == "linked":
        params: tuple = (*ids, *ids)
    else:
        box = box_params(sqlite, _degree_box(lon, lat, config.far_m if mode == "wide" else 0.0))
        params = (*box, *ids, *box, *ids)
    found = raw_rows(session, sql, params) if (ids or mode != "linked") else []
    rows: dict[int, tuple] = {}
    for r in found:
        rows.setdefault(r[0], r)
    tables = {
        level: _areas_table(sorted((r for r in rows.values() if r[5] == level), key=lambda r: r[0]))
        for level in ("community", "street", "district")
    }
    standing = prefer_area_units((r[0], r[6], r[7], r[8]) for r in found if r[6] is not None)
    has_areas = bool(rows) or bool(raw_rows(session, "SELECT id FROM areas LIMIT 1"))
    return tables, has_areas, {a: u for a, (u, _n) in standing.items()}, dict(standing.values())


def _one_off_layers(
    features: tuple[dict[str, _Table], dict[str, np.ndarray], dict[int, str]],
    areas: tuple[dict[str, _Table], bool, dict[int, int], dict[int, str]],
) -> _Layers:
    tables, units_on_day, names = features
    area_tables, has_areas, area_unit, area_names = areas
    return _Layers(
        {**tables, **area_tables},
        has_areas=has_areas,
        unit_names={**names, **area_names},
        area_unit=area_unit,
        units_on_day=units_on_day,
    )


def route_point(
    session: Session,
    lon: object,
    lat: object,
    *,
    category: str | None = None,
    observed_at: object = None,
    crs: str = "wgs84",
    config: RoutingConfig | None = None,
) -> RoutingResult:
    """Route one report (the one-off path, through the database's spatial index). Raises InvalidInput naming the
    field for bad coordinates, an unknown crs, an unreadable time, or a point far outside the managed area."""
    config = config or RoutingConfig.from_env()
    lon_a, lat_a, crs_a, wlon, wlat, days, cats, _bad, errors = _prepare_points(
        [lon], [lat], crs, None if category is None else [category], [observed_at], config
    )
    if errors:
        raise InvalidInput([Problem(e.message, field=e.field) for e in errors])
    day = dt.date(1970, 1, 1) + dt.timedelta(days=int(days[0]))
    order_code, order_table = _order_table(config, cats, 1)
    zone = int(utm_epsg(wlon, wlat)[0])
    x, y = float(wlon[0]), float(wlat[0])
    features = _features_around(session, x, y, day, config)
    grids = features[0]["grid"]

    def decide(mode: str) -> tuple[_Layers, _Block]:
        layers = _one_off_layers(features, _areas_around(session, x, y, config, grids, mode))
        return layers, _route_block(layers, zone, wlon, wlat, days, order_code, order_table, config)

    # Usually a grid covers the point and names its community and street: no area polygon is needed. Otherwise
    # the areas covering the point are fetched, and when none does, every area within far_m.
    layers, block = decide("linked")
    if block.grid[0] < 0 or block.community[0] < 0 or block.street[0] < 0:
        layers, block = decide("covering")
        if block.far[0]:
            layers, block = decide("wide")
    if block.far[0]:

        def swapped_inside(lo: np.ndarray, la: np.ndarray) -> np.ndarray:
            f = _features_around(session, float(lo[0]), float(la[0]), day, config)
            near = _one_off_layers(f, _areas_around(session, float(lo[0]), float(la[0]), config, f[0]["grid"], "wide"))
            return _managed(near, lo, la, config)

        errs = _far_errors(swapped_inside, lon_a, lat_a, np.array([0]), config)
        raise InvalidInput([Problem(e.message, field=e.field) for e in errs])
    batch = RoutingBatch(
        layers, config, lon_a, lat_a, crs_a, wlon, wlat, days, cats, order_code, order_table, block, []
    )
    result = batch.result(0)
    assert result is not None
    return result
