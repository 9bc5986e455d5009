"""``gridmap inspections seed-templates|templates``: the checklists of inspections (明查暗访) by point type."""

from __future__ import annotations

import json

import click

from gridmap.cli.support import fail
from gridmap.errors import GridmapError
from gridmap.store.engine import session_scope


@click.group("inspections")
def inspections_group() -> None:
    """Inspections 明查暗访: checklist templates by point type."""


@inspections_group.command("seed-templates")
@click.pass_obj
def seed_templates_cmd(obj) -> None:
    """Write the seeded checklist of every point type that has none (never touches a city's own editions)."""
    from gridmap.inspections.templates import seed_templates

    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            added = seed_templates(session)
    except GridmapError as exc:
        fail(exc)
    click.echo(f"seeded: {added} checklist templates added")


@inspections_group.command("templates")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def templates_cmd(obj, as_json: bool) -> None:
    """List the current edition of each point type's checklist with its items."""
    from gridmap.inspections.templates import list_templates

    with obj.migrated_session_factory()() as session:
        editions = list_templates(session)
    if as_json:
        click.echo(json.dumps(editions, ensure_ascii=False, default=str, indent=1))
        return
    for e in editions:
        state = "frozen" if e["frozen"] else "editable"
        click.echo(
            f"{e['point_type']} {e['point_type_name']} edition {e['edition']} ({state}), {e['total_points']:g} points"
        )
        for i in e["items"]:
            click.echo(f"  {i['code']} {i['name_zh']} {i['points']:g} ×{i['observations']} → {i['category']}")
