"""Features as columns: a :class:`Table` per layer, its builders from database rows, and :class:`Layers`,
everything one routing decision reads (tables, who is responsible, metric indexes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeAlias

import numpy as np
import shapely
from sqlalchemy import Row

from gridmap.geo.snapping import PointLayer, SnapIndex
from gridmap.responsibility.history import OPEN_END, History, as_day
from gridmap.routing.config import LOCK, SEGMENT_LEVELS, RoutingConfig, tolerances
from gridmap.store.dialect import wkb
from gridmap.store.models import Area, Category, Component, Compound, Grid, Segment
from gridmap.store.targets import TARGETS


@dataclass
class Table:
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
    owner: np.ndarray | None = None  # components: the owner unit id (-1: none)
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


def _day_value(v: dt.date | str | None) -> int:
    """Days since 1970 of a date (or an ISO string, as SQLite returns dates to raw SQL); OPEN_END for None."""
    if v is None:
        return OPEN_END
    if isinstance(v, str):
        return int(np.datetime64(v[:10], "D").astype(np.int64))
    return as_day(v)


def _days_or_open(values: Iterable[dt.date | str | None]) -> np.ndarray:
    return np.fromiter((_day_value(v) for v in values), dtype=np.int64)


def _geoms(blobs: list[bytes | None]) -> np.ndarray:
    if not blobs:
        return np.zeros(0, object)
    return shapely.from_wkb(np.asarray([None if b is None else bytes(b) for b in blobs], dtype=object))


LabelledRow: TypeAlias = Row[*tuple[Any, ...]]
"""A database row whose columns are labelled like one of the named rows below: the bulk path builds its tables
from those (the one-off path from the named rows)."""


class SegmentRow(NamedTuple):
    id: int
    name: str | None
    ext_id: str | None
    level: str
    wkb: bytes | None


class CompoundRow(NamedTuple):
    id: int
    name: str | None
    ext_id: str | None
    area_m2: float | None
    wkb: bytes | None


class GridRow(NamedTuple):
    id: int
    code: str
    community_id: int
    valid_from: dt.date | str  # a date (or ISO text from SQLite's raw SQL)
    valid_to: dt.date | str | None
    wkb: bytes | None


class AreaRow(NamedTuple):
    id: int
    code: str
    name: str
    parent_id: int | None
    wkb: bytes | None


class ComponentRow(NamedTuple):
    id: int
    name: str | None
    code: str | None
    class_code: str
    class_name: str | None  # the category BJ<class_code>'s Chinese name
    owner_unit_id: int | None
    wkb: bytes | None


def component_label(r: ComponentRow | LabelledRow) -> str:
    """What a component is called in answers: its class and its code, e.g. 井盖（部件 0101-0007）."""
    return f"{r.class_name or r.name or '部件'}（部件 {r.code or f'#{r.id}'}）"


def components_table(rows: Sequence[ComponentRow] | Sequence[LabelledRow]) -> Table:
    return Table(
        ids=np.fromiter((r.id for r in rows), np.int64, len(rows)),
        names=np.array([component_label(r) for r in rows], dtype=object),
        code=np.array([r.class_code for r in rows], dtype=object),
        geoms=_geoms([r.wkb for r in rows]),
        owner=np.fromiter((-1 if r.owner_unit_id is None else r.owner_unit_id for r in rows), np.int64, len(rows)),
    )


def _fallback_name(label: str, ext_id: str | None, fid: int) -> str:
    """What a nameless feature is called in answers: its kind and source id, else its row id."""
    return f"{label} {ext_id}" if ext_id else f"{label} #{fid}"


def segments_table(rows: Sequence[SegmentRow] | Sequence[LabelledRow]) -> Table:
    level = {lv: i for i, lv in enumerate(SEGMENT_LEVELS)}
    label = TARGETS["segment"].label_zh
    return Table(
        ids=np.fromiter((r.id for r in rows), np.int64, len(rows)),
        names=np.array(
            [r.name or (f"{label} {r.ext_id}" if r.ext_id else f"{label} #{r.id}") for r in rows], dtype=object
        ),
        geoms=_geoms([r.wkb for r in rows]),
        level=np.fromiter((level.get(r.level, 2) for r in rows), np.int8, len(rows)),
    )


def compounds_table(rows: Sequence[CompoundRow] | Sequence[LabelledRow]) -> Table:
    label = TARGETS["compound"].label_zh
    return Table(
        ids=np.fromiter((r.id for r in rows), np.int64, len(rows)),
        names=np.array(
            [r.name or (f"{label} {r.ext_id}" if r.ext_id else f"{label} #{r.id}") for r in rows], dtype=object
        ),
        geoms=_geoms([r.wkb for r in rows]),
        area=np.fromiter((r.area_m2 or 0.0 for r in rows), float, len(rows)),
    )


def grids_table(rows: Sequence[GridRow] | Sequence[LabelledRow]) -> Table:
    return Table(
        ids=np.fromiter((r.id for r in rows), np.int64, len(rows)),
        names=np.array([r.code for r in rows], dtype=object),
        code=np.array([r.code for r in rows], dtype=object),
        geoms=_geoms([r.wkb for r in rows]),
        community_id=np.fromiter((r.community_id for r in rows), np.int64, len(rows)),
        valid_from=_days_or_open(r.valid_from for r in rows) if rows else np.zeros(0, np.int64),
        valid_to=_days_or_open(r.valid_to for r in rows) if rows else np.zeros(0, np.int64),
    )


def areas_table(rows: Sequence[AreaRow] | Sequence[LabelledRow]) -> Table:
    return Table(
        ids=np.fromiter((r.id for r in rows), np.int64, len(rows)),
        names=np.array([r.name for r in rows], dtype=object),
        code=np.array([r.code for r in rows], dtype=object),
        geoms=_geoms([r.wkb for r in rows]),
        parent_id=np.fromiter((-1 if r.parent_id is None else r.parent_id for r in rows), np.int64, len(rows)),
    )


# The same columns read through SQLAlchemy (the bulk cache): its rows have these names too.
SEGMENT_COLS = (Segment.id, Segment.name, Segment.ext_id, Segment.level, wkb(Segment.geom).label("wkb"))
COMPOUND_COLS = (Compound.id, Compound.name, Compound.ext_id, Compound.area_m2, wkb(Compound.geom).label("wkb"))
GRID_COLS = (Grid.id, Grid.code, Grid.community_id, Grid.valid_from, Grid.valid_to, wkb(Grid.geom).label("wkb"))
AREA_COLS = (Area.id, Area.code, Area.name, Area.parent_id, wkb(Area.geom).label("wkb"))
COMPONENT_COLS = (
    Component.id,
    Component.name,
    Component.code,
    Component.class_code,
    Category.name_zh.label("class_name"),
    Component.owner_unit_id,
    wkb(Component.geom).label("wkb"),
)
COMPONENT_CATEGORY = Category.code == "BJ" + Component.class_code
"""The join of :data:`COMPONENT_COLS`: a component's class is the category ``BJ`` + its 4-digit code."""


