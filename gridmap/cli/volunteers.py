"""``gridmap volunteers import``: party members and volunteers 在职党员 / 志愿者 from a CSV or XLSX file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from gridmap.accounts.actor import cli_actor
from gridmap.cli.support import Context, fail, fail_rows
from gridmap.errors import GridmapError, InvalidInput
from gridmap.store.engine import session_scope

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("volunteers")
def volunteers_group() -> None:
    """Party members and volunteers in the community (在职党员进社区): import the members."""


@volunteers_group.command("import")
@click.argument("path", type=FILE)
@click.option("--sheet", default=None, help="An XLSX file's sheet (default: the first).")
@click.pass_obj
def volunteers_import(obj: Context, path: Path, sheet: str | None) -> None:
    """Register the members of PATH (CSV or XLSX), all or nothing.

    Headers: 姓名 (required), 人员编号 (a person of the register) or 联系电话 (with 姓名: found
    in the register, else added), 所属单位, 类别 (在职党员 or 志愿者; default 在职党员), 党组织
    (required for a party member), 服务队, 报到社区 (code or name), 报到日期. Any bad row: nothing
    is imported and every problem is listed with its row number.
    """
    from gridmap.volunteers.files import import_members

    today = dt.datetime.now(ZoneInfo(obj.settings.cases.timezone)).date()
    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            answer = import_members(session, path, cli_actor(), today, sheet)
    except InvalidInput as exc:
        fail_rows(exc)
    except GridmapError as exc:
        fail(exc)
    click.echo(f"已登记 {answer['created']} 名成员 / registered {answer['created']} members from {answer['file']}")
