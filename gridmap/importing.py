"""Importing a layer from a file: GeoJSON, GeoPackage, Shapefile, or CSV with a WKT column.

The use-case behind ``gridmap import``. It reads the file, maps its columns onto the layer's fields, settles the
CRS (declared, given with ``--crs``, or recognised as longitude/latitude), converts GCJ-02 when asked, checks and
safely repairs geometries (:mod:`gridmap.geo.validate`), checks every attribute, and only when *nothing* is wrong
hands the features to :func:`gridmap.store.write_features`. Every problem found is reported at once, each naming
the file, the feature (1-based row in the file) and the field. It never commits: the caller's unit of work does,
so a failure anywhere, even in the database, leaves the store as it was.

>>> parse_mapping(("name=ROAD_NAME", "level=等级"))
{'name': 'ROAD_NAME', 'level': '等级'}
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely import GeometryType
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gridmap.errors import GridmapError, InvalidInput, Problem
from gridmap.geo.crs import STORAGE_SRID, geoms_gcj02_to_wgs84, transform
from gridmap.geo.validate import check_lonlat, projection_hint, repair
from gridmap.models import Area, SegmentLevel
from gridmap.store import LAYERS, LayerSpec, resolve_parents, write_features

Progress = Callable[..., None]

CHUNK = 5000
"""Features per ``write_features`` call (the progress bar advances once per chunk)."""

LEVEL_WORDS: dict[str, str] = {
    "main": SegmentLevel.MAIN,
    "主干道": SegmentLevel.MAIN,
    "主干路": SegmentLevel.MAIN,
    "secondary": SegmentLevel.SECONDARY,
    "次干道": SegmentLevel.SECONDARY,
    "次干路": SegmentLevel.SECONDARY,
    "支路": SegmentLevel.SECONDARY,
    "back": SegmentLevel.BACK,
    "背街小巷": SegmentLevel.BACK,
    "小巷": SegmentLevel.BACK,
    "街巷": SegmentLevel.BACK,
}
"""Accepted road-level words (English case-insensitively) → the stored value."""

WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "wkt_geom", "shape")
"""Column names recognised as holding the geometry of a CSV file (case-insensitive), in order of preference."""

_INT_FIELDS = frozenset({"households"})
_DATE_FIELDS = frozenset({"valid_from"})
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


@dataclass
class _Read:
    """A file as read: columns (object arrays), geometries (None where missing/unreadable), declared CRS."""

    columns: dict[str, np.ndarray]
    geoms: np.ndarray
    crs: CRS | None
    geom_problems: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    geometry_field: str = "geometry"  # how problems name the geometry (a CSV's WKT column)


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
) -> ImportSummary:
    """Validate every feature of ``path`` and write them into ``layer``; all or nothing (does not commit).

    Parameters
    ----------
    session
        The unit of work; the caller commits (or rolls back on any exception).
    path
        ``.geojson``/``.json``, ``.gpkg``, ``.shp`` or ``.csv`` (with a WKT column); other formats GDAL reads
        are tried as they are.
    layer
        One of :data:`gridmap.store.LAYERS`.
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
    read = _read_csv(path, mapping.get("geometry")) if is_csv else _read_ogr(path, layer_name)
    n = len(read.geoms)
    if n == 0:
        raise InvalidInput(Problem("the file holds no features", source=name))
    summary = ImportSummary(layer=layer, file=name, features=n, notes=list(read.notes))

    problems: list[Problem] = []
    columns = _resolve_columns(spec, mapping, list(read.columns), name, problems)

    # --- coordinates: CRS, GCJ-02, geometry checks and repairs -----------------------------------------------
    geom_problems = dict(read.geom_problems)
    geoms, crs = _to_storage(read, given_crs, from_gcj02, geom_problems, problems, summary, name)
    fixed = np.full(n, None, dtype=object)
    if crs is not None and (mismatch := _family_mismatch(geoms, spec)):
        problems.append(Problem(mismatch, source=name))
    elif crs is not None:  # without a CRS the coordinates cannot be checked further (reported once, above)
        fixed, repaired, repair_problems = repair(geoms, spec.geometry)
        for i, message in repair_problems.items():
            geom_problems.setdefault(i, message)
        ok = np.ones(n, dtype=bool)
        ok[list(geom_problems)] = False
        summary.repaired = int(repaired[ok].sum())
        summary.crs = _crs_label(crs)
    problems.extend(
        Problem(m, source=name, feature=i + 1, field=read.geometry_field) for i, m in sorted(geom_problems.items())
    )
    present = read.geoms[~shapely.is_missing(read.geoms)]
    if len(present) and shapely.has_z(present).any():
        summary.notes.append("Z coordinates were dropped (stored in 2-D)")
    if from_gcj02:
        summary.notes.append("converted from GCJ-02 (Amap/Tencent) to WGS-84")

    # --- attributes ------------------------------------------------------------------------------------------
    values = {f: _coerce(spec, f, col, read.columns[col], name, problems) for f, col in columns.items()}
    _check_required(spec, read.columns, columns, name, problems)
    _check_duplicates(spec, values, columns, name, problems)
    gdf = gpd.GeoDataFrame(
        {f: pd.Series(v, dtype=object) for f, v in values.items()},
        geometry=gpd.GeoSeries(fixed, crs=STORAGE_SRID),
    )
    _check_parents(session, spec, gdf, columns, name, problems)
    if problems:
        raise InvalidInput(_ordered(problems))

    rows = np.arange(1, n + 1)  # feature number of each row to write
    if spec.geometry == "line":
        gdf, rows = _explode_lines(gdf, rows, spec, columns, name, summary)
    if spec.key == "ext_id" and "ext_id" not in columns:
        summary.notes.append(
            "no ext_id column: features cannot be matched on a later import, so re-importing adds them again"
        )

    # --- write, in chunks for the progress bar ---------------------------------------------------------------
    progress(0, total=len(gdf))
    for start in range(0, len(gdf), CHUNK):
        chunk = gdf.iloc[start : start + CHUNK]
        try:
            result = write_features(session, layer, chunk, source=name[:200])
        except InvalidInput as exc:
            raise InvalidInput([_renumber(p, rows[start:], name, columns) for p in exc.problems]) from None
        except DBAPIError as exc:
            raise GridmapError(f"{name}: the database refused the import: {_first_line(exc.orig)}") from None
        summary.created += result.created
        summary.updated += result.updated
        progress(len(chunk))
    return summary