class Layers:
    """Everything one routing decision reads: feature tables, who is responsible, and metric indexes."""

    def __init__(
        self,
        tables: dict[str, Table],
        *,
        has_areas: bool,
        unit_names: dict[int, str],
        area_unit: dict[int, int],
        histories: dict[str, History] | None = None,
        units_on_day: dict[str, np.ndarray] | None = None,
    ) -> None:
        tables.setdefault("component", components_table([]))
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
        self._points: dict[int, PointLayer] = {}
        self._day_cache: dict[tuple[str, int], np.ndarray] = {}

    def index(self, epsg: int, config: RoutingConfig) -> SnapIndex:
        key = (int(epsg), tuple(config.tolerance_m.values()), config.ambiguous_m)
        with LOCK:
            idx = self._indexes.get(key)
        if idx is None:
            t = self.tables
            idx = SnapIndex(
                {
                    "compound": (t["compound"].geoms, config.ambiguous_m),
                    "segment": (t["segment"].geoms, tolerances(config)[t["segment"].level]),
                    "grid": (t["grid"].geoms, config.ambiguous_m),
                    "community": (t["community"].geoms, 0.0),
                    "street": (t["street"].geoms, 0.0),
                    "district": (t["district"].geoms, 0.0),
                },
                epsg=int(epsg),
            )
            with LOCK:
                self._indexes[key] = idx
        return idx

    def components(self, epsg: int, idx: SnapIndex) -> PointLayer:
        """The components 部件 in ``idx``'s metric CRS (projected once per zone)."""
        with LOCK:
            layer = self._points.get(int(epsg))
        if layer is None:
            g = self.tables["component"].geoms
            x, y = idx.project(shapely.get_x(g), shapely.get_y(g)) if len(g) else (np.zeros(0), np.zeros(0))
            layer = PointLayer(x, y)
            with LOCK:
                self._points[int(epsg)] = layer
        return layer

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
