"""Generate unit grids (单元网格) from the stored communities, road segments and compounds, as a new version.

The use-case behind ``gridmap grids generate``. It reads the communities of a scope (one 社区, the 社区 of a
街道, or all), the road segments and compounds around them, tiles every community with
:func:`gridmap.geo.gridding.communities.tile_communities`, and — unless it is a dry run — writes the result as a new
version:

* a grid whose code and outline are unchanged (within :data:`SAME_GRID_DEG`) keeps its row (and version);
* every other current grid of the scope is closed (``valid_to`` = the new ``valid_from``), never deleted;
* new grids are inserted; a code that existed before gets the next version number;
* ``grid_lineage`` records which old grid overlaps which new one (area and the share of each), and
  ``grid_generations`` the run with its quality report;
* assignments still open on a closed grid end on the new ``valid_from`` (their history stays); with
  ``carry_assignments`` the ``responsible`` unit of an old grid carries over to every new grid that lies at least
  :data:`CARRY_MIN_SHARE` inside it.

Cases keep pointing at the grid rows they were routed to; the lineage says where those grids went.
Nothing is committed here: the caller's unit of work decides (all or nothing).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import InvalidInput, Problem
from gridmap.geo import crs
from gridmap.geo.gridding.communities import check_communities, lineage, read_wkb, tile_communities
from gridmap.geo.shapes import to_multipolygons
from gridmap.store.bulk_writes import insert_grid_rows
from gridmap.store.dialect import wkb
from gridmap.store.models import (
    Area,
    AreaLevel,
    Assignment,
    Compound,
    Grid,
    GridGeneration,
    GridLineage,
    Role,
    Segment,
    TargetKind,
)

CARRY_MIN_SHARE = 0.5
"""A new grid inherits an old grid's responsible unit when at least this share of it lies in the old grid."""

CARRIED_ROLES = (Role.RESPONSIBLE,)

SAME_CODE_SHARE = 0.9
"""A new grid overlapping an old one by at least this share of both is the same grid: it keeps the code."""

SAME_GRID_DEG = 2e-6
"""A generated grid whose code is a current grid's and whose outline lies within this distance of it (Hausdorff,
degrees: ~0.2 m, twice the rounding of 6-decimal files) is that grid, unchanged: it keeps its row and version."""


@dataclass
class GenerateResult:
    """What a generation did (or, for a dry run, would do). ``report`` is JSON-ready."""

    report: dict[str, Any]
    dry_run: bool
    generation_id: int | None = None
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        r = self.report
        a = r["area_m2"]
        lines = [
            f"{'DRY RUN — nothing written. ' if self.dry_run else ''}scope {r['scope']}: {r['communities']} 社区 → "
            f"{r['grids']} grids (target {r['target_m2']:,.0f} m², {r['seq_width']}-digit sequence)",
            f"  area m²: min {a['min']:,.0f} · p10 {a['p10']:,.0f} · median {a['median']:,.0f} · "
            f"p90 {a['p90']:,.0f} · max {a['max']:,.0f}  ({r['below_half_target']} below half the target, "
            f"{r['above_double_target']} above double)",
            f"  road blocks {r['blocks']}, straight cuts {r['cuts']}, slivers merged {r['slivers_merged']}, "
            f"merges over compounds {r['compound_joins']}, compounds forcing an oversized grid "
            f"{len(r['forced_compounds'])}",
            f"  check: gaps {r['gaps_m2']:g} m², overlaps {r['overlaps_m2']:g} m², outside {r['outside_m2']:g} m², "
            f"compounds split {r['compounds_split']}",
            f"  versions: {r['unchanged']} grids unchanged, {r['retired']} closed on {r['valid_from']}, "
            f"{r['inserted']} new rows ({r['new_versions']} of them new versions of an existing code)",
            f"  assignments: {r['assignments_closed']} closed on retired grids, "
            f"{r['assignments_carried']} responsible units carried over"
            + (
                f" ({r['carry_candidates']} could be carried: use --carry-assignments)"
                if r["carry_candidates"] and not r["assignments_carried"]
                else ""
            ),
        ]
        lines += [f"  note: {n}" for n in r.get("notes", [])]
        return "\n".join(lines)


