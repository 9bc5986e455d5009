"""Which collections are tiled, from which zoom, with which attributes — and one tile of one collection.

Every feature carries ``id`` (also the MVT feature id), ``name``, ``kind`` and the responsible unit as of the day
asked (``unit_id``, ``unit_name``; assignable layers also ``responsibility``: assigned / ending / unassigned, the
map's colour): the same join on ``assignments`` as :mod:`gridmap.maps.layers`, in the tile's one statement.
Below a layer's :attr:`TileLayer.min_zoom` a tile is empty (the map shows a hint or an aggregate there); above it,
shapes smaller than :data:`MIN_PIXELS` screen pixels are left out and the rest simplified by half a pixel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from gridmap.accounts.scope import Scope
from gridmap.cases.states import ACTIVE
from gridmap.maps.layers import COLLECTIONS, ENDING_SOON_DAYS, collection
from gridmap.store.dialect import TileFrame, dialect_of
from gridmap.store.models import Area, Assignment, Case, Category, Component, Grid, Role, Unit, UnitKind, in_force
from gridmap.tiles.encode import encode_layer
from gridmap.tiles.quad import metres_per_pixel, tile_bounds_3857, tile_bounds_lonlat

EXTENT = 4096  # tile units per tile side (MVT's usual 4096: 16 units a screen pixel)
BUFFER = 64  # tile units drawn beyond each edge, so lines and outlines join across tiles (4 screen pixels)
MIN_PIXELS = 2.0  # a line shorter, or a polygon narrower (√area), than this many screen pixels is left out
SIMPLIFY_PX = 0.5  # shapes are simplified by half a screen pixel


@dataclass(frozen=True)
class TileLayer:
    """A tiled collection: its minimum zoom and where its name, kind and size come from."""

    collection: str
    min_zoom: int
    name_column: str | None  # what a person calls a feature (a grid: its code)
    size_column: str | None  # length_m / area_m2: tiny features are left out at low zoom
    description_zh: str
    description_en: str

    @property
    def geometry(self) -> str:
        return COLLECTIONS[self.collection].geometry


COMPONENTS_MIN_ZOOM = 16
"""The components' tiles start at z16 (a tile ~490 m wide near 37°N), which the map draws from its zoom 17 (street
level; protomaps draws a z tile at map zoom z + 1): a dense inventory holds a few thousand 部件 there."""

# Minimum zooms: at z13 a tile is ~3.5 km wide near 37°N — a 社区's roads; below it a 街道's tile of a 40× city
# holds tens of thousands of segments (the aggregates per 街道/社区 are drawn there instead).
TILE_LAYERS: dict[str, TileLayer] = {
    t.collection: t
    for t in (
        TileLayer("communities", 10, "name", "area_m2", "社区边界", "community outlines"),
        TileLayer("grids", 14, "code", "area_m2", "单元网格（按责任状态）", "unit grids by responsibility"),
        TileLayer("compounds", 13, "name", "area_m2", "小区（按责任状态）", "compounds by responsibility"),
        TileLayer("segments", 13, "name", "length_m", "路段（按责任状态）", "road segments by responsibility"),
        TileLayer("cases", 12, None, None, "在办案件", "cases being handled"),
        # 部件 are points metres apart (a city holds millions): drawn only at street level
        TileLayer("components", COMPONENTS_MIN_ZOOM, None, None, "部件（按权属单位）", "components by owner"),
    )
}


def tile_layer(collection_id: str) -> TileLayer:
    """The tiled collection, or NotFound naming those there are."""
    coll = collection(collection_id)  # NotFound for an unknown collection
    layer = TILE_LAYERS.get(coll.id)
    if layer is None:
        from gridmap.errors import NotFound

        raise NotFound(
            f"collection {collection_id!r} has no vector tiles: tiled are {', '.join(TILE_LAYERS)}",
            zh=f"图层 {collection_id} 不提供矢量瓦片（提供的有：{'、'.join(TILE_LAYERS)}）",
        )
    return layer


def frame_for(z: int, x: int, y: int) -> TileFrame:
    """The tile's frame: bounds, extent, buffer and the simplification tolerance for its zoom."""
    return TileFrame(tile_bounds_3857(z, x, y), EXTENT, BUFFER, SIMPLIFY_PX * metres_per_pixel(z))


