"""``gridmap cases import``: a file of reports opened as cases in bulk."""

from __future__ import annotations

import time
from pathlib import Path

import click

from gridmap.errors import GridmapError
from gridmap.store.engine import session_scope


@click.group("cases")
def cases_group() -> None:
    """Cases: bulk import."""


@cases_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Bad and skipped rows (row, field, message); default: <file>.errors.csv when there are any.",
)
@click.option(
    "--source",
    type=click.Choice(["import", "inspection", "patrol", "public"]),
    default="import",
    show_default=True,
    help="Source of rows without a source column (public: they wait for on-site verification).",
)
@click.option("--note", default=None, help="Why or for whom (kept in the audit trail; who imports is cli:<user>).")
@click.option(
    "--lock-wait",
    type=click.FloatRange(min=0),
    default=300,
    show_default=True,
    help="Seconds to wait for the database's write lock while a running server writes (SQLite).",
)
@click.pass_obj
def cases_import(obj, path: Path, errors_path: Path | None, source: str, note: str | None, lock_wait: float) -> None:
    """Import the reports of the CSV file PATH as cases (routed by `gridmap snap`, or routed here).

    Good rows are imported in one transaction; bad rows are listed with their row number in the error file and
    never stop the good ones. A client_id already imported is skipped. A report of the same category near an
    active case (GRIDMAP_CASE_DUPLICATE_RADIUS_M / _DAYS), stored or earlier in the file, is linked to it as a
    duplicate, as when the rows are reported one by one. The file is streamed, 100,000 rows at a time (memory does
    not grow with it): the first part is checked and routed, then the import waits (up to --lock-wait seconds,
    saying so) for the write lock a running server may hold, and writes it and the later parts. If layers or
    categories changed meanwhile, it plans again.
    """
    from gridmap.accounts.actor import cli_actor
    from gridmap.cases.bulk_import.beside_traffic import import_beside_traffic
    from gridmap.cli.support import ProgressBar, fail

    started = time.perf_counter()
    try:
        with session_scope(obj.migrated_session_factory()) as session, ProgressBar("importing cases") as progress:
            summary = import_beside_traffic(
                session,
                path,
                obj.settings,
                lock_wait_s=lock_wait,
                waiting=_say_waiting,
                notice=lambda text: click.echo(text, err=True),
                errors_path=errors_path,
                source=source,
                actor=cli_actor(),
                note=note,
                progress=progress,
            )
    except GridmapError as exc:
        fail(exc)
    click.echo(summary.describe() + f"\n  committed in {time.perf_counter() - started:.1f} s")


def _say_waiting(waited: float, wait: float) -> None:
    click.echo(f"waiting for the write lock… ({waited:.0f} s of {wait:.0f} s)", err=True)