def read_barriers(path: str | Path, src_crs: str | None = None) -> np.ndarray:
    """Rivers, walls and other lines grid edges must follow, from a file (lines, or polygons whose outline counts).

    Brought to EPSG:4326 from the declared CRS (or ``src_crs``); a file without a CRS must hold longitude/latitude.
    """
    import geopandas as gpd
    from pyproj import CRS

    from gridmap.geo.validate import check_lonlat, projection_hint

    path = Path(path)
    if not path.exists():
        raise InvalidInput(Problem("no such file", str(path)))
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL errors have many types
        raise InvalidInput(Problem(f"cannot read: {str(exc).splitlines()[0]}", path.name)) from None
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    geoms = geoms[~shapely.is_missing(geoms)]
    if not np.isin(shapely.get_type_id(geoms), (1, 2, 3, 5, 6)).all():
        raise InvalidInput(Problem("barriers must be lines or polygons", path.name))
    given = CRS.from_user_input(src_crs) if src_crs else gdf.crs
    if (given is None or given.is_geographic) and len(check_lonlat(geoms)):
        raise InvalidInput(Problem(f"coordinates are not longitude/latitude: {projection_hint(geoms)}", path.name))
    if given is not None and given.to_epsg() != crs.STORAGE_SRID:
        geoms = crs.transform(geoms, given, crs.STORAGE_SRID)
    return geoms


def _scope(community: str | None, street: str | None, all_: bool) -> str:
    given = [x for x in (community and f"community:{community}", street and f"street:{street}", all_ and "all") if x]
    if len(given) != 1:
        raise InvalidInput("choose exactly one scope: a community code, a street code, or all")
    return given[0]


def _load_geoms(session: Session, stmt: Any) -> tuple[list[Any], np.ndarray]:
    """Rows of ``stmt`` (whose last column is a WKB geometry labelled ``wkb``) and their geometries."""
    rows = session.execute(stmt).all()
    geoms = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else np.empty(0, dtype=object)
    return list(rows), np.asarray(geoms, dtype=object)


@dataclass(frozen=True)
class _Scope:
    """The communities to tile: their geometries, codes and ids, and the metric CRS to measure them in."""

    name: str  # "all", "street:141102001", "community:141102001001"
    geoms: np.ndarray
    codes: list[str]
    ids: dict[str, int]  # code → area id
    epsg: int


@dataclass(frozen=True)
class _Versions:
    """How the new grids relate to the current ones: final codes, unchanged ones, retired ones, lineage."""

    codes: list[str]  # final code of each new grid
    same: np.ndarray  # new grid j is a current grid, unchanged (keeps its row)
    retire: np.ndarray  # indices of the current grids that are closed
    insert: np.ndarray  # indices of the new grids that are written
    max_version: dict[str, int]  # code → highest version stored so far (history included)
    lineage: Any  # DataFrame: old_k, new_j, overlap_m2, share_of_old, share_of_new (retired → inserted)
    mapping: list[dict[str, Any]]  # per retired grid, the new grids it went into (for the report)


@dataclass(frozen=True)
class _AssignmentChanges:
    closable: list[Assignment]  # open on a retired grid, started before the new version: end them
    carry: list[tuple[int, Assignment, float]]  # (new grid j, old responsible assignment, share of j inside)


