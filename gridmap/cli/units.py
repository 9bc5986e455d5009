"""``gridmap units import|template`` and ``gridmap people import|template``: the register of units and people from
a CSV or XLSX file, all or nothing, with a row-numbered error report in Chinese and English."""

from __future__ import annotations

from pathlib import Path

import click

from gridmap.accounts.actor import cli_actor
from gridmap.cli.support import Context, fail, fail_rows
from gridmap.errors import GridmapError, InvalidInput
from gridmap.store.engine import session_scope

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


def _run_import(obj: Context, path: Path, sheet: str | None, what: str) -> None:
    from gridmap.units import files

    run = files.import_units if what == "units" else files.import_people
    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            answer = run(session, path, cli_actor(), sheet)
    except InvalidInput as exc:
        fail_rows(exc)
    except GridmapError as exc:
        fail(exc)
    noun = ("单位", "units") if what == "units" else ("人员", "people")
    click.echo(f"已导入 {answer['created']} 个{noun[0]} / imported {answer['created']} {noun[1]} from {answer['file']}")


def _template(path: Path, what: str) -> None:
    from gridmap.units import files

    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise click.BadParameter("give a .xlsx or .csv file name", param_hint="FILE")
    files.template(path, what)
    click.echo(f"{path} written: fill in one row per {'unit' if what == 'units' else 'person'} below the header")


@click.group("units")
def units_group() -> None:
    """Responsible units (包联单位): import from a file, the file's template."""


@units_group.command("import")
@click.argument("path", type=FILE)
@click.option("--sheet", default=None, help="An XLSX file's sheet (default: the first).")
@click.pass_obj
def units_import(obj: Context, path: Path, sheet: str | None) -> None:
    """Create the units of PATH (CSV or XLSX), all or nothing.

    Headers: 单位名称 (required), 单位代码, 类型 (required: 市直单位, 区直单位, 企业, 街道/社区,
    其他), 上级单位 (a unit's name or code, stored or an earlier row), 联系人, 联系电话, 辖区 (an
    area's code or name) — or the API's field names. Any bad row: nothing is imported and every
    problem is listed with its row number.
    """
    _run_import(obj, path, sheet, "units")


@units_group.command("template")
@click.argument("path", type=OUT, default="units-template.xlsx")
def units_template(path: Path) -> None:
    """Write a file to fill in (XLSX with the allowed values, or CSV): default units-template.xlsx."""
    _template(path, "units")


@click.group("people")
def people_group() -> None:
    """People of the units (路长, 网格员, 包联小区负责人…): import from a file, the file's template."""


@people_group.command("import")
@click.argument("path", type=FILE)
@click.option("--sheet", default=None, help="An XLSX file's sheet (default: the first).")
@click.pass_obj
def people_import(obj: Context, path: Path, sheet: str | None) -> None:
    """Create the people of PATH (CSV or XLSX), all or nothing.

    Headers: 姓名 (required), 人员编号, 联系电话, 所属单位 (a unit's name or code), 角色
    (路长/街长/巷长, 网格员, 督查员, 包联单位责任人, 包联小区负责人, 社区联络人, 创文督导人;
    several separated by 、 or ,).
    """
    _run_import(obj, path, sheet, "people")


@people_group.command("template")
@click.argument("path", type=OUT, default="people-template.xlsx")
def people_template(path: Path) -> None:
    """Write a file to fill in (XLSX with the allowed values, or CSV): default people-template.xlsx."""
    _template(path, "people")
