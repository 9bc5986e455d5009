"""The ``gridmap`` command. It parses arguments, calls one use-case, and prints the result."""

from __future__ import annotations

import time
from pathlib import Path

import click

import gridmap
from gridmap.cli_cases import cases_group, categories_group
from gridmap.cli_grids import grids_group, roads_group
from gridmap.cli_support import Context, _fail, _progress
from gridmap.config import DEMO_DATA_DIR
from gridmap.errors import GridmapError
from gridmap.store.engine import (
    DatabaseError,
    current_revision,
    make_session_factory,
    session_scope,
    upgrade,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url",
    envvar="GRIDMAP_DATABASE_URL",
    default=None,
    help="sqlite:///path/to/file.sqlite (SpatiaLite, default: instance/gridmap.sqlite) or "
    "postgresql+psycopg://user@host/db (PostGIS).",
)
@click.version_option(gridmap.__version__, prog_name="gridmap")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """gridmap — grid management for 创城 / 数字城管 command centres.

    \b
    First steps:
      gridmap init              create the database schema (SpatiaLite file by default)
      gridmap demo              load the demo city (离石区, synthetic geometry)
      gridmap serve             open http://127.0.0.1:5000
    \b
    Your own data:
      gridmap import streets 街道.geojson --map code=XZQDM --map name=XZQMC
      gridmap import-osm city.osm.pbf
    """
    ctx.obj = Context(database_url)
    ctx.call_on_close(ctx.obj.close)


@main.command()
@click.pass_obj
def init(obj: Context) -> None:
    """Create or upgrade the database schema (runs the migrations) and seed the categories and holidays."""
    from gridmap.catalogue.categories import seed

    try:
        upgrade(obj.engine)
        with session_scope(make_session_factory(obj.engine)) as session:
            seed(session)
    except DatabaseError as exc:
        _fail(exc)
    click.echo(f"database ready at revision {current_revision(obj.engine)}: {obj.engine.url.render_as_string()}")


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_obj
def db_upgrade(obj: Context, revision: str) -> None:
    """Apply migrations up to REVISION."""
    upgrade(obj.engine, revision)
    click.echo(f"at revision {current_revision(obj.engine)}")


@db.command("current")
@click.pass_obj
def db_current(obj: Context) -> None:
    """Print the schema revision."""
    click.echo(current_revision(obj.engine) or "not initialised")


@main.command("import")
@click.argument("layer", type=click.Choice(["districts", "streets", "communities", "grids", "segments", "compounds"]))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Which column of the file holds a gridmap field, e.g. --map name=ROAD_NAME (repeatable).",
)
@click.option(
    "--crs",
    "src_crs",
    default=None,
    metavar="CRS",
    help="The file's CRS when it declares none or declares it wrongly (e.g. EPSG:4490, EPSG:4527).",
)
@click.option("--from-gcj02", is_flag=True, help="Coordinates come from Amap/Tencent (GCJ-02): convert to WGS-84.")
@click.option("--layer-name", default=None, help="Layer inside a multi-layer file (GeoPackage).")
@click.pass_obj
def import_cmd(
    obj: Context,
    layer: str,
    path: Path,
    mappings: tuple[str, ...],
    src_crs: str | None,
    from_gcj02: bool,
    layer_name: str | None,
) -> None:
    """Import LAYER features from PATH (GeoJSON, GeoPackage, Shapefile, or CSV with a WKT column).

    All-or-nothing: if any feature is rejected, nothing is written and every problem is listed.
    """
    from gridmap.imports.layer_import import import_file, parse_mapping

    try:
        mapping = parse_mapping(mappings)
        factory = obj.migrated_session_factory()
        started = time.perf_counter()
        with session_scope(factory) as session, _progress(f"importing {layer}") as progress:
            summary = import_file(
                session,
                path,
                layer,
                mapping=mapping,
                src_crs=src_crs,
                from_gcj02=from_gcj02,
                layer_name=layer_name,
                progress=progress,
            )
    except GridmapError as exc:
        _fail(exc)
    click.echo(summary.describe(time.perf_counter() - started))


