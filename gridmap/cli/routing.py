"""``gridmap snap``: a CSV file of reports routed to their responsible units in bulk; nothing stored."""

from __future__ import annotations

from pathlib import Path

import click

from gridmap.cli.support import Context, fail
from gridmap.errors import GridmapError


@click.command()
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
@click.option(
    "--scheduler",
    default=None,
    help="Route on Dask: tcp://host:8786 (a running cluster) or local:N (N worker processes here).",
)
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
    scheduler: str | None,
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
                scheduler=scheduler,
            )
    except GridmapError as exc:
        fail(exc)
    click.echo(summary.describe())
