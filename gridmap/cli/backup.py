"""``gridmap backup DEST`` and ``gridmap restore SRC``: the database and the photos, while the server runs."""

from __future__ import annotations

from pathlib import Path

import click

from gridmap.accounts.actor import cli_actor
from gridmap.backup.archive import backup, restore
from gridmap.cli.support import Context, fail
from gridmap.errors import GridmapError


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:.0f} KiB"


@click.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--keep", type=click.IntRange(1, None), help="DEST a folder: keep only its newest N archives")
@click.pass_obj
def backup_cmd(obj: Context, dest: Path, keep: int | None) -> None:
    """A consistent backup (database and photos) into the archive DEST, or a time-stamped one in the folder DEST."""
    try:
        done = backup(obj.engine, obj.settings, dest, cli_actor(), keep=keep)
    except GridmapError as exc:
        fail(exc)
    m = done.manifest
    photos = sum(1 for name in m["files"] if name.startswith("photos/"))
    click.echo(f"backup {done.path}: {_size(done.path.stat().st_size)}, {sum(m['rows'].values())} rows, "
               f"{photos} photos, schema {m['revision']}, {done.seconds:.1f} s")  # fmt: skip


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace a database that already holds data")
@click.pass_obj
def restore_cmd(obj: Context, source: Path, force: bool) -> None:
    """Restore the backup SOURCE: the database is replaced (in one transaction), the photos added."""
    try:
        done = restore(obj.engine, obj.settings, source, cli_actor(), force=force)
    except GridmapError as exc:
        fail(exc)
    m = done.manifest
    click.echo(f"restored {source} (made {m['created_at']}): {sum(m['rows'].values())} rows, schema {m['revision']}, "
               f"{done.seconds:.1f} s")  # fmt: skip
