"""MultiLineStrings in an imported segment layer made single lines: joined where their parts connect, else split
into one segment per part (``ext_id`` suffixed -1, -2…)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from shapely import GeometryType

from gridmap.errors import InvalidInput, Problem
from gridmap.imports.attribute_checks import max_length, ordered
from gridmap.store.bulk_writes import LayerSpec

if TYPE_CHECKING:
    from gridmap.imports.layer_import import ImportSummary


def explode_lines(
    gdf: gpd.GeoDataFrame, rows: np.ndarray, spec: LayerSpec, columns: dict[str, str], name: str, summary: ImportSummary
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """One row per LineString: MultiLineStrings are joined where their parts connect, else split in segments.

    A split feature's ext_id gets ``-1``, ``-2``… so that a later import of the same file matches them again.
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    multi = shapely.get_type_id(geoms) == GeometryType.MULTILINESTRING
    if not multi.any():
        return gdf, rows
    merged = geoms.copy()
    merged[multi] = shapely.line_merge(geoms[multi])
    joined = int((shapely.get_type_id(merged[multi]) == GeometryType.LINESTRING).sum())
    parts, index = shapely.get_parts(merged, return_index=True)
    counts = np.bincount(index, minlength=len(geoms))
    out = gpd.GeoDataFrame(
        gdf.drop(columns=gdf.geometry.name).iloc[index].reset_index(drop=True),
        geometry=gpd.GeoSeries(parts, crs=gdf.crs),
    )
    split = counts > 1
    if joined:
        summary.notes.append(f"{joined:,} MultiLineString(s) with connected parts joined into single lines")
    if split.any():
        summary.notes.append(
            f"{int(split.sum()):,} MultiLineString(s) split into {int(counts[split].sum()):,} segments"
            + (" (ext_id suffixed -1, -2…)" if "ext_id" in out.columns else "")
        )
        if "ext_id" in out.columns:
            seq = np.concatenate([np.arange(1, c + 1) for c in counts])
            many = split[index]
            ext = out["ext_id"].to_numpy(dtype=object, copy=True)
            for k in np.flatnonzero(many):
                if ext[k] is not None:
                    ext[k] = f"{ext[k]}-{seq[k]}"
            out["ext_id"] = ext
            _check_split_keys(out["ext_id"].tolist(), rows[index], spec, columns, name)
    return out, rows[index]


def _check_split_keys(
    keys: list[object], rows: np.ndarray, spec: LayerSpec, columns: dict[str, str], name: str
) -> None:
    problems = []
    first: dict[object, int] = {}
    limit = max_length(spec, "ext_id")
    for k, key in enumerate(keys):
        if key is None:
            continue
        if limit and len(str(key)) > limit:
            problems.append(
                Problem(f"ext_id {key!r} of a split part is longer than {limit}", name, int(rows[k]), columns["ext_id"])
            )
        if key in first and first[key] != rows[k]:
            problems.append(
                Problem(
                    f"ext_id {key!r} given to a part of split feature {first[key]} is also feature {rows[k]}'s",
                    name,
                    int(rows[k]),
                    columns["ext_id"],
                )
            )
        first.setdefault(key, int(rows[k]))
    if problems:
        raise InvalidInput(ordered(problems))
