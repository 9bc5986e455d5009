"""``gridmap import LAYER FILE``, ``gridmap import-osm`` and ``gridmap demo``: a city's data brought in,
all-or-nothing."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import click
from sqlalchemy.orm import Session

from gridmap.accounts.actor import cli_actor
from gridmap.cli.support import Context, ProgressBar, fail
from gridmap.config import DEMO_DATA_DIR
from gridmap.errors import DatabaseError, GridmapError
from gridmap.store.engine import (
    make_session_factory,
    session_scope,
    upgrade,
)


@click.command("import")
@click.argument(
    "layer",
    type=click.Choice(
        ["districts", "streets", "communities", "grids", "segments", "compounds", "components", "places"]
    ),
)
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
@click.option(
    "--type",
    "place_kind",
    default=None,
    metavar="TYPE",
    help="places: the type of every place the file leaves blank (农贸市场/market, 公园广场/park, 建筑工地/site, "
    "学校周边/school, 商业大街/commercial, 医院/hospital, 车站/station, 政务服务大厅/hall).",
)
@click.pass_obj
def import_cmd(
    obj: Context,
    layer: str,
    path: Path,
    mappings: tuple[str, ...],
    src_crs: str | None,
    from_gcj02: bool,
    layer_name: str | None,
    place_kind: str | None,
) -> None:
    """Import LAYER features from PATH (GeoJSON, GeoPackage, Shapefile, or CSV with a WKT column).

    All-or-nothing: if any feature is rejected, nothing is written and every problem is listed.
    """
    from gridmap.imports.layer_import import import_file, parse_mapping

    try:
        mapping = parse_mapping(mappings)
        factory = obj.migrated_session_factory()
        started = time.perf_counter()
        with session_scope(factory) as session, ProgressBar(f"importing {layer}") as progress:
            summary = import_file(
                session,
                path,
                layer,
                mapping=mapping,
                src_crs=src_crs,
                from_gcj02=from_gcj02,
                layer_name=layer_name,
                progress=progress,
                actor=cli_actor(),
                place_kind=place_kind,
            )
    except GridmapError as exc:
        fail(exc)
    click.echo(summary.describe(time.perf_counter() - started))


@click.command("import-osm")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-compounds", is_flag=True, help="Import road segments only.")
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse the extract if any compound polygon is invalid (default: repair it when safe, else skip it).",
)
@click.pass_obj
def import_osm_cmd(obj: Context, path: Path, no_compounds: bool, strict: bool) -> None:
    """Build road segments (split at intersections) and compounds from an OpenStreetMap .osm.pbf extract."""
    from gridmap.imports.osm import import_osm

    try:
        factory = obj.migrated_session_factory()
        started = time.perf_counter()
        with session_scope(factory) as session:
            summary = import_osm(session, path, actor=cli_actor(), compounds=not no_compounds, strict=strict)
    except GridmapError as exc:
        fail(exc)
    click.echo(summary.describe(time.perf_counter() - started))


@click.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=DEMO_DATA_DIR, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds features.")
@click.option("--no-reports", is_flag=True, help="Leave out the demo reports (cases with a year of history).")
@click.option("--no-accounts", is_flag=True, help="Leave out the demo accounts (one per role).")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The load day: the cases' year of history ends at its start (default: today). Same day, same history.",
)
@click.pass_obj
def demo(
    obj: Context, data_dir: Path, if_empty: bool, no_reports: bool, no_accounts: bool, as_of: dt.datetime | None
) -> None:
    """Load the demo city (离石区: real 街道/社区 names and codes, synthetic geometry) and its accounts."""
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
                    _print_demo_accounts(session)
                    return
        started = time.perf_counter()
        hasher = None if no_accounts else _password_hasher(obj)
        with session_scope(factory) as session:
            counts = load_demo(session, data_dir, obj.settings, with_reports=not no_reports, hash_password=hasher,
                               as_of=as_of.date() if as_of else None)  # fmt: skip
    except (GridmapError, DatabaseError) as exc:
        fail(exc)
    took = time.perf_counter() - started
    click.echo(f"demo city loaded in {took:.1f} s: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    with factory() as session:
        _print_demo_accounts(session)


def _password_hasher(obj: Context) -> Callable[[str], str]:
    from gridmap.web.auth import password_hasher

    return password_hasher(obj.settings)


def _print_demo_accounts(session: Session) -> None:
    """The demo accounts still active, with their password: what `make run` shows before it serves."""
    from sqlalchemy import select

    from gridmap.imports.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
    from gridmap.store.models import Account

    names = [a[0] for a in DEMO_ACCOUNTS]
    active = set(session.scalars(select(Account.username).where(Account.username.in_(names), Account.active)))
    if active:
        click.echo(f"demo accounts (password {DEMO_PASSWORD}; disable them before real use):")
        for username, name, role, *_rest in DEMO_ACCOUNTS:
            if username in active:
                click.echo(f"  {username:<16} {role:<12} {name}")
