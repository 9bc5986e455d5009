"""Build road segments and compounds from an OpenStreetMap extract (.osm.pbf).

OSM ways end wherever a mapper split them, not at intersections: the roads are re-cut with
:func:`gridmap.geo.roads.segment_roads` (split at every junction, same-name pass-throughs merged, cross streets
named). Segment keys are derived from the geometry, so importing the same extract again updates instead of
duplicating.
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

    def describe(self, seconds: float) -> str:
        return (
            f"{self.path}: {self.ways:,} OSM ways → {self.segments_created + self.segments_updated:,} road segments "
            f"({self.segments_created:,} created, {self.segments_updated:,} updated, {self.segments_km:,.1f} km), "
            f"{self.compounds_created + self.compounds_updated:,} compounds ({self.compounds_created:,} created, "
            f"{self.compounds_updated:,} updated) in {seconds:.1f} s"
        )


def geometry_keys(prefix: str, geoms: np.ndarray | GeometryArray) -> list[str]:
    """Stable keys from geometry (coordinates rounded to ~1 cm), so a re-import matches the same features."""
    rounded = shapely.set_precision(np.asarray(geoms, dtype=object), 1e-7)
    wkbs = shapely.to_wkb(shapely.normalize(rounded))
    return [f"{prefix}{hashlib.sha1(w).hexdigest()[:20]}" for w in wkbs]


def import_osm(session, path: Path, *, actor: Actor, compounds: bool = True) -> OSMImportSummary:
    """Read ``path``, segment its roads, and upsert segments (and residential compounds), as ``actor`` (one audit
    entry). Does not commit."""
    try:
        roads = read_osm_roads(path)
        areas = read_osm_residential(path) if compounds else None
    except OSMReadError as exc:
        raise InvalidInput(Problem(str(exc), str(path))) from exc
    if roads.empty:
        raise InvalidInput(Problem("no roads of the managed highway classes in this extract", str(path)))
    segs = segment_roads(roads.geometry.values, roads["name"].to_numpy(), roads["level"].to_numpy())
    segs["level"] = segs["level"].fillna("back")
    segs["ext_id"] = geometry_keys("osm:", segs.geometry.values)
    seg_result = write_features(session, "segments", segs, source=f"osm:{Path(path).name}")
    summary = OSMImportSummary(
        path=str(path),
        ways=len(roads),
        segments_created=seg_result.created,
        segments_updated=seg_result.updated,
        segments_km=float(segs["length_m"].sum()) / 1000.0,
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