# ------------------------------------------------------------------------------------------------------------
# preconditions and options


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
        raise InvalidInput(f"--crs {text!r} is not a CRS pyproj knows ({_first_line(exc)}); e.g. EPSG:4490") from None


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else (crs.name or crs.to_string())


def _equal_to_storage(crs: CRS) -> bool:
    if not crs.is_geographic:
        return False
    epsg = crs.to_epsg(min_confidence=70)
    return epsg in _EQUAL_TO_STORAGE or crs.equals(_STORAGE, ignore_axis_order=True)


# ------------------------------------------------------------------------------------------------------------
# reading


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def _reader_reason(exc: Exception, path: Path) -> str:
    text = _first_line(exc)
    for p in {str(path), str(path.resolve()), path.as_posix()}:
        text = text.replace(f"'{p}'", "the file").replace(p, "the file")
    return text


def _unreadable(path: Path, exc: Exception) -> InvalidInput:
    return InvalidInput(Problem(f"cannot read the file: {_reader_reason(exc, path)}", source=path.name))


def _read_ogr(path: Path, layer_name: str | None) -> _Read:
    name = path.name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = [(str(a), b) for a, b in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError & co. with GDAL's reason
        raise _unreadable(path, exc) from None
    names = [a for a, _ in layers]
    spatial = [a for a, kind in layers if kind is not None]
    if layer_name is not None:
        if layer_name not in names:
            raise InvalidInput(
                Problem(f"no layer named {layer_name!r}; the file's layers are: {', '.join(names)}", source=name)
            )
        chosen = layer_name
    elif len(spatial) == 1:
        chosen = spatial[0]
    elif not spatial:
        raise InvalidInput(Problem("the file holds no layer with geometry", source=name))
    else:
        raise InvalidInput(
            Problem(
                f"the file holds {len(spatial)} layers: {', '.join(spatial)}; choose one with --layer-name",
                source=name,
            )
        )

    encoding, detect = _shapefile_encoding(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. GDAL's "Non closed ring detected": reported per feature below
            meta, _fids, wkb, data = pyogrio.raw.read(path, layer=chosen, encoding=encoding)
    except Exception as exc:
        raise _unreadable(path, exc) from None
    if meta.get("geometry_type") is None:
        raise InvalidInput(Problem(f"layer {chosen!r} has no geometry", source=name))
    fields = [str(f) for f in meta["fields"]]
    columns = {f: _as_objects(a) for f, a in zip(fields, data, strict=True)}
    notes: list[str] = []
    if detect:
        columns, note = _decode_legacy_text(columns)
        if note:
            notes.append(note)
    geoms, geom_problems = _geoms_from(wkb, shapely.from_wkb)
    crs = None
    if meta.get("crs"):
        try:
            crs = CRS.from_user_input(meta["crs"])
        except CRSError as exc:
            raise InvalidInput(
                Problem(f"the file's CRS is not understood ({_first_line(exc)}): give --crs", source=name)
            ) from None
    return _Read(columns, geoms, crs, geom_problems, notes)


def _sibling(path: Path, suffix: str) -> Path | None:
    for s in (suffix.lower(), suffix.upper()):
        p = path.with_suffix(s)
        if p.exists():
            return p
    return None


def _shapefile_encoding(path: Path) -> tuple[str | None, bool]:
    """The ``encoding=`` to read a Shapefile with, and whether to detect the text encoding ourselves.

    A .cpg file, or a specific code page in the DBF header (language driver id), is trusted (GDAL applies it).
    Without either, GDAL assumes ISO-8859-1, but a Chinese GIS writes GBK (or UTF-8): the text is then read
    as ISO-8859-1, which keeps every byte, and :func:`_decode_legacy_text` decides.
    """
    if path.suffix.lower() != ".shp" or _sibling(path, ".cpg"):
        return None, False
    dbf = _sibling(path, ".dbf")
    if dbf is None:
        return None, False
    with dbf.open("rb") as f:
        header = f.read(32)
    ldid = header[29] if len(header) > 29 else 0
    if ldid not in (0x00, 0x57):  # 0x57: "ANSI", the system code page — GBK on a Chinese Windows
        return None, False
    return "ISO-8859-1", True


def _decode_legacy_text(columns: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], str | None]:
    """Re-decode text read byte-for-byte (ISO-8859-1): UTF-8 if all of it is valid UTF-8, else GBK (GB18030)."""
    texts = list(columns) + [v for a in columns.values() for v in a if isinstance(v, str)]
    try:
        blob = "\x00".join(texts).encode("latin-1")
    except UnicodeEncodeError:
        return columns, None
    if blob.isascii():
        return columns, None
    for codec, label in (("utf-8", None), ("gb18030", "GBK")):
        try:
            blob.decode(codec)
        except UnicodeDecodeError:
            continue

        def fix(s: object, codec: str = codec) -> object:
            return s.encode("latin-1").decode(codec, errors="replace") if isinstance(s, str) else s

        out = {fix(k): np.array([fix(v) for v in a], dtype=object) for k, a in columns.items()}
        note = f"no .cpg file: attribute text read as {label} (detected)" if label else None
        return out, note
    return columns, "no .cpg file and the text is neither UTF-8 nor GBK: read as ISO-8859-1; add a .cpg file"


def _as_objects(a: np.ndarray) -> np.ndarray:
    """A column as an object array of plain Python values (None for missing)."""
    if a.dtype.kind == "M":
        return np.array([None if pd.isna(v) else pd.Timestamp(v).to_pydatetime() for v in a], dtype=object)
    out = np.empty(len(a), dtype=object)
    out[:] = a.tolist()
    return out


_GEOS_READ_ERRORS = (
    (re.compile(r"closed linestring", re.I), "a ring is not closed (its first and last points differ)"),
    (re.compile(r"must contain 0 or >1 elements|Invalid number of points", re.I), "too few points"),
)


def _geoms_from(raw: np.ndarray, parse: Callable) -> tuple[np.ndarray, dict[int, str]]:
    """Parse WKB/WKT per feature; unreadable ones become None with the reason (never abort the file)."""
    raw = np.asarray(raw, dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        geoms = parse(raw, on_invalid="ignore")
    problems: dict[int, str] = {}
    failed = np.flatnonzero(shapely.is_missing(geoms) & np.array([r is not None for r in raw], dtype=bool))
    for i in failed:
        try:
            parse(raw[i])
            reason = "unreadable geometry"
        except Exception as exc:  # GEOSException / ParseException: keep GEOS's reason
            reason = _first_line(exc)
            for pattern, sentence in _GEOS_READ_ERRORS:
                if pattern.search(reason):
                    reason = sentence
                    break
            else:
                reason = f"unreadable geometry: {reason}"
        problems[int(i)] = reason
    return geoms, problems


_EWKT = re.compile(r"^\s*SRID=(\d+)\s*;\s*", re.I)
_HEX = re.compile(r"^\s*(?:[0-9A-Fa-f]{2})+\s*$")


def _read_csv(path: Path, geometry_column: str | None) -> _Read:
    name = path.name
    notes: list[str] = []
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
            notes.append("the CSV is not UTF-8: read as GBK")
        except UnicodeDecodeError:
            raise InvalidInput(Problem("cannot read the file: text is neither UTF-8 nor GBK", source=name)) from None
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InvalidInput(Problem(f"cannot read the file: {_first_line(exc)}", source=name)) from None
    headers = [str(c) for c in df.columns]
    if geometry_column is not None:
        gcol = _find_column(headers, geometry_column)
        if gcol is None:
            raise InvalidInput(
                Problem(
                    f"no column {geometry_column!r} (mapped to geometry); the columns are: {', '.join(headers)}",
                    source=name,
                    field=geometry_column,
                )
            )
    else:
        gcol = next((c for w in WKT_COLUMNS if (c := _find_column(headers, w))), None)
        if gcol is None:
            raise InvalidInput(
                Problem(
                    "no geometry column: name it wkt (or geometry) or give --map geometry=COLUMN; "
                    f"the columns are: {', '.join(headers)}",
                    source=name,
                )
            )
    cells = [None if pd.isna(v) else str(v) for v in df[gcol]]
    srids = set()
    for k, cell in enumerate(cells):
        if cell is not None and (m := _EWKT.match(cell)):
            srids.add(int(m.group(1)))
            cells[k] = cell[m.end() :]
    hexes = np.array([c is not None and bool(_HEX.match(c)) for c in cells], dtype=bool)
    wkt = np.array([None if h else c for c, h in zip(cells, hexes, strict=True)], dtype=object)
    geoms, problems = _geoms_from(wkt, shapely.from_wkt)
    if hexes.any():
        hgeoms, hproblems = _geoms_from(np.array([c.strip() if h else None for c, h in zip(cells, hexes, strict=True)],
                                                 dtype=object), shapely.from_wkb)  # fmt: skip
        geoms[hexes] = hgeoms[hexes]
        problems.update(hproblems)
    crs = None
    if len(srids) == 1:
        crs = CRS.from_epsg(srids.pop())
    elif len(srids) > 1:
        raise InvalidInput(Problem(f"rows declare different SRIDs: {sorted(srids)}", source=name, field=gcol))
    columns = {c: np.array([None if pd.isna(v) else v for v in df[c]], dtype=object) for c in headers if c != gcol}
    return _Read(columns, geoms, crs, problems, notes, geometry_field=gcol)


# ------------------------------------------------------------------------------------------------------------
# columns and CRS


def _find_column(columns: list[str], wanted: str) -> str | None:
    if wanted in columns:
        return wanted
    folded = [c for c in columns if c.strip().casefold() == wanted.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def _resolve_columns(
    spec: LayerSpec, mapping: dict[str, str], columns: list[str], name: str, problems: list[Problem]
) -> dict[str, str]:
    """``{field: column}`` for every field the file provides; problems for mapped or required ones it lacks."""
    found: dict[str, str] = {}
    listing = ", ".join(columns) if columns else "(none)"
    for f in spec.fields:
        if f in mapping:
            col = _find_column(columns, mapping[f])
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
            col = _find_column(columns, f)
            if col is None and len(f) > 10:  # a Shapefile (DBF) cuts names to 10 characters: community_
                col = _find_column(columns, f[:10])
            if col is None:
                if f in spec.required:
                    problems.append(
                        Problem(
                            f"required field {f!r} is missing: no column named {f}; "
                            f"give --map {f}=COLUMN (the file's columns are: {listing})",
                            source=name,
                            field=f,
                        )
                    )
                continue
        found[f] = col
    return found


def _to_storage(
    read: _Read,
    given: CRS | None,
    from_gcj02: bool,
    geom_problems: dict[int, str],
    problems: list[Problem],
    summary: ImportSummary,
    name: str,
) -> tuple[np.ndarray, CRS | None]:
    """Settle the source CRS and bring the geometries to EPSG:4326 (GCJ-02 converted when asked)."""
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

    outside = check_lonlat(geoms) if crs.is_geographic else np.zeros(0, dtype=int)
    present = int((~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)).sum())
    if len(outside) > 1 and len(outside) == present:  # the whole file: one message, not one per feature
        problems.append(
            Problem(
                f"all {present:,} features have coordinates outside longitude/latitude range, yet the CRS is "
                f"{_crs_label(crs)}: {projection_hint(geoms[outside])}",
                source=name,
            )
        )
        return np.full(len(geoms), None, dtype=object), None
    if len(outside):
        hint = projection_hint(geoms[outside])
        for i in outside:
            x, y = shapely.get_coordinates(geoms[i])[0]  # the first coordinate, as an example
            geom_problems.setdefault(
                int(i),
                f"coordinates ({x:.10g}, {y:.10g}) are outside longitude/latitude range in {_crs_label(crs)}: {hint}",
            )
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


_FAMILY_WORDS = {"polygon": "polygons", "line": "lines"}


def _family_mismatch(geoms: np.ndarray, spec: LayerSpec) -> str | None:
    """One message when no feature at all has the layer's geometry family (the wrong file or layer)."""
    present = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if len(present) < 2:
        return None
    types = shapely.get_type_id(present)
    if spec.geometry == "polygon":
        fits = np.isin(types, [GeometryType.POLYGON, GeometryType.MULTIPOLYGON, GeometryType.GEOMETRYCOLLECTION])
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


# ------------------------------------------------------------------------------------------------------------
# attributes


def _max_length(spec: LayerSpec, f: str) -> int | None:
    col = Area.__table__.c.code if f == spec.parent_field else spec.model.__table__.c.get(f)
    return getattr(col.type, "length", None) if col is not None else None


def _missing(v: object) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _text(v: object) -> str | None:
    if _missing(v):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # codes read from numeric columns: 141102001.0 → "141102001"
    if isinstance(v, bytes):
        v = v.decode("utf-8", errors="replace")
    s = str(v).strip()
    return s or None


def _coerce(spec: LayerSpec, f: str, col: str, raw: np.ndarray, name: str, problems: list[Problem]) -> list[object]:
    """One field's values as stored types; a problem for each value that does not fit."""
    out: list[object] = []
    limit = _max_length(spec, f)
    label = f if f == col else f"{f} (column {col})"

    def bad(row: int, message: str) -> None:
        problems.append(Problem(message, source=name, feature=row, field=col))

    for row, v in enumerate(raw, start=1):
        if _missing(v) or (isinstance(v, str) and not v.strip()):
            out.append(None)
        elif f in _INT_FIELDS:
            try:
                number = float(str(v).strip()) if not isinstance(v, int | float) else float(v)
                if not number.is_integer() or number < 0:
                    raise ValueError
                out.append(int(number))
            except ValueError:
                bad(row, f"{label}: {v!r} is not a whole number")
                out.append(None)
        elif f in _DATE_FIELDS:
            try:
                out.append(_date(v))
            except ValueError:
                bad(row, f"{label}: {v!r} is not a date (write 2024-05-01)")
                out.append(None)
        elif f == "level" and spec.name == "segments":
            word = str(v).strip()
            level = LEVEL_WORDS.get(word) or LEVEL_WORDS.get(word.lower())
            if level is None:
                bad(
                    row,
                    f"{label}: {word!r} is not a road level; use main/secondary/back or "
                    "主干道 (主干路), 次干道 (次干路, 支路), 背街小巷 (小巷, 街巷)",
                )
            out.append(None if level is None else str(level))
        else:
            s = _text(v)
            if s is not None and limit is not None and len(s) > limit:
                bad(row, f"{label}: {s[:30]!r}… is {len(s)} characters long; at most {limit} fit")
            out.append(s)
    return out


def _date(v: object) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = str(v).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(s[:10] if fmt == "%Y-%m-%d" else s, fmt).date()
        except ValueError:
            continue
    raise ValueError(s)


def _check_required(
    spec: LayerSpec, raw: dict[str, np.ndarray], columns: dict[str, str], name: str, problems: list[Problem]
) -> None:
    for f in spec.required:
        if f not in columns:
            continue  # the missing column is already reported
        for row, v in enumerate(raw[columns[f]], start=1):
            if _missing(v) or (isinstance(v, str) and not v.strip()):
                problems.append(Problem(f"{f} is required but empty", source=name, feature=row, field=columns[f]))


def _check_duplicates(
    spec: LayerSpec, values: dict[str, list[object]], columns: dict[str, str], name: str, problems: list[Problem]
) -> None:
    if not spec.key or spec.key not in values:
        return
    first: dict[object, int] = {}
    for row, key in enumerate(values[spec.key], start=1):
        if key is None:
            continue
        if key in first:
            problems.append(
                Problem(
                    f"duplicate {spec.key} {key!r}: features {first[key]} and {row} both have it",
                    source=name,
                    feature=row,
                    field=columns[spec.key],
                )
            )
        else:
            first[key] = row


def _check_parents(
    session: Session,
    spec: LayerSpec,
    gdf: gpd.GeoDataFrame,
    columns: dict[str, str],
    name: str,
    problems: list[Problem],
) -> None:
    """Unknown parent codes are reported with the other problems (write_features would stop at them anyway)."""
    if not spec.parent_field or spec.parent_field not in gdf.columns:
        return
    try:
        resolve_parents(session, spec, gdf)
    except InvalidInput as exc:
        rows = np.arange(1, len(gdf) + 1)
        problems.extend(_renumber(p, rows, name, columns) for p in exc.problems)


def _renumber(p: Problem, rows: np.ndarray, name: str, columns: dict[str, str]) -> Problem:
    """A problem raised about a written chunk, renamed to the file's feature number and column."""
    feature = int(rows[p.feature - 1]) if p.feature else None
    return Problem(p.message, source=p.source or name, feature=feature, field=columns.get(p.field or "", p.field))


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.feature is not None, p.feature or 0, p.field or ""))


# ------------------------------------------------------------------------------------------------------------
# segments


def _explode_lines(
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
    limit = _max_length(spec, "ext_id")
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
        raise InvalidInput(_ordered(problems))
