"""Importing a layer from a file: GeoJSON, GeoPackage, Shapefile, or CSV with a WKT column.

The use-case behind ``gridmap import``. It reads the file, maps its columns onto the layer's fields, settles the
CRS (declared, given with ``--crs``, or recognised as longitude/latitude), converts GCJ-02 when asked, checks and
safely repairs geometries (:mod:`gridmap.geo.validate`), checks every attribute, and only when *nothing* is wrong
hands the features to :func:`gridmap.store.bulk_writes.write_features`. Every problem found is reported at once,
each naming the file, the feature (1-based row in the file) and the field. It never commits: the caller's unit of work
does, so a failure anywhere, even in the database, leaves the store as it was.

>>> parse_mapping(("name=ROAD_NAME", "level=等级"))
{'name': 'ROAD_NAME', 'level': '等级'}
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely import GeometryType
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import GridmapError, InvalidInput, Problem
from gridmap.geo.crs import STORAGE_SRID, geoms_gcj02_to_wgs84, transform
from gridmap.geo.roads import unnamed_descriptions
from gridmap.geo.validate import check_lonlat, crs_misfits, feature_ranges, projection_hint, repair
from gridmap.imports.attribute_checks import (
    cell_text,
    check_duplicates,
    check_owners,
    check_parents,
    check_required,
    coerce,
    ordered,
    renumber,
)
from gridmap.imports.layer_files import LayerRead, find_column, first_line, read_csv, read_ogr
from gridmap.imports.multilines import explode_lines
from gridmap.store.bulk_writes import LAYERS, LayerSpec, write_features, write_points

Progress = Callable[..., None]

CHUNK = 5000
"""Features per ``write_features`` call (the progress bar advances once per chunk)."""

_STORAGE = CRS.from_epsg(STORAGE_SRID)
_EQUAL_TO_STORAGE = frozenset({4326, 4490})  # CGCS2000 is WGS-84 for this purpose (see DOMAIN.md)


@dataclass
class ImportSummary:
    """What an import did: counts, the CRS used and anything the user should know."""

    layer: str
    file: str
    created: int = 0
    updated: int = 0
    rejected: int = 0
    repaired: int = 0
    crs: str = f"EPSG:{STORAGE_SRID}"
    notes: list[str] = field(default_factory=list)
    features: int = 0  # features read from the file (a split MultiLineString makes several segments)
    unnamed: int = 0  # road segments without a name (accepted, described by their cross streets)

    def describe(self, seconds: float | None = None) -> str:
        """One line of counts (and one line per note), for the command line.

        >>> ImportSummary("segments", "roads.geojson", 2104, 0, 0, 3, "EPSG:4490").describe(1.23)
        'segments from roads.geojson: 2,104 created, 0 updated, 3 repaired, 0 rejected (EPSG:4490 → EPSG:4326) in 1.2 s'
        """
        crs = self.crs if self.crs == f"EPSG:{STORAGE_SRID}" else f"{self.crs} → EPSG:{STORAGE_SRID}"
        took = f" in {seconds:.1f} s" if seconds is not None else ""
        line = (
            f"{self.layer} from {self.file}: {self.created:,} created, {self.updated:,} updated, "
            f"{self.repaired:,} repaired, {self.rejected:,} rejected ({crs}){took}"
        )
        return "\n".join([line, *(f"  note: {n}" for n in self.notes)])


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """``("field=column", ...)`` from ``--map`` options → ``{field: column}``.

    Which fields exist depends on the layer and is checked by :func:`import_file`.
    """
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for raw in pairs:
        name, sep, column = raw.partition("=")
        name, column = name.strip().lower(), column.strip()
        if not sep or not name or not column:
            problems.append(Problem(f"--map {raw!r}: write FIELD=COLUMN, e.g. --map name=ROAD_NAME"))
        elif name in out and out[name] != column:
            problems.append(Problem(f"--map names field {name!r} twice ({out[name]!r} and {column!r})"))
        else:
            out[name] = column
    if problems:
        raise InvalidInput(problems)
    return out


def import_file(
    session: Session,
    path: str | Path,
    layer: str,
    *,
    mapping: dict[str, str] | None = None,
    src_crs: str | None = None,
    from_gcj02: bool = False,
    layer_name: str | None = None,
    progress: Progress | None = None,
    actor: Actor,
    place_kind: str | None = None,
) -> ImportSummary:
    """Validate every feature of ``path`` and write them into ``layer`` as ``actor`` (one audit entry); all or
    nothing (does not commit).

    Parameters
    ----------
    session
        The unit of work; the caller commits (or rolls back on any exception).
    path
        ``.geojson``/``.json``, ``.gpkg``, ``.shp`` or ``.csv`` (with a WKT column); other formats GDAL reads
        are tried as they are.
    layer
        One of :data:`gridmap.store.bulk_writes.LAYERS`.
    mapping
        ``{field: column}``: which file column holds a field; unmapped fields are found by their own name
        (case-insensitively). For CSV, ``geometry`` names the WKT column.
    src_crs
        Any CRS pyproj understands; overrides or supplies the file's CRS.
    from_gcj02
        Coordinates come from Amap/Tencent: convert GCJ-02 → WGS-84 (geographic input only).
    layer_name
        The layer to read in a multi-layer file (GeoPackage).
    progress
        ``progress(n, total=None)`` advances a progress bar.
    place_kind
        Places only (``--type``): the kind of every place whose file gives none (农贸市场, market…).

    Raises
    ------
    InvalidInput
        Listing every problem (file, feature, field); nothing has been written.
    GridmapError
        The database is not initialised, or refused the rows.
    """
    progress = progress or (lambda n, total=None: None)
    spec = LAYERS.get(layer)
    if spec is None:
        raise InvalidInput(f"unknown layer {layer!r}: choose one of {', '.join(LAYERS)}")
    path = Path(path)
    name = path.name
    _require_initialised(session)
    mapping = dict(mapping or {})
    is_csv = path.suffix.lower() in (".csv", ".txt")
    _check_mapping_fields(spec, mapping, is_csv)
    given_crs = _parse_crs(src_crs) if src_crs else None

    if not path.exists():
        raise InvalidInput(Problem("no such file", source=str(path)))
    read = read_csv(path, mapping.get("geometry")) if is_csv else read_ogr(path, layer_name)
    n = len(read.geoms)
    if n == 0:
        raise InvalidInput(Problem("the file holds no features", source=name))
    summary = ImportSummary(layer=layer, file=name, features=n, notes=list(read.notes))

    problems: list[Problem] = []
    supplied = ("kind",) if place_kind is not None else ()  # --type gives it
    columns = _resolve_columns(spec, mapping, list(read.columns), name, problems, supplied)

    # --- coordinates: CRS, GCJ-02, geometry checks and repairs -----------------------------------------------
    geom_problems = dict(read.geom_problems)
    geom_zh: dict[int, str] = {}
    geoms, crs = _to_storage(read, given_crs, from_gcj02, geom_problems, problems, summary, name, geom_zh)
    fixed = np.full(n, None, dtype=object)
    if crs is not None and (mismatch := _family_mismatch(geoms, spec)):
        problems.append(Problem(mismatch, source=name))
    elif crs is not None:  # without a CRS the coordinates cannot be checked further (reported once, above)
        fixed, repaired, repair_problems = _repair(geoms, spec.geometry)
        for i, message in repair_problems.items():
            geom_problems.setdefault(i, message)
        ok = np.ones(n, dtype=bool)
        ok[list(geom_problems)] = False
        summary.repaired = int(repaired[ok].sum())
        summary.crs = _crs_label(crs)
    problems.extend(
        Problem(m, source=name, feature=i + 1, field=read.geometry_field, zh=geom_zh.get(i))
        for i, m in sorted(geom_problems.items())
    )
    present = read.geoms[~shapely.is_missing(read.geoms)]
    if len(present) and shapely.has_z(present).any():
        summary.notes.append("Z coordinates were dropped (stored in 2-D)")
    if from_gcj02:
        summary.notes.append("converted from GCJ-02 (Amap/Tencent) to WGS-84")

    # --- attributes ------------------------------------------------------------------------------------------
    raw_columns = dict(read.columns)
    if place_kind is not None:
        _fill_place_kind(spec, place_kind, columns, raw_columns, n)
    values = {f: coerce(spec, f, col, raw_columns[col], name, problems) for f, col in columns.items()}
    check_required(spec, raw_columns, columns, name, problems)
    check_duplicates(spec, values, columns, name, problems)
    gdf = gpd.GeoDataFrame(
        {f: pd.Series(v, dtype=object) for f, v in values.items()},
        geometry=gpd.GeoSeries(fixed, crs=STORAGE_SRID),
    )
    check_parents(session, spec, gdf, columns, name, problems)
    check_owners(session, gdf, columns, name, problems)
    if problems:
        raise InvalidInput(ordered(problems))
    if "name" in spec.blank_ok and "name" in gdf:
        _describe_unnamed(gdf, summary)

    rows = np.arange(1, n + 1)  # feature number of each row to write
    if spec.geometry == "line":
        gdf, rows = explode_lines(gdf, rows, spec, columns, name, summary)
    if spec.key == "ext_id" and "ext_id" not in columns:
        summary.notes.append(
            "no ext_id column: features cannot be matched on a later import, so re-importing adds them again"
        )

    # --- write, in chunks for the progress bar ---------------------------------------------------------------
    progress(0, total=len(gdf))
    try:
        if spec.geometry == "point":  # components: millions of rows, written in one bulk pass
            result = write_points(session, layer, gdf, source=name[:200], progress=progress)
            summary.created, summary.updated = result.created, result.updated
        else:
            _write_chunks(session, layer, gdf, name, rows, columns, summary, progress)
    except DBAPIError as exc:
        raise GridmapError(f"{name}: the database refused the import: {first_line(exc.orig)}") from None
    audit.record(session, actor, f"{layer}.import", object_kind=layer,
                 after={"file": name, "created": summary.created, "updated": summary.updated})  # fmt: skip
    return summary


def _write_chunks(
    session: Session, layer: str, gdf: gpd.GeoDataFrame, name: str, rows: np.ndarray, columns: dict[str, str],
    summary: ImportSummary, progress: Progress,
) -> None:  # fmt: skip
    """Write the features in chunks (the progress bar advances once per chunk), problems renumbered to the file's
    features."""
    for start in range(0, len(gdf), CHUNK):
        chunk = gdf.iloc[start : start + CHUNK]
        try:
            result = write_features(session, layer, chunk, source=name[:200])
        except InvalidInput as exc:
            raise InvalidInput([renumber(p, rows[start:], name, columns) for p in exc.problems]) from None
        summary.created += result.created
        summary.updated += result.updated
        progress(len(chunk))


# ------------------------------------------------------------------------------------------------------------
# preconditions and options


def _describe_unnamed(gdf: gpd.GeoDataFrame, summary: ImportSummary) -> None:
    """Unnamed roads are accepted, described by their cross streets like the OSM and segmenting imports do
    (:func:`gridmap.geo.roads.unnamed_descriptions`), and counted in the summary."""
    unnamed = gdf["name"].isna().to_numpy()
    if not unnamed.any():
        return
    ends = {c: gdf[c] if c in gdf else pd.Series([None] * len(gdf), dtype=object) for c in ("from_desc", "to_desc")}
    if "description" not in gdf:
        gdf["description"] = pd.Series([None] * len(gdf), dtype=object)
    empty = unnamed & gdf["description"].isna().to_numpy()
    generated = unnamed_descriptions(ends["from_desc"][empty], ends["to_desc"][empty])
    gdf.loc[empty, "description"] = pd.Series(generated, index=gdf.index[empty], dtype=object)
    k = int(unnamed.sum())
    summary.unnamed = k
    summary.notes.append(
        f"{k:,} unnamed roads accepted, described by their cross streets (未命名道路 {k:,} 条，已按两端相交道路描述)"
    )


def _fill_place_kind(spec: LayerSpec, kind: str, columns: dict[str, str], raw: dict[str, np.ndarray], n: int) -> None:
    """``--type``: the kind of every place the file leaves blank (a file of markets needs no type column)."""
    if spec.name != "places":
        raise InvalidInput(
            Problem(
                f"--type is for places, not {spec.name}",
                field="type",
                zh=f"--type 只用于考察点位，不用于{spec.label_zh}",
            )
        )
    given = raw[columns["kind"]] if "kind" in columns else np.full(n, None, dtype=object)
    blank = np.array([cell_text(v) is None for v in given], dtype=bool)
    filled = np.asarray(given, dtype=object).copy()
    filled[blank] = kind
    columns["kind"] = columns.get("kind", "--type")
    raw[columns["kind"]] = filled


def _repair(geoms: np.ndarray, family: str) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """:func:`gridmap.geo.validate.repair`; a place may be a point or a polygon, each checked as its own family."""
    if family != "place":
        return repair(geoms, family)
    fixed = np.full(len(geoms), None, dtype=object)
    repaired = np.zeros(len(geoms), dtype=bool)
    problems: dict[int, str] = {}
    pointy = np.isin(shapely.get_type_id(geoms), [GeometryType.POINT, GeometryType.MULTIPOINT])
    for mask, part in ((pointy, "point"), (~pointy, "polygon")):
        index = np.flatnonzero(mask)
        if len(index) == 0:
            continue
        f, r, p = repair(geoms[index], part)
        fixed[index], repaired[index] = f, r
        problems.update({int(index[i]): m for i, m in p.items()})
    return fixed, repaired, problems


def _require_initialised(session: Session) -> None:
    if not inspect(session.connection()).has_table("alembic_version"):
        raise GridmapError("the database is not initialised: run `gridmap init` first")


def _check_mapping_fields(spec: LayerSpec, mapping: dict[str, str], is_csv: bool) -> None:
    problems = []
    for f in mapping:
        if f == "geometry":
            if not is_csv:
                problems.append(
                    Problem("--map geometry=COLUMN is for CSV files (other formats carry their geometry)", field=f)
                )
        elif f not in spec.fields:
            extra = ", geometry (CSV)" if is_csv else ""
            problems.append(
                Problem(
                    f"--map names unknown field {f!r}; the fields of {spec.name} are: {', '.join(spec.fields)}{extra}",
                    field=f,
                )
            )
    if problems:
        raise InvalidInput(problems)


def _parse_crs(text: str) -> CRS:
    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise InvalidInput(f"--crs {text!r} is not a CRS pyproj knows ({first_line(exc)}); e.g. EPSG:4490") from None


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else (crs.name or crs.to_string())


def _equal_to_storage(crs: CRS) -> bool:
    if not crs.is_geographic:
        return False
    epsg = crs.to_epsg(min_confidence=70)
    return epsg in _EQUAL_TO_STORAGE or crs.equals(_STORAGE, ignore_axis_order=True)


# ------------------------------------------------------------------------------------------------------------
# columns and CRS


def _resolve_columns(
    spec: LayerSpec,
    mapping: dict[str, str],
    columns: list[str],
    name: str,
    problems: list[Problem],
    supplied: tuple[str, ...] = (),
) -> dict[str, str]:
    """``{field: column}`` for every field the file provides; problems for mapped or required ones it lacks."""
    found: dict[str, str] = {}
    listing = ", ".join(columns) if columns else "(none)"
    for f in spec.fields:
        if f in mapping:
            col = find_column(columns, mapping[f])
            if col is None:
                problems.append(
                    Problem(
                        f"no column {mapping[f]!r} (mapped to {f}) in the file; its columns are: {listing}",
                        source=name,
                        field=mapping[f],
                    )
                )
                continue
        else:
            col = find_column(columns, f)
            for alias in dict(spec.aliases).get(f, ()):
                col = col or find_column(columns, alias)
            if col is None and len(f) > 10:  # a Shapefile (DBF) cuts names to 10 characters: community_
                col = find_column(columns, f[:10])
            if col is None:
                if f in spec.required and f not in supplied:
                    hint = " or --type TYPE for every feature" if spec.name == "places" and f == "kind" else ""
                    problems.append(
                        Problem(
                            f"required field {f!r} is missing: no column named {f}; "
                            f"give --map {f}=COLUMN{hint} (the file's columns are: {listing})",
                            source=name,
                            field=f,
                        )
                    )
                continue
        found[f] = col
    return found


def _to_storage(
    read: LayerRead,
    given: CRS | None,
    from_gcj02: bool,
    geom_problems: dict[int, str],
    problems: list[Problem],
    summary: ImportSummary,
    name: str,
    geom_zh: dict[int, str],
) -> tuple[np.ndarray, CRS | None]:
    """Settle the source CRS and bring the geometries to EPSG:4326 (GCJ-02 converted when asked).

    Every feature is checked against the CRS (:func:`gridmap.geo.validate.crs_misfits`); a misfit refuses the
    file (all or nothing)."""
    geoms = read.geoms
    declared = read.crs
    crs = given or declared
    if given is not None and declared is not None and not given.equals(declared, ignore_axis_order=True):
        summary.notes.append(f"the file declares {_crs_label(declared)}; --crs {_crs_label(given)} used instead")
    if crs is None:
        if len(check_lonlat(geoms)) == 0:
            crs = _STORAGE
            summary.notes.append(
                "no CRS declared; coordinates look like longitude/latitude: read as EPSG:4326 (give --crs to override)"
            )
        else:
            problems.append(Problem(f"no CRS declared: {projection_hint(geoms)}", source=name))
            return np.full(len(geoms), None, dtype=object), None

    misfit, misfit_zh = crs_misfits(
        geoms,
        geographic=crs.is_geographic,
        label=_crs_label(crs),
        check_degrees=crs.to_epsg(min_confidence=70) is not None,
    )
    present = int((~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)).sum())
    if len(misfit) > 1 and len(misfit) == present:  # the whole file: one message, not one per feature
        if crs.is_geographic:
            what = "have coordinates outside longitude/latitude range"
            hint = projection_hint(geoms[list(misfit)])
            zh_what = "的坐标超出经纬度范围"
        else:
            what = "have coordinates that look like longitude/latitude degrees"
            hint = "give --crs EPSG:4326 (or the file's real CRS)"
            zh_what = "的坐标像是经纬度（度），而该坐标系以米为单位"
        problems.append(
            Problem(
                f"all {present:,} features {what}, yet the CRS is {_crs_label(crs)}: {hint} "
                f"(features {feature_ranges(misfit)})",
                source=name,
                zh=f"全部 {present:,} 个要素（第 {feature_ranges(misfit)} 项）{zh_what}，但声明的坐标系是 "
                f"{_crs_label(crs)}：请用 --crs 给出正确的坐标系",
            )
        )
        return np.full(len(geoms), None, dtype=object), None
    for i, message in misfit.items():
        if i not in geom_problems:
            geom_problems[i] = message
            geom_zh[i] = misfit_zh[i]
    if from_gcj02 and not crs.is_geographic:
        problems.append(
            Problem(
                f"--from-gcj02 needs longitude/latitude, but the CRS {_crs_label(crs)} is projected: "
                "GCJ-02 data comes as longitude/latitude",
                source=name,
            )
        )
    geoms = geoms.copy()
    ok = np.array([i not in geom_problems for i in range(len(geoms))], dtype=bool)
    geoms[~ok] = None
    if not _equal_to_storage(crs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            geoms = transform(geoms, crs, STORAGE_SRID)
        coords, index = shapely.get_coordinates(geoms, return_index=True)
        for i in np.unique(index[~np.isfinite(coords).all(axis=1)]):
            geom_problems.setdefault(int(i), f"cannot be converted from {_crs_label(crs)}: is that the right CRS?")
        for i in check_lonlat(geoms):
            geom_problems.setdefault(int(i), f"converted from {_crs_label(crs)} it falls off the globe: wrong CRS?")
        _note_outside_area_of_use(geoms, crs, summary)
    if from_gcj02 and crs.is_geographic:
        geoms = geoms_gcj02_to_wgs84(geoms)
    return geoms, crs


_FAMILY_WORDS = {"polygon": "polygons", "line": "lines", "point": "points", "place": "points or polygons"}


def _family_mismatch(geoms: np.ndarray, spec: LayerSpec) -> str | None:
    """One message when no feature at all has the layer's geometry family (the wrong file or layer)."""
    present = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if len(present) < 2:
        return None
    types = shapely.get_type_id(present)
    if spec.geometry == "polygon":
        fits = np.isin(types, [GeometryType.POLYGON, GeometryType.MULTIPOLYGON, GeometryType.GEOMETRYCOLLECTION])
    elif spec.geometry == "point":
        fits = np.isin(types, [GeometryType.POINT, GeometryType.MULTIPOINT])
    elif spec.geometry == "place":
        fits = np.isin(types, [GeometryType.POINT, GeometryType.MULTIPOINT, GeometryType.POLYGON,
                               GeometryType.MULTIPOLYGON])  # fmt: skip
    else:
        fits = np.isin(types, [GeometryType.LINESTRING, GeometryType.MULTILINESTRING, GeometryType.GEOMETRYCOLLECTION])
    if fits.any():
        return None
    names = sorted({g.geom_type for g in present[np.unique(types, return_index=True)[1]]})
    return (
        f"the file holds {'/'.join(names)} geometries, but {spec.name} ({spec.label_zh}) are "
        f"{_FAMILY_WORDS[spec.geometry]}: is this the right file, layer or --layer-name?"
    )


def _note_outside_area_of_use(geoms: np.ndarray, crs: CRS, summary: ImportSummary) -> None:
    aou = crs.area_of_use
    if aou is None:
        return
    present = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if len(present) == 0:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        b = shapely.bounds(present)
    margin = 1.0
    outside = (
        (b[:, 0] < aou.west - margin)
        | (b[:, 2] > aou.east + margin)
        | (b[:, 1] < aou.south - margin)
        | (b[:, 3] > aou.north + margin)
    )
    if outside.any():
        summary.notes.append(
            f"{int(outside.sum()):,} features lie outside the area where {_crs_label(crs)} is used "
            f"({aou.name}): check the CRS"
        )
