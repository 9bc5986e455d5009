"""``gridmap roads segment``: road centre-lines cut into segments 路段 at intersections (a file, or the stored ones)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gridmap.accounts.actor import cli_actor
from gridmap.cli.grids import write_report
from gridmap.cli.support import Context, fail
from gridmap.errors import GridmapError
from gridmap.store.engine import session_scope


@click.group("roads")
def roads_group() -> None:
    """Road segments 路段: cut centre-lines at intersections and describe them by their cross streets."""


@roads_group.command("segment")
@click.option(
    "--source",
    required=True,
    metavar="db|FILE",
    help="`db`: re-segment the stored segments (a check; they are not replaced); or a file of raw centre-lines.",
)
@click.option("--name-field", default="name", show_default=True, help="Column of the road name (file input).")
@click.option("--level-field", default="level", show_default=True, help="Column of the level (file input).")
@click.option("--default-level", default="back", show_default=True, help="Level of lines without one.")
@click.option("--crs", "src_crs", default=None, metavar="CRS", help="The file's CRS when it declares none or wrongly.")
@click.option(
    "--snap-m", type=float, default=None, help="Join endpoints closer than this (default: 0.5 for a file, 0 for db)."
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the segments (GeoJSON, GPKG).")
@click.option("--import", "import_", is_flag=True, help="Import the segments into the database (file input).")
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="Save the report (JSON)."
)
@click.pass_obj
def segment_cmd(
    obj: Context,
    source: str,
    name_field: str,
    level_field: str,
    default_level: str,
    src_crs: str | None,
    snap_m: float | None,
    out: Path | None,
    import_: bool,
    report_path: Path | None,
) -> None:
    """Node road centre-lines, split them at every intersection, merge same-name pass-throughs, name cross streets.

    Total length is preserved (duplicates and overlaps counted once). All or nothing.
    """
    from gridmap.grids.road_segments import segment_file, segment_stored

    try:
        if snap_m is not None and snap_m < 0:
            raise click.BadParameter("must be >= 0", param_hint="--snap-m")
        if source.lower() == "db":
            if import_:
                raise click.BadParameter("--import takes a file source", param_hint="--import")
            factory = obj.migrated_session_factory()
            with factory() as session:
                _, report = segment_stored(session, snap_m=snap_m or 0.0, out=out)
        else:
            options: dict[str, Any] = {
                "name_field": name_field,
                "level_field": level_field,
                "src_crs": src_crs,
                "default_level": default_level or None,
                "snap_m": 0.5 if snap_m is None else snap_m,
                "out": out,
            }
            if import_:
                factory = obj.migrated_session_factory()
                with session_scope(factory) as session:
                    _, report = segment_file(session, Path(source), import_=True, actor=cli_actor(), **options)
            else:
                _, report = segment_file(None, Path(source), **options)
    except GridmapError as exc:
        fail(exc)
    click.echo(report.describe())
    write_report(report_path, report.as_dict())
