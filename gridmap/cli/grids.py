"""``gridmap grids generate``: unit grids by the rules of the standard, a report printed and saved."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from gridmap.accounts.actor import cli_actor
from gridmap.cli.support import Context, fail
from gridmap.errors import GridmapError
from gridmap.store.engine import session_scope


def write_report(path: Path | None, report: dict) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


@click.group("grids")
def grids_group() -> None:
    """Unit grids 单元网格: generate them by the rules of the standard."""


@grids_group.command("generate")
@click.option("--community", metavar="CODE", help="One 社区 (12-digit code).")
@click.option("--street", metavar="CODE", help="Every 社区 of a 街道 (9-digit code).")
@click.option("--all", "all_", is_flag=True, help="Every 社区 in the database.")
@click.option("--target-m2", type=float, default=10_000.0, show_default=True, help="Wanted grid area (万米单元网格).")
@click.option(
    "--seq-width",
    type=click.Choice(["2", "3"]),
    default="2",
    show_default=True,
    help="Digits of the sequence number: 2 (CJ/T 213, 14-digit codes) or 3 (Beijing, 15 digits).",
)
@click.option(
    "--valid-from",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="First day of the new version (default: today); the old grids end on this day.",
)
@click.option(
    "--barriers",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Rivers, walls...: lines (or polygons) grid edges must follow, like roads.",
)
@click.option("--barriers-crs", default=None, metavar="CRS", help="CRS of the barriers file if it declares none.")
@click.option("--dry-run", is_flag=True, help="Report only: write nothing.")
@click.option(
    "--renumber",
    is_flag=True,
    help="Number every grid by the rule again (default: unchanged grids keep their codes, new ones follow).",
)
@click.option(
    "--carry-assignments",
    is_flag=True,
    help="A new grid lying at least 50%% in an old grid takes over that grid's responsible unit.",
)
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="Save the report (JSON)."
)
@click.option("--by", "created_by", default=None, help="For whom or why (noted; who runs it is cli:<user>).")
@click.pass_obj
def generate_cmd(
    obj: Context,
    community: str | None,
    street: str | None,
    all_: bool,
    target_m2: float,
    seq_width: str,
    valid_from: dt.datetime | None,
    barriers: Path | None,
    barriers_crs: str | None,
    dry_run: bool,
    renumber: bool,
    carry_assignments: bool,
    report_path: Path | None,
    created_by: str | None,
) -> None:
    """Generate unit grids from the stored 社区, road segments and compounds, as a new version.

    Grids tile each 社区 exactly, follow the roads, never split a compound, and are numbered west→east, then
    north→south. Old grids are closed (history kept); the report says which old grid became which new ones.
    """
    from gridmap.grids.generate import generate_grids, read_barriers

    try:
        lines = read_barriers(barriers, barriers_crs) if barriers else None
        factory = obj.migrated_session_factory()
        with session_scope(factory) as session:
            result = generate_grids(
                session,
                community=community,
                street=street,
                all_=all_,
                target_m2=target_m2,
                seq_width=int(seq_width),
                valid_from=valid_from.date() if valid_from else None,
                dry_run=dry_run,
                carry_assignments=carry_assignments,
                renumber=renumber,
                barriers=lines,
                actor=cli_actor(),
                created_by=created_by,
            )
    except GridmapError as exc:
        fail(exc)
    click.echo(result.describe())
    write_report(report_path, result.report)
    if report_path:
        click.echo(f"report written to {report_path}")
