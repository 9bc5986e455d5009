"""Benchmark `gridmap import components`: 100,000 and 1,000,000 synthetic component points (部件普查) from a
GeoPackage, with their class codes and owners (权属单位) matched to units by name or code.

Prints rows/s (wall time and CPU time — the machine may be shared) and two baselines run in the same process:

* the naive way an app would write it: pyogrio read, then one ORM ``session.add(Component(...))`` per row with
  the owner looked up per row, timed on a sample (``--sample``, 5,000 rows) and extrapolated;
* a floor: pyogrio read + one raw executemany of WKB into a bare table (no checks, no spatial index).

Run: ``.venv/bin/python scripts/bench_components.py [--sizes 100000,1000000] [--postgres-url URL] [--only …]``
(the server's admin URL: the script creates a database of its own there and drops it). A few minutes on a laptop.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from sqlalchemy import create_engine, delete, make_url, select, text

import gridmap  # noqa: F401
from gridmap.accounts.actor import cli_actor
from gridmap.config import Settings
from gridmap.imports.layer_import import import_file
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade
from gridmap.store.models import Component, Unit

CLASSES = np.array(["0101", "0102", "0103", "0104", "0202", "0302", "0401"])
OWNERS = [(f"U-B{i:02d}", f"部件权属单位{i:02d}") for i in range(40)]


def make_points(path: Path, n: int) -> None:
    """``n`` points over a 10 × 8 km city near 离石, owners given by name or by code, a few blank."""
    rng = np.random.default_rng(13)
    pts = shapely.points(111.10 + rng.random(n) * 0.11, 37.48 + rng.random(n) * 0.07)
    k = rng.integers(0, len(OWNERS), n)
    by_code = rng.random(n) < 0.5
    owner = np.where(by_code, np.array([c for c, _ in OWNERS])[k], np.array([nm for _, nm in OWNERS])[k])
    owner = np.where(rng.random(n) < 0.02, None, owner)
    gdf = gpd.GeoDataFrame(
        {"code": [f"BJ{i:08d}" for i in range(n)], "class_code": CLASSES[rng.integers(0, len(CLASSES), n)],
         "owner": owner},
        geometry=pts, crs=4326,
    )  # fmt: skip
    pyogrio.write_dataframe(gdf, path, layer="components", driver="GPKG")


def naive_rate(factory, path: Path, sample: int) -> float:
    """Rows/s of a per-row ORM insert (owner looked up per row) over the first ``sample`` rows, rolled back."""
    df = pyogrio.read_dataframe(path, max_features=sample)
    started = time.perf_counter()
    with factory() as s:
        for code, cls, owner, geom in zip(df["code"], df["class_code"], df["owner"], df.geometry, strict=True):
            uid = None
            if isinstance(owner, str):  # (a blank owner is read as NaN)
                uid = s.scalar(select(Unit.id).where((Unit.code == owner) | (Unit.name == owner)))
            s.add(Component(code=code, class_code=cls, owner_unit_id=uid, geom=f"SRID=4326;{geom.wkt}"))
            s.flush()
        s.rollback()
    return sample / (time.perf_counter() - started)


def raw_rate(engine, path: Path) -> float:
    started = time.perf_counter()
    df = pyogrio.read_dataframe(path)
    wkbs = shapely.to_wkb(df.geometry.values)
    columns = zip(df["code"], df["class_code"], df["owner"], wkbs, strict=True)
    rows = [{"code": c, "cls": k, "owner": o, "wkb": w} for c, k, o, w in columns]
    blob = "BYTEA" if engine.dialect.name == "postgresql" else "BLOB"
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_raw"))
        conn.execute(text(f"CREATE TABLE bench_raw (code VARCHAR(64), cls VARCHAR(8), owner VARCHAR(200), wkb {blob})"))
        conn.execute(text("INSERT INTO bench_raw VALUES (:code, :cls, :owner, :wkb)"), rows)
        conn.execute(text("DROP TABLE bench_raw"))
    return len(rows) / (time.perf_counter() - started)


def bench(label: str, settings: Settings, files: dict[int, Path], sample: int) -> None:
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        s.execute(delete(Component))
        if not s.scalar(select(Unit.id).where(Unit.code == OWNERS[0][0])):
            s.add_all(Unit(code=c, name=nm, kind="enterprise") for c, nm in OWNERS)
    naive = naive_rate(factory, files[min(files)], sample)
    print(f"{label}: naive per-row ORM insert (sample of {sample:,}): {naive:,.0f} rows/s", flush=True)
    for n, path in files.items():
        raw = raw_rate(engine, path)
        wall, cpu = time.perf_counter(), time.process_time()
        with session_scope(factory) as s:
            summary = import_file(s, path, "components", actor=cli_actor())
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert summary.created == n, summary
        rate = n / wall
        print(
            f"{label}: import {n:>9,} components: {wall:6.1f} s wall ({cpu:6.1f} s CPU) = {rate:8,.0f} rows/s; "
            f"{rate / naive:5.1f}× the naive ORM insert (extrapolated: {n / naive:7.0f} s); "
            f"raw executemany floor {raw:8,.0f} rows/s ({rate / raw:.2f}× of it)",
            flush=True,
        )
        if n != max(files):  # (not after the last size: a million deletes through SpatiaLite's triggers take long)
            with session_scope(factory) as s:
                s.execute(delete(Component))
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated point counts")
    ap.add_argument("--sample", type=int, default=5000, help="rows of the naive baseline")
    ap.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--only", choices=("spatialite", "postgis"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for n in sizes:
            files[n] = Path(tmp) / f"components-{n}.gpkg"
            started = time.perf_counter()
            make_points(files[n], n)
            print(f"made {n:,} points in {time.perf_counter() - started:.1f} s", flush=True)
        if args.only != "postgis":
            bench("SpatiaLite", Settings(database_url=f"sqlite:///{tmp}/bench.sqlite"), files, args.sample)
        if args.only != "spatialite":
            admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
            name = f"gridmap_bench_components_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
                bench("PostGIS   ", Settings(database_url=url), files, args.sample)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
