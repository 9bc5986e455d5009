"""``gridmap shops import|template|place|score``: the 门前五包 shop registry from a file (all or nothing, a
row-numbered report in Chinese and English), frontages redrawn for every shop, and a month's scores and flags."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gridmap.accounts.actor import cli_actor
from gridmap.cli.support import Context, fail, fail_rows
from gridmap.errors import GridmapError, InvalidInput
from gridmap.store.engine import session_scope

if TYPE_CHECKING:
    from gridmap.shops.placement import FrontageRules

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


def _rules(half_width: float | None, kerb_is_centre_line: bool, max_side: float) -> FrontageRules:
    from gridmap.shops.placement import HALF_WIDTH_M, FrontageRules

    if kerb_is_centre_line:
        return FrontageRules(half_width=None, max_side=max_side)
    widths = dict(HALF_WIDTH_M) if half_width is None else {k: half_width for k in HALF_WIDTH_M}
    return FrontageRules(half_width=widths, max_side=max_side)


_FRONTAGE_OPTIONS = (
    click.option("--half-width", type=click.FloatRange(0, 100), default=None,
                 help="Centre-line to kerb in metres for every road (default by level: main 12, secondary 8, back 3)."),
    click.option("--centre-line", "kerb_is_centre_line", is_flag=True,
                 help="Draw frontages to the road's centre-line instead of a kerb."),
    click.option("--max-side", type=click.FloatRange(1, 500), default=30.0, show_default=True,
                 help="How far a frontage reaches sideways each way without a nearer neighbour (metres)."),
)  # fmt: skip


def _frontage_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_FRONTAGE_OPTIONS):
        f = option(f)
    return f


@click.group("shops")
def shops_group() -> None:
    """门前三包/五包 shops: import, template, frontages, monthly scores and flags."""


@shops_group.command("import")
@click.argument("path", type=FILE)
@click.option("--sheet", default=None, help="An XLSX file's sheet (default: the first).")
@_frontage_options
@click.pass_obj
def shops_import(obj: Context, path: Path, sheet: str | None, half_width: float | None, kerb_is_centre_line: bool,
                 max_side: float) -> None:  # fmt: skip
    """Create the shops of PATH (CSV or XLSX), all or nothing, and draw their frontages.

    Headers: 店名 (required), 统一社会信用代码 (checked: 18 characters and the check character), 类型, 负责人,
    联系电话, 地址, 经度 and 纬度 (required, WGS-84). `gridmap shops template FILE` writes one to fill in.
    """
    from gridmap.shops import files

    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            answer = files.import_shops(session, path, cli_actor(), sheet,
                                        _rules(half_width, kerb_is_centre_line, max_side))  # fmt: skip
    except InvalidInput as exc:
        fail_rows(exc)
    except GridmapError as exc:
        fail(exc)
    click.echo(f"已导入 {answer['created']} 家商铺，其中 {answer['on_a_street']} 家已划定门前责任区 / imported "
               f"{answer['created']} shops from {answer['file']}, {answer['on_a_street']} on a street")  # fmt: skip


@shops_group.command("template")
@click.argument("path", type=OUT)
def shops_template(path: Path) -> None:
    """Write an XLSX or CSV file to fill in, one shop per row."""
    from gridmap.shops import files

    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise click.BadParameter("give a .xlsx or .csv file name", param_hint="PATH")
    files.template(path)
    click.echo(f"{path} written: fill in one row per shop below the header")


@shops_group.command("place")
@_frontage_options
@click.pass_obj
def shops_place(obj: Context, half_width: float | None, kerb_is_centre_line: bool, max_side: float) -> None:
    """Derive every open shop's segment, grid, 街道 and frontage again (after new roads or other widths)."""
    from gridmap.shops.placement import place

    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            n = place(session, None, _rules(half_width, kerb_is_centre_line, max_side))
    except GridmapError as exc:
        fail(exc)
    click.echo(f"已重新划定 {n} 家商铺的门前责任区 / placed {n} shops")


@shops_group.command("score")
@click.option("--month", required=True, help="The month, YYYY-MM (the city's local calendar).")
@click.pass_obj
def shops_score(obj: Context, month: str) -> None:
    """Score a month: 100 points minus the deductions (each traced to its case), ranks, red/yellow/black flags.
    Scoring a month again replaces it; score months in order (failing streaks build on the month before)."""
    from gridmap.shops.scoring import score_month

    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            got = score_month(session, month, obj.settings.cases.timezone)
    except GridmapError as exc:
        fail(exc)
    flags = got["flags"]
    click.echo(f"{got['month']}: {got['shops']} 家商铺评分 / shops scored, {got['deductions']} 项扣分 / deductions "
               f"({got['points_deducted']} 分 / points), {got['failing']} 家不达标 / failing; 流动红旗 {flags['red']}, "
               f"黄旗 {flags['yellow']}, 黑旗 {flags['black']}")  # fmt: skip


@shops_group.command("scheme")
@click.argument("path", type=FILE, required=False)
@click.option("--code", default="default", show_default=True, help="The scheme's code (a new version of it).")
@click.option("--name", default=None, help="The scheme's name (default: the code).")
@click.pass_obj
def shops_scheme(obj: Context, path: Path | None, code: str, name: str | None) -> None:
    """Store PATH (JSON: items, categories, per_case, pass_mark, red_top_n, ladder) as the next version of a
    scheme; without PATH, print the current version of CODE as JSON (a start for a city's own)."""
    import json

    from gridmap.shops import schemes

    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            if path is None:
                scheme = schemes.current_scheme(session, code)
                click.echo(json.dumps(scheme.rules, ensure_ascii=False, indent=2))
                return
            try:
                rules = json.loads(path.read_text(encoding="utf-8-sig"))
            except ValueError as exc:
                raise click.ClickException(f"{path.name} is not JSON: {exc}\n{path.name} 不是 JSON 文件") from exc
            scheme = schemes.save_scheme(session, code, name or code, rules)
            click.echo(f"方案 {scheme.code} 第 {scheme.version} 版已保存 / scheme {scheme.code} v{scheme.version} "
                       f"stored (id {scheme.id})")  # fmt: skip
    except InvalidInput as exc:
        from gridmap.units.files import report

        for line in report(exc.problems):
            click.echo(f"  {line}", err=True)
        raise SystemExit(1) from exc
    except GridmapError as exc:
        fail(exc)
