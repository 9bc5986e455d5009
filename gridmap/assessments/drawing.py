"""``draw``: a mock assessment's points drawn and stored with the seed and parameters that repeat it; reading a
stored assessment back.

A request names N points, optional quotas per type (the other types share what is left in proportion to their
candidates), the weeks K whose drawn points are left out, the seed (chosen at random when not given: it is stored
either way) and the number of teams T. Every problem of the request is reported at once, in English and Chinese,
and nothing is stored unless the whole draw fits — in particular a type asked for more points than it has after
the exclusion names the type, how many it has and how many were excluded.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.assessments.candidates import NO_STREET, Candidates, load_candidates
from gridmap.assessments.routes import plan_routes
from gridmap.assessments.sampling import METHOD, split_total, stratified_draw
from gridmap.assessments.vocabulary import BY_CODE, ORDER, TYPE_HELP, parse_point_type, type_name
from gridmap.errors import Conflict, InvalidInput, NotFound, Problem
from gridmap.inputs import parse_day, parse_int, parse_text
from gridmap.store.models import Area, AreaLevel, Assessment, AssessmentPoint

MAX_POINTS = 1000  # a mock assessment walks tens to a few hundred points; more is a census, not a draw
MAX_TEAMS = 50
MAX_WEEKS = 104  # two years of look-back
MAX_SEED = 2**63 - 1  # stored as a BIGINT


@dataclass(frozen=True)
class DrawRequest:
    """A checked draw request."""

    points: int
    quotas: dict[str, int]  # as asked (type code → n)
    exclude_weeks: int
    seed: int
    teams: int
    title: str
    drawn_on: dt.date


def _quota_items(raw: object) -> list[tuple[str, object]]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, Mapping):
        return [(str(k), v) for k, v in raw.items()]
    if isinstance(raw, str):
        raw = [part for part in raw.replace("，", ",").split(",") if part.strip()]
    if isinstance(raw, list | tuple):
        out: list[tuple[str, object]] = []
        for item in raw:
            name, sep, n = str(item).partition("=")
            out.append((name, n if sep else None))
        return out
    raise InvalidInput(
        Problem("must be an object {type: n} or a list of TYPE=n", field="quotas", zh="配额须写成“类型=数量”")
    )


def parse_request(data: Mapping[str, Any], today: dt.date) -> DrawRequest:
    """Check a draw request (API body, form or command line); every problem at once."""
    problems: list[Problem] = []
    points = parse_int(data.get("points"), "points", problems, lo=1, hi=MAX_POINTS)
    if points is None and not any(p.field == "points" for p in problems):
        problems.append(Problem("is required: how many points to draw", field="points", zh="请填写抽取点位总数"))
    quotas: dict[str, int] = {}
    for name, n in _quota_items(data.get("quotas")):
        code = parse_point_type(name)
        field = f"quotas.{name.strip()}"
        if code is None:
            problems.append(
                Problem(
                    f"{name.strip()[:30]!r} is not a point type; use one of {', '.join(BY_CODE)}",
                    field=field,
                    zh=f"“{name.strip()[:30]}”不是点位类型：请写 {TYPE_HELP} 之一",
                )
            )
            continue
        count = parse_int(n, field, problems, lo=0, hi=MAX_POINTS)
        if n is None or (isinstance(n, str) and not n.strip()):
            problems.append(Problem("needs a number: TYPE=n", field=field, zh="请写“类型=数量”，如 农贸市场=3"))
        elif count is not None:
            if code in quotas:
                problems.append(
                    Problem(f"{code} is given twice", field=field, zh=f"“{type_name(code, 'zh_CN')}”的配额写了两次")
                )
            quotas[code] = count
    weeks = parse_int(data.get("exclude_weeks"), "exclude_weeks", problems, lo=0, hi=MAX_WEEKS, default=0)
    seed = parse_int(data.get("seed"), "seed", problems, lo=0, hi=MAX_SEED)
    teams = parse_int(data.get("teams"), "teams", problems, lo=1, hi=MAX_TEAMS, default=1)
    drawn_on = parse_day(data.get("drawn_on"), "drawn_on", problems, default=today)
    title = parse_text(data.get("title"), "title", problems, 200)
    if points is not None and quotas and sum(quotas.values()) > points:
        problems.append(
            Problem(
                f"the quotas add up to {sum(quotas.values())}, more than the {points} points asked",
                field="quotas",
                zh=f"各类型配额合计 {sum(quotas.values())} 个，超过抽取总数 {points} 个",
            )
        )
    if problems:
        raise InvalidInput(problems)
    assert points is not None and weeks is not None and teams is not None and drawn_on is not None
    return DrawRequest(
        points=points,
        quotas=quotas,
        exclude_weeks=weeks,
        seed=secrets.randbelow(10**9) if seed is None else seed,  # short enough to read out and type again
        teams=teams,
        title=title or f"模拟测评 {drawn_on.isoformat()}",
        drawn_on=drawn_on,
    )


def excluded_targets(
    session: Session, drawn_on: dt.date, weeks: int, before_id: int | None = None
) -> set[tuple[str, int]]:
    """(source, id) of the points drawn in the ``weeks`` weeks up to ``drawn_on`` (by assessments older than
    ``before_id``, when repeating that one)."""
    if weeks <= 0:
        return set()
    stmt = (
        select(AssessmentPoint.target_kind, AssessmentPoint.target_id)
        .join(Assessment, Assessment.id == AssessmentPoint.assessment_id)
        .where(Assessment.drawn_on > drawn_on - dt.timedelta(weeks=weeks), Assessment.drawn_on <= drawn_on)
    )
    if before_id is not None:
        stmt = stmt.where(Assessment.id < before_id)
    return {(k, int(i)) for k, i in session.execute(stmt)}


@dataclass
class Drawn:
    """The points a request picks: the candidates, their team and stop, and the quotas used."""

    points: Candidates
    team: np.ndarray
    stop: np.ndarray
    quotas: dict[str, int]
    candidates: dict[str, int]  # per type, in the store
    excluded: dict[str, int]  # per type, left out as drawn lately


def pick(candidates: Candidates, excluded: set[tuple[str, int]], request: DrawRequest) -> Drawn:
    """The draw itself, on candidates already read: the exclusion, the quotas checked against what is left, the
    stratified draw and the teams' routes. Raises InvalidInput (nothing drawn) when a quota cannot be met."""
    in_store = candidates.counts()
    if excluded:
        keep = np.array(
            [(s, int(i)) not in excluded for s, i in zip(candidates.sources, candidates.ids, strict=True)], dtype=bool
        )
        pool = candidates.take(np.flatnonzero(keep))
    else:
        pool = candidates
    available = pool.counts()
    left_out = {t: in_store[t] - available[t] for t in in_store}
    problems: list[Problem] = []
    for code, n in request.quotas.items():
        if n > available[code]:
            problems.append(_too_few(code, n, available[code], left_out[code], request.exclude_weeks))
    quotas = split_total(request.points, request.quotas, available)
    short = request.points - sum(quotas.values())
    if short > 0 and not problems:
        problems.append(
            Problem(
                f"{request.points} points asked, but the types without a quota have only "
                f"{request.points - short - sum(request.quotas.values())} candidates left to add to the quotas",
                field="points",
                zh=f"要抽 {request.points} 个点位，但除已定配额的类型外只剩 "
                f"{request.points - short - sum(request.quotas.values())} 个候选点位",
            )
        )
    if problems:
        raise InvalidInput(problems)
    quotas = {t: n for t, n in sorted(quotas.items(), key=lambda kv: ORDER[kv[0]]) if n > 0}
    index = stratified_draw(pool.types, pool.streets, quotas, request.seed)
    drawn = pool.take(index)
    team, stop = plan_routes(drawn.lon, drawn.lat, drawn.streets, request.teams)
    return Drawn(drawn, team, stop, quotas, in_store, {t: n for t, n in left_out.items() if n})


