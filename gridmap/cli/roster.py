"""``gridmap roster import|export``: the roster (包联台账) from and to a CSV or XLSX file."""

from __future__ import annotations

import time
from pathlib import Path

import click

from gridmap.accounts.actor import cli_actor
from gridmap.cli.support import Context, fail, fail_rows
from gridmap.errors import GridmapError, InvalidInput
from gridmap.store.engine import session_scope

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.group("roster")
def roster_group() -> None:
    """The roster (包联台账): who is responsible for which segment, compound and grid, from and to a file."""


@roster_group.command("import")
@click.argument("path", type=FILE)
@click.option("--sheet", default=None, help="An XLSX file's sheet (default: the first).")
@click.option("--dry-run", is_flag=True, help="Only show each row's match, its confidence or candidates.")
@click.option("--accept-fuzzy", is_flag=True, help="Take the fuzzy matches too (shown with their score).")
@click.pass_obj
def roster_import(obj: Context, path: Path, sheet: str | None, dry_run: bool, accept_fuzzy: bool) -> None:
    """Assign the targets of PATH (CSV or XLSX), all or nothing, as one recorded change.

    Headers: 要素类型 (路段/小区/网格, required), 名称, 编码, 起点, 止点 (a segment's from/to), 社区,
    包联单位 (a unit's code or name, required), 角色 (empty: 包联单位), 姓名, 联系电话 (a person of the
    unit, created when new), 起始日期 (default today), 截止日期. A row that is ambiguous or matches
    nothing: nothing is written, and each such row is listed with the closest candidates.
    """
    from gridmap.roster import files

    try:
        with session_scope(obj.migrated_session_factory(), writes=not dry_run) as session:
            if dry_run:
                started = time.perf_counter()
                rows = files.preview(session, path, sheet)
                took = time.perf_counter() - started
                for row in rows:
                    e = row.entry()
                    target = e["target"]["label"] if e["target"] else "—"
                    zh = files.CONFIDENCE_ZH.get(e["status"], "")
                    line = f"第 {e['row']} 行 row {e['row']}: {e['status']} ({zh})"
                    line += f" {target}" + (f" score {e['score']:.2f}" if e["status"] == "fuzzy" else "")
                    if e["candidates"] and e["status"] not in ("exact", "normalised"):
                        near = "；".join(f"{c['label']} ({c['score']:.2f})" for c in e["candidates"])
                        line += f"  候选 candidates: {near}"
                    if e["problems"]:
                        line += "  问题: " + "；".join(e["problems"])
                    click.echo(line)
                rate = files.match_rate(rows, accept_fuzzy)
                click.echo(f"匹配率 match rate: {rate:.1%} of {len(rows)} rows ({took:.2f} s); nothing written")
                return
            answer = files.import_roster(session, path, cli_actor(), sheet, accept_fuzzy=accept_fuzzy)
    except InvalidInput as exc:
        fail_rows(exc)
    except GridmapError as exc:
        fail(exc)
    click.echo(
        f"已导入 {answer['rows']} 行：新包联 {answer['assigned']}，未变 {answer['unchanged']}，结束旧包联 "
        f"{answer['closed']}，新建人员 {answer['people_created']} / {answer['rows']} rows: {answer['assigned']} "
        f"assigned, {answer['unchanged']} unchanged, {answer['closed']} closed, {answer['people_created']} people "
        "created"
    )
    if answer["change"]:
        click.echo(f"撤销本次导入 / to undo: gridmap roster undo {answer['change']}")


@roster_group.command("export")
@click.argument("path", type=OUT)
@click.pass_obj
def roster_export(obj: Context, path: Path) -> None:
    """Write the current assignments to PATH (.xlsx or .csv) in the import's columns: importing it changes
    nothing."""
    from gridmap.roster import files

    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise click.BadParameter("give a .xlsx or .csv file name", param_hint="PATH")
    with session_scope(obj.migrated_session_factory()) as session:
        n = files.export(session, path)
    click.echo(f"已导出 {n} 行 / {n} rows written to {path}")


@roster_group.command("template")
@click.argument("path", type=OUT, default="roster-template.xlsx")
def roster_template(path: Path) -> None:
    """Write a roster to fill in (XLSX with the allowed values, or CSV): default roster-template.xlsx."""
    from gridmap.roster import files

    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise click.BadParameter("give a .xlsx or .csv file name", param_hint="PATH")
    files.template(path)
    click.echo(f"{path} written: one row per target, role and person below the header")


@roster_group.command("undo")
@click.argument("change")
@click.pass_obj
def roster_undo(obj: Context, change: str) -> None:
    """Undo the roster import CHANGE (the number `roster import` printed: its audit entry) as a whole."""
    from gridmap.roster import files

    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            answer = files.undo(session, change, cli_actor())
    except GridmapError as exc:
        fail(exc)
    click.echo(
        f"已撤销台账导入 {answer['change']}：删除包联 {answer['removed']}，恢复 {answer['reopened']}，删除人员 "
        f"{answer['people_removed']} / undone: {answer['removed']} removed, {answer['reopened']} reopened, "
        f"{answer['people_removed']} people removed"
    )
