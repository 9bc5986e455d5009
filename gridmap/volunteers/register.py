"""Members, posts and sign-ups. A member is a person of the register (:mod:`gridmap.units`) with their party
organisation 党组织 named: a 党支部 lives inside a unit and takes no 包联 responsibility or cases, so it is an
attribute of the member rather than a unit kind (which would put it in the unit pickers and peer-group rankings).
A post is published by the community (a commander whose scope holds it); members sign up on their phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.accounts.scope import scope_of
from gridmap.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from gridmap.store.models import (
    Area,
    AreaLevel,
    Compound,
    Person,
    Volunteer,
    VolunteerPost,
    VolunteerShift,
    VolunteerSignup,
)

KINDS: dict[str, tuple[str, str]] = {"party_member": ("在职党员", "party member"), "volunteer": ("志愿者", "volunteer")}
DUTIES: dict[str, tuple[str, str]] = {
    "building_lead": ("楼栋长", "building lead"),
    "civility": ("文明劝导", "civility guide"),
    "environment": ("环境监督", "environment watch"),
    "safety": ("平安巡逻", "safety patrol"),
    "mediation": ("矛盾调解", "mediation"),
    "service": ("便民服务", "neighbourhood service"),
}
"""The duties of 契约化选岗 a post may carry."""
DEFAULT_TOLERANCE_M = 50.0


def find_member(session: Session, actor: Actor) -> Volunteer | None:
    """The signed-in account's member record (None: its person is not a registered member)."""
    if actor.person_id is None:
        return None
    return session.scalars(select(Volunteer).where(Volunteer.person_id == actor.person_id)).first()


def is_member(session: Session, actor: Actor) -> bool:
    """The signed-in account's person is a registered member."""
    return find_member(session, actor) is not None


def member_of(session: Session, actor: Actor) -> Volunteer:
    """The signed-in account's member record, or Forbidden saying the account's person is not a member."""
    row = find_member(session, actor)
    if row is None:
        raise Forbidden("this account's person is not a registered party member or volunteer",
                        zh="本账号未关联已登记的在职党员或志愿者，不能选岗或签到")  # fmt: skip
    return row


def enrol(
    session: Session, person_id: int, kind: str, party_org: str | None, team: str | None,
    community_id: int | None, joined_on: dt.date,
) -> Volunteer:  # fmt: skip
    """Register a person as a member (once)."""
    problems: list[Problem] = []
    if kind not in KINDS:
        problems.append(Problem(f"{kind!r} is not party_member or volunteer", field="kind",
                                zh="类别须为在职党员（party_member）或志愿者（volunteer）"))  # fmt: skip
    if kind == "party_member" and not party_org:
        problems.append(Problem("a party member needs their party organisation", field="party_org",
                                zh="在职党员须填写所在党组织"))  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    if session.get(Person, person_id) is None:
        raise NotFound(f"no person {person_id}", zh=f"人员 {person_id} 不存在")
    if session.scalar(select(Volunteer.id).where(Volunteer.person_id == person_id)) is not None:
        raise Conflict(f"person {person_id} is already a member", zh=f"人员 {person_id} 已登记")
    row = Volunteer(person_id=person_id, kind=kind, party_org=party_org, team=team, community_id=community_id,
                    joined_on=joined_on)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def publish_post(session: Session, actor: Actor, body: dict[str, Any], now: dt.datetime) -> VolunteerPost:
    """Publish a post in a community (or one of its compounds) of the actor's scope."""
    problems: list[Problem] = []
    community_id, compound_id = body.get("community_id"), body.get("compound_id")
    duty, title = body.get("duty"), str(body.get("title") or "").strip()
    slots, tolerance = body.get("slots", 1), body.get("tolerance_m", DEFAULT_TOLERANCE_M)
    if not isinstance(community_id, int) or isinstance(community_id, bool):
        problems.append(Problem("the community's id is required", field="community_id", zh="须选择社区"))
    if duty not in DUTIES:
        problems.append(Problem(f"duty must be one of {', '.join(DUTIES)}", field="duty",
                                zh="岗位类别须为：" + "、".join(z for z, _ in DUTIES.values())))  # fmt: skip
    if not title or len(title) > 200:
        problems.append(Problem("a title of 1 to 200 characters", field="title", zh="须填写岗位名称（200 字以内）"))
    if not isinstance(slots, int) or isinstance(slots, bool) or not 1 <= slots <= 1000:
        problems.append(Problem("slots: a whole number 1…1000", field="slots", zh="名额须为 1 至 1000 的整数"))
    if not isinstance(tolerance, int | float) or isinstance(tolerance, bool) or not 0 <= tolerance <= 1000:
        problems.append(Problem("tolerance_m: 0…1000 metres", field="tolerance_m", zh="签到容差须为 0 至 1000 米"))
    if compound_id is not None and (not isinstance(compound_id, int) or isinstance(compound_id, bool)):
        problems.append(Problem("compound_id: an id or null", field="compound_id", zh="小区编号有误"))
    if problems:
        raise InvalidInput(problems)
    area = session.get(Area, community_id)
    if area is None or area.level != AreaLevel.COMMUNITY:
        raise NotFound(f"no community {community_id}", zh=f"社区 {community_id} 不存在")
    if compound_id is not None:
        compound = session.get(Compound, compound_id)
        if compound is None or compound.community_id != community_id:
            raise NotFound(f"no compound {compound_id} in community {area.name}",
                           zh=f"社区“{area.name}”内没有小区 {compound_id}")  # fmt: skip
    scope = scope_of(session, actor)
    if scope is not None and community_id not in scope.community_ids:
        raise Forbidden(f"{area.name} is outside your scope ({scope.area_name})",
                        zh=f"“{area.name}”不在您的管辖范围（{scope.area_name}）内")  # fmt: skip
    post = VolunteerPost(community_id=community_id, compound_id=compound_id, duty=duty, title=title, slots=slots,
                         tolerance_m=float(tolerance), published_at=now, published_by=actor.name)  # fmt: skip
    session.add(post)
    session.flush()
    after = {"community_id": community_id, "compound_id": compound_id, "duty": duty, "title": title}
    audit.record(session, actor, "volunteer.post", object_kind="volunteer_post", object_id=post.id, at=now, after=after)
    return post