def generate_grids(
    session: Session,
    *,
    community: str | None = None,
    street: str | None = None,
    all_: bool = False,
    target_m2: float = 10_000.0,
    seq_width: int = 2,
    valid_from: dt.date | None = None,
    dry_run: bool = False,
    carry_assignments: bool = False,
    renumber: bool = False,
    barriers: np.ndarray | None = None,
    actor: Actor,
    created_by: str | None = None,
    sliver_frac: float = 0.25,
    now: dt.datetime | None = None,
) -> GenerateResult:
    """Generate the grids of a scope as a new version; see the module docstring. Does not commit.

    The steps: check the parameters, read and check the scope's communities, read the roads and compounds
    around them, tile, relate the result to the current version, decide what happens to assignments, and —
    unless it is a dry run or nothing changed — write it all.

    Raises
    ------
    InvalidInput
        Bad parameters (no or several scopes, unknown code, target area ≤ 0, sequence width), invalid or
        overlapping community polygons, more grids than the sequence width can number, or a ``valid_from``
        not after the current grids'. Nothing has been written.
    """
    scope_name = _check_parameters(community, street, all_, target_m2, seq_width, sliver_frac)
    valid_from = valid_from or dt.date.today()
    scope = _read_scope(session, scope_name, community, street)
    road_geoms, comp_rows, comp_geoms, notes = _roads_and_compounds(session, scope)
    try:
        plan = tile_communities(
            scope.geoms,
            scope.codes,
            road_geoms,
            comp_geoms,
            target_m2=float(target_m2),
            seq_width=seq_width,
            metric_epsg=scope.epsg,
            sliver_frac=sliver_frac,
            barriers=barriers,
        )
    except ValueError as exc:
        if "do not fit" in str(exc):
            raise InvalidInput(f"{exc}: use --seq-width 3, a larger --target-m2, or split the 社区") from None
        raise InvalidInput(str(exc)) from None
    report: dict[str, Any] = {"scope": scope.name, "valid_from": valid_from.isoformat(), **plan.report}
    report["forced_compounds"] = [
        {**{k: v for k, v in f.items() if k != "compound_index"},
         "compound_ext_id": comp_rows[f["compound_index"]].ext_id, "compound_name": comp_rows[f["compound_index"]].name}
        for f in plan.report["forced_compounds"]
    ]  # fmt: skip
    new = plan.grids
    new_geoms = np.asarray(new.geometry.array, dtype=object)
    new_comm = new["community_code"].tolist()
    old_rows, old_geoms = _load_geoms(
        session,
        select(Grid.id, Grid.code, Grid.version, Grid.valid_from, Grid.community_id, wkb(Grid.geom).label("wkb"))
        .where(Grid.community_id.in_(list(scope.ids.values())), Grid.valid_to.is_(None))
        .order_by(Grid.code),
    )
    versions = _relate_versions(
        session, new["code"].tolist(), new_comm, new_geoms, old_rows, old_geoms, scope, valid_from, renumber, seq_width
    )
    changes = _assignment_changes(session, old_rows, versions, valid_from, notes)
    report.update(
        {
            "unchanged": int(versions.same.sum()),
            "retired": len(versions.retire),
            "inserted": len(versions.insert),
            "new_versions": sum(1 for j in versions.insert if versions.codes[j] in versions.max_version),
            "assignments_closed": len(changes.closable),
            "carry_candidates": len(changes.carry),
            "assignments_carried": len(changes.carry) if carry_assignments else 0,
            "mapping": versions.mapping,
            "notes": notes,
        }
    )
    if dry_run or (len(versions.retire) == 0 and len(versions.insert) == 0):
        if not dry_run:
            report["notes"].append("nothing changed: the stored grids are the generated ones")
        return GenerateResult(report=report, dry_run=dry_run, notes=notes)
    generation_id = _write(
        session,
        scope,
        new_comm,
        new_geoms,
        new["area_m2"].to_numpy(dtype=float),
        old_rows,
        versions,
        changes if carry_assignments else _AssignmentChanges(changes.closable, []),
        report,
        valid_from=valid_from,
        target_m2=float(target_m2),
        seq_width=seq_width,
        created_by=actor.name + (f" ({created_by})" if created_by and created_by != actor.name else ""),
        now=now or dt.datetime.now(dt.UTC),
    )
    audit.record(session, actor, "grids.generate", object_kind="grid_generation", object_id=generation_id,
                 after={"scope": scope_name, "retired": len(versions.retire), "inserted": len(versions.insert),
                        "valid_from": valid_from}, note=created_by)  # fmt: skip
    return GenerateResult(report=report, dry_run=False, generation_id=generation_id, notes=notes)


