"""Re-segment road centre-lines into segments (路段) — the use-case behind ``gridmap roads segment``.

Two sources:

* a file of raw centre-lines (GeoJSON, GeoPackage, Shapefile... anything GDAL reads), each line with a name and
  a level: noded, split at every intersection, same-name pass-throughs merged, described by their cross streets
  (:func:`gridmap.geo.roads.segment_roads`); the result can be written to a file and/or imported into the store
  (keys derived from the geometry, so importing the same file again updates instead of duplicating);
* the stored segments: re-segmented the same way, to check that they are properly noded and described (the
  result can be written to a file; the stored ones are not replaced, their assignments would be orphaned).

Either way the report gives the total length before and after (preserved to the metre) and what changed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import InvalidInput, Problem
from gridmap.geo import crs as gcrs
from gridmap.geo.osm import ONEWAY_VALUES, ROUNDABOUT_JUNCTIONS
from gridmap.geo.road_forms import carriageway_sides, shape_forms
from gridmap.geo.roads import LEVELS, segment_roads
from gridmap.geo.validate import check_lonlat, crs_misfits, feature_ranges, projection_hint
from gridmap.imports.osm import geometry_keys
from gridmap.store.bulk_writes import write_features
from gridmap.store.dialect import wkb
from gridmap.store.models import SEGMENT_LEVEL_HELP, SEGMENT_LEVEL_WORDS, Area, AreaLevel, Segment

LENGTH_TOLERANCE_M = 1.0


@dataclass
class SegmentReport:
    source: str
    input_lines: int
    input_km: float  # sum of the input lines' lengths
    dissolved_km: float  # length of their union: duplicates and overlaps counted once
    segments: int
    segments_km: float
    levels: dict[str, int]
    unnamed: int
    both_ends_described: int
    crs: str = "EPSG:4326"
    created: int = 0
    updated: int = 0
    written: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def length_difference_m(self) -> float:
        return round((self.segments_km - self.dissolved_km) * 1000.0, 3)

    @property
    def length_preserved(self) -> bool:
        return abs(self.length_difference_m) <= LENGTH_TOLERANCE_M

    def as_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["length_difference_m"] = self.length_difference_m
        d["length_preserved"] = self.length_preserved
        return d

    def describe(self) -> str:
        lines = [
            f"{self.source}: {self.input_lines:,} lines ({self.input_km:,.3f} km; {self.dissolved_km:,.3f} km with "
            f"duplicates and overlaps counted once) → {self.segments:,} segments ({self.segments_km:,.3f} km)",
            f"  length {'preserved' if self.length_preserved else 'NOT preserved'}: difference "
            f"{self.length_difference_m:+.3f} m",
            "  levels: " + ", ".join(f"{k} {v:,}" for k, v in self.levels.items()) + f"; unnamed {self.unnamed:,}; "
            f"described by cross streets at both ends {self.both_ends_described:,}",
        ]
        if self.created or self.updated:
            lines.append(f"  imported: {self.created:,} created, {self.updated:,} updated")
        if self.written:
            lines.append(f"  written to {self.written}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def parse_levels(raw: pd.Series, default: str | None, source: str) -> np.ndarray:
    s = pd.Series(raw, dtype=object)
    missing = s.isna() | (s.astype(str).str.strip() == "")
    text = s.where(missing, s.astype(str).str.strip())
    mapped = text.map(lambda v: SEGMENT_LEVEL_WORDS.get(v, v.lower() if isinstance(v, str) else v))
    bad = ~missing & ~mapped.isin(LEVELS)
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        raise InvalidInput(
            [
                Problem(
                    f"unknown road level {text.iloc[i]!r}: use main/secondary/back or {SEGMENT_LEVEL_HELP}",
                    source,
                    int(i) + 1,
                    "level",
                )
                for i in rows[:50]
            ]
        )
    return mapped.where(~missing, default).to_numpy(dtype=object)


def read_centrelines(
    path: str | Path,
    *,
    name_field: str = "name",
    level_field: str = "level",
    src_crs: str | None = None,
    default_level: str | None = "back",
    layer: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[str], str]:
    """Read raw centre-lines into EPSG:4326 with ``name`` and ``level``; returns (lines, notes, CRS label).

    Raises InvalidInput for an unreadable file, a missing field, non-line geometries, unknown levels, and
    coordinates that are not in the CRS the file claims (or none declared and not longitude/latitude).
    """
    path = Path(path)
    src = path.name
    if not path.exists():
        raise InvalidInput(Problem("no such file", str(path)))
    try:
        gdf = gpd.read_file(path, engine="pyogrio", layer=layer)
    except Exception as exc:  # pyogrio/GDAL errors have many types
        raise InvalidInput(Problem(f"cannot read: {str(exc).splitlines()[0]}", src)) from None
    if len(gdf) == 0:
        raise InvalidInput(Problem("the file holds no features", src))
    notes: list[str] = []
    lower = {c.lower(): c for c in gdf.columns}
    problems = [
        Problem(f"no column {f!r} (columns: {', '.join(c for c in gdf.columns if c != 'geometry')})", src, None, f)
        for f in (name_field, level_field)
        if f.lower() not in lower and not (f == level_field and default_level)
    ]
    if problems:
        raise InvalidInput(problems)
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    not_lines = np.flatnonzero(present & ~np.isin(types, (1, 2, 5)))
    if len(not_lines):
        raise InvalidInput(
            [Problem(f"is a {geoms[i].geom_type}, not a line", src, int(i) + 1, "geometry") for i in not_lines[:50]]
        )
    declared = gdf.crs
    crs = CRS.from_user_input(src_crs) if src_crs else declared
    if crs is None:
        if len(check_lonlat(geoms)):
            raise InvalidInput(Problem(f"no CRS declared: {projection_hint(geoms)}", src))
        crs = CRS.from_epsg(gcrs.STORAGE_SRID)
        notes.append("no CRS declared; coordinates look like longitude/latitude: read as EPSG:4326")
    label = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.name
    misfit, misfit_zh = crs_misfits(
        geoms, geographic=crs.is_geographic, label=label, check_degrees=crs.to_epsg() is not None
    )
    if len(misfit) > 1 and len(misfit) == int(present.sum()):  # the whole file: one message
        what = (
            f"have coordinates outside longitude/latitude range, yet the CRS is {crs.to_string()}: "
            f"{projection_hint(geoms[list(misfit)])}"
            if crs.is_geographic
            else f"have coordinates that look like longitude/latitude degrees, yet the CRS is {label} (metres)"
        )
        raise InvalidInput(
            Problem(
                f"{len(misfit):,} lines {what} (lines {feature_ranges(misfit)})",
                src,
                zh=f"全部 {len(misfit):,} 条线（第 {feature_ranges(misfit)} 项）的坐标与声明的坐标系 {label} 不符："
                "请用 --crs 给出正确的坐标系",
            )
        )
    if misfit:
        raise InvalidInput(
            [Problem(m, src, i + 1, "geometry", zh=misfit_zh[i]) for i, m in list(misfit.items())[:50]]
            + (
                [Problem(f"{len(misfit):,} lines in all do not fit {label} (lines {feature_ranges(misfit)})", src)]
                if len(misfit) > 50
                else []
            )
        )
    if crs.to_epsg() != gcrs.STORAGE_SRID:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            geoms = gcrs.transform(geoms, crs, gcrs.STORAGE_SRID)
        bad = np.flatnonzero(present & ~np.isfinite(shapely.bounds(geoms)).all(axis=1))
        bad = np.union1d(bad, check_lonlat(geoms))
        if len(bad):
            raise InvalidInput(
                Problem(f"{len(bad):,} lines cannot be converted from {label}: is that the right CRS?", src)
            )
        notes.append(f"converted from {label} to EPSG:4326")
    names = gdf[lower[name_field.lower()]] if name_field.lower() in lower else pd.Series([None] * len(gdf))
    raw_levels = gdf[lower[level_field.lower()]] if level_field.lower() in lower else pd.Series([None] * len(gdf))
    levels = parse_levels(raw_levels.reset_index(drop=True), default_level, src)
    out = gpd.GeoDataFrame(
        {"name": pd.Series(names.to_numpy(), dtype=object), "level": pd.Series(levels, dtype=object),
         **_road_form_columns(gdf, lower)},
        geometry=gpd.GeoSeries(geoms, crs=gcrs.STORAGE_SRID),
    )  # fmt: skip
    return out[present].reset_index(drop=True), notes, label


_YES = frozenset({*ONEWAY_VALUES, "y", "t", "是"})  # OSM's yes words and a spreadsheet's
_RING = frozenset({*ROUNDABOUT_JUNCTIONS, "环岛", *_YES})


def _road_form_columns(gdf: gpd.GeoDataFrame, lower: dict[str, str]) -> dict[str, np.ndarray]:
    """The OSM-style columns a centre-line file may carry, read as import-osm reads the tags: ``junction``
    (roundabout/circular) or ``roundabout`` (yes/1/true) → ``roundabout``; ``oneway`` (yes/1/-1, or a
    roundabout) → ``oneway``; ``layer`` (a bridge above, a tunnel below: no junction with the ground) →
    ``layer``. Absent columns give no such column (plain lines, as before)."""

    def words(col: str) -> np.ndarray | None:
        if col not in lower:
            return None
        return np.array([str(v).strip().lower() if v is not None and v == v else "" for v in gdf[lower[col]]])

    out: dict[str, np.ndarray] = {}
    ring = np.zeros(len(gdf), dtype=bool)
    for col in ("junction", "roundabout"):
        if (w := words(col)) is not None:
            ring |= np.isin(w, list(_RING if col == "junction" else _YES))
            out["roundabout"] = ring
    if (w := words("oneway")) is not None or "roundabout" in out:
        out["oneway"] = ring | (np.isin(w, list(_YES)) if w is not None else False)
    if "layer" in lower:
        out["layer"] = pd.to_numeric(gdf[lower["layer"]], errors="coerce").fillna(0).astype(np.int64).to_numpy()
    return out


def _check_near_communities(session: Session, lines: gpd.GeoDataFrame, src: str) -> None:
    """Refuse lines that lie nowhere near the stored communities (a wrong CRS that still lands on the globe)."""
    blobs = session.scalars(
        select(wkb(Area.geom)).where(Area.level.in_([AreaLevel.COMMUNITY, AreaLevel.DISTRICT]))
    ).all()
    if not blobs:
        return
    areas = shapely.from_wkb([bytes(b) for b in blobs])
    x0, y0, x1, y1 = shapely.total_bounds(areas)
    margin = 0.05  # degrees, ~5 km
    region = shapely.box(x0 - margin, y0 - margin, x1 + margin, y1 + margin)
    inside = shapely.intersects(np.asarray(lines.geometry.array, dtype=object), region)
    if not inside.any():
        c = shapely.centroid(shapely.box(*lines.total_bounds))
        raise InvalidInput(
            Problem(
                f"none of the {len(lines):,} lines lies within 5 km of the stored communities (the lines are "
                f"around {c.x:.4f}, {c.y:.4f}; the communities around {(x0 + x1) / 2:.4f}, {(y0 + y1) / 2:.4f}): "
                "wrong --crs?",
                src,
            )
        )


def segment_lines(
    lines: gpd.GeoDataFrame, source: str, *, snap_m: float = 0.5
) -> tuple[gpd.GeoDataFrame, SegmentReport]:
    """Segment EPSG:4326 centre-lines with ``name``/``level``; the segments (with ``ext_id``) and the report."""
    geoms = np.asarray(lines.geometry.array, dtype=object)
    layers = lines["layer"].to_numpy() if "layer" in lines else None
    try:
        segs = segment_roads(geoms, lines["name"].to_numpy(), lines["level"].to_numpy(), snap_m=snap_m, layers=layers)
    except ValueError as exc:
        raise InvalidInput(Problem(str(exc), source)) from None
    if "oneway" in lines:  # roundabouts and dual carriageways, as import-osm shapes them
        ring = lines["roundabout"].to_numpy(dtype=bool) if "roundabout" in lines else np.zeros(len(lines), bool)
        names = lines["name"].to_numpy(dtype=object)
        sides = carriageway_sides(geoms, names, lines["oneway"].to_numpy(dtype=bool), ring)
        segs = shape_forms(segs, sides, ring)
    metric, _ = gcrs.to_metric(geoms)
    input_km = float(shapely.length(metric).sum()) / 1000.0
    parts = shapely.get_parts(metric)
    dissolved_km = float(shapely.length(shapely.union_all(parts, grid_size=1e-3))) / 1000.0 if len(parts) else 0.0
    segs["level"] = segs["level"].fillna("back")
    segs["ext_id"] = geometry_keys("S:", segs.geometry.values)
    segs = segs.drop_duplicates("ext_id").reset_index(drop=True)
    report = SegmentReport(
        source=source,
        input_lines=len(lines),
        input_km=round(input_km, 6),
        dissolved_km=round(dissolved_km, 6),
        segments=len(segs),
        segments_km=round(float(segs["length_m"].sum()) / 1000.0, 6),
        levels={lv: int((segs["level"] == lv).sum()) for lv in LEVELS},
        unnamed=int(segs["name"].isna().sum()),
        both_ends_described=int((segs["from_desc"].notna() & segs["to_desc"].notna()).sum()),
    )
    if snap_m > 0:
        report.notes.append(
            f"endpoints within {snap_m} m were joined (undershoots closed): that can add or remove centimetres"
        )
    return segs, report


def segment_file(
    session: Session | None,
    path: str | Path,
    *,
    name_field: str = "name",
    level_field: str = "level",
    src_crs: str | None = None,
    default_level: str | None = "back",
    snap_m: float = 0.5,
    import_: bool = False,
    out: str | Path | None = None,
    actor: Actor | None = None,
) -> tuple[gpd.GeoDataFrame, SegmentReport]:
    """Segment the centre-lines of a file; optionally write them to ``out`` and/or import them (as ``actor``, in the
    audit trail). Does not commit."""
    lines, notes, label = read_centrelines(
        path, name_field=name_field, level_field=level_field, src_crs=src_crs, default_level=default_level
    )
    if session is not None:
        _check_near_communities(session, lines, Path(path).name)
    segs, report = segment_lines(lines, Path(path).name, snap_m=snap_m)
    report.crs = label
    report.notes[:0] = notes
    if out:
        _write(segs, out)
        report.written = str(out)
    if import_:
        if session is None or actor is None:
            raise InvalidInput("importing needs a database and who imports")
        result = write_features(session, "segments", segs, source=f"roads segment:{Path(path).name}"[:200])
        report.created, report.updated = result.created, result.updated
        audit.record(session, actor, "segments.import", object_kind="segments",
                     after={"file": Path(path).name, "created": result.created, "updated": result.updated})  # fmt: skip
    return segs, report


def segment_stored(
    session: Session, *, snap_m: float = 0.0, out: str | Path | None = None
) -> tuple[gpd.GeoDataFrame, SegmentReport]:
    """Re-segment the stored segments (a check of their noding); optionally write the result to ``out``.

    No endpoint snapping by default: stored segments were snapped when they were made, and snapping again
    would join distinct junctions that happen to lie closer than ``snap_m`` (and shorten what lies between).
    """
    rows = session.execute(
        select(Segment.ext_id, Segment.name, Segment.level, wkb(Segment.geom).label("wkb")).order_by(Segment.id)
    ).all()
    if not rows:
        raise InvalidInput("no road segments are stored: import some first (gridmap import segments / import-osm)")
    lines = gpd.GeoDataFrame(
        {"name": [r.name for r in rows], "level": [r.level for r in rows]},
        geometry=gpd.GeoSeries(shapely.from_wkb([bytes(r.wkb) for r in rows]), crs=gcrs.STORAGE_SRID),
    )
    segs, report = segment_lines(lines, "stored segments", snap_m=snap_m)
    same = geometry_keys("S:", lines.geometry.values)
    unchanged = len(set(same) & set(segs["ext_id"]))
    report.notes.append(
        f"{unchanged:,} of {len(rows):,} stored segments come out unchanged; {len(segs) - unchanged:,} differ "
        "(the stored segments are not replaced: their assignments would be lost)"
    )
    if out:
        _write(segs, out)
        report.written = str(out)
    return segs, report


def _write(segs: gpd.GeoDataFrame, out: str | Path) -> None:
    cols = ["ext_id", "name", "level", "from_desc", "to_desc", "description", "length_m"]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    segs[[*cols, "geometry"]].to_file(out, engine="pyogrio")
