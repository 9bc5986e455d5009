"""Map layers: features by bounding box and zoom, with their responsible unit as of a day (the read side of the map).

The web layer speaks OGC API – Features on top of this module (:mod:`gridmap.web.ogc`); the map pages fetch the
same collections. Everything here takes a session and plain values and returns plain data.

* :data:`COLLECTIONS` — what can be served: ``segments``, ``compounds``, ``grids`` (the assignable layers, which
  carry ``unit_id``/``unit_name``/``responsibility``), ``communities``, ``streets``, ``places``, ``components``
  (部件, with their class's name and their owner 权属单位 as ``unit_id``/``unit_name``) and ``cases``.
* :func:`parse_items_query` — validates ``bbox``/``limit``/``cursor``/``offset``/``at``/``zoom``/``unit_id``/``status``,
  collecting every problem into one :class:`~gridmap.errors.InvalidInput`.
* :func:`query_items` / :func:`get_item` — one page of features as GeoJSON-ready dicts (geometry simplified for the
  zoom with vectorised shapely, coordinates rounded to what the zoom can show).

The only SQL that differs between SpatiaLite and PostGIS here is the bounding-box filter, which lives with the
project's other dialect differences in :mod:`gridmap.store.dialect` (SpatiaLite's R*Tree named directly, PostGIS GiST)
— and the extent, read from the R*Tree on SpatiaLite (:func:`extent`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from gridmap.accounts.scope import Scope
from gridmap.cases.deadlines import progress_of
from gridmap.cases.states import ACTIVE
from gridmap.catalogue.working_calendar import WorkingCalendar
from gridmap.errors import Forbidden, InvalidInput, NotFound, Problem
from gridmap.inputs import id_in_text, parse_day, parse_int
from gridmap.responsibility.history import area_units
from gridmap.store.dialect import dialect_of, wkb
from gridmap.store.models import (
    Area,
    Assignment,
    Case,
    CaseStatus,
    Category,
    Component,
    FeatureModel,
    Grid,
    Place,
    Role,
    Unit,
    in_force,
)
from gridmap.store.targets import TARGETS

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
ENDING_SOON_DAYS = 30
ACTIVE_CASE_STATUSES = tuple(sorted(ACTIVE))  # a case still in the loop (shown on the map)
_M_PER_DEG = 111_320.0
_WEB_MERCATOR_M_PER_PX_Z0 = 156_543.03  # metres per pixel at zoom 0 on the equator (256-px tiles)


@dataclass(frozen=True)
class Collection:
    """A layer served to maps and to OGC API – Features clients."""

    id: str
    title_zh: str
    title_en: str
    model: FeatureModel | type[Case]
    target_kind: str | None  # the assignment target kind of an assignable layer
    geometry: str  # "polygon" | "line" | "point"
    area_level: str | None = None
    properties: tuple[str, ...] = field(default=())

    @property
    def table(self) -> str:
        return self.model.__tablename__


TARGET_PROPERTIES = {
    "segment": ("name", "level", "length_m", "from_desc", "to_desc"),
    "compound": ("name", "households", "area_m2", "community_id"),
    "grid": ("code", "version", "valid_from", "valid_to", "community_id", "area_m2"),
}  # what each assignable layer shows of its features

COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        *(
            Collection(t.collection, t.title_zh, t.title_en, t.model, t.kind, t.geometry,
                       properties=TARGET_PROPERTIES[t.kind])
            for t in TARGETS.values()
        ),
        Collection("communities", "社区", "Communities (社区)", Area, None, "polygon", "community",
                   properties=("code", "name", "parent_id", "area_m2")),
        Collection("streets", "街道", "Sub-districts (街道)", Area, None, "polygon", "street",
                   properties=("code", "name", "parent_id", "area_m2")),
        Collection("places", "考察点位", "Field points (markets, parks, sites…)", Place, None, "point",
                   properties=("ext_id", "name", "kind", "street_id", "community_id", "area_m2")),
        Collection("components", "部件", "Components (部件: manhole covers, lamps, bins…)", Component, None, "point",
                   properties=("code", "class_code", "name", "owner_unit_id")),
        Collection("cases", "案件", "Cases", Case, None, "point",
                   properties=("status", "category", "urgency", "description", "address", "deadline_at",
                               "created_at", "matched_kind", "matched_id", "street_id", "community_id")),
    )
}  # fmt: skip


def collection(collection_id: str) -> Collection:
    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        raise NotFound(f"no collection {collection_id!r}: the collections are {', '.join(COLLECTIONS)}") from None


# -- query parameters --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemsQuery:
    bbox: tuple[float, float, float, float] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    cursor: int | None = None  # keyset paging: the features after this id (the next link's cursor)
    at: dt.date | None = None
    zoom: float | None = None
    unit_id: int | None = None
    status: tuple[str, ...] = ()
    properties: tuple[str, ...] | None = None  # None: all attribute properties of the collection
    scope: Scope | None = None  # the reader's scope: only what lies in it (set by the server, never a parameter)
    calendar: WorkingCalendar | None = None  # cases: their traffic light counts working time (set by the server)

    def on(self) -> dt.date:
        return self.at or dt.date.today()


def _parse_bbox(raw: str, problems: list[Problem]) -> tuple[float, float, float, float] | None:
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) != 4:
        problems.append(Problem(f"{raw!r}: give four numbers minLon,minLat,maxLon,maxLat", field="bbox"))
        return None
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        problems.append(Problem(f"{raw!r}: every value must be a number", field="bbox"))
        return None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        problems.append(Problem(f"{raw!r}: values must be finite numbers", field="bbox"))
        return None
    ok = True
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        problems.append(Problem(f"{raw!r}: longitudes must lie within -180..180", field="bbox"))
        ok = False
    if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        problems.append(Problem(f"{raw!r}: latitudes must lie within -90..90", field="bbox"))
        ok = False
    if ok and (minx > maxx or miny > maxy):
        problems.append(Problem(f"{raw!r} is inverted: the minimum must not exceed the maximum", field="bbox"))
        ok = False
    return (minx, miny, maxx, maxy) if ok else None


def parse_items_query(args: Mapping[str, Any], collection_properties: Iterable[str] | None = None) -> ItemsQuery:
    """Validate the query parameters of an items request; every problem is reported at once.

    ``properties`` (a comma list) chooses which attribute properties to return (``collection_properties`` are the
    allowed names); the responsibility properties of assignable layers always come.
    """
    problems: list[Problem] = []
    bbox = _parse_bbox(str(args["bbox"]), problems) if args.get("bbox") not in (None, "") else None
    limit = DEFAULT_LIMIT
    if args.get("limit") not in (None, ""):
        limit = parse_int(args["limit"], "limit", problems, lo=1) or DEFAULT_LIMIT
        limit = min(limit, MAX_LIMIT)  # a larger page is capped, as OGC API – Features allows
    offset = 0
    if args.get("offset") not in (None, ""):
        offset = parse_int(args["offset"], "offset", problems, lo=0) or 0
    cursor = None
    if args.get("cursor") not in (None, ""):
        cursor = parse_int(args["cursor"], "cursor", problems, lo=0)
    at = parse_day(args.get("at") or args.get("datetime"), "at", problems)
    zoom = None
    if args.get("zoom") not in (None, ""):
        try:
            zoom = float(str(args["zoom"]))
            if not 0 <= zoom <= 24:
                problems.append(Problem(f"{args['zoom']!r} must lie within 0..24", field="zoom"))
                zoom = None
        except ValueError:
            problems.append(Problem(f"{args['zoom']!r} is not a number", field="zoom"))
    unit_id = None
    if args.get("unit_id") not in (None, ""):
        unit_id = parse_int(args["unit_id"], "unit_id", problems, lo=1)
    status: tuple[str, ...] = ()
    if args.get("status") not in (None, ""):
        wanted: list[str] = []
        for s in (s.strip() for s in str(args["status"]).split(",")):
            wanted += list(ACTIVE_CASE_STATUSES) if s == "active" else [s] if s else []
        allowed = {s.value for s in CaseStatus}
        for s in wanted:
            if s not in allowed:
                problems.append(Problem(f"{s!r} is not one of active, {', '.join(sorted(allowed))}", field="status"))
        status = tuple(wanted)
    properties: tuple[str, ...] | None = None
    if args.get("properties") is not None:
        properties = tuple(p.strip() for p in str(args["properties"]).split(",") if p.strip())
        known = set(collection_properties) if collection_properties is not None else None
        for p in properties:
            if known is not None and p not in known:
                problems.append(Problem(f"{p!r} is not one of {', '.join(sorted(known))}", field="properties"))
    if problems:
        raise InvalidInput(problems)
    return ItemsQuery(
        bbox=bbox,
        limit=limit,
        offset=offset,
        cursor=cursor,
        at=at,
        zoom=zoom,
        unit_id=unit_id,
        status=status,
        properties=properties,
    )


# -- conditions --------------------------------------------------------------------------------------------------


def _responsible_filter(kind: str, on: dt.date, unit_id: int):
    held = select(Assignment.target_id).where(
        Assignment.target_kind == kind,
        Assignment.role == Role.RESPONSIBLE.value,
        Assignment.unit_id == unit_id,
        in_force(Assignment, on),
    )
    return held


def _conditions(session: Session, coll: Collection, q: ItemsQuery) -> list[Any]:
    model = coll.model
    conds: list[Any] = []
    if coll.area_level:
        conds.append(Area.level == coll.area_level)
    if model is Grid:
        conds.append(in_force(Grid, q.on()))
    if q.bbox is not None:
        conds.append(dialect_of(session).bbox_intersects(coll.model, q.bbox))
    if q.unit_id is not None:
        if coll.target_kind:
            conds.append(model.id.in_(_responsible_filter(coll.target_kind, q.on(), q.unit_id)))
        elif model is Case:
            conds.append(Case.unit_id == q.unit_id)
        else:
            conds.append(Area.id.in_(select(Unit.area_id).where(Unit.id == q.unit_id)))
    if q.status and model is Case:
        conds.append(Case.status.in_(q.status))
    if q.scope is not None:
        conds.extend(q.scope.feature_filter(model, session))
    return conds


# -- geometry ----------------------------------------------------------------------------------------------------


def tolerance_deg(zoom: float, lat: float) -> float:
    """Half a screen pixel at ``zoom`` (Web Mercator) near latitude ``lat``, in degrees.

    >>> round(tolerance_deg(12, 37.5) * _M_PER_DEG, 1)
    15.2
    """
    metres = _WEB_MERCATOR_M_PER_PX_Z0 * math.cos(math.radians(lat)) / 2**zoom / 2
    return metres / _M_PER_DEG


def shape_for_zoom(geoms: np.ndarray, zoom: float | None, lat: float) -> np.ndarray:
    """Simplify (vectorised) for ``zoom`` and round coordinates to what it can show; no zoom: 1e-7° (~1 cm)."""
    if zoom is None:
        return shapely.set_precision(geoms, 1e-7, mode="pointwise")
    tol = tolerance_deg(zoom, lat)
    if zoom < 18:
        # Douglas-Peucker without topology repair (4× faster); a shape it would erase keeps its full outline.
        simple = shapely.simplify(geoms, tol, preserve_topology=False)
        lost = shapely.is_empty(simple) & ~shapely.is_empty(geoms)
        simple[lost] = geoms[lost]
        geoms = simple
    grid = 10 ** math.floor(math.log10(tol / 2))  # a power of ten below the tolerance
    return shapely.set_precision(geoms, max(grid, 1e-7), mode="pointwise")


# -- reading features --------------------------------------------------------------------------------------------


@dataclass
class Features:
    """Features as parallel lists: ids, GeoJSON geometry strings (from shapely, never re-parsed) and properties."""

    ids: list[int]
    geometries: list[str]
    properties: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.ids)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [
            {"type": "Feature", "id": i, "geometry": json.loads(g), "properties": p}
            for i, g, p in zip(self.ids, self.geometries, self.properties, strict=True)
        ]

    def json_parts(self) -> Iterable[str]:
        """Each feature as a JSON text (for streaming a FeatureCollection without building it twice)."""
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        for i, g, p in zip(self.ids, self.geometries, self.properties, strict=True):
            yield f'{{"type":"Feature","id":{i},"geometry":{g},"properties":{dumps(p)}}}'


@dataclass
class FeaturePage:
    collection: str
    items: Features
    number_matched: int | None  # None: not known without counting (OGC lets a server leave it out)
    limit: int
    offset: int
    at: dt.date
    next_cursor: int | None = None  # the cursor of the next page; None: this is the last

    @property
    def number_returned(self) -> int:
        return len(self.items)

    @property
    def features(self) -> list[dict[str, Any]]:
        return self.items.as_dicts()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):  # stored in UTC (naive from SQLite): always with its offset
        return (value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 2)
    return value


# properties whose values need converting for JSON (dates, floats to round)
_CONVERTED = frozenset({"length_m", "area_m2", "valid_from", "valid_to", "deadline_at", "created_at"})


def _columns(coll: Collection) -> list[Any]:
    model = coll.model
    cols = [model.id, wkb(model.geom).label("wkb")]
    cols += [getattr(model, p) for p in coll.properties]
    return cols


def _select(coll: Collection, on: dt.date):
    stmt = select(*_columns(coll))
    if coll.target_kind:
        # The responsible unit as of ``on`` in the same statement (one LEFT JOIN on ix_assignments_target) rather
        # than a second query with thousands of ids. Assignment periods never overlap (registry/assignments check).
        a, u, t = Assignment.__table__.alias("resp"), Unit.__table__.alias("resp_unit"), coll.model.__table__
        held = and_(
            a.c.target_kind == coll.target_kind,
            a.c.target_id == t.c.id,
            a.c.role == Role.RESPONSIBLE.value,
            a.c.unit_id.is_not(None),
            in_force(a, on),
        )
        stmt = stmt.add_columns(
            a.c.unit_id.label("resp_unit_id"), u.c.name.label("resp_unit_name"), a.c.valid_to.label("resp_valid_to")
        ).select_from(t.outerjoin(a, held).outerjoin(u, u.c.id == a.c.unit_id))
    if coll.model is Component:  # the class's name (category BJ + class code) and the owner 权属单位
        owner, cls = Unit.__table__.alias("owner"), Category.__table__.alias("cls")
        stmt = stmt.add_columns(owner.c.name.label("owner_name"), cls.c.name_zh.label("class_name")).select_from(
            Component.__table__.outerjoin(owner, owner.c.id == Component.owner_unit_id).outerjoin(
                cls, cls.c.code == "BJ" + Component.class_code
            )
        )
    if coll.model is Case:
        stmt = stmt.add_columns(
            Unit.name.label("unit_name"), Case.unit_id, Category.name_zh.label("category_name"),
            Case.deadline_at.label("light_deadline_at"), Case.limit_seconds, Case.deadline_unit, Case.paused_at,
            Case.closed_at, Case.status.label("light_status"),
        )  # fmt: skip
        stmt = stmt.join(Unit, Unit.id == Case.unit_id, isouter=True).join(
            Category, Category.code == Case.category, isouter=True
        )
    return stmt


def responsibility_state(entry: dict[str, Any] | None, on: dt.date) -> str:
    """``unassigned``, ``ending`` (its period ends within :data:`ENDING_SOON_DAYS`) or ``assigned``."""
    if entry is None:
        return "unassigned"
    end = entry.get("valid_to")
    if end is not None and end <= on + dt.timedelta(days=ENDING_SOON_DAYS):
        return "ending"
    return "assigned"


def _features(session: Session, coll: Collection, rows: Sequence[Any], q: ItemsQuery) -> Features:
    if not rows:
        return Features([], [], [])
    on = q.on()
    wkb = [bytes(r.wkb) for r in rows]
    geoms = shapely.from_wkb(wkb)
    lat = float(np.nanmean(shapely.bounds(geoms)[:, [1, 3]])) if len(geoms) else 0.0
    geoms = shape_for_zoom(geoms, q.zoom, lat)
    geojson = shapely.to_geojson(geoms)
    ids = [r.id for r in rows]
    area_unit = area_units(session, ids) if coll.area_level else {}
    wanted = coll.properties if q.properties is None else tuple(p for p in coll.properties if p in q.properties)
    convert = [p for p in wanted if p in _CONVERTED]
    out = []
    for r in rows:
        m = r._mapping
        props = {p: m[p] for p in wanted}
        for p in convert:
            props[p] = _jsonable(props[p])
        if coll.target_kind:
            entry = {"valid_to": m["resp_valid_to"]} if m["resp_unit_id"] is not None else None
            props["unit_id"] = m["resp_unit_id"]
            props["unit_name"] = m["resp_unit_name"]
            props["assigned_until"] = _jsonable(m["resp_valid_to"])
            props["responsibility"] = responsibility_state(entry, on)
        elif coll.area_level:
            unit = area_unit.get(r.id)
            props["unit_id"], props["unit_name"] = unit if unit else (None, None)
        elif coll.model is Component:
            props["class_name"] = m["class_name"]
            props["unit_id"], props["unit_name"] = m["owner_unit_id"], m["owner_name"]
        elif coll.model is Case:
            props["unit_id"] = r.unit_id
            props["unit_name"] = r.unit_name
            props["category_name"] = r.category_name
            props["deadline"] = _jsonable(m["light_deadline_at"])
            props.pop("deadline_at", None)
            light = _light(r, q.calendar)
            props["light"] = light["light"] if light else None  # green / yellow / orange / red: the map's dot colour
            props["overdue"] = bool(light and light["overdue"])
        out.append(props)
    return Features(ids, list(geojson), out)


class _LightRow:
    """The columns :func:`~gridmap.cases.deadlines.progress_of` reads, from a cases row of :func:`_select`."""

    def __init__(self, r: Any) -> None:
        m = r._mapping
        self.deadline_at, self.limit_seconds, self.deadline_unit = (
            m["light_deadline_at"],
            r.limit_seconds,
            r.deadline_unit,
        )
        self.status, self.paused_at, self.closed_at = m["light_status"], r.paused_at, r.closed_at


def _light(r: Any, cal: WorkingCalendar | None) -> dict[str, Any] | None:
    """A case's traffic light now (None: no deadline)."""
    row = _LightRow(r)
    now = dt.datetime.now(dt.UTC)
    p = progress_of(row, cal, now) if cal is not None else None
    if p is None and row.deadline_at is not None and row.status in ACTIVE:
        # a deadline without a limit to measure against (or no calendar): past it is red, before it unknown
        due = row.deadline_at if row.deadline_at.tzinfo else row.deadline_at.replace(tzinfo=dt.UTC)
        overdue = due < now
        return {"light": "red" if overdue else None, "overdue": overdue}
    return p


