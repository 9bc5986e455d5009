"""What every `gridmap` sub-command shares: the settings/engine context, error reporting and a progress bar."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.store.engine import current_revision, make_engine, make_session_factory

if TYPE_CHECKING:
    from tqdm import tqdm


class Context:
    def __init__(self, database_url: str | None) -> None:
        overrides = {"database_url": database_url} if database_url else {}
        self.settings = Settings.from_env(**overrides)
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def migrated_session_factory(self) -> sessionmaker[Session]:
        if current_revision(self.engine) is None:
            raise click.ClickException("the database is not initialised: run `gridmap init` first")
        return make_session_factory(self.engine)


def fail(exc: Exception) -> NoReturn:
    """Stop the command with the error's message, and its Chinese sentence when it has one."""
    zh = getattr(exc, "zh", None)
    raise click.ClickException(str(exc) + (f"\n{zh}" if zh else "")) from exc


def fail_rows(exc: InvalidInput) -> NoReturn:
    """Stop an all-or-nothing file import: nothing was imported, and every problem on its own line (Chinese, then
    English, with its row number), on stderr; exit status 1."""
    from gridmap.units.files import report

    lines = report(exc.problems)
    click.echo(f"未导入任何数据（{len(lines)} 处问题） / nothing was imported ({len(lines)} problems):", err=True)
    for line in lines:
        click.echo(f"  {line}", err=True)
    raise SystemExit(1) from exc


class ProgressBar:
    """A tqdm bar on stderr for long runs; silent when stderr is not a terminal."""

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.bar: tqdm[NoReturn] | None = None

    def __enter__(self) -> Callable[[int, int | None], None]:
        from tqdm import tqdm

        bar = self.bar = tqdm(desc=self.desc, unit="feature", disable=not sys.stderr.isatty(), leave=False)

        def update(n: int, total: int | None = None) -> None:
            if total is not None and bar.total != total:
                bar.total = total
                bar.refresh()
            bar.update(n)

        return update

    def __exit__(self, *exc: object) -> None:
        assert self.bar is not None  # made on entering
        self.bar.close()
