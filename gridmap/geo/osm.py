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

HIGHWAY_LEVELS: dict[str, str] = {
    **dict.fromkeys(["motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"], "main"),
    **dict.fromkeys(["secondary", "secondary_link", "tertiary", "tertiary_link"], "secondary"),
    **dict.fromkeys(["residential", "living_street", "unclassified", "service", "pedestrian"], "back"),
}
"""OSM ``highway`` value → road level. Anything else (footway, cycleway, path, steps, track, construction,
proposed, …) is not a managed road and is not read."""

_ZH_NAME = re.compile(r'"name:zh"=>"((?:[^"\\]|\\.)*)"')


class OSMReadError(ValueError):
    """The file is missing, unreadable, or not an OSM extract."""


def read_osm_roads(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Road centre-lines of the managed highway classes.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 LineStrings with ``osm_id`` (int64 way id), ``name`` (``name``, else ``name:zh``, else
        None), ``highway`` and ``level`` (see :data:`HIGHWAY_LEVELS`).
    """
    highways = ", ".join(f"'{h}'" for h in HIGHWAY_LEVELS)
    df = _read(path, "lines", ["osm_id", "name", "highway", "other_tags"], f"highway IN ({highways})")
    df = df[~(df.geometry.isna() | df.geometry.is_empty)]
    df = df[df.geometry.geom_type == "LineString"]
    out = gpd.GeoDataFrame(
        {
            "osm_id": pd.to_numeric(df["osm_id"], errors="coerce").astype("Int64").to_numpy(),
            "name": pd.Series(_names(df), dtype=object),
            "highway": pd.Series(df["highway"].to_numpy(), dtype=object),
            "level": pd.Series(df["highway"].map(HIGHWAY_LEVELS).to_numpy(), dtype=object),
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
        EPSG:4326 Polygons/MultiPolygons (invalid rings repaired, single-part multipolygons unwrapped) with
        ``osm_id`` (int64), ``osm_type`` (``"way"`` or ``"relation"``: way and relation ids overlap, so the
        pair is the key), ``kind`` (``"residential"`` or ``"neighbourhood"``) and ``name``.
    """
    df = _read(
        path,
        "multipolygons",
        ["osm_id", "osm_way_id", "name", "landuse", "place", "other_tags"],
        "landuse = 'residential' OR place = 'neighbourhood'",
    )
    geoms = df.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
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
        },
        geometry=geoms,
        crs=STORAGE_SRID,
    )
    keep = ~(out.geometry.isna() | out.geometry.is_empty) & out.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    return out[keep.to_numpy()].reset_index(drop=True)


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
        df = pyogrio.read_dataframe(p, layer=layer, columns=columns, where=where)
    except Exception as exc:
        raise OSMReadError(f"cannot read layer {layer!r} of {p}: {exc}") from exc
    if df.crs is None:
        df = df.set_crs(STORAGE_SRID)
    return df.reset_index(drop=True)


def _names(df: pd.DataFrame) -> np.ndarray:
    """``name`` when present, else ``name:zh`` from the hstore ``other_tags``, else None."""
    name = df["name"].astype(object).str.strip()
    zh = df["other_tags"].astype(object).str.extract(_ZH_NAME, expand=False)
    zh = zh.str.replace(r"\\(.)", r"\1", regex=True).str.strip()
    out = name.where(name.notna() & name.ne(""), zh)
    return out.where(out.notna() & out.ne(""), None).astype(object).to_numpy()
