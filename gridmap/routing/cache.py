"""The bulk path's layers, loaded once per engine and reused until the ``layers`` change counter moves."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmap.responsibility.history import area_units, load_history
from gridmap.routing.config import _FEATURE_KINDS
from gridmap.routing.tables import (
    _AREA_COLS,
    _COMPOUND_COLS,
    _GRID_COLS,
    _SEGMENT_COLS,
    _areas_table,
    _compounds_table,
    _grids_table,
    _Layers,
    _segments_table,
)
from gridmap.store.change_counters import CountedCopy
from gridmap.store.models import Area, Compound, Grid, Segment, Unit


def routing_layers(session: Session, *, refresh: bool = False) -> _Layers:
    """Every layer, the responsibility history and the default parties, loaded once per engine and reused until
    the ``layers`` change counter moves (a write from any process; see :mod:`gridmap.store.change_counters`). The
    one-off :func:`route_point` reads the database every time."""
    return _LAYERS.get(session, refresh=refresh)


def invalidate_cache(engine: Engine | None = None) -> None:
    """Forget the loaded layers (of one engine, or all): the next bulk call reloads them."""
    _LAYERS.clear(engine)


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


_LAYERS: CountedCopy[_Layers] = CountedCopy("layers", _load_layers)