def _check_parameters(
    community: str | None, street: str | None, all_: bool, target_m2: float, seq_width: int, sliver_frac: float
) -> str:
    """The scope's name; every bad parameter at once as InvalidInput."""
    scope = _scope(community, street, all_)
    problems: list[Problem] = []
    if not (isinstance(target_m2, int | float) and math.isfinite(target_m2) and target_m2 > 0):
        problems.append(
            Problem(f"the target area must be a positive number of m², got {target_m2!r}", field="target_m2")
        )
    if seq_width not in (2, 3):
        problems.append(Problem(f"the sequence width must be 2 (CJ/T 213) or 3 (Beijing), got {seq_width!r}"))
    if not 0 <= sliver_frac < 1:
        problems.append(Problem(f"sliver_frac must be in [0, 1), got {sliver_frac!r}"))
    if problems:
        raise InvalidInput(problems)
    return scope


def _read_scope(session: Session, name: str, community: str | None, street: str | None) -> _Scope:
    """The scope's communities, checked together with every community that could overlap them."""
    stmt = select(Area.id, Area.code, Area.name, wkb(Area.geom).label("wkb")).where(Area.level == AreaLevel.COMMUNITY)
    all_rows = session.execute(stmt.order_by(Area.code)).all()
    all_geoms, unreadable = read_wkb([r.wkb for r in all_rows])
    codes = [r.code for r in all_rows]
    if community:
        selected = np.array([c == community for c in codes], dtype=bool)
    elif street:
        selected = np.array([c.startswith(street) and len(street) == 9 for c in codes], dtype=bool)
    else:
        selected = np.ones(len(codes), dtype=bool)
    if not selected.any():
        what = f"社区 {community}" if community else f"街道 {street}" if street else "社区"
        raise InvalidInput(f"no {what} in the database: import the communities first (gridmap import communities)")
    bad = check_communities(all_geoms, codes)
    bad = sorted([(i, msg) for i, msg in bad if i not in unreadable] + list(unreadable.items()))
    sel_codes = {c for c, s in zip(codes, selected, strict=True) if s}
    found = [
        Problem(f"社区 {codes[i]} ({all_rows[i].name}): {msg}", source="communities")
        for i, msg in bad
        if selected[i] or any(code in msg for code in sel_codes)
    ]
    if found:
        raise InvalidInput(found)
    idx = np.flatnonzero(selected)
    geoms = all_geoms[idx]
    return _Scope(
        name,
        geoms,
        [codes[i] for i in idx],
        {codes[i]: all_rows[i].id for i in idx.tolist()},
        crs.metric_epsg_for(geoms),
    )


def _roads_and_compounds(session: Session, scope: _Scope) -> tuple[np.ndarray, list[Any], np.ndarray, list[str]]:
    """The road segments and compounds whose box meets the scope's, and notes for the report."""
    _, road_geoms = _load_geoms(session, select(Segment.id, wkb(Segment.geom).label("wkb")))
    comp_rows, comp_geoms = _load_geoms(
        session, select(Compound.id, Compound.ext_id, Compound.name, wkb(Compound.geom).label("wkb"))
    )
    notes: list[str] = []
    scope_box = shapely.box(*shapely.total_bounds(scope.geoms))
    if road_geoms.size:
        road_geoms = road_geoms[shapely.intersects(road_geoms, scope_box)]
    if comp_geoms.size:
        near = shapely.intersects(comp_geoms, scope_box)
        comp_geoms, comp_rows = comp_geoms[near], [r for r, k in zip(comp_rows, near, strict=True) if k]
    if road_geoms.size == 0:
        notes.append("no road segment lies in the scope: grid edges are straight cuts only")
    return road_geoms, comp_rows, comp_geoms, notes


