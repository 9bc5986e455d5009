"""Alembic environment: runs against the engine handed over by :func:`gridmap.store.engine.upgrade`."""

from __future__ import annotations

import geoalchemy2  # noqa: F401
from alembic import context

from gridmap.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from gridmap.config import Settings
        from gridmap.store.engine import make_engine

        engine = make_engine(Settings.from_env())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():  # pragma: no cover
    raise SystemExit("offline migrations are not supported; run `gridmap db upgrade`")
run_migrations_online()
