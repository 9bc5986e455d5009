"""The quarterly evaluation 评议 of a member: a score 0…100 by themself (自评), by a peer of the same party
organisation, team or post (互评), and by the organisation — the community staff whose scope holds the member's
community (组织评价). Each rater's latest score counts (a second rating replaces their first); :mod:`points`
averages each source and combines the three by the points scheme's weights."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from gridmap.accounts import audit, roles
from gridmap.accounts.actor import Actor
from gridmap.accounts.scope import scope_of
from gridmap.errors import Forbidden, InvalidInput, NotFound, Problem
from gridmap.evaluation.periods import Period
from gridmap.inputs import as_id, parse_number
from gridmap.store.models import Person, Volunteer, VolunteerReview, VolunteerSignup
from gridmap.volunteers.register import find_member, member_of

SOURCES: dict[str, tuple[str, str]] = {
    "self": ("自评", "self"),
    "peer": ("互评", "peer"),
    "org": ("组织评价", "organisation"),
}


def parse_score(raw: object) -> float:
    """A score 0…100 (a number, or its text from a form), or InvalidInput in both languages."""
    value = parse_number(raw, "score", [])
    if value is None or not 0 <= value <= 100:
        raise InvalidInput(Problem("score: a number 0…100", field="score", zh="评分须为 0 至 100 的数"))
    return value


def _quarter(period: Period) -> None:
    if period.kind != "quarter":
        raise InvalidInput(Problem(f"{period.key} is not a quarter (e.g. 2026-Q4)", field="period",
                                   zh=f"“{period.key}”不是季度（如 2026-Q4）"))  # fmt: skip


def peers_of(session: Session, member: Volunteer) -> list[Volunteer]:
    """The members who may rate ``member`` as a peer (and whom they may rate): the same party organisation or team,
    or a sign-up for the same post."""
    posts = select(VolunteerSignup.post_id).where(VolunteerSignup.volunteer_id == member.id)
    same_post = select(VolunteerSignup.volunteer_id).where(VolunteerSignup.post_id.in_(posts))
    alike: list[ColumnElement[bool]] = [Volunteer.id.in_(same_post)]
    if member.party_org:
        alike.append(Volunteer.party_org == member.party_org)
    if member.team:
        alike.append(Volunteer.team == member.team)
    stmt = select(Volunteer).join(Person, Person.id == Volunteer.person_id).where(
        Volunteer.id != member.id, or_(*alike)).order_by(Person.name, Volunteer.id)  # fmt: skip
    return list(session.scalars(stmt))


def rate(
    session: Session, actor: Actor, volunteer_id: object, period: Period, source: str, raw_score: object,
    now: dt.datetime,
) -> VolunteerReview:  # fmt: skip
    """Record (or replace) the actor's ``source`` score of a member (``volunteer_id`` as sent) for a quarter, if the
    actor may give it."""
    if source not in SOURCES:
        raise InvalidInput(Problem("source: self, peer or org", field="source", zh="评价类别须为自评、互评或组织评价"))
    vid = as_id(volunteer_id)
    if vid is None:
        raise InvalidInput(Problem("volunteer_id: the member's id", field="volunteer_id", zh="须指明被评价的成员"))
    score = parse_score(raw_score)
    _quarter(period)
    target = session.get(Volunteer, vid)
    if target is None:
        raise NotFound(f"no member {volunteer_id}", zh=f"成员 {volunteer_id} 不存在")
    if source == "self":
        if member_of(session, actor).id != target.id:
            raise Forbidden("a self-rating is for your own record only", zh="自评只能评自己")
    elif source == "peer":
        me = member_of(session, actor)
        if me.id == target.id:
            raise Forbidden("rate yourself as self, not as a peer", zh="不能互评自己，请用自评")
        if target.id not in {p.id for p in peers_of(session, me)}:
            raise Forbidden("peers share a party organisation, team or post",
                            zh="只能评同一党组织、服务队或同一岗位的成员")  # fmt: skip
    else:
        if not actor.has(*roles.RATES_MEMBERS):
            raise Forbidden("the organisation's score is given by the community's commander",
                            zh="组织评价须由社区（指挥账号）给出")  # fmt: skip
        scope = scope_of(session, actor)
        if scope is not None and scope.area_id is not None and target.community_id not in scope.community_ids:
            raise Forbidden(f"this member reports to a community outside your scope ({scope.area_name})",
                            zh=f"该成员报到社区不在您的管辖范围（{scope.area_name}）内")  # fmt: skip
    row = session.scalars(select(VolunteerReview).where(
        VolunteerReview.volunteer_id == target.id, VolunteerReview.period == period.key,
        VolunteerReview.source == source, VolunteerReview.by == actor.name)).first()  # fmt: skip
    before = None if row is None else {"score": row.score}
    if row is None:
        row = VolunteerReview(volunteer_id=target.id, period=period.key, source=source, score=score, by=actor.name,
                              at=now)  # fmt: skip
        session.add(row)
    else:
        row.score, row.at = score, now
    session.flush()
    audit.record(session, actor, "volunteer.review", object_kind="volunteer", object_id=target.id, at=now,
                 before=before, after={"period": period.key, "source": source, "score": score})  # fmt: skip
    return row


def given_by(session: Session, actor: Actor, period: Period, source: str) -> dict[int, float]:
    """The actor's own ``source`` scores of the quarter, by member (what the pages show as already given)."""
    stmt = select(VolunteerReview.volunteer_id, VolunteerReview.score).where(
        VolunteerReview.period == period.key, VolunteerReview.source == source, VolunteerReview.by == actor.name
    )
    return {vid: score for vid, score in session.execute(stmt)}


def to_rate(session: Session, actor: Actor, period: Period) -> dict[str, Any]:
    """What the signed-in member may rate this quarter: themself and their peers, each with the score given."""
    me = find_member(session, actor)
    if me is None:
        return {"self": None, "peers": []}
    mine = given_by(session, actor, period, "self").get(me.id)
    theirs = given_by(session, actor, period, "peer")
    peers = [{"volunteer_id": p.id, "name": p.person.name, "party_org": p.party_org, "team": p.team,
              "score": theirs.get(p.id)} for p in peers_of(session, me)]  # fmt: skip
    return {"self": mine, "peers": peers}


MEMBERS_SHOWN = 300  # on the community page's organisation-score table


def org_to_rate(session: Session, actor: Actor, period: Period) -> list[dict[str, Any]]:
    """The members reporting to the actor's communities (all for a city-wide account) with the org score the actor
    gave this quarter."""
    stmt = select(Volunteer, Person.name).join(Person, Person.id == Volunteer.person_id).order_by(Person.name)
    scope = scope_of(session, actor)
    if scope is not None and scope.area_id is not None:
        stmt = stmt.where(Volunteer.community_id.in_(sorted(scope.community_ids) or [-1]))
    given = given_by(session, actor, period, "org")
    return [{"volunteer_id": v.id, "name": name, "party_org": v.party_org, "team": v.team, "score": given.get(v.id)}
            for v, name in session.execute(stmt.limit(MEMBERS_SHOWN))]  # fmt: skip