def _relate_versions(
    session: Session,
    plan_codes: list[str],
    new_comm: list[str],
    new_geoms: np.ndarray,
    old_rows: list[Any],
    old_geoms: np.ndarray,
    scope: _Scope,
    valid_from: dt.date,
    renumber: bool,
    seq_width: int,
) -> _Versions:
    """Codes, unchanged grids, retired and inserted ones, version numbers and lineage (old → new by overlap)."""
    lin_all = lineage(old_geoms, new_geoms, metric_epsg=scope.epsg)
    codes, same, kept_old = _match_codes(
        plan_codes, new_comm, new_geoms, old_rows, old_geoms, scope.ids, lin_all, renumber, seq_width
    )
    retire = np.flatnonzero(~kept_old)
    insert_idx = np.flatnonzero(~same)
    if len(retire):
        latest = max(old_rows[k].valid_from for k in retire)
        if valid_from <= latest:
            raise InvalidInput(
                Problem(
                    f"the new grids must start after the current ones (latest valid_from {latest}); "
                    f"give a later --valid-from than {valid_from}",
                    field="valid_from",
                )
            )
    # a code used before (current or history) continues its numbering
    ins_codes = [codes[j] for j in insert_idx]
    max_version: dict[str, int] = (
        {c: int(v) for c, v in session.execute(
            select(Grid.code, func.max(Grid.version)).where(Grid.code.in_(ins_codes)).group_by(Grid.code)
        ).all()}
        if ins_codes
        else {}
    )  # fmt: skip
    lin = lin_all[np.isin(lin_all["old"], retire) & np.isin(lin_all["new"], insert_idx)].copy()
    lin["old_k"], lin["new_j"] = lin["old"], lin["new"]
    successors: dict[int, list[dict[str, Any]]] = {int(k): [] for k in retire}
    ordered = lin.sort_values(["old_k", "share_of_old"], ascending=[True, False], kind="stable")
    r: Any  # a row of the frame, named by its columns (pandas-stubs types each field as any scalar)
    for r in ordered.itertuples():
        successors[int(r.old_k)].append(
            {
                "code": codes[int(r.new_j)],
                "share_of_old": round(float(r.share_of_old), 4),
                "share_of_new": round(float(r.share_of_new), 4),
            }
        )
    mapping = [
        {"old_code": old_rows[k].code, "old_version": int(old_rows[k].version), "new": successors[int(k)]}
        for k in retire
    ]
    return _Versions(codes, same, retire, insert_idx, max_version, lin, mapping)


def _assignment_changes(
    session: Session, old_rows: list[Any], versions: _Versions, valid_from: dt.date, notes: list[str]
) -> _AssignmentChanges:
    """Open assignments on retired grids end; a responsible unit may carry over to a new grid mostly inside."""
    retired_ids = [old_rows[k].id for k in versions.retire]
    open_asg = (
        session.execute(
            select(Assignment).where(
                Assignment.target_kind == TargetKind.GRID,
                Assignment.target_id.in_(retired_ids),
                (Assignment.valid_to.is_(None)) | (Assignment.valid_to > valid_from),
            )
        )
        .scalars()
        .all()
        if retired_ids
        else []
    )
    closable = [a for a in open_asg if a.valid_from < valid_from]
    future = [a for a in open_asg if a.valid_from >= valid_from]
    if future:
        notes.append(
            f"{len(future)} assignment(s) on retired grids start on or after {valid_from}: left as they are, "
            "re-assign them to the new grids"
        )
    responsible_of = {a.target_id: a for a in closable if a.role in CARRIED_ROLES}
    carry: list[tuple[int, Assignment, float]] = []
    lin = versions.lineage
    if len(lin):
        best = lin.sort_values(["new_j", "share_of_new"], ascending=[True, False]).drop_duplicates("new_j")
        for row in best.itertuples():
            if row.share_of_new >= CARRY_MIN_SHARE:
                a = responsible_of.get(old_rows[int(row.old_k)].id)
                if a is not None:
                    carry.append((int(row.new_j), a, float(row.share_of_new)))
    return _AssignmentChanges(closable, carry)