def sign_up(session: Session, actor: Actor, post_id: int, now: dt.datetime) -> VolunteerSignup:
    """The signed-in member takes a post (选岗) while it is open and has a free slot."""
    post = session.get(VolunteerPost, post_id)
    if post is None:
        raise NotFound(f"no post {post_id}", zh=f"岗位 {post_id} 不存在")
    member = member_of(session, actor)
    if post.closed_at is not None:
        raise Conflict(f"post {post.title} is closed", zh=f"岗位“{post.title}”已关闭")
    taken = session.scalar(select(func.count()).where(VolunteerSignup.post_id == post_id)) or 0
    mine = session.scalar(
        select(VolunteerSignup.id).where(VolunteerSignup.post_id == post_id, VolunteerSignup.volunteer_id == member.id)
    )
    if mine is not None:
        raise Conflict(f"you have already signed up for {post.title}", zh=f"您已选过岗位“{post.title}”")
    if taken >= post.slots:
        raise Conflict(f"post {post.title} is full ({post.slots} places)",
                       zh=f"岗位“{post.title}”名额已满（{post.slots} 人）")  # fmt: skip
    row = VolunteerSignup(post_id=post_id, volunteer_id=member.id, signed_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor, "volunteer.sign_up", object_kind="volunteer_post", object_id=post_id, at=now)
    return row


def close_post(session: Session, actor: Actor, post_id: int, now: dt.datetime) -> VolunteerPost:
    """Close a post of the actor's scope: no more sign-ups or check-ins; its sign-ups and services stay (history)."""
    post = session.get(VolunteerPost, post_id)
    if post is None:
        raise NotFound(f"no post {post_id}", zh=f"岗位 {post_id} 不存在")
    scope = scope_of(session, actor)
    if scope is not None and post.community_id not in scope.community_ids:
        raise Forbidden(f"post {post.title} is outside your scope ({scope.area_name})",
                        zh=f"岗位“{post.title}”不在您的管辖范围（{scope.area_name}）内")  # fmt: skip
    if post.closed_at is not None:
        raise Conflict(f"post {post.title} is already closed", zh=f"岗位“{post.title}”已关闭")
    post.closed_at = now
    session.flush()
    audit.record(session, actor, "volunteer.close_post", object_kind="volunteer_post", object_id=post.id, at=now)
    return post