def query_items(session: Session, collection_id: str, q: ItemsQuery) -> FeaturePage:
    """One page of a collection's features (ordered by id) within ``q.bbox``, as of ``q.at``.

    Keyset paging: a page ends with the cursor of the next (its last id), and the next page reads ``id > cursor``
    through the primary key — never an offset walked past nor a count per page. One row more than the page is read
    to know whether another page follows; the total is given only when the whole answer is this page.
    """
    coll = collection(collection_id)
    conds = _conditions(session, coll, q)
    model = coll.model
    stmt = _select(coll, q.on())
    if q.cursor is not None:
        conds.append(model.id > q.cursor)
    if conds:
        stmt = stmt.where(*conds)
    stmt = stmt.order_by(model.id).limit(q.limit + 1).offset(q.offset)
    rows = session.connection().execute(stmt).all()  # Core rows: no ORM processing
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    matched = q.offset + len(rows) if not more and q.cursor is None else None
    return FeaturePage(
        collection_id, _features(session, coll, rows, q), matched, q.limit, q.offset, q.on(),
        next_cursor=rows[-1].id if more else None,
    )  # fmt: skip


def get_item(
    session: Session, collection_id: str, fid: str | int, q: ItemsQuery | None = None, *, scope: Scope | None = None
) -> dict[str, Any]:
    """One feature by its database id (the id routing answers with); outside ``scope``: Forbidden."""
    coll = collection(collection_id)
    q = q or ItemsQuery()
    scope = scope or q.scope
    try:
        fid_int = int(str(fid))
    except ValueError:
        raise InvalidInput(
            Problem(f"{fid!r} is not a feature id (a whole number) (要素编号应为整数)", field="featureId")
        ) from None
    if id_in_text(str(fid_int)) is None:  # beyond the INTEGER range (or not positive): there is no such feature
        raise NotFound(f"no feature {fid_int} in {collection_id} (要素不存在)")
    stmt = _select(coll, q.on()).where(coll.model.id == fid_int)
    if coll.area_level:
        stmt = stmt.where(Area.level == coll.area_level)
    rows = session.execute(stmt).all()
    if not rows:
        raise NotFound(f"no feature {fid_int} in {collection_id} (要素不存在)")
    if scope is not None:
        inside = session.scalar(
            select(coll.model.id).where(coll.model.id == fid_int, *scope.feature_filter(coll.model, session))
        )
        if inside is None:
            raise Forbidden(f"{collection_id} {fid_int} is outside your scope ({scope.area_name or 'your unit'})")
    return _features(session, coll, rows, q).as_dicts()[0]


def extent(session: Session, collection_id: str) -> list[float] | None:
    """The bounding box of a collection (from the R*Tree / table), or None when it is empty."""
    coll = collection(collection_id)
    row = dialect_of(session).extent(session, coll.table, coll.area_level)
    if row is None or row[0] is None:
        return None
    return [round(float(v), 6) for v in row]


def city_extent(session: Session) -> list[float] | None:
    """The box to open the map on: the 街道 (else the segments) of the store."""
    return extent(session, "streets") or extent(session, "segments")
