"""Bulk writes of spatial features into the store, the same way for SpatiaLite and PostGIS.

Importers (files, OpenStreetMap, the demo city) hand over validated GeoDataFrames in EPSG:4326; this module
resolves references (parent codes, community codes), computes metric lengths/areas, and inserts or updates rows
in one executemany per layer. It never commits: the caller's unit of work decides (all-or-nothing imports).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Insert, LargeBinary, Table, bindparam, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import Function

from gridmap.errors import InvalidInput, Problem
from gridmap.geo.crs import areas_m2, lengths_m
from gridmap.geo.shapes import to_multipolygons
from gridmap.store.dialect import dialect_of, wkb
from gridmap.store.models import SRID, Area, AreaLevel, Component, Compound, FeatureModel, Grid, Place, Segment


@dataclass(frozen=True)
class LayerSpec:
    """What an importable layer holds: its table, key, attribute fields and geometry family."""

    name: str
    label_zh: str
    model: FeatureModel
    key: str | None
    fields: tuple[str, ...]
    required: tuple[str, ...]
    geometry: str  # "polygon" | "line" | "point"
    area_level: str | None = None
    parent_field: str | None = None  # the field naming the parent area's code
    blank_ok: tuple[str, ...] = ()  # required columns whose value may be empty in a row (an unnamed road)
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()  # other column names a field is found by


LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec("districts", "区县", Area, "code", ("code", "name"), ("code", "name"), "polygon",
                  AreaLevel.DISTRICT),
        LayerSpec("streets", "街道", Area, "code", ("code", "name", "district_code"), ("code", "name"), "polygon",
                  AreaLevel.STREET, "district_code"),
        LayerSpec("communities", "社区", Area, "code", ("code", "name", "street_code"), ("code", "name"),
                  "polygon", AreaLevel.COMMUNITY, "street_code"),
        LayerSpec("grids", "单元网格", Grid, "code", ("code", "community_code", "valid_from"),
                  ("code", "community_code"), "polygon", None, "community_code"),
        LayerSpec("segments", "路段", Segment, "ext_id",
                  ("ext_id", "name", "level", "from_desc", "to_desc", "description"), ("name", "level"), "line",
                  blank_ok=("name",)),
        LayerSpec("compounds", "小区", Compound, "ext_id", ("ext_id", "name", "community_code", "households"),
                  ("name",), "polygon", None, "community_code"),
        LayerSpec("components", "部件", Component, "code", ("code", "class_code", "name", "owner"), ("class_code",),
                  "point"),
        LayerSpec("places", "考察点位", Place, "ext_id", ("ext_id", "name", "kind"), ("name", "kind"), "place",
                  aliases=(("kind", ("type", "类型", "点位类型")),)),
    )
}  # fmt: skip
"""Geometry families: polygon, line, point, and ``place`` — a point or a polygon (a market drawn as its outline)."""


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0


def _wkb(geoms: np.ndarray) -> list[bytes]:
    return list(shapely.to_wkb(geoms, output_dimension=2))


# Geometry goes in as raw WKB through the database's own parser: GeoAlchemy2's per-row bind processing
# (WKB → shapely → WKT on SpatiaLite) cost more than everything else in an import.
# (a plain Function: GeoAlchemy2's registered ST_GeomFromWKB renames itself for SpatiaLite once compiled there,
# and the renamed object then fails on PostGIS in the same process.)
_GEOM_FROM_WKB: Function[Any] = Function("ST_GeomFromWKB", bindparam("geom_wkb", type_=LargeBinary), literal(SRID))


_OUTLINE_FROM_WKB: Function[Any] = Function(
    "ST_GeomFromWKB", bindparam("outline_wkb", type_=LargeBinary), literal(SRID)
)  # a place's polygon (NULL for a point place: NULL in, NULL out)


def _geometry_values(table: Table) -> dict[str, Any]:
    if "outline" in table.c:
        return {"geom": _GEOM_FROM_WKB, "outline": _OUTLINE_FROM_WKB}
    return {"geom": _GEOM_FROM_WKB}


def _insert(table: Table) -> Insert:
    # No RETURNING: psycopg then sends one pipelined executemany instead of building huge multi-VALUES strings
    # (2× faster on PostGIS); callers that need ids look them up by key.
    return insert(table).values(**_geometry_values(table))


def _clean(value: object) -> object:
    """pandas missing values → None, numpy scalars → Python scalars (DBAPI drivers want plain types)."""
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def area_ids_by_code(session: Session, codes: set[str], level: str | None = None) -> dict[str, int]:
    stmt = select(Area.code, Area.id).where(Area.code.in_(sorted(codes)))
    if level:
        stmt = stmt.where(Area.level == level)
    return dict(session.execute(stmt).all())


def _parent_level(spec: LayerSpec) -> str | None:
    return {
        "streets": AreaLevel.DISTRICT,
        "communities": AreaLevel.STREET,
        "grids": AreaLevel.COMMUNITY,
        "compounds": AreaLevel.COMMUNITY,
    }.get(spec.name)


def resolve_parents(session: Session, spec: LayerSpec, gdf: gpd.GeoDataFrame) -> list[int | None]:
    """Parent/community ids for each row; raises naming every row whose code does not exist."""
    if not spec.parent_field or spec.parent_field not in gdf.columns:
        return [None] * len(gdf)
    raw = gdf[spec.parent_field]
    codes = {str(c) for c in raw.dropna()}
    found = area_ids_by_code(session, codes, _parent_level(spec))
    out: list[int | None] = []
    problems: list[Problem] = []
    for row_no, code in enumerate(raw, start=1):
        code = _clean(code)
        if code is not None and str(code) not in found:
            problems.append(
                Problem(f"{code!r} names no existing {_parent_level(spec)}", feature=row_no, field=spec.parent_field)
            )
        out.append(None if code is None else found.get(str(code)))
    if problems:
        raise InvalidInput(problems)
    return out


def write_features(
    session: Session,
    layer: str,
    gdf: gpd.GeoDataFrame,
    *,
    source: str | None = None,
    valid_from: dt.date | None = None,
) -> WriteResult:
    """Insert (or update, matching on the layer's key) validated EPSG:4326 features. Does not commit."""
    spec = LAYERS[layer]
    if len(gdf) == 0:
        return WriteResult()
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    measure: dict[str, np.ndarray] = {}
    extra: dict[str, Sequence[object]] = {}
    if spec.geometry == "polygon":
        geoms = to_multipolygons(geoms)
        measure = {"area_m2": areas_m2(geoms)}
    elif spec.geometry == "line":
        measure = {"length_m": lengths_m(geoms)}
    elif spec.geometry == "place":
        geoms, extra = _place_columns(session, geoms)
    parents = resolve_parents(session, spec, gdf)
    n = len(gdf)
    # Build the rows column by column (one conversion per column, not one DataFrame lookup per cell).
    columns: dict[str, Sequence[object]] = {"geom_wkb": _wkb(geoms), **extra}
    for f in spec.fields:
        if f in gdf.columns and f not in (spec.parent_field, "valid_from", "owner"):
            columns[f] = [_clean(v) for v in gdf[f].tolist()]
    if "owner_unit_id" in gdf.columns:  # resolved by the importer (gridmap.imports.attribute_checks.check_owners)
        columns["owner_unit_id"] = [_clean(v) for v in gdf["owner_unit_id"].tolist()]
    for k, values in measure.items():
        columns[k] = values.astype(float).tolist()
    if spec.area_level:
        columns["level"] = [str(spec.area_level)] * n
        columns["parent_id"] = parents
    elif spec.parent_field:
        columns["community_id"] = parents
    if spec.model in (Segment, Compound, Component, Place):
        columns["source"] = [source] * n
    if spec.model is Grid:
        given = [_clean(v) for v in gdf["valid_from"].tolist()] if "valid_from" in gdf.columns else [None] * n
        default_from = valid_from or dt.date.today()
        columns["valid_from"] = [_as_date(v) or default_from for v in given]
        columns["version"] = [1] * n
    names = list(columns)
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    return _upsert(session, spec, rows)


def _place_columns(session: Session, geoms: np.ndarray) -> tuple[np.ndarray, dict[str, Sequence[object]]]:
    """A place's point (a polygon's point on surface: always inside it), its outline, area and the 街道/社区 that
    contain the point (communities of the store, one STRtree query for the whole batch; none outside them)."""
    polygonal = shapely.get_dimensions(geoms) == 2
    outline = np.full(len(geoms), None, dtype=object)
    outline[polygonal] = to_multipolygons(geoms[polygonal])
    points = geoms.copy()
    points[polygonal] = shapely.point_on_surface(outline[polygonal])
    area: list[object] = [None] * len(geoms)
    if polygonal.any():
        for i, a in zip(np.flatnonzero(polygonal), areas_m2(outline[polygonal]), strict=True):
            area[int(i)] = float(a)
    rows = session.execute(
        select(Area.id, Area.parent_id, wkb(Area.geom).label("wkb")).where(Area.level == AreaLevel.COMMUNITY)
    ).all()
    community: list[int | None] = [None] * len(geoms)
    street: list[int | None] = [None] * len(geoms)
    if rows:
        tree = shapely.STRtree(shapely.from_wkb([bytes(r.wkb) for r in rows]))
        hit_point, hit_area = tree.query(points, predicate="intersects")
        for p, a in zip(hit_point[::-1], hit_area[::-1], strict=True):  # the first community wins on a shared edge
            community[int(p)], street[int(p)] = rows[int(a)].id, rows[int(a)].parent_id
    wkbs: list[object] = [None] * len(geoms)
    for i in np.flatnonzero(polygonal):
        wkbs[int(i)] = shapely.to_wkb(outline[i], output_dimension=2)
    return points, {"outline_wkb": wkbs, "area_m2": area, "community_id": community, "street_id": street}


def insert_grid_rows(session: Session, rows: list[dict[str, object]]) -> None:
    """Insert grid rows as given (``code``, ``community_id``, ``version``, ``valid_from``, ``area_m2``, ``geom_wkb``).

    For callers that decide versions themselves (grid generation); importers use :func:`write_features`.
    """
    if rows:
        session.connection().execute(_insert(Grid.__table__), rows)


def _as_date(value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


_KEYS_PER_QUERY = 30_000  # bound parameters per lookup: psycopg refuses more than 65,535 in one statement


def _existing_ids(session: Session, spec: LayerSpec, key: str, keys: list[object]) -> dict[object, int]:
    model = spec.model
    key_col = getattr(model, key)
    wanted = [k for k in keys if k is not None]
    found: dict[object, int] = {}
    for start in range(0, len(wanted), _KEYS_PER_QUERY):  # a 150,000-segment layer is five lookups
        stmt = select(key_col, model.id).where(key_col.in_(wanted[start : start + _KEYS_PER_QUERY]))
        if model is Grid:
            stmt = stmt.where(Grid.valid_to.is_(None))
        found.update(session.execute(stmt).all())
    return found


def _upsert(session: Session, spec: LayerSpec, rows: list[dict[str, object]]) -> WriteResult:
    table = spec.model.__table__
    key = spec.key
    existing: dict[object, int] = {}
    if key:
        keys = [r.get(key) for r in rows]
        existing = _existing_ids(session, spec, key, keys) if any(k is not None for k in keys) else {}
    new_rows = [r for r in rows if r.get(key) not in existing] if key else rows
    old_rows = [r for r in rows if key and r.get(key) in existing]
    result = WriteResult(created=len(new_rows), updated=len(old_rows))
    if key and old_rows:  # (only a layer with a key has old rows)
        if spec.model is Grid:
            # A re-drawn grid is a new version: the old one keeps its history (valid_to), never overwritten.
            # A grid whose geometry did not change keeps its version.
            redrawn = _changed_geometry(session, old_rows, existing)
            old_rows = [r for r in old_rows if r["code"] not in redrawn]
            new_versions = [r for r in rows if r.get("code") in redrawn]
            _new_grid_versions(session, new_versions, existing)
        if old_rows:
            cols = [c for c in old_rows[0] if c not in (key, "version", "valid_from")]
            sets: dict[str, Any] = {c: bindparam(c) for c in cols if c not in ("geom_wkb", "outline_wkb")}
            stmt = update(table).where(table.c.id == bindparam("_id")).values({**sets, **_geometry_values(table)})
            # Only the SET columns: Core would also SET any other key that names a column.
            payload = [{**{c: r[c] for c in cols}, "_id": existing[r[key]]} for r in old_rows]
            session.connection().execute(stmt, payload)
    if new_rows:
        session.connection().execute(_insert(table), new_rows)
    return result


def _changed_geometry(session: Session, rows: list[dict[str, Any]], existing: dict[object, int]) -> set[str]:
    """Codes of grids whose new geometry differs from the stored current version (compared as normalised WKB)."""
    ids = [existing[r["code"]] for r in rows]
    stored: dict[int, bytes] = dict(session.execute(select(Grid.id, wkb(Grid.geom)).where(Grid.id.in_(ids))).all())
    old = shapely.normalize(shapely.from_wkb([bytes(stored[i]) for i in ids]))
    new = shapely.normalize(shapely.from_wkb([r["geom_wkb"] for r in rows]))
    same = shapely.equals_exact(old, new, tolerance=1e-9)
    return {str(r["code"]) for r, keep in zip(rows, same, strict=True) if not keep}


def _new_grid_versions(session: Session, rows: list[dict[str, object]], existing: dict[object, int]) -> None:
    if not rows:
        return
    old_ids = [existing[r["code"]] for r in rows]
    versions = dict(session.execute(select(Grid.id, Grid.version).where(Grid.id.in_(old_ids))).all())
    conn = session.connection()
    closes = [{"_id": existing[r["code"]], "_to": r["valid_from"]} for r in rows]
    conn.execute(
        update(Grid.__table__).where(Grid.__table__.c.id == bindparam("_id")).values(valid_to=bindparam("_to")),
        closes,
    )
    for r in rows:
        r["version"] = versions[existing[r["code"]]] + 1
    conn.execute(_insert(Grid.__table__), rows)


POINT_COLUMNS = ("code", "class_code", "name", "owner_unit_id")  # a component's attributes, as imported


def write_points(
    session: Session, layer: str, gdf: gpd.GeoDataFrame, *, source: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> WriteResult:  # fmt: skip
    """Write a point layer (components 部件, millions of rows) in one pass: rows whose key is stored are updated
    as by :func:`write_features`; the new ones are inserted with reserved ids inside the database's bulk load
    (:meth:`gridmap.store.dialect.Dialect.bulk_load`: SpatiaLite's per-row triggers set aside and its R*Tree
    packed once; COPY on PostGIS). Does not commit."""
    spec = LAYERS[layer]
    n = len(gdf)
    if n == 0:
        return WriteResult()
    key = spec.key
    keys: list[object] = [_clean(v) for v in gdf[key].tolist()] if key and key in gdf.columns else [None] * n
    stored = session.scalar(select(spec.model.id).limit(1)) is not None  # a first import looks nothing up
    existing = _existing_ids(session, spec, key, keys) if key and stored and any(k is not None for k in keys) else {}
    is_old = np.fromiter((k is not None and k in existing for k in keys), dtype=bool, count=n)
    result = WriteResult()
    if is_old.any():
        result = write_features(session, layer, gdf[is_old], source=source)
        if progress:
            progress(int(is_old.sum()))
    new = gdf[~is_old]
    k = len(new)
    if k == 0:
        return result
    columns = [c for c in POINT_COLUMNS if c in new.columns]
    values = [new[c].tolist() for c in columns]  # as the import's checks made them: str, int or None
    conn = session.connection()
    dialect = dialect_of(conn)
    ids = dialect.reserve_ids(session, spec.model.__tablename__, k)
    geoms = np.asarray(new.geometry.values, dtype=object)
    lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)
    rows = list(zip(ids.tolist(), *values, [source] * k, strict=True))
    table = spec.model.__tablename__

    def new_points() -> tuple[list[int], list[float], list[float]]:
        return ids.tolist(), lon.tolist(), lat.tolist()

    with dialect.bulk_load(conn, (table,), k, new_points, None):
        dialect.insert_points(conn, table, ("id", *columns, "source"), rows, lon, lat)
    if k >= 10_000:  # a load this big may change which index a query of the layer should use
        dialect.refresh_statistics(conn, table)
    if progress:
        progress(k)
    return WriteResult(created=result.created + k, updated=result.updated)