def post_row(session: Session, post: VolunteerPost, lang: str = "zh_CN") -> dict[str, Any]:
    """A post as the API and pages show it."""
    community = session.get(Area, post.community_id)
    compound = session.get(Compound, post.compound_id) if post.compound_id else None
    taken = session.scalar(select(func.count()).where(VolunteerSignup.post_id == post.id)) or 0
    zh, en = DUTIES.get(post.duty, (post.duty, post.duty))
    return {
        "id": post.id, "title": post.title, "duty": post.duty, "duty_name": en if lang == "en" else zh,
        "community_id": post.community_id, "community": community.name if community else None,
        "compound_id": post.compound_id, "compound": compound.name if compound else None,
        "slots": post.slots, "taken": taken, "tolerance_m": post.tolerance_m, "open": post.closed_at is None,
    }  # fmt: skip


def list_posts(
    session: Session, actor: Actor, lang: str = "zh_CN", include_closed: bool = False
) -> list[dict[str, Any]]:
    """The open posts of the actor's scope (everyone's for a city-wide account); the closed ones too, after them,
    when ``include_closed`` (the community's history)."""
    stmt = select(VolunteerPost).order_by(VolunteerPost.closed_at.is_not(None), VolunteerPost.id)
    if not include_closed:
        stmt = stmt.where(VolunteerPost.closed_at.is_(None))
    scope = scope_of(session, actor)
    if scope is not None and scope.area_id is not None:
        stmt = stmt.where(VolunteerPost.community_id.in_(sorted(scope.community_ids) or [-1]))
    return [post_row(session, p, lang) for p in session.scalars(stmt)]


def my_posts(session: Session, member: Volunteer, lang: str = "zh_CN") -> list[dict[str, Any]]:
    """The member's posts, each with its sign-up id and the open service (checked in, not yet out), if any."""
    out = []
    rows = session.execute(
        select(VolunteerSignup, VolunteerPost).join(VolunteerPost, VolunteerPost.id == VolunteerSignup.post_id)
        .where(VolunteerSignup.volunteer_id == member.id).order_by(VolunteerSignup.id)
    ).all()  # fmt: skip
    for signup, post in rows:
        open_shift = session.scalar(
            select(VolunteerShift.id).where(VolunteerShift.signup_id == signup.id, VolunteerShift.ended_at.is_(None))
        )
        out.append(post_row(session, post, lang) | {"signup_id": signup.id, "open_shift": open_shift})
    return out


OPEN_POSTS_SHOWN = 30  # on the member's phone page


def open_posts_for(
    session: Session, actor: Actor, member: Volunteer, taken: set[int], lang: str = "zh_CN"
) -> list[dict[str, Any]]:
    """The posts a member may still take: open, not full, not already theirs (``taken``), in their own community
    (any community when they reported to none)."""
    home = member.community_id
    return [
        p
        for p in list_posts(session, actor, lang)
        if p["id"] not in taken and p["taken"] < p["slots"] and (home is None or p["community_id"] == home)
    ][:OPEN_POSTS_SHOWN]


MAX_COMPOUNDS = 400  # listed in the publish form (a city-wide account picks the whole community)


def post_places(session: Session, actor: Actor) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Where the actor may publish a post: the communities of their scope and (when few enough) their compounds."""
    scope = scope_of(session, actor)
    stmt = select(Area.id, Area.name).where(Area.level == AreaLevel.COMMUNITY).order_by(Area.code)
    if scope is not None and scope.area_id is not None:
        stmt = stmt.where(Area.id.in_(sorted(scope.community_ids) or [-1]))
    communities = [{"id": i, "name": n} for i, n in session.execute(stmt)]
    ids = [c["id"] for c in communities]
    compounds: list[dict[str, Any]] = []
    if ids:
        rows = session.execute(select(Compound.id, Compound.name, Compound.community_id)
                               .where(Compound.community_id.in_(ids), Compound.name.is_not(None))
                               .order_by(Compound.name).limit(MAX_COMPOUNDS + 1)).all()  # fmt: skip
        if len(rows) <= MAX_COMPOUNDS:
            names = {c["id"]: c["name"] for c in communities}
            compounds = [{"id": i, "name": f"{names.get(c, '')} · {n}"} for i, n, c in rows]
    return communities, compounds
