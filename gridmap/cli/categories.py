"""``gridmap categories seed|list|set|holiday``: the problem categories, their deadlines and the holidays."""

from __future__ import annotations

import json

import click

from gridmap.cli.support import fail
from gridmap.errors import GridmapError
from gridmap.store.engine import session_scope


@click.group("categories")
def categories_group() -> None:
    """Problem categories (events, components, 创城 inspection items) and the holiday calendar."""


@categories_group.command("seed")
@click.pass_obj
def categories_seed(obj) -> None:
    """Add the seeded category tree and the 2026 holidays where missing (never overwrites edits)."""
    from gridmap.catalogue.categories import seed

    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            added = seed(session)
    except GridmapError as exc:
        fail(exc)
    click.echo(f"seeded: {added['categories']} categories, {added['holidays']} holidays added")


@categories_group.command("list")
@click.option("--family", type=click.Choice(["event", "component", "inspection"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def categories_list(obj, family: str | None, as_json: bool) -> None:
    """List the categories with their deadlines."""
    from gridmap.catalogue.categories import list_categories

    with obj.migrated_session_factory()() as session:
        rows = list_categories(session, family=family)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for c in rows:
        deadline = f"{c['deadline']['amount']:g} {c['deadline']['unit']}" if c["deadline"] else ""
        indent = "  " if c["parent_code"] else ""
        flag = "" if c["active"] else "  (inactive)"
        click.echo(f"{indent}{c['code']:<8} {c['name_zh']:<14} {deadline:<18} {c['default_urgency']}{flag}")


@categories_group.command("set")
@click.argument("code")
@click.option("--name-zh", default=None)
@click.option("--name-en", default=None)
@click.option("--family", type=click.Choice(["event", "component", "inspection"]), default=None)
@click.option("--deadline", type=float, default=None, help="Amount of the limit.")
@click.option("--unit", type=click.Choice(["urgent_hours", "work_hours", "work_days"]), default=None)
@click.option("--urgency", type=click.Choice(["normal", "urgent"]), default=None, help="Default urgency.")
@click.option("--active/--inactive", default=None)
@click.pass_obj
def categories_set(obj, code: str, name_zh, name_en, family, deadline, unit, urgency, active) -> None:
    """Create or change category CODE (e.g. `gridmap categories set 0102 --deadline 2 --unit work_hours`)."""
    from gridmap.accounts.actor import cli_actor
    from gridmap.catalogue.categories import upsert_category

    data: dict[str, object] = {"code": code}
    for key, value in (("name_zh", name_zh), ("name_en", name_en), ("family", family),
                       ("default_urgency", urgency), ("active", active)):  # fmt: skip
        if value is not None:
            data[key] = value
    if deadline is not None or unit is not None:
        data["deadline"] = {"amount": deadline, "unit": unit}
    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            cat, created = upsert_category(session, data, actor=cli_actor())
    except GridmapError as exc:
        fail(exc)
    click.echo(("created " if created else "changed ") + json.dumps(cat, ensure_ascii=False))


class _HolidayGroup(click.Group):
    """``holiday DAY …`` (the older form) still marks one day: a first word that is no sub-command means ``set``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["set", *args]
        return super().parse_args(ctx, args)


@categories_group.group("holiday", cls=_HolidayGroup)
def holiday_group() -> None:
    """The holiday calendar: mark one day (`holiday set DAY --off`), or load a year from a file (`holiday import`)."""


@holiday_group.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--workday/--off", default=False, help="--workday: a make-up working day (调休); --off: a day off.")
@click.option("--name", default=None)
@click.pass_obj
def categories_holiday(obj, day, workday: bool, name: str | None) -> None:
    """Mark DAY as a day off or as a make-up working day."""
    from gridmap.accounts.actor import cli_actor
    from gridmap.catalogue.categories import set_holiday

    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            set_holiday(session, day.date(), workday, name, actor=cli_actor())
    except GridmapError as exc:
        fail(exc)
    click.echo(f"{day.date()}: {'working day' if workday else 'day off'}")


@holiday_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def holiday_import(obj, path: str) -> None:
    """Load one year of holidays from the CSV file PATH (columns date, name, kind: holiday or workday), e.g. the
    State Council's notice. The year's rows are replaced, all or nothing: any bad row and nothing is written."""
    from pathlib import Path

    from gridmap.accounts.actor import cli_actor
    from gridmap.catalogue.holiday_file import import_holidays

    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path} is not UTF-8 text: save it as CSV UTF-8 (须为 UTF-8 编码的 CSV)") from exc
    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            done = import_holidays(session, text, actor=cli_actor())
    except GridmapError as exc:
        fail(exc)
    click.echo(
        f"{done['year']}: {done['days_off']} days off, {done['workdays']} make-up working days"
        f" ({done['replaced']} earlier rows of {done['year']} replaced)"
    )


@holiday_group.command("seed")
@click.option("--from-package", "years", required=True, metavar="YEARS",
              help="Years to take from the chinesecalendar package: 2019-2026, or 2024,2025.")  # fmt: skip
@click.pass_obj
def holiday_seed(obj, years: str) -> None:
    """Replace the holidays of YEARS with those of the maintained chinesecalendar package (each year audited as
    one import). A year the package does not carry yet (2027) is refused: import the State Council's notice."""
    from gridmap.accounts.actor import cli_actor
    from gridmap.catalogue.holiday_package import parse_years, seed_from_package

    try:
        wanted = parse_years(years)
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            done = seed_from_package(session, wanted, actor=cli_actor())
    except GridmapError as exc:
        fail(exc)
    for d in done:
        click.echo(
            f"{d['year']}: {d['days_off']} days off, {d['workdays']} make-up working days from chinesecalendar"
            f" ({d['replaced']} earlier rows replaced)"
        )