def _responsibility(a: Any, on: dt.date) -> Any:
    soon = on + dt.timedelta(days=ENDING_SOON_DAYS)
    return case(
        (a.c.unit_id.is_(None), literal("unassigned")),
        (and_(a.c.valid_to.is_not(None), a.c.valid_to <= soon), literal("ending")),
        else_=literal("assigned"),
    )


def _statement(layer: TileLayer, geom: Any, z: int, on: dt.date, now: dt.datetime) -> Any:
    """SELECT id, geom, the attributes FROM the layer, with the responsible unit as of ``on``."""
    coll = COLLECTIONS[layer.collection]
    model = coll.model
    t = model.__table__
    fid = t.c.id.label("fid")
    if coll.target_kind:
        a, u = Assignment.__table__.alias("resp"), Unit.__table__.alias("resp_unit")
        held = and_(
            a.c.target_kind == coll.target_kind,
            a.c.target_id == t.c.id,
            a.c.role == Role.RESPONSIBLE.value,
            a.c.unit_id.is_not(None),
            in_force(a, on),
        )
        kind = t.c.level if layer.collection == "segments" else literal(coll.target_kind)
        return select(
            fid, geom.label("geom"), t.c.id.label("id"), t.c[layer.name_column or "id"].label("name"),
            kind.label("kind"),
            a.c.unit_id.label("unit_id"), u.c.name.label("unit_name"), _responsibility(a, on).label("responsibility"),
        ).select_from(t.outerjoin(a, held).outerjoin(u, u.c.id == a.c.unit_id))  # fmt: skip
    if model is Area:
        # the unit standing for the area (as gridmap.responsibility.history.area_units prefers it), in SQL
        pick = (
            select(Unit.id)
            .where(Unit.area_id == t.c.id)
            .order_by(case((Unit.kind == UnitKind.COMMUNITY.value, 0), else_=1), Unit.id)
            .limit(1)
            .scalar_subquery()
        )
        u = Unit.__table__.alias("area_unit")
        return select(
            fid, geom.label("geom"), t.c.id.label("id"), t.c.name.label("name"), t.c.level.label("kind"),
            u.c.id.label("unit_id"), u.c.name.label("unit_name"),
        ).select_from(t.outerjoin(u, u.c.id == pick))  # fmt: skip
    if model is Component:  # the class's name (category BJ + class code), the class code, the owner 权属单位
        return (
            select(
                fid, geom.label("geom"), Component.id.label("id"),
                func.coalesce(Category.name_zh, Component.class_code).label("name"),
                Component.class_code.label("kind"), Component.code.label("code"),
                Component.owner_unit_id.label("unit_id"), Unit.name.label("unit_name"),
            )
            .join(Unit, Unit.id == Component.owner_unit_id, isouter=True)
            .join(Category, Category.code == "BJ" + Component.class_code, isouter=True)
        )  # fmt: skip
    # cases: the category's name, the unit handling it, whether it is past its deadline now
    return (
        select(
            fid, geom.label("geom"), Case.id.label("id"), Category.name_zh.label("name"), Case.category.label("kind"),
            Case.unit_id.label("unit_id"), Unit.name.label("unit_name"), Case.status.label("status"),
            (Case.deadline_at < now).label("overdue"),
        )
        .join(Unit, Unit.id == Case.unit_id, isouter=True)
        .join(Category, Category.code == Case.category, isouter=True)
    )  # fmt: skip


