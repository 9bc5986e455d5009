"""Scorecard batches: every scheme over a run of periods, counted on a Dask ``LocalCluster`` of two worker
processes, gives the very cards the single process gives (which hold the hand-computed golden figures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.evaluation import ensure_default_schemes, list_schemes
from gridmap.evaluation.batches import periods_between, plan, run
from tests.test_evaluation import ADMIN, NOW, TZ, add_case, golden_city, t


def _city(session: Session) -> dict[str, int]:
    """The golden November plus cases due in September and October, so that each month's cards differ."""
    ids = golden_city(session)
    for d in ("09-03", "09-17", "10-08", "10-21"):
        add_case(session, ids["a"], t(d), closed=t(d, 9))
    add_case(session, ids["b"], t("10-12"), closed=t("10-19"), reworks=[t("10-14")])
    ensure_default_schemes(session, ADMIN, NOW)
    session.commit()
    return ids


def _unit_a(cards: list[dict], code: str, period: str, unit: int) -> dict:
    card = next(c for c in cards if c["scheme"]["code"] == code and c["period"]["key"] == period)
    return next(r for r in card["rows"] if r["subject_id"] == str(unit))


def test_a_batch_on_two_dask_workers_gives_the_single_process_cards(
    session: Session, settings: Settings, dask_scheduler: str
) -> None:
    ids = _city(session)
    periods = periods_between("2026-08", "2026-11", TZ)
    assert [p.key for p in periods] == ["2026-08", "2026-09", "2026-10", "2026-11"]
    tasks = plan(session, settings, periods, NOW)
    assert len(tasks) == len(list_schemes(session)) * 4
    alone = run(tasks)
    spread = run(tasks, dask_scheduler)
    assert spread == alone
    assert _unit_a(alone, "unit_composite", "2026-11", ids["a"])["score"] == pytest.approx(76.5, abs=0.01)
    sept, nov = (_unit_a(alone, "unit_composite", p, ids["a"]) for p in ("2026-09", "2026-11"))
    assert sept["counts"] != nov["counts"]


def test_the_command_writes_a_card_per_scheme_and_period(session: Session, settings: Settings, tmp_path: Path) -> None:
    ids = _city(session)
    url = ["--database-url", settings.database_url]
    runner = CliRunner()
    out = tmp_path / "cards.jsonl"
    two = ["--scheme", "unit_composite", "--scheme", "unit_threshold"]
    done = runner.invoke(
        main, [*url, "scorecards", "batch", "--from", "2026-09", "--to", "2026-11", *two, "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert "6 scorecards (2 schemes × 3 periods)" in done.output
    cards = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(c["scheme"]["code"], c["period"]["key"]) for c in cards] == [
        (code, p) for code in ("unit_composite", "unit_threshold") for p in ("2026-09", "2026-10", "2026-11")
    ]
    assert _unit_a(cards, "unit_composite", "2026-11", ids["a"])["score"] == pytest.approx(76.5, abs=0.01)

    bad = runner.invoke(main, [*url, "scorecards", "batch", "--from", "2026-11", "--to", "2026-W40", "--out", str(out)])
    assert bad.exit_code != 0 and "one kind" in bad.output
    unknown = runner.invoke(main, [*url, "scorecards", "batch", "--from", "2026-10", "--to", "2026-11",
                                   "--scheme", "nope", "--out", str(out)])  # fmt: skip
    assert unknown.exit_code != 0 and "nope" in unknown.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6  # a refused batch leaves the last file alone


def test_a_backwards_or_endless_range_is_refused_in_chinese() -> None:
    with pytest.raises(InvalidInput) as backwards:
        periods_between("2026-11", "2026-09", TZ)
    assert "晚于" in backwards.value.problems[0].zh
    with pytest.raises(InvalidInput) as endless:
        periods_between("1900-W01", "2026-W40", TZ)
    assert "1000" in endless.value.problems[0].zh
