"""Read roads and residential areas from an OpenStreetMap extract (.osm.pbf / .osm) with GDAL's OSM driver.

OSM is the fallback base map when a city has no surveyed centre-lines or compound polygons: roads seed the
segment table (see :mod:`gridmap.geo.roads`), residential land-use seeds the compound (小区) layer. Only the
needed features are read: the filters run inside GDAL (``where=``), so a provincial extract stays cheap.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gridmap.geo.crs import STORAGE_SRID
from gridmap.geo.validate import repair

HIGHWAY_LEVELS: dict[str, str] = {
    **dict.fromkeys(["motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"], "main"),
    **dict.fromkeys(["secondary", "secondary_link", "tertiary", "tertiary_link"], "secondary"),
    **dict.fromkeys(["residential", "living_street", "unclassified", "service", "pedestrian"], "back"),
}
"""OSM ``highway`` value → road level. Anything else (footway, cycleway, path, steps, track, construction,
proposed, …) is not a managed road and is not read."""

ROUNDABOUT_JUNCTIONS: tuple[str, ...] = ("roundabout", "circular")
"""OSM ``junction`` values of a roundabout (a closed one-way ring)."""
ONEWAY_VALUES: tuple[str, ...] = ("yes", "true", "1", "-1")
"""OSM ``oneway`` values of a one-way road (``-1``: against the way's direction)."""
NOT_A_BRIDGE: tuple[str, ...] = ("no",)
"""OSM ``bridge`` values that leave the way on the ground (any other value lifts it)."""
NOT_A_TUNNEL: tuple[str, ...] = ("no", "building_passage")
"""OSM ``tunnel`` values that leave the way on the ground (a passage through a building is at street level)."""


def _tag(key: str, values: tuple[str, ...], *, but: bool = False) -> re.Pattern[str]:
    """An hstore ``other_tags`` match of ``key`` having one of ``values`` (``but``: any value except those)."""
    alts = "|".join(re.escape(v) for v in values)
    return re.compile(rf'"{key}"=>"(?!(?:{alts})")[^"]*"' if but else rf'"{key}"=>"(?:{alts})"')


_ZH_NAME = re.compile(r'"name:zh"=>"((?:[^"\\]|\\.)*)"')
_LAYER = re.compile(r'"layer"=>"\s*(-?\d+)\s*"')
_BRIDGE = _tag("bridge", NOT_A_BRIDGE, but=True)
_TUNNEL = _tag("tunnel", NOT_A_TUNNEL, but=True)
_ROUNDABOUT = _tag("junction", ROUNDABOUT_JUNCTIONS)
_ONEWAY = _tag("oneway", ONEWAY_VALUES)


class OSMReadError(ValueError):
    """The file is missing, unreadable, or not an OSM extract."""


def read_osm_roads(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Road centre-lines of the managed highway classes.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 LineStrings with ``osm_id`` (int64 way id), ``name`` (``name``, else ``name:zh``, else
        None), ``highway``, ``level`` (see :data:`HIGHWAY_LEVELS`) and ``layer``: the vertical level (OSM
        ``layer`` when non-zero; else 1 for a ``bridge``, -1 for a ``tunnel``, else 0 — a
        ``building_passage`` is on the ground), ``roundabout`` (``junction=roundabout|circular``) and
        ``oneway`` (``oneway=yes|1|-1``, or a roundabout).
    """
    highways = ", ".join(f"'{h}'" for h in HIGHWAY_LEVELS)
    df = _read(path, "lines", ["osm_id", "name", "highway", "other_tags"], f"highway IN ({highways})")
    df = df[~(df.geometry.isna() | df.geometry.is_empty)]
    df = df[df.geometry.geom_type == "LineString"]
    tags = df["other_tags"].astype(object).fillna("").astype(str)
    roundabout = tags.str.contains(_ROUNDABOUT).to_numpy(dtype=bool)
    out = gpd.GeoDataFrame(
        {
            "osm_id": pd.to_numeric(df["osm_id"], errors="coerce").astype("Int64").to_numpy(),
            "name": pd.Series(_names(df), dtype=object),
            "highway": pd.Series(df["highway"].to_numpy(), dtype=object),
            "level": pd.Series(df["highway"].map(HIGHWAY_LEVELS).to_numpy(), dtype=object),
            "layer": _layers(df["other_tags"]),
            "roundabout": roundabout,
            "oneway": roundabout | tags.str.contains(_ONEWAY).to_numpy(dtype=bool),
        },
        geometry=df.geometry.to_numpy(),
        crs=STORAGE_SRID,
    )
    return out


def read_osm_residential(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Residential areas: ``landuse=residential`` (named or not) and ``place=neighbourhood`` polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 Polygons/MultiPolygons (single-part multipolygons unwrapped) with ``osm_id`` (int64),
        ``osm_type`` (``"way"`` or ``"relation"``: way and relation ids overlap, so the pair is the key),
        ``kind`` (``"residential"`` or ``"neighbourhood"``), ``name``, ``repaired`` (True where an invalid
        outline was repaired safely, see :func:`gridmap.geo.validate.repair`) and ``problem`` (None, or why the
        polygon cannot be used; its geometry is then None). Every polygon of the file is a row, so the caller
        decides whether a problem skips the feature or refuses the file.
    """
    df = _read(
        path,
        "multipolygons",
        ["osm_id", "osm_way_id", "name", "landuse", "place", "other_tags"],
        "landuse = 'residential' OR place = 'neighbourhood'",
    )
    # Extracts cut at a bounding box leave polygons with their outside nodes missing: rings of 2 or 3 points,
    # outlines crossing themselves. Repair what can be repaired safely, mark the rest, never abort the read.
    unreadable = df["_unreadable"].to_numpy(dtype=bool)
    geoms, repaired, problems = repair(df.geometry.to_numpy(), "polygon")
    problem = np.full(len(df), None, dtype=object)
    for i, message in problems.items():
        problem[i] = message
    problem[unreadable] = "a ring has fewer than 3 points (clipped at the extract's edge?)"
    geoms[unreadable] = None
    single = (shapely.get_type_id(geoms) == 6) & (shapely.get_num_geometries(geoms) == 1)
    if single.any():
        geoms[single] = shapely.get_geometry(geoms[single], 0)
    is_relation = df["osm_id"].notna().to_numpy()
    is_residential = df["landuse"].eq("residential").fillna(False).to_numpy(dtype=bool)
    osm_id = np.where(is_relation, df["osm_id"].astype(object), df["osm_way_id"].astype(object))
    out = gpd.GeoDataFrame(
        {
            "osm_id": pd.to_numeric(pd.Series(osm_id), errors="coerce").astype("Int64").to_numpy(),
            "osm_type": pd.Series(np.where(is_relation, "relation", "way"), dtype=object),
            "kind": pd.Series(np.where(is_residential, "residential", "neighbourhood"), dtype=object),
            "name": pd.Series(_names(df), dtype=object),
            "repaired": repaired,
            "problem": pd.Series(problem, dtype=object),
        },
        geometry=geoms,
        crs=STORAGE_SRID,
    )
    return out


def _read(path: str | os.PathLike[str], layer: str, columns: list[str], where: str) -> gpd.GeoDataFrame:
    """Read one layer of an OSM file, turning every failure into :class:`OSMReadError` naming the file."""
    p = Path(path)
    if not p.is_file():
        raise OSMReadError(f"OSM file not found: {p}")
    try:
        info = pyogrio.read_info(p, layer=layer)
    except Exception as exc:  # pyogrio raises DataSourceError/DataLayerError and friends
        raise OSMReadError(f"cannot read {p} as an OpenStreetMap extract: {exc}") from exc
    if info.get("driver") != "OSM":
        raise OSMReadError(f"{p} is not an OpenStreetMap extract (GDAL driver {info.get('driver')!r})")
    try:
        meta, _fids, wkb, fields = pyogrio.raw.read(p, layer=layer, columns=columns, where=where)
    except Exception as exc:
        raise OSMReadError(f"cannot read layer {layer!r} of {p}: {exc}") from exc
    # Decoded here, not by pyogrio: one malformed feature (a 2-point ring) must not fail the whole layer.
    wkb = np.asarray(wkb, dtype=object)
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    unreadable = shapely.is_missing(geoms) & pd.notna(wkb)
    data = {name: values for name, values in zip(meta["fields"], fields, strict=True)}
    data["_unreadable"] = unreadable
    return gpd.GeoDataFrame(data, geometry=geoms, crs=STORAGE_SRID)


def _layers(other_tags: pd.Series) -> np.ndarray:
    """Vertical level per way from its hstore tags: a non-zero ``layer``, else bridge 1 / tunnel -1 / 0.

    ``bridge=yes`` with ``layer=0`` (or none) is still above the ground: it must not meet the roads below."""
    tags = other_tags.astype(object).fillna("").astype(str)
    layer = pd.to_numeric(tags.str.extract(_LAYER, expand=False), errors="coerce")
    implied = np.where(tags.str.contains(_BRIDGE), 1, np.where(tags.str.contains(_TUNNEL), -1, 0))
    given = layer.fillna(0).astype(np.int64).to_numpy()
    return np.where(given != 0, given, implied)


def _names(df: pd.DataFrame) -> np.ndarray:
    """``name`` when present, else ``name:zh`` from the hstore ``other_tags``, else None."""
    name = df["name"].astype(object).str.strip()
    zh = df["other_tags"].astype(object).str.extract(_ZH_NAME, expand=False)
    zh = zh.str.replace(r"\\(.)", r"\1", regex=True).str.strip()
    out = name.where(name.notna() & name.ne(""), zh)
    return out.where(out.notna() & out.ne(""), None).astype(object).to_numpy()
