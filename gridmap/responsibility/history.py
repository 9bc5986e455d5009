"""Who is responsible — read side of the assignment history (包联 / 路长制), and the default party (属地兜底).

Assignment periods are half-open ``[valid_from, valid_to)`` (``valid_to`` NULL: still in force), so on the day a
re-assignment starts the new unit is responsible and the old one is not. Only the ``responsible`` role with a unit
counts here (a person-only assignment names no unit to send a case to).

Two shapes of the same answer:

* :func:`responsible_at` — one date, a few targets: a dict, straight from SQL (the one-off path);
* :func:`load_history` — whole history of a layer as numpy arrays, answering ``(feature, date)`` pairs with one
  ``searchsorted`` (the bulk path: a million reports, each observed on its own day).

The default responsible party of a place is its community's unit (``units.area_id`` = the community), else its
street office's unit, else nobody (:func:`area_units`, :func:`default_responsible`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.store.dialect import dialect_of
from gridmap.store.models import Area, Assignment, Person, Role, TargetKind, Unit, UnitKind

ID_CHUNK = 5000  # ids per IN list (SQLite allows 32766 variables in all; a query holds a few lists at most)
_DAY_BITS = 22  # composite key feature << 22 | (day + 2**21): days from 3770 BC to 7710 AD
_DAY_OFFSET = 1 << (_DAY_BITS - 1)
OPEN_END = np.iinfo(np.int64).max // 4  # the "day" of a NULL valid_to


@overload
def as_day(value: dt.date) -> int: ...
@overload
def as_day(value: np.ndarray | Iterable[dt.date]) -> np.ndarray: ...
def as_day(value: dt.date | np.ndarray | Iterable[dt.date]) -> np.ndarray | int:
    """Dates → integer days since 1970-01-01 (scalar or array)."""
    if isinstance(value, dt.date):
        return int(np.datetime64(value, "D").astype(np.int64))
    return np.asarray(list(value) if not isinstance(value, np.ndarray) else value, dtype="datetime64[D]").astype(
        np.int64
    )


def id_chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), ID_CHUNK):
        yield ids[i : i + ID_CHUNK]


def _check_kind(kind: str) -> str:
    allowed = {k.value for k in TargetKind}
    if kind not in allowed:
        raise ValueError(f"{kind!r} is not one of {sorted(allowed)}")
    return kind


def in_force_sql(alias: str, ph: str, day: object) -> tuple[str, tuple[object, ...]]:
    """The SQL condition "assignment ``alias`` is a unit's ``responsible`` period covering ``day``" and its
    parameters: the one definition of "as of a day" for every query that needs it (half-open periods)."""
    a = alias
    return (
        f"{a}.role = {ph} AND {a}.unit_id IS NOT NULL AND {a}.valid_from <= {ph}"
        f" AND ({a}.valid_to IS NULL OR {a}.valid_to > {ph})",
        (Role.RESPONSIBLE.value, day, day),
    )


def raw_rows(session: Session, sql: str, params: tuple = ()) -> Sequence[Any]:
    """Run hand-written SQL on the session's connection (inside its transaction) and return plain tuples.

    The read paths of a one-off lookup use this: building, compiling and wrapping SQLAlchemy statements and
    results costs more than the indexed lookup itself (milliseconds against tenths of one)."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def responsible_at(session: Session, kind: str, ids: Iterable[int] | None, on: dt.date) -> dict[int, tuple[int, str]]:
    """The responsible unit of each target on day ``on``: ``{target_id: (unit_id, unit_name)}``.

    Targets with nobody responsible that day are absent. ``ids=None`` answers for every target of ``kind``.
    Should bad data ever hold two periods covering the day, the later-starting one wins.
    """
    if ids is None:
        _check_kind(kind)
        return _responsible(session, [(kind, None)], on).get(kind, {})  # nobody holds any: none listed
    return responsible_at_many(session, {kind: ids}, on)[kind]


def responsible_at_many(
    session: Session, ids_by_kind: Mapping[str, Iterable[int]], on: dt.date
) -> dict[str, dict[int, tuple[int, str]]]:
    """:func:`responsible_at` for several kinds in one round trip: ``{kind: {target_id: (unit_id, unit_name)}}``."""
    wanted = {_check_kind(k): sorted({int(i) for i in ids}) for k, ids in ids_by_kind.items()}
    out: dict[str, dict[int, tuple[int, str]]] = {k: {} for k in wanted}
    batch: list[tuple[str, list[int] | None]] = []
    size = 0
    for kind, ids in wanted.items():
        for chunk in id_chunks(ids):  # one statement holds at most about ID_CHUNK ids
            if batch and size + len(chunk) > ID_CHUNK:
                for k, found in _responsible(session, batch, on).items():
                    out[k].update(found)
                batch, size = [], 0
            batch.append((kind, chunk))
            size += len(chunk)
    if batch:
        for k, found in _responsible(session, batch, on).items():
            out[k].update(found)
    return out


