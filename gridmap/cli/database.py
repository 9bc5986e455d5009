"""``gridmap init`` and ``gridmap db upgrade|current``: the schema (Alembic migrations) and the seeded catalogue."""

from __future__ import annotations

import datetime as dt

import click

from gridmap.accounts.actor import cli_actor
from gridmap.cli.support import Context, fail
from gridmap.errors import DatabaseError
from gridmap.store.engine import (
    current_revision,
    make_session_factory,
    session_scope,
    upgrade,
)


@click.command()
@click.pass_obj
def init(obj: Context) -> None:
    """Create or upgrade the database schema (runs the migrations) and seed the categories, holidays, the
    inspections' checklists and the default evaluation schemes."""
    from gridmap.catalogue.categories import seed
    from gridmap.evaluation import ensure_default_schemes
    from gridmap.inspections.templates import seed_templates

    try:
        upgrade(obj.engine)
        with session_scope(make_session_factory(obj.engine)) as session:
            seed(session)
            seed_templates(session)
            ensure_default_schemes(session, cli_actor(), dt.datetime.now(dt.UTC))
    except DatabaseError as exc:
        fail(exc)
    click.echo(f"database ready at revision {current_revision(obj.engine)}: {obj.engine.url.render_as_string()}")


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_obj
def db_upgrade(obj: Context, revision: str) -> None:
    """Apply migrations up to REVISION."""
    upgrade(obj.engine, revision)
    click.echo(f"at revision {current_revision(obj.engine)}")


@db.command("current")
@click.pass_obj
def db_current(obj: Context) -> None:
    """Print the schema revision."""
    click.echo(current_revision(obj.engine) or "not initialised")
