"""``gridmap scorecards seed|schemes|compute|publish|batch``: the evaluation schemes, a period's scorecard and
batches of them (many periods, optionally on Dask)."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from gridmap.accounts.actor import cli_actor
from gridmap.cli.support import fail
from gridmap.errors import GridmapError
from gridmap.store.engine import session_scope

_SUBJECTS = click.Choice(["unit", "street", "community", "grid", "dispatcher", "inspector"])


@click.group("scorecards")
def scorecards_group() -> None:
    """Scores and rankings: evaluation schemes (data, versioned) and scorecards per period."""


@scorecards_group.command("seed")
@click.pass_obj
def scorecards_seed(obj) -> None:
    """Add the default evaluation schemes where missing (never changes an existing scheme)."""
    from gridmap.evaluation import ensure_default_schemes

    with session_scope(obj.migrated_session_factory(), writes=True) as session:
        added = ensure_default_schemes(session, cli_actor(), dt.datetime.now(dt.UTC))
    click.echo(f"{added} default schemes added")


@scorecards_group.command("schemes")
@click.pass_obj
def scorecards_schemes(obj) -> None:
    """List the schemes (latest versions)."""
    from gridmap.evaluation import list_schemes

    with obj.migrated_session_factory()() as session:
        for s in list_schemes(session):
            click.echo(f"{s['code']:<20} v{s['version']:<3} {s['subject']:<11} {s['name_zh']}")


def _options(f):
    for opt in reversed(
        [
            click.option("--period", required=True, help="2026-11, 2026-W47, 2026-Q4, 2026, 2026-11-03..2026-11-20"),
            click.option("--subject", type=_SUBJECTS, default="unit", show_default=True),
            click.option("--scheme", default=None, help="A scheme code (default: the subject's composite scheme)."),
            click.option("--json", "as_json", is_flag=True, help="Print the scorecard as JSON."),
        ]
    ):
        f = opt(f)
    return f


def _print(card: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(card, ensure_ascii=False, indent=2))
        return
    state = "published" if card["published"] else "live (not published)"
    scheme = card["scheme"]
    click.echo(f"{scheme['name_zh']} v{scheme['version']} — {card['period']['label_zh']} — {state}")
    for r in card["rows"]:
        score = "   —  " if r["score"] is None else f"{r['score']:6.2f}"
        click.echo(f"  {r['group'] or '':<16} {r['rank'] or '-':>4}  {score} {r['grade'] or ' '}  {r['name']}")


@scorecards_group.command("compute")
@_options
@click.option("--live", is_flag=True, help="Count afresh even when the period was published.")
@click.pass_obj
def scorecards_compute(obj, period: str, subject: str, scheme: str | None, as_json: bool, live: bool) -> None:
    """Show a period's scorecard (the published one, if any; else counted now)."""
    from gridmap.evaluation import read_scorecard

    tz = ZoneInfo(obj.settings.cases.timezone)
    try:
        with obj.migrated_session_factory()() as session:
            card = read_scorecard(session, tz, dt.datetime.now(dt.UTC), period=period, subject=subject,
                                  scheme=scheme, live=live)  # fmt: skip
    except GridmapError as exc:
        fail(exc)
    _print(card, as_json)


@scorecards_group.command("publish")
@_options
@click.option("--note", default=None)
@click.pass_obj
def scorecards_publish(obj, period: str, subject: str, scheme: str | None, as_json: bool, note: str | None) -> None:
    """Publish (freeze) a finished period's scorecard: later events never change it."""
    from gridmap.evaluation import publish_period

    tz = ZoneInfo(obj.settings.cases.timezone)
    try:
        with session_scope(obj.migrated_session_factory(), writes=True) as session:
            card = publish_period(session, tz, dt.datetime.now(dt.UTC), cli_actor(), period=period, subject=subject,
                                  scheme=scheme, note=note)  # fmt: skip
    except GridmapError as exc:
        fail(exc)
    _print(card, as_json)


@scorecards_group.command("batch")
@click.option("--from", "first", required=True, help="The first period: 2025-12, 2026-W01, 2026-Q1 or 2026.")
@click.option("--to", "last", required=True, help="The last period, of the same kind.")
@click.option("--scheme", "schemes", multiple=True, help="A scheme code (repeat it; default: every scheme).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where the cards go: one JSON scorecard per line.")  # fmt: skip
@click.option(
    "--scheduler",
    default=None,
    help="Count on Dask: tcp://host:8786 (a running cluster) or local:N (N worker processes here).",
)
@click.pass_obj
def scorecards_batch(
    obj, first: str, last: str, schemes: tuple[str, ...], out_path: Path, scheduler: str | None
) -> None:
    """Count every scheme's scorecard for each period from --from to --to (nothing is published)."""
    from gridmap.evaluation.batches import periods_between, plan, run

    tz = ZoneInfo(obj.settings.cases.timezone)
    started = time.perf_counter()
    try:
        with obj.migrated_session_factory()() as session:
            periods = periods_between(first, last, tz)
            tasks = plan(session, obj.settings, periods, dt.datetime.now(dt.UTC), schemes)
        cards = run(tasks, scheduler)
    except GridmapError as exc:
        fail(exc)
    with out_path.open("w", encoding="utf-8") as fh:
        for card in cards:
            fh.write(json.dumps(card, ensure_ascii=False, default=str) + "\n")
    where = f" on Dask {scheduler}" if scheduler else ""
    click.echo(
        f"{len(cards)} scorecards ({len(tasks) // max(len(periods), 1)} schemes × {len(periods)} periods) "
        f"in {time.perf_counter() - started:.1f} s{where} → {out_path}"
    )
