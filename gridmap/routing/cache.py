"""The bulk path's layers, loaded once per engine and reused until the ``layers`` change counter moves."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmap.responsibility.history import area_units, load_history
from gridmap.routing.config import FEATURE_KINDS
from gridmap.routing.tables import (
    AREA_COLS,
    COMPONENT_CATEGORY,
    COMPONENT_COLS,
    COMPOUND_COLS,
    GRID_COLS,
    SEGMENT_COLS,
    Layers,
    areas_table,
    components_table,
    compounds_table,
    grids_table,
    segments_table,
)
from gridmap.store.change_counters import CountedCopy
from gridmap.store.models import Area, Category, Component, Compound, Grid, Segment, Unit


def routing_layers(session: Session, *, refresh: bool = False) -> Layers:
    """Every layer, the responsibility history and the default parties, loaded once per engine and reused until
    the ``layers`` change counter moves (a write from any process; see :mod:`gridmap.store.change_counters`). The
    one-off :func:`route_point` reads the database every time."""
    return _LAYERS.get(session, refresh=refresh)


def invalidate_cache(engine: Engine | None = None) -> None:
    """Forget the loaded layers (of one engine, or all): the next bulk call reloads them."""
    _LAYERS.clear(engine)


def _load_layers(session: Session) -> Layers:
    tables = {
        "segment": segments_table(session.execute(select(*SEGMENT_COLS).order_by(Segment.id)).all()),
        "compound": compounds_table(session.execute(select(*COMPOUND_COLS).order_by(Compound.id)).all()),
        "grid": grids_table(session.execute(select(*GRID_COLS).order_by(Grid.id)).all()),
    }
    for level in ("community", "street", "district"):
        rows = session.execute(select(*AREA_COLS).where(Area.level == level).order_by(Area.id)).all()
        tables[level] = areas_table(rows)
    tables["component"] = components_table(
        session.execute(select(*COMPONENT_COLS).outerjoin(Category, COMPONENT_CATEGORY).order_by(Component.id)).all()
    )
    histories = {}
    for kind in FEATURE_KINDS:
        t = tables[kind]
        histories[kind] = load_history(session, kind, dict(zip(t.ids.tolist(), range(len(t)), strict=True)))
    unit_names = dict(session.execute(select(Unit.id, Unit.name)).all())
    area_unit = {a: u for a, (u, _name) in area_units(session).items()}
    has_areas = any(len(tables[k]) for k in ("community", "street", "district"))
    return Layers(tables, has_areas=has_areas, unit_names=unit_names, area_unit=area_unit, histories=histories)


_LAYERS: CountedCopy[Layers] = CountedCopy("layers", _load_layers)
