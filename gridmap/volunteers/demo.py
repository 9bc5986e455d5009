"""The demo city's party members and volunteers: four party organisations (branches of city offices) and a
volunteer team sending ~50 members into the communities of 滨河街道, three posts per community published by it, and
the last 90 days of services (checked in and out inside the post's area, most confirmed) with a quarter's
evaluation scores — so the member's page, the community's page and the ranking show data. With ``hash_password``,
a member's account (``demo-member``) and a community commander (``demo-community``). Deterministic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.accounts.registry import create_account
from gridmap.store.dialect import wkb
from gridmap.store.models import (
    Area,
    AreaLevel,
    Compound,
    Person,
    Unit,
    UnitKind,
    Volunteer,
    VolunteerPost,
    VolunteerReview,
    VolunteerShift,
    VolunteerSignup,
)

SEED = 20261205
STREET = "141102001"  # 滨河街道
MEMBERS = 52
VOLUNTEERS = 8  # of MEMBERS: a volunteer team's, not party members
DAYS = 90
POSTS = (("building_lead", "{place}楼栋长", True), ("civility", "{place}文明劝导", False),
         ("environment", "{place}环境监督", True))  # fmt: skip
TEAM = "滨河志愿服务队"


def _point_in(geom: Any, rng: np.random.Generator) -> tuple[float, float]:
    """A point well inside ``geom`` (a little off its representative point, kept when still inside)."""
    p = shapely.get_coordinates(geom.representative_point())[0]
    q = shapely.Point(p[0] + rng.uniform(-1e-4, 1e-4), p[1] + rng.uniform(-1e-4, 1e-4))
    return (q.x, q.y) if geom.contains(q) else (float(p[0]), float(p[1]))


def seed_volunteers(
    session: Session, end: dt.datetime, actor: Actor, tz: dt.tzinfo, hash_password: Callable[[str], str] | None = None,
    password: str = "",
) -> dict[str, int]:  # fmt: skip
    """Members, posts, sign-ups and the services of the ``DAYS`` days before ``end``."""
    rng = np.random.default_rng(SEED)
    street = session.scalar(select(Area).where(Area.code == STREET))
    if street is None:
        return {}
    communities = session.execute(
        select(Area.id, Area.name, Area.code, wkb(Area.geom)).where(Area.parent_id == street.id,
                                                                     Area.level == AreaLevel.COMMUNITY)
        .order_by(Area.code)
    ).all()  # fmt: skip
    offices = session.scalars(select(Unit).where(Unit.kind == UnitKind.CITY_OFFICE).order_by(Unit.code).limit(4)).all()
    people = session.scalars(
        select(Person).where(Person.retired_on.is_(None), Person.code.is_not(None)).order_by(Person.code)
    ).all()
    if not communities or not offices or len(people) < MEMBERS:
        return {}
    chosen = [people[int(i)] for i in sorted(rng.choice(len(people), MEMBERS, replace=False))]
    joined = (end - dt.timedelta(days=365)).astimezone(tz).date()
    members: list[tuple[Volunteer, int]] = []
    for k, person in enumerate(chosen):
        community = communities[k % len(communities)]
        if k < MEMBERS - VOLUNTEERS:
            org = f"{offices[k % len(offices)].name}机关党支部"
            v = Volunteer(person_id=person.id, kind="party_member", party_org=org, community_id=community.id,
                          joined_on=joined)  # fmt: skip
        else:
            v = Volunteer(person_id=person.id, kind="volunteer", team=TEAM, community_id=community.id, joined_on=joined)
        members.append((v, community.id))
    session.add_all([v for v, _ in members])
    published = end - dt.timedelta(days=DAYS + 7)
    posts: dict[int, list[tuple[VolunteerPost, Any]]] = {}
    for c in communities:
        area = shapely.from_wkb(bytes(c[3]))
        compounds = session.execute(
            select(Compound.id, Compound.name, wkb(Compound.geom))
            .where(Compound.community_id == c.id, Compound.name.is_not(None)).order_by(Compound.id).limit(2)
        ).all()  # fmt: skip
        made: list[tuple[VolunteerPost, Any]] = []
        for j, (duty, title, in_compound) in enumerate(POSTS):
            compound = compounds[j % len(compounds)] if in_compound and compounds else None
            place = compound[1] if compound else c.name
            geom: Any = shapely.from_wkb(bytes(compound[2])) if compound else area
            post = VolunteerPost(community_id=c.id, compound_id=compound[0] if compound else None, duty=duty,
                                 title=title.format(place=place), slots=8, tolerance_m=50.0, published_at=published,
                                 published_by="demo-binhe")  # fmt: skip
            made.append((post, geom))
        posts[c.id] = made
        session.add_all([p for p, _ in made])
    session.flush()
    signups: list[tuple[VolunteerSignup, Any]] = []
    for v, cid in members:
        options = posts[cid]
        for j in rng.choice(len(options), 1 + int(rng.random() < 0.3), replace=False):
            post, geom = options[int(j)]
            signups.append((VolunteerSignup(post_id=post.id, volunteer_id=v.id, signed_at=published), geom))
    session.add_all([s for s, _ in signups])
    session.flush()
    shifts = []
    for signup, geom in signups:
        for _ in range(int(rng.poisson(rng.choice([2.0, 5.0, 9.0])))):
            day = (end - dt.timedelta(days=int(rng.integers(1, DAYS)))).astimezone(tz).date()
            start = dt.datetime.combine(day, dt.time(int(rng.choice([8, 9, 14, 15, 18])), int(rng.integers(0, 60))),
                                        tzinfo=tz).astimezone(dt.UTC)  # fmt: skip
            stop = start + dt.timedelta(minutes=int(rng.integers(45, 200)))
            (x0, y0), (x1, y1) = _point_in(geom, rng), _point_in(geom, rng)
            ok = rng.random() < 0.85
            shifts.append(VolunteerShift(signup_id=signup.id, started_at=start, start_lon=x0, start_lat=y0,
                                         ended_at=stop, end_lon=x1, end_lat=y1,
                                         confirmed_at=stop + dt.timedelta(hours=20) if ok else None,
                                         confirmed_by="demo-binhe" if ok else None))  # fmt: skip
    session.add_all(shifts)
    local = end.astimezone(tz)
    quarter = f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    reviews = []
    for v, _ in members:
        for source, lo in (("self", 85), ("peer", 65), ("org", 70)):
            score = float(rng.integers(lo, 101))
            reviews.append(VolunteerReview(volunteer_id=v.id, period=quarter, source=source, score=score,
                                           by=f"demo-{source}", at=end))  # fmt: skip
    session.add_all(reviews)
    session.flush()
    if hash_password is not None:
        first = members[0][0]
        code = session.scalar(select(Person.code).where(Person.id == first.person_id))
        create_account(session, actor, username="demo-member", name="在职党员（示范）", role="viewer",
                       password=password, hash_password=hash_password, person=code)  # fmt: skip
        head = communities[0]
        create_account(session, actor, username="demo-community", name=f"{head.name}书记（示范）", role="commander",
                       password=password, hash_password=hash_password, scope=head.code)  # fmt: skip
    return {"volunteers": len(members), "volunteer_posts": sum(len(p) for p in posts.values()),
            "volunteer_shifts": len(shifts)}  # fmt: skip
