"""Build road segments and compounds from an OpenStreetMap extract (.osm.pbf).

OSM ways end wherever a mapper split them, not at intersections: the roads are re-cut with
:func:`gridmap.geo.roads.segment_roads` (split at every junction, same-name pass-throughs merged, cross streets
named; roundabouts and dual carriageways: :mod:`gridmap.geo.road_forms`). Segment keys are derived from the
geometry, so importing the same extract again updates instead of duplicating.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from geopandas.array import GeometryArray

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import InvalidInput, Problem
from gridmap.geo.osm import OSMReadError, read_osm_residential, read_osm_roads
from gridmap.geo.road_forms import carriageway_sides, shape_forms
from gridmap.geo.roads import segment_roads
from gridmap.store.bulk_writes import write_features


@dataclass
class OSMImportSummary:
    path: str
    ways: int
    segments_created: int
    segments_updated: int
    segments_km: float
    compounds_created: int = 0
    compounds_updated: int = 0
    segments_unnamed: int = 0
    """Segments without a name (described by their cross streets: 「XX路与YY路之间」 or 「未命名道路」)."""
    compounds_repaired: list[str] = dataclasses.field(default_factory=list)
    """OSM ids (``way/123``, ``relation/45``) of polygons whose outline was repaired before import."""
    compounds_skipped: dict[str, str] = dataclasses.field(default_factory=dict)
    """OSM id → why the polygon could not be used (not imported)."""

    def describe(self, seconds: float) -> str:
        text = (
            f"{self.path}: {self.ways:,} OSM ways → {self.segments_created + self.segments_updated:,} road segments "
            f"({self.segments_created:,} created, {self.segments_updated:,} updated, {self.segments_km:,.1f} km), "
            f"{self.compounds_created + self.compounds_updated:,} compounds ({self.compounds_created:,} created, "
            f"{self.compounds_updated:,} updated) in {seconds:.1f} s"
        )
        if self.segments_unnamed:
            n = self.segments_unnamed
            text += f"\n{n:,} unnamed road segments, described by their cross streets (未命名路段 {n:,} 条)"
        if self.compounds_repaired:
            n = len(self.compounds_repaired)
            text += (
                f"\n{n:,} compound polygons repaired (修复了 {n:,} 个小区多边形): {_id_list(self.compounds_repaired)}"
            )
        if self.compounds_skipped:
            n = len(self.compounds_skipped)
            text += f"\n{n:,} compound polygons skipped (跳过了 {n:,} 个无法使用的小区多边形):"
            text += "".join(f"\n  {osm_id}: {why}" for osm_id, why in list(self.compounds_skipped.items())[:50])
            if len(self.compounds_skipped) > 50:
                text += f"\n  … and {len(self.compounds_skipped) - 50:,} more"
        return text


def _id_list(ids: list[str], limit: int = 50) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" … and {len(ids) - limit:,} more" if len(ids) > limit else "")


def geometry_keys(prefix: str, geoms: np.ndarray | GeometryArray) -> list[str]:
    """Stable keys from geometry (coordinates rounded to ~1 cm), so a re-import matches the same features."""
    rounded = shapely.set_precision(np.asarray(geoms, dtype=object), 1e-7)
    wkbs = shapely.to_wkb(shapely.normalize(rounded))
    return [f"{prefix}{hashlib.sha1(w).hexdigest()[:20]}" for w in wkbs]


def import_osm(session, path: Path, *, actor: Actor, compounds: bool = True, strict: bool = False) -> OSMImportSummary:
    """Read ``path``, segment its roads, and upsert segments (and residential compounds), as ``actor`` (one audit
    entry). Does not commit.

    Polygons clipped at the extract's edge or otherwise invalid are repaired when that is safe and skipped when
    not, both listed by OSM id in the summary; with ``strict`` any such polygon refuses the whole file instead."""
    try:
        roads = read_osm_roads(path)
        areas = read_osm_residential(path) if compounds else None
    except OSMReadError as exc:
        raise InvalidInput(Problem(str(exc), str(path))) from exc
    if roads.empty:
        raise InvalidInput(Problem("no roads of the managed highway classes in this extract", str(path)))
    repaired_ids: list[str] = []
    skipped: dict[str, str] = {}
    if areas is not None and not areas.empty:
        keys = [f"{t}/{i}" for t, i in zip(areas["osm_type"], areas["osm_id"], strict=True)]
        bad = areas["problem"].notna().to_numpy()
        fixed = areas["repaired"].to_numpy(dtype=bool)
        repaired_ids = [k for k, r in zip(keys, fixed, strict=True) if r]
        skipped = {k: str(p) for k, p, b in zip(keys, areas["problem"], bad, strict=True) if b}
        if strict and (skipped or repaired_ids):
            problems = [Problem(f"OSM {k}: {why}", str(path), zh=f"OSM {k} 的多边形无效") for k, why in skipped.items()]
            problems += [
                Problem(f"OSM {k}: invalid outline (repairable without --strict)", str(path),
                        zh=f"OSM {k} 的多边形无效（不加 --strict 时可自动修复）")
                for k in repaired_ids
            ]  # fmt: skip
            raise InvalidInput(problems)
        areas = areas[~bad]
    segs = segment_roads(
        roads.geometry.values, roads["name"].to_numpy(), roads["level"].to_numpy(), layers=roads["layer"].to_numpy()
    )
    sides = carriageway_sides(
        roads.geometry.to_numpy(),
        roads["name"].to_numpy(dtype=object),
        roads["oneway"].to_numpy(),
        roads["roundabout"].to_numpy(dtype=bool),
    )
    segs = shape_forms(segs, sides, roads["roundabout"].to_numpy(dtype=bool))
    segs["level"] = segs["level"].fillna("back")
    segs["ext_id"] = geometry_keys("osm:", segs.geometry.values)
    seg_result = write_features(session, "segments", segs, source=f"osm:{Path(path).name}")
    summary = OSMImportSummary(
        path=str(path),
        ways=len(roads),
        segments_created=seg_result.created,
        segments_updated=seg_result.updated,
        segments_km=float(segs["length_m"].sum()) / 1000.0,
        segments_unnamed=int(segs["name"].isna().sum()),
        compounds_repaired=repaired_ids,
        compounds_skipped=skipped,
    )
    if areas is not None and not areas.empty:
        comp = gpd.GeoDataFrame(
            {"ext_id": [f"osm:{t}/{i}" for t, i in zip(areas["osm_type"], areas["osm_id"], strict=True)],
             "name": areas["name"]},
            geometry=areas.geometry.values,
            crs=4326,
        )  # fmt: skip
        comp = comp.drop_duplicates("ext_id")
        comp_result = write_features(session, "compounds", comp, source=f"osm:{Path(path).name}")
        summary.compounds_created, summary.compounds_updated = comp_result.created, comp_result.updated
    audit.record(session, actor, "osm.import", object_kind="segments", after=dataclasses.asdict(summary))
    return summary
