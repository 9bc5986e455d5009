"""``gridmap assessments draw|show|repeat``: mock assessments 模拟测评 from the command line."""

from __future__ import annotations

import datetime as dt

import click

from gridmap.accounts.actor import cli_actor
from gridmap.cli.support import Context, fail
from gridmap.errors import GridmapError
from gridmap.store.engine import session_scope


@click.group("assessments")
def assessments_group() -> None:
    """Mock assessments (模拟测评): draw field points at random by type and 街道, list a draw's routes."""


@assessments_group.command("draw")
@click.option("--points", "points", required=True, type=int, help="How many points to draw in all.")
@click.option(
    "--quota",
    "quotas",
    multiple=True,
    metavar="TYPE=n",
    help="Points of one type (repeatable), e.g. --quota 农贸市场=3 --quota main_road=10; the other types share the "
    "rest in proportion to their candidates.",
)
@click.option("--exclude-weeks", default=0, show_default=True, help="Leave out points drawn in the last K weeks.")
@click.option("--seed", default=None, help="The random seed (default: a new one; printed and stored either way).")
@click.option("--teams", default=1, show_default=True, help="Split the points among T teams.")
@click.option("--title", default=None, help="A name for the assessment (default: 模拟测评 and the day).")
@click.option("--on", "drawn_on", default=None, help="The day of the draw (YYYY-MM-DD; default today).")
@click.pass_obj
def draw_cmd(
    obj: Context,
    points: int,
    quotas: tuple[str, ...],
    exclude_weeks: int,
    seed: str | None,
    teams: int,
    title: str | None,
    drawn_on: str | None,
) -> None:
    """Draw an assessment's points and store them with the seed that repeats the draw."""
    from gridmap.assessments.drawing import draw, parse_request

    data = {"points": points, "quotas": list(quotas), "exclude_weeks": exclude_weeks, "seed": seed,
            "teams": teams, "title": title, "drawn_on": drawn_on}  # fmt: skip
    try:
        request = parse_request(data, dt.date.today())
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            answer = draw(session, request, cli_actor())
    except GridmapError as exc:
        fail(exc)
    _print(answer)


def _print(answer: dict) -> None:
    quotas = ", ".join(f"{q['type_name']} {q['n']}" for q in answer["quotas"])
    click.echo(f"测评 {answer['id']} 「{answer['title']}」 {answer['drawn_on']}  seed {answer['seed']}: "
               f"{len(answer['points'])} 个点位 ({quotas})")  # fmt: skip
    team = None
    for p in answer["points"]:
        if p["team"] != team:
            team = p["team"]
            click.echo(f"第 {team} 组 / team {team}:")
        click.echo(f"  {p['stop']:>3}. [{p['type_name']}] {p['name'] or '—'}  {p['street_name'] or ''}  "
                   f"{p['lon']:.6f},{p['lat']:.6f}")  # fmt: skip


@assessments_group.command("show")
@click.argument("assessment_id", type=int)
@click.pass_obj
def show_cmd(obj: Context, assessment_id: int) -> None:
    """An assessment's points, team by team in walking order."""
    from gridmap.assessments.drawing import get_assessment

    try:
        with session_scope(obj.migrated_session_factory()) as session:
            answer = get_assessment(session, assessment_id)
    except GridmapError as exc:
        fail(exc)
    _print(answer)


@assessments_group.command("repeat")
@click.argument("assessment_id", type=int)
@click.pass_obj
def repeat_cmd(obj: Context, assessment_id: int) -> None:
    """Draw again from the stored seed and parameters and say whether the same points come out."""
    from gridmap.assessments.drawing import get_assessment, repeat

    try:
        with session_scope(obj.migrated_session_factory()) as session:
            again = repeat(session, assessment_id)
            stored = sorted((p["source"], p["target_id"]) for p in get_assessment(session, assessment_id)["points"])
    except GridmapError as exc:
        fail(exc)
    if sorted(again) == stored:
        click.echo(f"same {len(stored)} points: the draw repeats exactly (相同的 {len(stored)} 个点位)")
    else:
        changed = len(set(again) ^ set(stored)) // 2
        click.echo(f"{changed} of {len(stored)} points differ: the candidates changed since the draw "
                   f"(候选点位已变化，{changed} 个点位不同)")  # fmt: skip
        raise SystemExit(1)