@main.command("import-osm")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-compounds", is_flag=True, help="Import road segments only.")
@click.pass_obj
def import_osm_cmd(obj: Context, path: Path, no_compounds: bool) -> None:
    """Build road segments (split at intersections) and compounds from an OpenStreetMap .osm.pbf extract."""
    from gridmap.imports.osm import import_osm

    try:
        factory = obj.migrated_session_factory()
        started = time.perf_counter()
        with session_scope(factory) as session:
            summary = import_osm(session, path, compounds=not no_compounds)
    except GridmapError as exc:
        _fail(exc)
    click.echo(summary.describe(time.perf_counter() - started))


@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=DEMO_DATA_DIR, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds features.")
@click.option("--no-reports", is_flag=True, help="Leave out the three months of demo reports (opened as cases).")
@click.pass_obj
def demo(obj: Context, data_dir: Path, if_empty: bool, no_reports: bool) -> None:
    """Load the demo city (离石区: real 街道/社区 names and codes, synthetic geometry)."""
    from gridmap.imports.demo import database_is_empty, load_demo

    try:
        upgrade(obj.engine)
        factory = make_session_factory(obj.engine)
        from gridmap.catalogue.categories import seed

        with session_scope(factory) as session:
            seed(session)  # categories and holidays, where missing (also on a database loaded before)
        if if_empty:
            with factory() as session:
                if not database_is_empty(session):
                    click.echo("demo city already loaded; nothing to do")
                    return
        started = time.perf_counter()
        with session_scope(factory) as session:
            counts = load_demo(session, data_dir, obj.settings, with_reports=not no_reports)
    except (GridmapError, DatabaseError) as exc:
        _fail(exc)
    took = time.perf_counter() - started
    click.echo(f"demo city loaded in {took:.1f} s: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Routed CSV.")
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Bad rows (row, field, message); default: <output>.errors.csv when there are any.",
)
@click.option("--lon-col", default="lon", show_default=True)
@click.option("--lat-col", default="lat", show_default=True)
@click.option(
    "--crs",
    type=click.Choice(["wgs84", "gcj02"]),
    default="wgs84",
    show_default=True,
    help="gcj02: coordinates from Amap/Tencent, converted to WGS-84.",
)
@click.option("--category-col", default=None, help="Column with the category code (per-category rule order).")
@click.option("--time-col", default=None, help="Column with the observed time (ISO-8601); default: today.")
@click.pass_obj
def snap(
    obj: Context,
    path: Path,
    output: Path,
    errors_path: Path | None,
    lon_col: str,
    lat_col: str,
    crs: str,
    category_col: str | None,
    time_col: str | None,
) -> None:
    """Route every report of the CSV file PATH to its responsible unit (bulk, vectorised); nothing is stored.

    Good rows go to OUTPUT with the routing columns appended; bad rows go to the error file with their row
    number — they never stop the good ones.
    """
    from gridmap.routing.csv_file import snap_csv

    try:
        factory = obj.migrated_session_factory()
        with factory() as session:
            summary = snap_csv(
                session,
                path,
                output,
                errors_path=errors_path,
                lon_col=lon_col,
                lat_col=lat_col,
                crs=crs,
                category_col=category_col,
                time_col=time_col,
            )
    except GridmapError as exc:
        _fail(exc)
    click.echo(summary.describe())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="request threads")
@click.option("--debug", is_flag=True, help="Flask's development server with the debugger and reloader")
@click.pass_obj
def serve(obj: Context, host: str, port: int, threads: int, debug: bool) -> None:
    """Serve the web app (map pages and the JSON API) with waitress, a production WSGI server."""
    from gridmap.web import create_app

    app = create_app(obj.settings)
    click.echo(f"gridmap serving {obj.settings.database_url} on http://{host}:{port}/")
    if debug:
        app.run(host=host, port=port, debug=True, threaded=True)
        return
    import waitress

    from gridmap.store.sqlite.wal import WalCheckpointer

    engine = app.extensions["gridmap"]["engine"]
    checkpointer = WalCheckpointer(engine).start() if engine.dialect.name == "sqlite" else None
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="gridmap", _quiet=True)
    finally:
        if checkpointer is not None:
            checkpointer.stop()


main.add_command(categories_group)
main.add_command(cases_group)
main.add_command(grids_group)
main.add_command(roads_group)
