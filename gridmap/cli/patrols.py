"""``gridmap patrols import TRACK.gpx --person ID``: a road chief's patrol track from a file, matched and stored."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gridmap.accounts.actor import cli_actor
from gridmap.cli.support import Context, fail
from gridmap.errors import GridmapError, InvalidInput
from gridmap.store.engine import session_scope


@click.group("patrols")
def patrols_group() -> None:
    """Road-chief patrols 路长巡查: import tracks, see what they covered."""


@patrols_group.command("import")
@click.argument("track", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--person", "person_id", type=int, required=True, help="The patroller: a person's id in the register.")
@click.option("--crs", type=click.Choice(["wgs84", "gcj02"]), default="wgs84", show_default=True,
              help="The file's coordinates: gcj02 for tracks exported from Amap/Tencent maps.")  # fmt: skip
@click.pass_obj
def import_cmd(obj: Context, track: Path, person_id: int, crs: str) -> None:
    """Import a GPX track: check it, map-match it to the road segments and store it with what it patrolled. All or
    nothing: a file that is not GPX, without times, empty or outside the city is refused."""
    from gridmap.patrols.record import record_patrol
    from gridmap.patrols.tracks import read_gpx

    try:
        text = track.read_bytes().decode("utf-8", errors="replace")
        parsed = read_gpx(text, crs=crs, name=track.name)
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            answer = record_patrol(session, cli_actor(), person_id, parsed, obj.settings)
    except InvalidInput as exc:
        click.echo("未导入 / nothing was imported:", err=True)
        for p in exc.problems:
            click.echo(f"  {p.text_zh() or ''}  ({p})", err=True)
        raise SystemExit(1) from None
    except GridmapError as exc:
        fail(exc)
    click.echo(
        f"已导入巡查 {answer['id']}：{answer['kept']}/{answer['fixes']} 个轨迹点，巡查路段 "
        f"{len(answer['segments_patrolled'])} 条 / imported patrol {answer['id']}"
    )
    click.echo(json.dumps(answer, ensure_ascii=False, indent=1))