def _conditions(session: Session, layer: TileLayer, z: int, x: int, y: int, on: dt.date, scope: Scope | None):
    coll = COLLECTIONS[layer.collection]
    model = coll.model
    box = tile_bounds_lonlat(z, x, y, margin=BUFFER / EXTENT)
    conds: list[Any] = [dialect_of(session).bbox_filter(model, box)]
    if coll.area_level:
        conds.append(Area.level == coll.area_level)
    if model is Grid:
        conds.append(in_force(Grid, on))
    if model is Case:
        conds.append(Case.status.in_(sorted(ACTIVE)))
    if layer.size_column:
        px = MIN_PIXELS * metres_per_pixel(z) * 0.8  # Web-Mercator metres are ~1.25× ground metres near 37°N
        size = getattr(model, layer.size_column)
        conds.append(func.coalesce(size, px * px) >= (px if layer.geometry == "line" else px * px))
    if scope is not None:
        conds.extend(scope.feature_filter(model, session))
    return conds


def render_tile(
    session: Session, collection_id: str, z: int, x: int, y: int, *, at: dt.date | None = None,
    scope: Scope | None = None, now: dt.datetime | None = None,
) -> bytes:  # fmt: skip
    """Tile ``z/x/y`` of a collection as MVT bytes (one layer named after the collection; b"" when empty)."""
    layer = tile_layer(collection_id)
    if z < layer.min_zoom:
        return b""
    on = at or dt.date.today()
    now = now or dt.datetime.now(dt.UTC)
    frame = frame_for(z, x, y)
    dialect = dialect_of(session)
    model = COLLECTIONS[layer.collection].model
    stmt = _statement(layer, dialect.tile_geometry(model.geom, frame), z, on, now)
    stmt = stmt.where(*_conditions(session, layer, z, x, y, on, scope))

    def encode(rows: list[Any]) -> bytes:
        attrs = [{k: v for k, v in r._mapping.items() if k not in ("fid", "geom")} for r in rows]
        return encode_layer(layer.collection, [r.fid for r in rows], [bytes(r.geom) for r in rows], attrs, frame)

    return dialect.mvt_layer(session, stmt, layer.collection, frame, encode)


def fields_of(collection_id: str) -> dict[str, str]:
    """The attributes of a tiled collection's features and their meaning (TileJSON ``vector_layers[].fields``)."""
    coll = COLLECTIONS[tile_layer(collection_id).collection]
    fields = {"id": "Number: the feature's id (as in /items/{id})", "name": "String", "kind": "String",
              "unit_id": "Number: the responsible unit", "unit_name": "String"}  # fmt: skip
    if coll.target_kind:
        fields["kind"] = "String: the road level (segments) or the kind of feature"
        fields["responsibility"] = "String: assigned / ending / unassigned on the day asked"
    elif coll.id == "components":
        fields.update(kind="String: the component class code (0101 = category BJ0101)", name="String: the class",
                      code="String: the component's code", unit_id="Number: the owner unit (权属单位)")  # fmt: skip
    elif coll.id == "cases":
        fields.update(kind="String: the category code", name="String: the category", status="String",
                      unit_id="Number: the unit handling it", overdue="Boolean: past its deadline")  # fmt: skip
    else:
        fields["kind"] = "String: the area level"
    return fields


def version_tag(session: Session, collection_id: str, on: dt.date, scope: Scope | None) -> str | None:
    """What a collection's tiles depend on besides ``z/x/y``, as a short text (an ETag): the layers' change counter,
    the day and the reader's scope. None for cases, which change without the layers counter moving (their ETag is
    the tile's content then)."""
    if tile_layer(collection_id).collection == "cases":
        return None
    from gridmap.store.change_counters import counters_now

    n = counters_now(session).get("layers", 0)
    who = "all" if scope is None else f"a{scope.area_id}u{scope.unit_id}"
    return f"{collection_id}-{n}-{on.isoformat()}-{who}"
