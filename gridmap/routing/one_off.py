"""Routing one report, :func:`route_point`: the features around the point are fetched through the database's
spatial index (a few milliseconds), then decided like the bulk path."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy.orm import Session

from gridmap.errors import InvalidInput, Problem
from gridmap.geo.snapping import utm_epsg
from gridmap.responsibility.history import in_force_sql, prefer_area_units, raw_rows
from gridmap.routing.bulk import EPOCH, RoutingBatch, far_errors, near_managed_area, prepare_points
from gridmap.routing.config import FEATURE_KINDS, RoutingConfig
from gridmap.routing.decide import Block, component_classes, route_block, rule_order
from gridmap.routing.results import RoutingResult
from gridmap.routing.tables import (
    AreaRow,
    ComponentRow,
    CompoundRow,
    GridRow,
    Layers,
    SegmentRow,
    Table,
    areas_table,
    components_table,
    compounds_table,
    grids_table,
    segments_table,
)
from gridmap.store.dialect import dialect_of

_DEG_MARGIN = 1.2  # degree boxes around a point are this much wider than the metric radius needs


def _degree_box(lon: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    """A lon/lat box certainly holding every point within ``metres`` (UTM metres) of (lon, lat)."""
    r = metres * _DEG_MARGIN / 0.9996 + 0.5
    dlat = r / 110_000.0
    coslat = max(np.cos(np.radians(min(abs(lat) + dlat, 89.9))), 1e-6)
    dlon = r / (111_000.0 * coslat)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


_SQL_CACHE: dict[tuple, str] = {}


class _Nearby(NamedTuple):
    """One row of the features-around query: a segment, compound or grid (the others' columns NULL) and the unit
    responsible for it on the day, if any."""

    kind: str
    id: int
    name: str | None
    ext_id: str | None
    level: str | None
    area_m2: float | None
    code: str | None
    community_id: int | None
    valid_from: Any  # a grid's: a date (ISO text from SQLite's raw SQL); NULL for the others
    valid_to: Any
    wkb: bytes | None
    unit_id: int | None
    unit_name: str | None
    period_start: object
    assignment_id: int | None


class _AreaNearby(NamedTuple):
    """One row of the areas-around query, with a unit naming the area as its own (if any)."""

    id: int
    code: str
    name: str
    parent_id: int | None
    wkb: bytes | None
    level: str
    unit_id: int | None
    unit_name: str | None
    unit_kind: str | None


_FEATURE_COLUMNS = {  # name, ext_id, level, area_m2, code, community_id, valid_from, valid_to
    "segment": ("segments", "f.name, f.ext_id, f.level, CAST(NULL AS FLOAT), CAST(NULL AS VARCHAR(20)),"
                " CAST(NULL AS INTEGER), CAST(NULL AS DATE), CAST(NULL AS DATE)"),
    "compound": ("compounds", "f.name, f.ext_id, CAST(NULL AS VARCHAR(16)), f.area_m2, CAST(NULL AS VARCHAR(20)),"
                 " CAST(NULL AS INTEGER), CAST(NULL AS DATE), CAST(NULL AS DATE)"),
    "grid": ("grids", "f.code, CAST(NULL AS VARCHAR(64)), CAST(NULL AS VARCHAR(16)), CAST(NULL AS FLOAT), f.code,"
             " f.community_id, f.valid_from, f.valid_to"),
}  # fmt: skip


def _features_around(
    session: Session, lon: float, lat: float, day: dt.date, config: RoutingConfig
) -> tuple[dict[str, Table], dict[str, np.ndarray], dict[int, str]]:
    """Segments, compounds and grids near one point, with the unit responsible for each on ``day``: one query.

    Hand-written SQL on the raw connection (:func:`~gridmap.responsibility.history.raw_rows`): compiling SQLAlchemy
    statements and a round trip per layer would cost more than the indexed lookups themselves.
    """
    d = dialect_of(session)
    ph, wkb = d.placeholder, d.wkb_function
    cond, cond_params = in_force_sql("a", ph, d.day_param(day))
    key = ("features", d.name)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        branches = [
            f"SELECT '{kind}', f.id, {cols}, {wkb}(f.geom), a.unit_id, u.name, a.valid_from, a.id FROM {table} f"
            f" LEFT JOIN assignments a ON a.target_kind = '{kind}' AND a.target_id = f.id AND {cond}"
            f" LEFT JOIN units u ON u.id = a.unit_id WHERE {d.box_sql('f', table)}"
            for kind, (table, cols) in _FEATURE_COLUMNS.items()
        ]
        sql = _SQL_CACHE[key] = " UNION ALL ".join(branches) + " ORDER BY 1, 2, 14, 15"
    seg_box = _degree_box(lon, lat, config.max_tolerance)
    amb_box = _degree_box(lon, lat, config.ambiguous_m)
    params: list[object] = []
    for box in (seg_box, amb_box, amb_box):
        params += [*cond_params, *d.box_params(box)]
    rows: dict[str, dict[int, _Nearby]] = {k: {} for k in FEATURE_KINDS}
    unit: dict[str, dict[int, int]] = {k: {} for k in FEATURE_KINDS}
    names: dict[int, str] = {}
    for raw in raw_rows(session, sql, tuple(params)):
        r = _Nearby._make(raw)
        rows[r.kind].setdefault(r.id, r)
        if r.unit_id is not None:  # ordered by the period's start: the latest start wins (as responsible_at)
            unit[r.kind][r.id] = r.unit_id
            names[r.unit_id] = r.unit_name or ""
    tables = {
        "segment": segments_table(
            [SegmentRow(r.id, r.name, r.ext_id, r.level or "", r.wkb) for r in rows["segment"].values()]
        ),
        "compound": compounds_table(
            [CompoundRow(r.id, r.name, r.ext_id, r.area_m2, r.wkb) for r in rows["compound"].values()]
        ),
        "grid": grids_table(
            [GridRow(r.id, r.code or "", r.community_id or -1, r.valid_from, r.valid_to, r.wkb)
             for r in rows["grid"].values()]
        ),
    }  # fmt: skip
    units_on_day = {
        k: np.fromiter((unit[k].get(int(i), -1) for i in tables[k].ids), np.int64, len(tables[k]))
        for k in FEATURE_KINDS
    }
    return tables, units_on_day, names


def _areas_around(
    session: Session, lon: float, lat: float, config: RoutingConfig, grids: Table, mode: str
) -> tuple[dict[str, Table], bool, dict[int, int], dict[int, str]]:
    """The areas one decision may read, with the unit standing for each: one query.

    ``linked``: the communities of the grids found and their streets, without geometry (enough when a grid
    covers the point); ``covering``: also every area whose box holds the point (with the street of each such
    community); ``wide``: every area within ``far_m`` (to tell "far outside the city" exactly).
    """
    d = dialect_of(session)
    ph, wkb = d.placeholder, d.wkb_function
    assert grids.community_id is not None  # (the grid table's column)
    ids = sorted(set(grids.community_id.tolist()))
    key = ("areas", d.name, mode, len(ids))
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
            box_p = d.box_sql("p", "areas")
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
        box = d.box_params(_degree_box(lon, lat, config.far_m if mode == "wide" else 0.0))
        params = (*box, *ids, *box, *ids)
    found = [_AreaNearby._make(r) for r in raw_rows(session, sql, params)] if (ids or mode != "linked") else []
    rows: dict[int, _AreaNearby] = {}
    for r in found:
        rows.setdefault(r.id, r)
    tables = {
        level: areas_table(
            [AreaRow(r.id, r.code, r.name, r.parent_id, r.wkb) for r in sorted(rows.values(), key=lambda r: r.id)
             if r.level == level]
        )
        for level in ("community", "street", "district")
    }  # fmt: skip
    standing = prefer_area_units(
        (r.id, r.unit_id, r.unit_name or "", r.unit_kind or "") for r in found if r.unit_id is not None
    )
    has_areas = bool(rows) or bool(raw_rows(session, "SELECT id FROM areas LIMIT 1"))
    return tables, has_areas, {a: u for a, (u, _n) in standing.items()}, dict(standing.values())


def _components_around(
    session: Session, lon: float, lat: float, class_code: str, config: RoutingConfig
) -> tuple[Table, dict[int, str]]:
    """The components 部件 of one class near one point (through the spatial index), with their owners' names."""
    d = dialect_of(session)
    key = ("components", d.name)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        sql = _SQL_CACHE[key] = (
            f"SELECT f.id, f.name, f.code, f.class_code, c.name_zh, f.owner_unit_id, {d.wkb_function}(f.geom), u.name"
            " FROM components f LEFT JOIN categories c ON c.code = 'BJ' || f.class_code"
            f" LEFT JOIN units u ON u.id = f.owner_unit_id WHERE f.class_code = {d.placeholder}"
            f" AND {d.box_sql('f', 'components')} ORDER BY f.id"
        )
    rows = raw_rows(session, sql, (class_code, *d.box_params(_degree_box(lon, lat, config.component_m))))
    names = {r[5]: r[7] or "" for r in rows if r[5] is not None}
    return components_table([ComponentRow._make(r[:7]) for r in rows]), names


def _one_off_layers(
    features: tuple[dict[str, Table], dict[str, np.ndarray], dict[int, str]],
    areas: tuple[dict[str, Table], bool, dict[int, int], dict[int, str]],
    components: tuple[Table, dict[int, str]] | None = None,
) -> Layers:
    tables, units_on_day, names = features
    area_tables, has_areas, area_unit, area_names = areas
    comp_tables, comp_names = ({"component": components[0]}, components[1]) if components else ({}, {})
    return Layers(
        {**tables, **area_tables, **comp_tables},
        has_areas=has_areas,
        unit_names={**names, **area_names, **comp_names},
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
    lon_a, lat_a, crs_a, wlon, wlat, days, cats, _bad, errors = prepare_points(
        [lon], [lat], crs, None if category is None else [category], [observed_at], config
    )
    if errors:
        raise InvalidInput([Problem(e.message, field=e.field) for e in errors])
    day = EPOCH + dt.timedelta(days=int(days[0]))
    order_code, order_table = rule_order(config, cats, 1)
    classes = component_classes(cats, 1)
    zone = int(utm_epsg(wlon, wlat)[0])
    x, y = float(wlon[0]), float(wlat[0])
    features = _features_around(session, x, y, day, config)
    grids = features[0]["grid"]
    components = _components_around(session, x, y, str(classes[0]), config) if classes[0] else None

    def decide(mode: str) -> tuple[Layers, Block]:
        layers = _one_off_layers(features, _areas_around(session, x, y, config, grids, mode), components)
        return layers, route_block(layers, zone, wlon, wlat, days, order_code, order_table, config, classes)

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
            return near_managed_area(near, lo, la, config)

        errs = far_errors(swapped_inside, lon_a, lat_a, np.array([0]), config)
        raise InvalidInput([Problem(e.message, field=e.field) for e in errs])
    batch = RoutingBatch(
        layers, config, lon_a, lat_a, crs_a, wlon, wlat, days, cats, order_code, order_table, block, []
    )
    result = batch.result(0)
    assert result is not None
    return result
