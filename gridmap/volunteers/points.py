"""Points 积分 of a period under the current points scheme, and the ranking: services and hours (from the
check-ins), the 随手拍 reports the member's account opened and the inspection findings it recorded, and the
evaluation — self, peer and organisation scores combined by the scheme's weights (a missing source leaves its weight
to the others). Ranked by points, then hours, then name; the scheme's ``praise_top`` with points are praised."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.accounts.scope import scope_of
from gridmap.evaluation.periods import Period
from gridmap.store.models import (
    Account,
    CaseEvent,
    InspectionFinding,
    Person,
    Volunteer,
    VolunteerReview,
    VolunteerShift,
    VolunteerSignup,
)
from gridmap.volunteers.register import KINDS
from gridmap.volunteers.scheme import PointsScheme, current_scheme
from gridmap.volunteers.service import seconds


def _blank() -> dict[str, float]:
    return {"services": 0, "hours": 0.0, "reports": 0, "findings": 0}


def combine(scores: dict[str, float], scheme: PointsScheme) -> float | None:
    """The self/peer/org scores (0…100) weighted by the scheme; None when none was given."""
    w = scheme.evaluation
    weights = {"self": w.self_, "peer": w.peer, "org": w.org}
    present = {k: weights[k] for k in scores if weights.get(k)}
    total = sum(present.values())
    if not total:
        return None
    return sum(scores[k] * present[k] for k in present) / total


def _scores(session: Session, period: Period, volunteer_id: int | None = None) -> dict[int, dict[str, float]]:
    """Each member's mean score per source (self, peer, org) over the period's ratings."""
    given: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    stmt = select(VolunteerReview.volunteer_id, VolunteerReview.source, VolunteerReview.score).where(
        VolunteerReview.period == period.key
    )
    if volunteer_id is not None:
        stmt = stmt.where(VolunteerReview.volunteer_id == volunteer_id)
    for vid, source, score in session.execute(stmt):
        given[vid][source].append(score)
    return {vid: {k: sum(v) / len(v) for k, v in by.items()} for vid, by in given.items()}


def evaluation_of(session: Session, volunteer_id: int, period: Period) -> float | None:
    """One member's combined evaluation of the period (None: nobody rated them)."""
    _, scheme = current_scheme(session)
    value = combine(_scores(session, period, volunteer_id).get(volunteer_id, {}), scheme)
    return None if value is None else round(value, 2)


def tally(session: Session, period: Period, community_ids: frozenset[int] | None = None) -> list[dict[str, Any]]:
    """Every member's counts, evaluation and points over ``period``, ranked (members of ``community_ids`` only,
    when given)."""
    version, scheme = current_scheme(session)
    stmt = select(Volunteer, Person.name).join(Person, Person.id == Volunteer.person_id)
    if community_ids is not None:
        stmt = stmt.where(Volunteer.community_id.in_(sorted(community_ids) or [-1]))
    members = {v.id: (v, name) for v, name in session.execute(stmt)}
    counts: dict[int, dict[str, float]] = defaultdict(_blank)

    shifts = select(VolunteerSignup.volunteer_id, VolunteerShift.started_at, VolunteerShift.ended_at).join(
        VolunteerSignup, VolunteerSignup.id == VolunteerShift.signup_id
    ).where(VolunteerShift.started_at >= period.start_utc, VolunteerShift.started_at < period.end_utc,
            VolunteerShift.ended_at.is_not(None))  # fmt: skip
    if scheme.confirmed_only:
        shifts = shifts.where(VolunteerShift.confirmed_at.is_not(None))
    for vid, start, end in session.execute(shifts):
        minutes = seconds(start, end) / 60
        if vid in members and minutes >= scheme.min_minutes:
            counts[vid]["services"] += 1
            counts[vid]["hours"] += min(minutes / 60, scheme.max_hours)

    by_account = {name: vid for vid, name in session.execute(
        select(Volunteer.id, Account.username).join(Account, Account.person_id == Volunteer.person_id))}  # fmt: skip
    if by_account:
        users = sorted(by_account)
        reports = select(CaseEvent.actor).where(
            and_(CaseEvent.seq == 1, CaseEvent.actor.in_(users), CaseEvent.at >= period.start_utc,
                 CaseEvent.at < period.end_utc))  # fmt: skip
        for (actor,) in session.execute(reports):
            if actor in by_account and by_account[actor] in members:
                counts[by_account[actor]]["reports"] += 1
        findings = select(InspectionFinding.recorded_by).where(
            InspectionFinding.recorded_by.in_(users), InspectionFinding.recorded_at >= period.start_utc,
            InspectionFinding.recorded_at < period.end_utc)  # fmt: skip
        for (actor,) in session.execute(findings):
            if by_account[actor] in members:
                counts[by_account[actor]]["findings"] += 1

    reviews = _scores(session, period)
    rows: list[dict[str, Any]] = []
    for vid, (member, name) in members.items():
        c = counts[vid]
        evaluation = combine(reviews.get(vid, {}), scheme)
        points = (c["services"] * scheme.per_service + c["hours"] * scheme.per_hour
                  + c["reports"] * scheme.per_report + c["findings"] * scheme.per_finding
                  + (evaluation or 0.0) / 100 * scheme.evaluation_points)  # fmt: skip
        rows.append({
            "volunteer_id": vid, "name": name, "kind": member.kind, "kind_name": KINDS[member.kind][0],
            "party_org": member.party_org, "team": member.team, "services": int(c["services"]),
            "hours": round(c["hours"], 2), "reports": int(c["reports"]), "findings": int(c["findings"]),
            "evaluation": None if evaluation is None else round(evaluation, 2), "points": round(points, 2),
        })  # fmt: skip
    rows.sort(key=lambda r: (-r["points"], -r["hours"], r["name"], r["volunteer_id"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
        r["praised"] = i <= scheme.praise_top and r["points"] > 0
        r["scheme_version"] = version
    return rows


def ranking(session: Session, period: Period, community_ids: frozenset[int] | None = None) -> dict[str, Any]:
    """The period's ranking with the scheme version it was computed under."""
    version, scheme = current_scheme(session)
    rows = tally(session, period, community_ids)
    totals = {"members": len(rows), "hours": round(sum(r["hours"] for r in rows), 2),
              "services": sum(r["services"] for r in rows)}  # fmt: skip
    return {"period": period.key, "scheme_version": version, "scheme_name": scheme.name_zh,
            "praise_top": scheme.praise_top, "totals": totals, "items": rows}  # fmt: skip


def ranking_seen_by(session: Session, actor: Actor, period: Period) -> dict[str, Any]:
    """The period's ranking as ``actor`` may see it: their area's communities only (a city-wide account: all)."""
    scope = scope_of(session, actor)
    return ranking(session, period, scope.community_ids if scope is not None and scope.area_id is not None else None)


def standing(session: Session, member: Volunteer, period: Period) -> dict[str, Any]:
    """One member's line of the period's ranking (their hours, points and rank)."""
    for row in tally(session, period):
        if row["volunteer_id"] == member.id:
            return row
    raise AssertionError("a member is always in the tally")


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
