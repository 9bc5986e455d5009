"""What every `gridmap` sub-command shares: the settings/engine context, error reporting and a progress bar."""

from __future__ import annotations

import sys

import click

from gridmap.config import Settings
from gridmap.store.engine import current_revision, make_engine, make_session_factory


class Context:
    def __init__(self, database_url: str | None) -> None:
        overrides = {"database_url": database_url} if database_url else {}
        self.settings = Settings.from_env(**overrides)
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            self._engine = make_engine(self.settings)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def migrated_session_factory(self):
        if current_revision(self.engine) is None:
            raise click.ClickException("the database is not initialised: run `gridmap init` first")
        return make_session_factory(self.engine)


def fail(exc: Exception) -> None:
    raise click.ClickException(str(exc)) from exc


class ProgressBar:
    """A tqdm bar on stderr for long runs; silent when stderr is not a terminal."""

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.bar = None

    def __enter__(self):
        from tqdm import tqdm

        self.bar = tqdm(desc=self.desc, unit="feature", disable=not sys.stderr.isatty(), leave=False)

        def update(n: int, total: int | None = None) -> None:
            if total is not None and self.bar.total != total:
                self.bar.total = total
                self.bar.refresh()
            self.bar.update(n)

        return update

    def __exit__(self, *exc: object) -> None:
        self.bar.close()