def _responsible(
    session: Session, parts: list[tuple[str, list[int] | None]], on: dt.date
) -> dict[str, dict[int, tuple[int, str]]]:
    d = dialect_of(session)
    ph = d.placeholder
    cond, cond_params = in_force_sql("a", ph, d.day_param(on))
    base = (
        "SELECT a.target_kind, a.target_id, a.unit_id, u.name FROM assignments a JOIN units u ON u.id = a.unit_id"
        f" WHERE {cond}"
    )
    conds, params = [], list(cond_params)
    for kind, ids in parts:
        if ids is None:
            conds.append(f"a.target_kind = {ph}")
            params.append(kind)
        else:
            conds.append(f"(a.target_kind = {ph} AND a.target_id IN ({', '.join([ph] * len(ids))}))")
            params.extend([kind, *ids])
    sql = f"{base} AND ({' OR '.join(conds)}) ORDER BY a.target_kind, a.target_id, a.valid_from, a.id"
    out: dict[str, dict[int, tuple[int, str]]] = {}
    for kind, target_id, unit_id, name in raw_rows(session, sql, tuple(params)):
        out.setdefault(kind, {})[target_id] = (unit_id, name)  # ordered by valid_from: the latest start wins
    return out


def open_rows(session: Session, kind: str, ids: Iterable[int], role: str = Role.RESPONSIBLE) -> dict[int, Any]:
    """The open row (``valid_to`` NULL) per target: ``{target_id: row}`` with unit and person names."""
    wanted = sorted({int(i) for i in ids})
    out: dict[int, Any] = {}
    for chunk in id_chunks(wanted):
        stmt = (
            select(
                Assignment.id,
                Assignment.target_id,
                Assignment.unit_id,
                Unit.name.label("unit_name"),
                Assignment.person_id,
                Person.name.label("person_name"),
                Assignment.valid_from,
                Assignment.assigned_by,
            )
            .join(Unit, Unit.id == Assignment.unit_id, isouter=True)
            .join(Person, Person.id == Assignment.person_id, isouter=True)
            .where(
                Assignment.target_kind == kind,
                Assignment.role == str(role),
                Assignment.valid_to.is_(None),
                Assignment.target_id.in_(chunk),
            )
        )
        for r in session.execute(stmt):
            out[r.target_id] = r
    return out


def holder_dict(r: Any | None) -> dict[str, object] | None:
    """An :func:`open_rows` row as an answer shows who holds a feature (None: nobody)."""
    if r is None:
        return None
    return {
        "assignment_id": r.id,
        "unit_id": r.unit_id,
        "unit_name": r.unit_name,
        "person_id": r.person_id,
        "person_name": r.person_name,
        "valid_from": r.valid_from.isoformat(),
    }


@dataclass(frozen=True)
class History:
    """The ``responsible`` history of one layer, as arrays over *rows* (positions in the caller's feature table).

    ``unit_at(rows, days)`` answers any number of (feature, day) pairs at once.
    """

    key: np.ndarray  # row << _DAY_BITS | (valid_from + offset), sorted
    row: np.ndarray
    valid_to: np.ndarray  # days; OPEN_END when still in force
    unit_id: np.ndarray

    @classmethod
    def build(cls, rows: np.ndarray, valid_from: np.ndarray, valid_to: np.ndarray, unit_id: np.ndarray) -> History:
        rows = np.asarray(rows, dtype=np.int64)
        key = (rows << _DAY_BITS) | (np.asarray(valid_from, dtype=np.int64) + _DAY_OFFSET)
        order = np.argsort(key, kind="stable")
        return cls(key[order], rows[order], np.asarray(valid_to, np.int64)[order], np.asarray(unit_id, np.int64)[order])

    def unit_at(self, rows: np.ndarray, days: np.ndarray | int) -> np.ndarray:
        """Unit id responsible for ``rows[k]`` on ``days[k]`` (or one day for all), -1 where nobody was."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), -1, dtype=np.int64)
        if not len(rows) or not len(self.key):
            return out
        days = np.broadcast_to(np.asarray(days, dtype=np.int64), rows.shape)
        q = (rows << _DAY_BITS) | (days + _DAY_OFFSET)
        pos = np.searchsorted(self.key, q, side="right") - 1
        ok = pos >= 0
        p = np.maximum(pos, 0)
        ok &= (self.row[p] == rows) & (self.valid_to[p] > days)
        out[ok] = self.unit_id[p[ok]]
        return out


def load_history(session: Session, kind: str, row_of_id: dict[int, int] | None = None) -> History:
    """Every ``responsible`` period of ``kind`` held by a unit. ``row_of_id`` maps target ids to the rows of the
    caller's table (targets not in it are dropped); without it, rows are the target ids themselves."""
    _check_kind(kind)
    stmt = select(Assignment.target_id, Assignment.valid_from, Assignment.valid_to, Assignment.unit_id).where(
        Assignment.target_kind == kind,
        Assignment.role == Role.RESPONSIBLE.value,
        Assignment.unit_id.is_not(None),
    )
    recs = session.execute(stmt).all()
    if row_of_id is not None:
        recs = [r for r in recs if r.target_id in row_of_id]
        rows = np.fromiter((row_of_id[r.target_id] for r in recs), dtype=np.int64, count=len(recs))
    else:
        rows = np.fromiter((r.target_id for r in recs), dtype=np.int64, count=len(recs))
    start = as_day([r.valid_from for r in recs]) if recs else np.zeros(0, np.int64)
    end = np.fromiter(
        (OPEN_END if r.valid_to is None else as_day(r.valid_to) for r in recs), dtype=np.int64, count=len(recs)
    )
    units = np.fromiter((r.unit_id for r in recs), dtype=np.int64, count=len(recs))
    return History.build(rows, start, end, units)


