"""``gridmap notices make``: the weekly/monthly notice 通报 of a published scorecard's period, as PDF or XLSX."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from gridmap.cli.support import Context, fail
from gridmap.errors import GridmapError
from gridmap.store.engine import session_scope

OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.group("notices")
def notices_group() -> None:
    """The notice 通报 made from a published scorecard: PDF for print, XLSX for the figures."""


@notices_group.command("make")
@click.option("--period", required=True, help="2026-11 (month) or 2026-W48 (ISO week), with a published scorecard.")
@click.option("--out", required=True, type=OUT, help="The file to write; its ending (.pdf or .xlsx) says which.")
@click.pass_obj
def notices_make(obj: Context, period: str, out: Path) -> None:
    """Write the period's notice (the ranking per peer group, overdue and rework lists, the month's shop flags)."""
    from gridmap.notices import make

    tz = ZoneInfo(obj.settings.cases.timezone)
    try:
        with session_scope(obj.migrated_session_factory()) as session:
            data, _, _ = make(session, period, out.suffix, tz, dt.datetime.now(tz))
    except GridmapError as exc:
        fail(exc)
    out.write_bytes(data)
    click.echo(f"{out}: {len(data):,} 字节 / bytes")
