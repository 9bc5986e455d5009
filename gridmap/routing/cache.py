"""The bulk path's layers, loaded once per engine and reused while the store's fingerprint is unchanged; the
cache and its check interval live here only."""

from __future__ import annotations

import time
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


# A committed write to a table the layers are built from drops them: this is what sees the edits the fingerprint
# cannot (a renamed unit, a segment's new level) when they are made in this process; another process's such edits
# are seen when it calls invalidate_cache or when this process restarts.
table_writes.watch(_TABLES, invalidate_cache)
