"""The bulk path's layers, loaded once per engine and reused while the layers' change counter (migration 0007)
stands still; the cache lives here only."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmap import table_writes
from gridmap.models import Area, Compound, Grid, Segment, Unit
from gridmap.responsibility import area_units, load_history, raw_rows
from gridmap.routing.config import _FEATURE_KINDS, _LOCK
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


@dataclass
class _Cached:
    version: int  # change_counters.n for 'layers' when the layers were read
    layers: _Layers


_CACHE: weakref.WeakKeyDictionary[Engine, _Cached] = weakref.WeakKeyDictionary()
LAYER_TABLES = ("segments", "compounds", "grids", "areas", "units", "assignments")
_VERSION = "SELECT n FROM change_counters WHERE name = 'layers'"


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

    Change detection is exact and costs one single-row read per call: triggers on the layer tables bump
    ``change_counters`` for ``'layers'`` on every write, committed by this process or any other (migration 0007).
    Layers read inside a transaction that has written those tables itself are used but not kept: nobody else
    sees that state, and it may be rolled back. (The one-off :func:`route_point` reads the database every time.)
    """
    conn = session.connection()
    engine = conn.engine
    version = raw_rows(session, _VERSION)[0][0]
    with _LOCK:
        hit = _CACHE.get(engine)
    if hit is not None and not refresh and hit.version == version:
        return hit.layers
    layers = _load_layers(session)  # read after the version: a commit in between only causes one more reload
    if not table_writes.pending(conn) & set(LAYER_TABLES):
        with _LOCK:
            _CACHE[engine] = _Cached(version, layers)
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