def area_units(session: Session, area_ids: Iterable[int] | None = None) -> dict[int, tuple[int, str]]:
    """The unit standing for each area (``units.area_id``): ``{area_id: (unit_id, unit_name)}``.

    When several units name the same area, a unit of kind ``community`` (a 街道办/社区居委会) is preferred, then the
    lowest id.
    """
    ph = dialect_of(session).placeholder
    base = "SELECT area_id, id, name, kind FROM units WHERE area_id IS NOT NULL"
    order = " ORDER BY area_id, id"
    out: dict[int, tuple[int, str]] = {}
    if area_ids is None:
        batches: Iterable[tuple[str, tuple]] = [(base + order, ())]
    else:
        wanted = sorted({int(i) for i in area_ids})
        if not wanted:
            return out
        batches = ((f"{base} AND area_id IN ({', '.join([ph] * len(c))}){order}", tuple(c)) for c in id_chunks(wanted))
    rows = [r for sql, p in batches for r in raw_rows(session, sql, p)]
    return prefer_area_units(rows)


def prefer_area_units(rows: Iterable[tuple[int, int, str, str]]) -> dict[int, tuple[int, str]]:
    """``(area_id, unit_id, unit_name, unit_kind)`` rows → the unit standing for each area: a ``community`` unit
    (街道办/社区居委会) first, then the lowest id."""
    best: dict[int, tuple[tuple[int, int], tuple[int, str]]] = {}
    for area_id, unit_id, name, kind in rows:
        key = (0 if kind == UnitKind.COMMUNITY.value else 1, unit_id)
        if area_id not in best or key < best[area_id][0]:
            best[area_id] = (key, (unit_id, name))
    return {a: v for a, (_k, v) in best.items()}


@dataclass(frozen=True)
class DefaultParty:
    """The default responsible party 属地兜底 of a place: which area it stands for and its unit."""

    area_kind: str  # "community" | "street"
    area_id: int
    area_name: str
    unit_id: int
    unit_name: str


def default_responsible(
    session: Session, community_id: int | None, street_id: int | None = None
) -> DefaultParty | None:
    """The community's unit, else the street office's unit (the community's parent street when ``street_id`` is not
    given), else None."""
    if community_id is None and street_id is None:
        return None
    areas: dict[int, tuple[str, str, int | None]] = {}
    if community_id is not None:
        row = session.execute(
            select(Area.id, Area.level, Area.name, Area.parent_id).where(Area.id == community_id)
        ).first()
        if row is not None:
            areas[row.id] = (row.level, row.name, row.parent_id)
            if street_id is None:
                street_id = row.parent_id
    if street_id is not None:
        row = session.execute(
            select(Area.id, Area.level, Area.name, Area.parent_id).where(Area.id == street_id)
        ).first()
        if row is not None:
            areas[row.id] = (row.level, row.name, row.parent_id)
    units = area_units(session, areas)
    for area_id, kind in ((community_id, "community"), (street_id, "street")):
        if area_id is not None and area_id in units and area_id in areas:
            unit_id, unit_name = units[area_id]
            return DefaultParty(kind, area_id, areas[area_id][1], unit_id, unit_name)
    return None