def _write(
    session: Session,
    scope: _Scope,
    new_comm: list[str],
    new_geoms: np.ndarray,
    area: np.ndarray,
    old_rows: list[Any],
    versions: _Versions,
    changes: _AssignmentChanges,
    report: dict[str, Any],
    *,
    valid_from: dt.date,
    target_m2: float,
    seq_width: int,
    created_by: str | None,
    now: dt.datetime,
) -> int:
    """The generation, in the caller's unit of work: retired grids closed, new rows, lineage, assignments."""
    gen = GridGeneration(
        created_at=now,
        valid_from=valid_from,
        scope=scope.name,
        target_m2=target_m2,
        seq_width=seq_width,
        created_by=created_by,
        report=None,
    )
    session.add(gen)
    session.flush()
    conn = session.connection()
    retired_ids = [old_rows[k].id for k in versions.retire]
    if retired_ids:
        conn.execute(update(Grid).where(Grid.id.in_(retired_ids)).values(valid_to=valid_from))
    codes = versions.codes
    blobs = shapely.to_wkb(_multi(new_geoms[versions.insert]), output_dimension=2)
    insert_grid_rows(
        session,
        [
            {
                "code": codes[j],
                "community_id": scope.ids[new_comm[j]],
                "version": versions.max_version.get(codes[j], 0) + 1,
                "valid_from": valid_from,
                "area_m2": float(area[j]),
                "geom_wkb": bytes(blob),
            }
            for j, blob in zip(versions.insert, blobs, strict=True)
        ],
    )
    id_of = dict(
        session.execute(
            select(Grid.code, Grid.id).where(
                Grid.code.in_([codes[j] for j in versions.insert]),
                Grid.valid_to.is_(None),
                Grid.valid_from == valid_from,
            )
        ).all()
    )
    _write_lineage(conn, gen.id, old_rows, versions, id_of)
    _write_assignment_changes(conn, old_rows, versions, changes, id_of, valid_from, created_by, now)
    lin = versions.lineage
    session.expire_all()
    stored = session.get(GridGeneration, gen.id)
    assert stored is not None
    stored.report = {k: v for k, v in report.items() if k != "mapping"} | {"mapping_pairs": len(lin)}
    session.flush()
    return stored.id


def _write_lineage(
    conn: Any, generation_id: int, old_rows: list[Any], versions: _Versions, id_of: dict[str, int]
) -> None:
    """One ``grid_lineage`` row per retired → inserted pair that overlap: the area and the share of each."""
    lin = versions.lineage
    if not len(lin):
        return
    conn.execute(
        insert(GridLineage),
        [
            {
                "generation_id": generation_id,
                "old_grid_id": old_rows[int(r.old_k)].id,
                "new_grid_id": id_of[versions.codes[int(r.new_j)]],
                "overlap_m2": float(r.overlap_m2),
                "share_of_old": float(r.share_of_old),
                "share_of_new": float(r.share_of_new),
            }
            for r in lin.itertuples()
        ],
    )


def _write_assignment_changes(
    conn: Any,
    old_rows: list[Any],
    versions: _Versions,
    changes: _AssignmentChanges,
    id_of: dict[str, int],
    valid_from: dt.date,
    created_by: str | None,
    now: dt.datetime,
) -> None:
    """Assignments open on retired grids end on ``valid_from``; the carried responsible units start on the new ones."""
    if changes.closable:
        ended = [a.id for a in changes.closable]
        conn.execute(update(Assignment).where(Assignment.id.in_(ended)).values(valid_to=valid_from))
    if not changes.carry:
        return
    by_id = {r.id: r for r in old_rows}
    conn.execute(
        insert(Assignment),
        [
            {
                "target_kind": TargetKind.GRID.value,
                "target_id": id_of[versions.codes[j]],
                "unit_id": a.unit_id,
                "person_id": a.person_id,
                "role": a.role,
                "valid_from": valid_from,
                "valid_to": None,
                "assigned_by": created_by or "gridmap grids generate",
                "assigned_at": now,
                "note": f"carried over from grid {by_id[a.target_id].code} v{by_id[a.target_id].version} "
                f"({share:.0%} of the new grid lies in it)",
            }
            for j, a, share in changes.carry
        ],
    )


