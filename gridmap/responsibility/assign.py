"""Assigning responsibility — the write side of the assignment history (包联 / 路长制), plus what the assign page
reads: which features a drawn shape catches and the unit picker (a feature's history: :mod:`gridmap.maps.features`).

Periods are half-open ``[valid_from, valid_to)``; ``valid_to`` NULL means "still in force". A re-assignment closes
the open row (``valid_to`` = the new ``valid_from``) and opens a new one; nothing is ever overwritten, so who was
responsible on any past day stays answerable (:mod:`gridmap.responsibility.history`).

Concurrency (two commanders assigning the same feature at once): never read-then-write. The open row is closed by a
conditional ``UPDATE … WHERE id = :seen AND valid_to IS NULL`` (only the row the client saw, only while still open),
and the new row is guarded by the partial unique index ``uq_assignments_open`` (one open row per target and role).
The loser gets :class:`~gridmap.errors.Conflict`; its whole request is rolled back by the caller.

Use-cases never commit: the caller's unit of work does (all-or-nothing).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape as geojson_shape
from sqlalchemy import Date, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmap.errors import Conflict, InvalidInput, NotFound, Problem
from gridmap.geo.crs import metric_epsg_for, transform
from gridmap.inputs import as_id, parse_day
from gridmap.store.dialect import dialect_of, wkb
from gridmap.store.models import Area, Assignment, Compound, Grid, Person, Role, Segment, Unit, in_force
from gridmap.store.targets import KINDS, parse_kinds

MAX_VERTICES = 2000  # a hand-drawn shape; more is a pasted boundary → use an import
MAX_CITY_SHARE = 0.5  # a shape covering more than this share of the district(s) is a mistake, not an assignment
DEFAULT_BUFFER_M = 15.0
MAX_BUFFER_M = 200.0
CATCH_SHARE = 0.5  # a feature is caught when at least this share of it (length / area) lies in the drawn area
MAX_TARGETS = 5000
_ID_CHUNK = 5000


class _Unset:
    def __repr__(self) -> str:
        return "ANY"


ANY = _Unset()  # "expected" not given: close whatever row is open (no check of what the client saw)


@dataclass(frozen=True)
class Target:
    """A feature to assign, and the open assignment the client saw on it (``None``: it saw none; ``ANY``: no check)."""

    kind: str
    id: int
    expected: int | _Unset | None = ANY

    @property
    def label(self) -> str:
        return f"{self.kind} {self.id}"


# -- parsing ---------------------------------------------------------------------------------------------------------


def _vertex_count(geom: shapely.Geometry) -> int:
    return int(shapely.get_num_coordinates(geom))


def parse_shape(raw: object) -> shapely.Geometry:
    """A drawn shape (GeoJSON geometry or Feature: LineString or Polygon, EPSG:4326) → shapely, or InvalidInput.

    Refused: other types, out-of-range or non-finite coordinates, more than MAX_VERTICES vertices, a line or polygon
    that crosses itself, an empty or degenerate shape.
    """
    if isinstance(raw, Mapping) and raw.get("type") == "Feature":
        raw = raw.get("geometry")
    if not isinstance(raw, Mapping) or "type" not in raw:
        raise InvalidInput(Problem("send a GeoJSON geometry (LineString or Polygon)", field="shape"))
    gtype = raw.get("type")
    if gtype not in ("LineString", "Polygon"):
        raise InvalidInput(Problem(f"{gtype!r} cannot be drawn: use a LineString, Polygon or rectangle", field="shape"))
    coords = raw.get("coordinates")
    flat = _flatten(coords)
    if flat is None:
        raise InvalidInput(Problem("coordinates are not a list of [lon, lat] pairs", field="shape"))
    if len(flat) > MAX_VERTICES:
        raise InvalidInput(
            Problem(
                f"the drawn shape has {len(flat)} vertices (at most {MAX_VERTICES}): draw a simpler shape, or import "
                "a boundary file instead",
                field="shape",
            )
        )
    for lon, lat in flat:
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput(Problem(f"coordinate ({lon}, {lat}) is out of range", field="shape"))
    try:
        geom = geojson_shape(raw)
    except Exception as exc:  # shapely's own message says what is wrong
        raise InvalidInput(Problem(f"not a valid {gtype}: {exc}", field="shape")) from None
    if geom.is_empty:
        raise InvalidInput(Problem("the drawn shape is empty", field="shape"))
    if gtype == "LineString":
        if geom.length == 0:
            raise InvalidInput(Problem("the drawn line has no length", field="shape"))
        if not geom.is_simple:
            where = _crossing_point(geom)
            raise InvalidInput(Problem(f"the drawn line crosses itself{where}: draw it again", field="shape"))
    else:
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            where = _where(reason)
            what = "crosses itself" if "Self-intersection" in reason or "Ring" in reason else f"is invalid ({reason})"
            raise InvalidInput(Problem(f"the drawn polygon {what}{where}: draw it again", field="shape"))
        if geom.area == 0:
            raise InvalidInput(Problem("the drawn polygon has no area", field="shape"))
    return geom


def _flatten(coords: object) -> list[tuple[float, float]] | None:
    out: list[tuple[float, float]] = []

    def walk(c: object, depth: int) -> bool:
        if depth > 3 or not isinstance(c, list | tuple):
            return False
        if c and all(isinstance(v, int | float) and not isinstance(v, bool) for v in c):
            if len(c) < 2:
                return False
            out.append((float(c[0]), float(c[1])))
            return True
        return all(walk(v, depth + 1) for v in c) and len(c) > 0

    return out if walk(coords, 0) else None


def _where(reason: str) -> str:
    if "[" in reason:
        try:
            x, y = reason[reason.index("[") + 1 : reason.index("]")].split()[:2]
            return f" near ({float(x):.6f}, {float(y):.6f})"
        except ValueError:
            return ""
    return ""


def _crossing_point(line: shapely.Geometry) -> str:
    noded = shapely.node(line)
    pts = shapely.get_coordinates(noded)
    uniq, counts = np.unique(np.round(pts, 9), axis=0, return_counts=True)
    inner = uniq[counts > 2] if len(uniq) else uniq
    if len(inner):
        return f" near ({inner[0][0]:.6f}, {inner[0][1]:.6f})"
    return ""


# -- preview: what a drawn shape catches -----------------------------------------------------------------------------


def city_area_m2(session: Session) -> float:
    """The managed area: the districts' total area (else the streets')."""
    for level in ("district", "street"):
        total = session.scalar(select(func.sum(Area.area_m2)).where(Area.level == level))
        if total:
            return float(total)
    return 0.0


def _candidates(session: Session, kind: str, box: tuple[float, float, float, float], on: dt.date) -> list[Any]:
    if kind == "segment":
        cols = (Segment.id, Segment.name, Segment.ext_id, Segment.length_m, wkb(Segment.geom))
        stmt = select(*cols).where(dialect_of(session).bbox_filter(Segment, box))
    elif kind == "compound":
        cols = (Compound.id, Compound.name, Compound.ext_id, Compound.area_m2, wkb(Compound.geom))
        stmt = select(*cols).where(dialect_of(session).bbox_filter(Compound, box))
    else:
        cols = (Grid.id, Grid.code, Grid.code, Grid.area_m2, wkb(Grid.geom))
        stmt = select(*cols).where(dialect_of(session).bbox_filter(Grid, box), in_force(Grid, on))
    return session.execute(stmt).all()


def open_rows(session: Session, kind: str, ids: Iterable[int], role: str = Role.RESPONSIBLE) -> dict[int, Any]:
    """The open row (``valid_to`` NULL) per target: ``{target_id: row}`` with unit and person names."""
    wanted = sorted({int(i) for i in ids})
    out: dict[int, Any] = {}
    for s in range(0, len(wanted), _ID_CHUNK):
        chunk = wanted[s : s + _ID_CHUNK]
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


def _current(r: Any | None) -> dict[str, object] | None:
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


def preview(
    session: Session,
    shape: object,
    kinds: object = None,
    buffer_m: object = None,
    at: object = None,
    role: object = None,
) -> dict[str, object]:
    """The segments, compounds and grids a drawn shape catches, and who holds each of them now.

    A line catches the segments lying at least half within ``buffer_m`` (default 15 m) of it and the compounds/grids
    it crosses; a polygon catches the segments with at least half their length inside and the compounds/grids with at
    least half their area inside (or holding at least half of the drawn polygon: a small shape drawn inside a big
    grid selects that grid). Each feature carries ``current`` — its open assignment for ``role`` — whose
    ``assignment_id`` is what :func:`assign` wants back as ``expected``.
    """
    problems: list[Problem] = []
    kinds_t = parse_kinds(kinds, problems)
    on = parse_day(at, "at", problems, default=dt.date.today())
    role_s = _parse_role(role, problems)
    buf = DEFAULT_BUFFER_M
    if buffer_m not in (None, ""):
        try:
            buf = float(buffer_m)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            problems.append(Problem(f"{buffer_m!r} is not a number of metres", field="buffer_m"))
        else:
            if not (math.isfinite(buf) and 1 <= buf <= MAX_BUFFER_M):
                problems.append(Problem(f"must be between 1 and {MAX_BUFFER_M:g} metres", field="buffer_m"))
    if problems:
        raise InvalidInput(problems)
    geom = parse_shape(shape)
    assert on is not None
    epsg = metric_epsg_for(geom)
    drawn_m = transform(np.array([geom], dtype=object), 4326, epsg)[0]
    is_line = geom.geom_type == "LineString"
    area_m = shapely.buffer(drawn_m, buf) if is_line else drawn_m
    city = city_area_m2(session)
    if city > 0 and area_m.area > MAX_CITY_SHARE * city:
        raise InvalidInput(
            Problem(
                f"the drawn shape covers {area_m.area / city:.0%} of the city's area (at most {MAX_CITY_SHARE:.0%}): "
                "draw a smaller area",
                field="shape",
            )
        )
    # Candidates by bounding box (the buffer added, in degrees, generously).
    pad = buf / 90_000.0 if is_line else 0.0
    x0, y0, x1, y1 = geom.bounds
    box = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    features: list[dict[str, object]] = []
    totals: dict[str, dict[str, object]] = {}
    owners: dict[int | None, dict[str, object]] = {}
    for kind in kinds_t:
        rows = _candidates(session, kind, box, on)
        caught_rows, shares = _caught(
            kind, rows, epsg, area_m if kind == "segment" or not is_line else drawn_m, is_line
        )
        current = open_rows(session, kind, (r[0] for r in caught_rows), role_s)
        measure = "length_m" if kind == "segment" else "area_m2"
        tot = {"count": 0, "owned": 0, "free": 0, measure: 0.0}
        for r, share in zip(caught_rows, shares, strict=True):
            cur = current.get(r[0])
            name = r[1] or (f"{r[2]}" if r[2] else f"#{r[0]}")
            features.append(
                {
                    "kind": kind,
                    "id": r[0],
                    "name": name,
                    "code": r[2],
                    measure: round(float(r[3] or 0.0), 1),
                    "share": round(float(share), 3),
                    "current": _current(cur),
                }
            )
            tot["count"] += 1  # type: ignore[operator]
            tot["owned" if cur is not None else "free"] += 1  # type: ignore[operator]
            tot[measure] += float(r[3] or 0.0)  # type: ignore[operator]
            if cur is not None:
                o = owners.setdefault(cur.unit_id, {"unit_id": cur.unit_id, "unit_name": cur.unit_name, "count": 0})
                o["count"] += 1  # type: ignore[operator]
        tot[measure] = round(float(tot[measure]), 1)  # type: ignore[arg-type]
        totals[kind] = tot
    return {
        "as_of": on.isoformat(),
        "role": role_s,
        "shape": {
            "type": geom.geom_type,
            "vertices": _vertex_count(geom),
            "buffer_m": buf if is_line else None,
            "area_m2": round(float(area_m.area), 1),
        },
        "features": features,
        "totals": totals,
        "owners": sorted(owners.values(), key=lambda o: (-int(o["count"]), str(o["unit_name"]))),  # type: ignore[call-overload]
    }


def _caught(
    kind: str, rows: list[Any], epsg: int, area_m: shapely.Geometry, is_line: bool
) -> tuple[list[Any], np.ndarray]:
    """Which candidate rows the drawn area catches (vectorised), and the share of each caught feature inside."""
    if not rows:
        return [], np.zeros(0)
    geoms = transform(shapely.from_wkb([bytes(r[4]) for r in rows]), 4326, epsg)
    bad = ~shapely.is_valid(geoms)
    if bad.any():  # an imported feature that is not quite valid must not break the overlay maths
        geoms[bad] = shapely.make_valid(geoms[bad])
    if kind == "segment":
        length = shapely.length(geoms)
        inside = shapely.length(shapely.intersection(geoms, area_m))
        share = np.divide(inside, length, out=np.zeros_like(length), where=length > 0)
        keep = share >= CATCH_SHARE - 1e-9
    elif is_line:  # a line drawn across compounds/grids catches those it crosses
        keep = shapely.intersects(geoms, area_m)
        area = shapely.area(geoms)
        share = np.divide(
            shapely.area(shapely.intersection(geoms, shapely.buffer(area_m, 1.0))),
            area,
            out=np.zeros_like(area),
            where=area > 0,
        )
    else:
        area = shapely.area(geoms)
        inter = shapely.area(shapely.intersection(geoms, area_m))
        share = np.divide(inter, area, out=np.zeros_like(area), where=area > 0)
        of_drawn = inter / max(area_m.area, 1e-9)
        keep = (share >= CATCH_SHARE - 1e-9) | (of_drawn >= CATCH_SHARE)
    idx = np.flatnonzero(keep)
    return [rows[i] for i in idx], share[idx]


# -- assign / end ----------------------------------------------------------------------------------------------------


def _parse_role(role: object, problems: list[Problem]) -> str:
    if role in (None, ""):
        return Role.RESPONSIBLE.value
    allowed = {r.value for r in Role}
    if str(role) not in allowed:
        problems.append(Problem(f"{role!r} is not one of {', '.join(sorted(allowed))}", field="role"))
        return Role.RESPONSIBLE.value
    return str(role)


def parse_targets(raw: object, problems: list[Problem]) -> list[Target]:
    """``[{"kind": "segment", "id": 12, "expected": 345 | null}, …]`` → targets (``expected`` absent: no check)."""
    if not isinstance(raw, list) or not raw:
        problems.append(Problem("give a non-empty list of {kind, id} targets", field="targets"))
        return []
    if len(raw) > MAX_TARGETS:
        problems.append(Problem(f"{len(raw)} targets (at most {MAX_TARGETS} at once)", field="targets"))
        return []
    out: list[Target] = []
    seen: set[tuple[str, int]] = set()
    for n, t in enumerate(raw, start=1):
        if not isinstance(t, Mapping):
            problems.append(Problem("is not an object {kind, id}", feature=n, field="targets"))
            continue
        kind = str(t.get("kind") or "")
        if kind not in KINDS:
            problems.append(Problem(f"kind {kind!r} is not one of {', '.join(KINDS)}", feature=n, field="targets"))
            continue
        tid = as_id(t.get("id"))
        if tid is None:
            problems.append(Problem(f"id {t.get('id')!r} is not a feature id", feature=n, field="targets"))
            continue
        expected: int | _Unset | None = ANY
        if "expected" in t:
            e = t.get("expected")
            if e is None:
                expected = None
            else:
                expected = as_id(e)
                if expected is None:
                    problems.append(Problem(f"expected {e!r} is not an assignment id", feature=n, field="targets"))
                    continue
        if (kind, tid) not in seen:
            seen.add((kind, tid))
            out.append(Target(kind, tid, expected))
    return out


def _existing_targets(session: Session, targets: Sequence[Target], on: dt.date) -> dict[tuple[str, int], str]:
    """(kind, id) → display name for the targets that exist (grids: the version in force on ``on``)."""
    found: dict[tuple[str, int], str] = {}
    for kind in KINDS:
        ids = sorted({t.id for t in targets if t.kind == kind})
        for s in range(0, len(ids), _ID_CHUNK):
            chunk = ids[s : s + _ID_CHUNK]
            if kind == "segment":
                stmt = select(Segment.id, Segment.name).where(Segment.id.in_(chunk))
            elif kind == "compound":
                stmt = select(Compound.id, Compound.name).where(Compound.id.in_(chunk))
            else:
                stmt = select(Grid.id, Grid.code).where(Grid.id.in_(chunk), or_(Grid.valid_to.is_(None),
                                                                                Grid.valid_to > on))  # fmt: skip
            for i, name in session.execute(stmt):
                found[(kind, i)] = name or f"#{i}"
    return found


def _last_ends(session: Session, kind: str, ids: list[int], role: str) -> dict[int, dt.date]:
    """Latest ``valid_to`` of the closed rows per target (for targets with no open row)."""
    out: dict[int, dt.date] = {}
    for s in range(0, len(ids), _ID_CHUNK):
        chunk = ids[s : s + _ID_CHUNK]
        stmt = (
            select(Assignment.target_id, func.max(Assignment.valid_to))
            .where(Assignment.target_kind == kind, Assignment.role == role, Assignment.target_id.in_(chunk))
            .group_by(Assignment.target_id)
        )
        for tid, end in session.execute(stmt):
            if end is not None:
                out[tid] = end if isinstance(end, dt.date) else dt.date.fromisoformat(str(end)[:10])
    return out


def assign(
    session: Session,
    targets: Sequence[Target] | object,
    unit_id: object,
    role: object = None,
    valid_from: object = None,
    by: str | None = None,
    *,
    valid_to: object = None,
    person_id: object = None,
    note: str | None = None,
) -> dict[str, object]:
    """Make ``unit_id`` responsible (in ``role``) for ``targets`` from ``valid_from`` (default today), all or nothing.

    For each target the open row is closed at ``valid_from`` and a new row opened. Targets already held by the same
    unit are left as they are (``unchanged``). Raises InvalidInput (unknown unit/target/role, bad or inverted
    dates, a start not after the current holder's start or inside an earlier period), Conflict (a target's open
    assignment is not the one the client saw, or another commander got there first). Does not commit.
    """
    problems: list[Problem] = []
    if not (isinstance(targets, Sequence) and targets and all(isinstance(t, Target) for t in targets)):
        targets = parse_targets(targets, problems)
    role_s = _parse_role(role, problems)
    start = parse_day(valid_from, "valid_from", problems, default=dt.date.today())
    end = parse_day(valid_to, "valid_to", problems)
    if start and end and end <= start:
        problems.append(Problem(f"ends ({end}) on or before it starts ({start})", field="valid_to"))
    unit = _lookup_unit(session, unit_id, problems)
    person = None
    if person_id not in (None, ""):
        pid = as_id(person_id)
        person = session.get(Person, pid) if pid is not None else None
        if person is None:
            problems.append(Problem(f"no person {person_id!r}", field="person_id"))
    if problems:
        raise InvalidInput(problems)
    assert start is not None and unit is not None
    targets = list(targets)  # type: ignore[arg-type]
    dialect_of(session).take_write_lock(session, "assignments", "these features' assignments")
    names = _existing_targets(session, targets, start)
    missing = [t for t in targets if (t.kind, t.id) not in names]
    if missing:
        raise InvalidInput(
            [Problem(f"no {t.kind} {t.id}", field="targets") for t in missing[:50]]
            + ([Problem(f"… and {len(missing) - 50} more", field="targets")] if len(missing) > 50 else [])
        )
    conflicts: list[str] = []
    to_close: list[int] = []
    new_rows: list[dict[str, object]] = []
    done: list[dict[str, object]] = []
    unchanged: list[dict[str, object]] = []
    now = dt.datetime.now(dt.UTC)
    for kind in KINDS:
        group = [t for t in targets if t.kind == kind]
        if not group:
            continue
        cur = open_rows(session, kind, (t.id for t in group), role_s)
        ends = _last_ends(session, kind, [t.id for t in group if t.id not in cur], role_s)
        for t in group:
            row = cur.get(t.id)
            seen_id = row.id if row is not None else None
            name = names[(kind, t.id)]
            if not isinstance(t.expected, _Unset) and t.expected != seen_id:
                holder = f"{row.unit_name or row.person_name} since {row.valid_from}" if row else "nobody now"
                conflicts.append(f"{kind} {t.id} ({name}) changed since you looked: held by {holder}")
                continue
            if row is not None and row.unit_id == unit.id and (person is None or row.person_id == person.id):
                unchanged.append({"kind": kind, "id": t.id, "name": name, "assignment_id": row.id})
                continue
            if row is not None and row.valid_from >= start:
                problems.append(
                    Problem(
                        f"{kind} {t.id} ({name}): the new start {start} must be after the current assignment's start "
                        f"{row.valid_from} ({row.unit_name or row.person_name})",
                        field="valid_from",
                    )
                )
                continue
            if row is None and t.id in ends and ends[t.id] > start:
                problems.append(
                    Problem(
                        f"{kind} {t.id} ({name}): the new start {start} falls inside an earlier assignment that "
                        f"ended {ends[t.id]}",
                        field="valid_from",
                    )
                )
                continue
            if row is not None:
                to_close.append(row.id)
            new_rows.append(
                {
                    "target_kind": kind,
                    "target_id": t.id,
                    "unit_id": unit.id,
                    "person_id": person.id if person else None,
                    "role": role_s,
                    "valid_from": start,
                    "valid_to": end,
                    "assigned_by": (by or "")[:100] or None,
                    "assigned_at": now,
                    "note": note,
                }
            )
            done.append(
                {
                    "kind": kind,
                    "id": t.id,
                    "name": name,
                    "previous": _current(row),
                }
            )
    if conflicts:
        more = f" (and {len(conflicts) - 10} more)" if len(conflicts) > 10 else ""
        raise Conflict(
            "another commander changed these assignments first — nothing was saved; reload and try again: "
            + "; ".join(conflicts[:10])
            + more
        )
    if problems:
        raise InvalidInput(problems)
    try:
        if to_close:
            for s in range(0, len(to_close), _ID_CHUNK):
                chunk = to_close[s : s + _ID_CHUNK]
                res = session.execute(
                    update(Assignment.__table__)
                    .where(Assignment.__table__.c.id.in_(chunk), Assignment.__table__.c.valid_to.is_(None))
                    .values(valid_to=start)
                )
                if res.rowcount != len(chunk):
                    raise Conflict(
                        "another commander changed some of these assignments at the same moment — nothing was saved; "
                        "reload and try again"
                    )
        if new_rows:
            ids = session.execute(insert(Assignment.__table__).returning(Assignment.__table__.c.id), new_rows)
            for d, new_id in zip(done, ids.scalars().all(), strict=True):
                d["assignment_id"] = new_id
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "another commander assigned some of these features at the same moment — nothing was saved; reload and "
            "try again"
        ) from exc
    return {
        "unit": {"id": unit.id, "name": unit.name},
        "role": role_s,
        "valid_from": start.isoformat(),
        "valid_to": end.isoformat() if end else None,
        "assigned": done,
        "unchanged": unchanged,
        "counts": {"assigned": len(done), "unchanged": len(unchanged), "closed": len(to_close)},
    }


def _lookup_unit(session: Session, unit_id: object, problems: list[Problem]) -> Unit | None:
    if unit_id in (None, ""):
        problems.append(Problem("choose a unit", field="unit_id"))
        return None
    uid = as_id(unit_id)
    unit = session.get(Unit, uid) if uid is not None else None
    if unit is None and isinstance(unit_id, str):
        unit = session.scalar(select(Unit).where(Unit.code == unit_id[:64]))
    if unit is None:
        problems.append(Problem(f"no unit {unit_id!r}", field="unit_id"))
    return unit


def end(
    session: Session,
    assignment_id: object = None,
    *,
    target: tuple[str, int] | None = None,
    role: object = None,
    on: object = None,
    by: str | None = None,
) -> dict[str, object]:
    """End an open assignment on day ``on`` (default today; the period stays in the history as ``[from, on)``).

    Give the assignment's id, or ``target=(kind, id)`` to end that target's open row for ``role``. Only a row still
    open is closed (a conditional UPDATE): ending what someone else already ended or replaced is a Conflict.
    """
    problems: list[Problem] = []
    day = parse_day(on, "on", problems, default=dt.date.today())
    role_s = _parse_role(role, problems)
    if problems:
        raise InvalidInput(problems)
    assert day is not None
    if assignment_id in (None, ""):
        if target is None:
            raise InvalidInput(Problem("give an assignment id or a target", field="assignment_id"))
        kind, tid = target
        if kind not in KINDS:
            raise InvalidInput(Problem(f"{kind!r} is not one of {', '.join(KINDS)}", field="kind"))
        if as_id(tid) is None:
            raise NotFound(f"no {kind} {tid!r}")
        row = open_rows(session, kind, [tid], role_s).get(int(tid))
        if row is None:
            raise NotFound(f"{kind} {tid} has no open {role_s} assignment")
        aid = row.id
    else:
        found = as_id(assignment_id)
        if found is None:
            raise NotFound(f"no assignment {assignment_id!r}")
        aid = found
    row = session.execute(
        select(Assignment.id, Assignment.valid_from, Assignment.valid_to, Assignment.target_kind,
               Assignment.target_id, Assignment.unit_id, Assignment.role).where(Assignment.id == aid)
    ).first()  # fmt: skip
    if row is None:
        raise NotFound(f"no assignment {aid}")
    if row.valid_to is not None:
        raise Conflict(f"assignment {aid} already ended on {row.valid_to}: reload to see who holds it now")
    if day <= row.valid_from:
        raise InvalidInput(Problem(f"the end {day} must be after the assignment's start {row.valid_from}", field="on"))
    t = Assignment.__table__
    suffix = f"[ended {day} by {by or '?'}]"
    res = session.execute(
        update(t)
        .where(t.c.id == aid, t.c.valid_to.is_(None), t.c.valid_from < bindparam("day", type_=Date))
        .values(valid_to=bindparam("day", type_=Date), note=func.coalesce(t.c.note + " ", "") + suffix)
        .execution_options(synchronize_session=False),
        {"day": day},
    )
    if res.rowcount != 1:
        raise Conflict(f"assignment {aid} was changed by someone else just now: reload and try again")
    session.flush()
    return {
        "assignment_id": aid,
        "kind": row.target_kind,
        "target_id": row.target_id,
        "unit_id": row.unit_id,
        "role": row.role,
        "valid_from": row.valid_from.isoformat(),
        "valid_to": day.isoformat(),
    }


# -- the unit picker -----------------------------------------------------------------------------------------


def list_units(session: Session, q: str | None = None, kind: str | None = None) -> list[dict[str, object]]:
    """Units for the picker, with how many segments/compounds/grids each holds (open ``responsible`` rows)."""
    counts: dict[int, dict[str, int]] = {}
    stmt = (
        select(Assignment.unit_id, Assignment.target_kind, func.count())
        .where(Assignment.role == Role.RESPONSIBLE.value, Assignment.valid_to.is_(None),
               Assignment.unit_id.is_not(None))
        .group_by(Assignment.unit_id, Assignment.target_kind)
    )  # fmt: skip
    for uid, k, n in session.execute(stmt):
        counts.setdefault(uid, {})[k] = n
    units = select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.area_id).order_by(Unit.kind, Unit.name)
    if q:
        like = f"%{q.strip()}%"
        units = units.where(or_(Unit.name.like(like), Unit.code.like(like)))
    if kind:
        units = units.where(Unit.kind == kind)
    return [
        {
            "id": r.id,
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "area_id": r.area_id,
            "holds": {k: counts.get(r.id, {}).get(k, 0) for k in KINDS},
        }
        for r in session.execute(units)
    ]


__all__ = [
    "ANY",
    "KINDS",
    "MAX_VERTICES",
    "Target",
    "assign",
    "end",
    "list_units",
    "parse_shape",
    "parse_targets",
    "preview",
]
