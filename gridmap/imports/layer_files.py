"""Reading a layer file for ``gridmap import``: GDAL formats through pyogrio, CSV with a WKT column, legacy
Shapefile text encodings; unreadable geometries become per-feature problems instead of stopping the file."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from gridmap.csv_text import decode
from gridmap.errors import InvalidInput, Problem

WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "wkt_geom", "shape")
"""Column names recognised as holding the geometry of a CSV file (case-insensitive), in order of preference."""


@dataclass
class LayerRead:
    """A file as read: columns (object arrays), geometries (None where missing/unreadable), declared CRS."""

    columns: dict[str, np.ndarray]
    geoms: np.ndarray
    crs: CRS | None
    geom_problems: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    geometry_field: str = "geometry"  # how problems name the geometry (a CSV's WKT column)


def first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def _reader_reason(exc: Exception, path: Path) -> str:
    text = first_line(exc)
    for p in {str(path), str(path.resolve()), path.as_posix()}:
        text = text.replace(f"'{p}'", "the file").replace(p, "the file")
    return text


def _unreadable(path: Path, exc: Exception) -> InvalidInput:
    return InvalidInput(Problem(f"cannot read the file: {_reader_reason(exc, path)}", source=path.name))


def read_ogr(path: Path, layer_name: str | None) -> LayerRead:
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
    assert wkb is not None  # a layer with a geometry type reads its geometries
    geoms, geom_problems = _geoms_from(wkb, shapely.from_wkb)
    crs = None
    if meta.get("crs"):
        try:
            crs = CRS.from_user_input(meta["crs"])
        except CRSError as exc:
            raise InvalidInput(
                Problem(f"the file's CRS is not understood ({first_line(exc)}): give --crs", source=name)
            ) from None
    return LayerRead(columns, geoms, crs, geom_problems, notes)


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

        out = {str(fix(k)): np.array([fix(v) for v in a], dtype=object) for k, a in columns.items()}
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
            reason = first_line(exc)
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


def read_csv(path: Path, geometry_column: str | None) -> LayerRead:
    name = path.name
    notes: list[str] = []
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    encoding, text = decode(raw, name)
    if encoding != "utf-8-sig":
        notes.append("the CSV is not UTF-8: read as GBK")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InvalidInput(Problem(f"cannot read the file: {first_line(exc)}", source=name)) from None
    headers = [str(c) for c in df.columns]
    if geometry_column is not None:
        gcol = find_column(headers, geometry_column)
        if gcol is None:
            raise InvalidInput(
                Problem(
                    f"no column {geometry_column!r} (mapped to geometry); the columns are: {', '.join(headers)}",
                    source=name,
                    field=geometry_column,
                )
            )
    else:
        gcol = next((c for w in WKT_COLUMNS if (c := find_column(headers, w))), None)
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
        hex_cells = [c.strip() if h and c is not None else None for c, h in zip(cells, hexes, strict=True)]
        hgeoms, hproblems = _geoms_from(np.array(hex_cells, dtype=object), shapely.from_wkb)
        geoms[hexes] = hgeoms[hexes]
        problems.update(hproblems)
    crs = None
    if len(srids) == 1:
        crs = CRS.from_epsg(srids.pop())
    elif len(srids) > 1:
        raise InvalidInput(Problem(f"rows declare different SRIDs: {sorted(srids)}", source=name, field=gcol))
    columns = {c: np.array([None if pd.isna(v) else v for v in df[c]], dtype=object) for c in headers if c != gcol}
    return LayerRead(columns, geoms, crs, problems, notes, geometry_field=gcol)


def find_column(columns: list[str], wanted: str) -> str | None:
    if wanted in columns:
        return wanted
    folded = [c for c in columns if c.strip().casefold() == wanted.strip().casefold()]
    return folded[0] if len(folded) == 1 else None