def _too_few(code: str, asked: int, available: int, left_out: int, weeks: int) -> Problem:
    zh_name, en_name = type_name(code, "zh_CN"), type_name(code, "en")
    if left_out:
        en = (
            f"{asked} points of type {zh_name} ({en_name}) asked, but only {available} can be drawn: "
            f"{available + left_out} exist, {left_out} of them drawn in the last {weeks} weeks"
        )
        zh = (
            f"点位类型“{zh_name}”要抽 {asked} 个，但只有 {available} 个可抽（共 {available + left_out} 个，"
            f"其中 {left_out} 个在近 {weeks} 周内已抽过）"
        )
    else:
        en = f"{asked} points of type {zh_name} ({en_name}) asked, but only {available} exist"
        zh = f"点位类型“{zh_name}”要抽 {asked} 个，但库中只有 {available} 个"
    return Problem(en, field=f"quotas.{code}", zh=zh)


def draw(session: Session, request: DrawRequest, actor: Actor, now: dt.datetime | None = None) -> dict[str, Any]:
    """Draw and store an assessment (one audit entry); all or nothing, the caller commits. Returns it as
    :func:`get_assessment` does."""
    candidates = load_candidates(session)
    drawn = pick(candidates, excluded_targets(session, request.drawn_on, request.exclude_weeks), request)
    params = {
        "points": request.points,
        "quotas_asked": request.quotas,
        "quotas": drawn.quotas,
        "exclude_weeks": request.exclude_weeks,
        "teams": request.teams,
        "method": METHOD,
        "candidates": drawn.candidates,
        "excluded": drawn.excluded,
    }
    row = Assessment(
        title=request.title,
        drawn_on=request.drawn_on,
        seed=request.seed,
        params=params,
        created_at=now or dt.datetime.now(dt.UTC),
        created_by=actor.name,
    )
    session.add(row)
    session.flush()
    p = drawn.points
    session.execute(
        insert(AssessmentPoint),
        [
            {
                "assessment_id": row.id,
                "seq": k + 1,
                "point_type": str(p.types[k]),
                "target_kind": str(p.sources[k]),
                "target_id": int(p.ids[k]),
                "name": (p.names[k] or None),
                "lon": float(p.lon[k]),
                "lat": float(p.lat[k]),
                "street_id": None if p.streets[k] == NO_STREET else int(p.streets[k]),
                "team": int(drawn.team[k]),
                "stop": int(drawn.stop[k]),
            }
            for k in range(len(p))
        ],
    )
    audit.record(
        session,
        actor,
        "assessment.draw",
        object_kind="assessment",
        object_id=row.id,
        after={"title": request.title, "seed": request.seed, "points": len(p), **params},
    )
    return get_assessment(session, row.id)