def _match_codes(
    plan_codes: list[str],
    new_comm: list[str],
    new_geoms: np.ndarray,
    old_rows: list[Any],
    old_geoms: np.ndarray,
    comm_ids: dict[str, int],
    lin: Any,
    renumber: bool,
    seq_width: int,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Final codes of the new grids, which of them are unchanged, and which old grids stay.

    A new grid that overlaps a current grid of its community by at least :data:`SAME_CODE_SHARE` of both is
    the same grid (re-drawn a little, or not at all); it is *unchanged* when its outline also lies within
    :data:`SAME_GRID_DEG` of the old one (then the old row stays, version and all). Without ``renumber`` a
    matching grid keeps the old code (codes on signs and in rosters stay put) and the other new grids are
    numbered after the highest kept number of their community, west→east then north→south among themselves;
    with ``renumber`` every grid takes the code of the rule, and a matching grid is unchanged only if its
    code is the same too.
    """
    n = len(plan_codes)
    same = np.zeros(n, dtype=bool)
    kept_old = np.zeros(len(old_rows), dtype=bool)
    match = np.full(n, -1, dtype=np.int64)
    identical = np.zeros(n, dtype=bool)
    if len(lin):
        old_comm = np.array([r.community_id for r in old_rows])
        new_cid = np.array([comm_ids[c] for c in new_comm])
        o, j = lin["old"].to_numpy(), lin["new"].to_numpy()
        ok = (
            (lin["share_of_old"].to_numpy() >= SAME_CODE_SHARE)
            & (lin["share_of_new"].to_numpy() >= SAME_CODE_SHARE)
            & (old_comm[o] == new_cid[j])
        )
        o, j = o[ok], j[ok]
        match[j] = o
        identical[j] = shapely.hausdorff_distance(_polygons(new_geoms[j]), _polygons(old_geoms[o])) <= SAME_GRID_DEG
    codes = list(plan_codes)
    if renumber:
        for jj in np.flatnonzero(identical):
            if old_rows[match[jj]].code == codes[jj]:
                same[jj] = True
                kept_old[match[jj]] = True
        return codes, same, kept_old
    for comm in dict.fromkeys(new_comm):
        members = np.array([i for i, c in enumerate(new_comm) if c == comm])
        matched = members[match[members] >= 0]
        if matched.size == 0:
            continue
        kept = [old_rows[match[i]].code for i in matched]
        for i, code in zip(matched, kept, strict=True):
            codes[i] = code
        unchanged = matched[identical[matched]]
        same[unchanged] = True
        kept_old[match[unchanged]] = True
        fresh = members[match[members] < 0]
        if fresh.size:
            start = max((int(c[12:]) for c in kept if c.startswith(comm) and c[12:].isdigit()), default=0)
            order = sorted(fresh, key=lambda i: plan_codes[i])  # the rule's order among the new grids
            if start + len(order) > 10**seq_width - 1:
                raise InvalidInput(
                    f"社区 {comm}: keeping the codes of its {len(kept)} unchanged grids, the {len(order)} new ones "
                    f"would be numbered past {10**seq_width - 1}: use --renumber or --seq-width 3"
                )
            for r, i in enumerate(order, start=1):
                codes[i] = f"{comm}{start + r:0{seq_width}d}"
    return codes, same, kept_old


def _polygons(geoms: np.ndarray) -> np.ndarray:
    """Single-part MultiPolygons → Polygons, so stored and generated geometries compare equal."""
    geoms = np.asarray(geoms, dtype=object).copy()
    multi = (shapely.get_type_id(geoms) == 6) & (shapely.get_num_geometries(geoms) == 1)
    if multi.any():
        geoms[multi] = shapely.get_geometry(geoms[multi], 0)
    return geoms


def _multi(geoms: np.ndarray) -> np.ndarray:
    return to_multipolygons(np.asarray(geoms, dtype=object))