def repeat(session: Session, assessment_id: int) -> list[tuple[str, int]]:
    """The (source, id) of the points the stored seed and parameters pick from the store as it is now, with the
    exclusion as it was then (assessments older than this one): equal to the stored points while the candidates
    have not changed."""
    row = find_assessment(session, assessment_id)
    params = row.params
    request = DrawRequest(
        points=params["points"],
        quotas=dict(params["quotas_asked"]),
        exclude_weeks=params["exclude_weeks"],
        seed=row.seed,
        teams=params["teams"],
        title=row.title,
        drawn_on=row.drawn_on,
    )
    excluded = excluded_targets(session, row.drawn_on, request.exclude_weeks, before_id=row.id)
    drawn = pick(load_candidates(session), excluded, request)
    return [(str(s), int(i)) for s, i in zip(drawn.points.sources, drawn.points.ids, strict=True)]


def find_assessment(session: Session, assessment_id: int, *, lock: bool = False) -> Assessment:
    row = session.get(Assessment, assessment_id, with_for_update=lock)
    if row is None:
        raise NotFound(f"no assessment {assessment_id}", zh=f"没有编号为 {assessment_id} 的测评")
    return row


def open_assessment(session: Session, assessment_id: int, *, lock: bool = False) -> Assessment:
    """The assessment, refused once closed: its scores are final (a closed assessment is what rates compare with)."""
    row = find_assessment(session, assessment_id, lock=lock)
    if row.closed_at is not None:
        raise Conflict(
            f"assessment {assessment_id} is closed: its scores can no longer change",
            zh=f"测评 {assessment_id} 已结束，评分不能再修改",
        )
    return row


def point_dict(p: AssessmentPoint, streets: Mapping[int, str], lang: str) -> dict[str, Any]:
    rate = None if p.score is None or not p.possible else p.score / p.possible
    return {
        "id": p.id,
        "seq": p.seq,
        "type": p.point_type,
        "type_name": type_name(p.point_type, lang),
        "source": p.target_kind,
        "target_id": p.target_id,
        "name": p.name,
        "street_id": p.street_id,
        "street_name": streets.get(p.street_id) if p.street_id is not None else None,
        "lon": p.lon,
        "lat": p.lat,
        "team": p.team,
        "stop": p.stop,
        "score": p.score,
        "possible": p.possible,
        "rate": rate,
        "note": p.note,
        "scored_by": p.scored_by,
        "scored_at": p.scored_at.isoformat() if p.scored_at else None,
    }


def street_names(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(Area.id, Area.name).where(Area.level == AreaLevel.STREET))}


def summary_dict(row: Assessment, lang: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "drawn_on": row.drawn_on.isoformat(),
        "seed": row.seed,
        "params": row.params,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "closed_by": row.closed_by,
        "quotas": [{"type": t, "type_name": type_name(t, lang), "n": n} for t, n in row.params["quotas"].items()],
    }


def get_assessment(session: Session, assessment_id: int, lang: str = "zh_CN") -> dict[str, Any]:
    """An assessment with its points, team by team in walking order."""
    row = find_assessment(session, assessment_id)
    streets = street_names(session)
    points = session.scalars(
        select(AssessmentPoint)
        .where(AssessmentPoint.assessment_id == assessment_id)
        .order_by(AssessmentPoint.team, AssessmentPoint.stop)
    ).all()
    return {**summary_dict(row, lang), "points": [point_dict(p, streets, lang) for p in points]}


def list_assessments(session: Session, lang: str = "zh_CN") -> list[dict[str, Any]]:
    """Every assessment, the latest first."""
    rows = session.scalars(select(Assessment).order_by(Assessment.drawn_on.desc(), Assessment.id.desc())).all()
    return [summary_dict(r, lang) for r in rows]
