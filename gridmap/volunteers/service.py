"""Services: a member checks in and out at their post's place on a phone; the position must lie in the post's area
(the compound's polygon, else the community's) or within the post's tolerance of it — a phone's fix wanders, and a
building lead stands at the gate. The community confirms a service afterwards (only confirmed ones earn points
under the default scheme)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.accounts.scope import scope_of
from gridmap.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from gridmap.geo.crs import to_metric
from gridmap.inputs import as_id
from gridmap.store.dialect import wkb
from gridmap.store.models import Area, Compound, Person, Volunteer, VolunteerPost, VolunteerShift, VolunteerSignup
from gridmap.volunteers.register import member_of


def parse_position(body: dict[str, Any]) -> tuple[float, float]:
    """``lon``/``lat`` (WGS 84) from a request body, or InvalidInput naming the bad one."""
    problems: list[Problem] = []
    out = []
    for key, lo, hi in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
        v = body.get(key)
        if not isinstance(v, int | float) or isinstance(v, bool) or not lo <= v <= hi:
            word = "经度" if key == "lon" else "纬度"
            problems.append(Problem(f"{key}: a number {lo}…{hi} (the phone's position)", field=key,
                                    zh=f"位置{word}缺失或有误（须为手机定位）"))  # fmt: skip
        else:
            out.append(float(v))
    if problems:
        raise InvalidInput(problems)
    return out[0], out[1]


def distance_outside_m(session: Session, post: VolunteerPost, lon: float, lat: float) -> tuple[float, str]:
    """How far (metres) the position lies outside the post's area (0 inside), and the area's name."""
    if post.compound_id is not None:
        stmt = select(Compound.name, wkb(Compound.geom)).where(Compound.id == post.compound_id)
        name, raw = session.execute(stmt).one()
    else:
        name, raw = session.execute(select(Area.name, wkb(Area.geom)).where(Area.id == post.community_id)).one()
    area = shapely.from_wkb(bytes(raw))
    point = shapely.Point(lon, lat)
    if area.covers(point):
        return 0.0, name or ""
    (m_area, m_point), _ = to_metric(np.array([area, point], dtype=object))
    return float(shapely.distance(m_area, m_point)), name or ""


def _own_signup(session: Session, actor: Actor, signup_id: int) -> tuple[VolunteerSignup, VolunteerPost]:
    signup = session.get(VolunteerSignup, signup_id)
    if signup is None:
        raise NotFound(f"no sign-up {signup_id}", zh=f"选岗记录 {signup_id} 不存在")
    member = member_of(session, actor)
    if signup.volunteer_id != member.id:
        raise NotFound(f"you have no sign-up {signup_id}", zh=f"您没有编号为 {signup_id} 的选岗")
    post = session.get(VolunteerPost, signup.post_id)
    assert post is not None
    return signup, post


def _check_place(session: Session, post: VolunteerPost, lon: float, lat: float, what_zh: str) -> None:
    off, name = distance_outside_m(session, post, lon, lat)
    if off > post.tolerance_m:
        raise InvalidInput(Problem(
            f"you are {off:.0f} m outside {name} (at most {post.tolerance_m:.0f} m allowed): {what_zh} refused",
            zh=f"{what_zh}失败：您的位置在“{name}”范围外约 {off:.0f} 米（允许 {post.tolerance_m:.0f} 米），"
            "请到岗位所在地再试",
        ))  # fmt: skip


def check_in(session: Session, actor: Actor, signup_id: int, body: dict[str, Any], now: dt.datetime) -> VolunteerShift:
    """Start a service at the post's place (one open service per sign-up)."""
    lon, lat = parse_position(body)
    signup, post = _own_signup(session, actor, signup_id)
    if post.closed_at is not None:
        raise Conflict(f"post {post.title} is closed", zh=f"岗位“{post.title}”已关闭")
    if session.scalar(select(VolunteerShift.id).where(VolunteerShift.signup_id == signup.id,
                                                      VolunteerShift.ended_at.is_(None))) is not None:  # fmt: skip
        raise Conflict("you are already checked in here: check out first", zh="您已在此岗位签到，请先签退")
    _check_place(session, post, lon, lat, "签到")
    shift = VolunteerShift(signup_id=signup.id, started_at=now, start_lon=lon, start_lat=lat)
    session.add(shift)
    session.flush()
    audit.record(session, actor, "volunteer.check_in", object_kind="volunteer_shift", object_id=shift.id, at=now)
    return shift


def check_out(session: Session, actor: Actor, signup_id: int, body: dict[str, Any], now: dt.datetime) -> VolunteerShift:
    """End the open service at the post's place."""
    lon, lat = parse_position(body)
    signup, post = _own_signup(session, actor, signup_id)
    shift = session.scalars(select(VolunteerShift).where(VolunteerShift.signup_id == signup.id,
                                                         VolunteerShift.ended_at.is_(None))).first()  # fmt: skip
    if shift is None:
        raise Conflict("you are not checked in here", zh="您尚未在此岗位签到")
    _check_place(session, post, lon, lat, "签退")
    shift.ended_at, shift.end_lon, shift.end_lat = now, lon, lat
    session.flush()
    audit.record(session, actor, "volunteer.check_out", object_kind="volunteer_shift", object_id=shift.id, at=now)
    return shift


def confirm(session: Session, actor: Actor, shift_id: int, now: dt.datetime) -> VolunteerShift:
    """The community confirms a finished service of a post in the actor's scope."""
    shift = session.get(VolunteerShift, shift_id)
    if shift is None:
        raise NotFound(f"no service {shift_id}", zh=f"服务记录 {shift_id} 不存在")
    signup = session.get(VolunteerSignup, shift.signup_id)
    post = session.get(VolunteerPost, signup.post_id) if signup else None
    assert post is not None
    scope = scope_of(session, actor)
    if scope is not None and post.community_id not in scope.community_ids:
        raise Forbidden("this service is outside your scope", zh="该服务记录不在您的管辖范围内")
    if shift.ended_at is None:
        raise Conflict("the member has not checked out yet", zh="该成员尚未签退，不能确认")
    if shift.confirmed_at is not None:
        raise Conflict("already confirmed", zh="该服务已确认")
    shift.confirmed_at, shift.confirmed_by = now, actor.name
    session.flush()
    audit.record(session, actor, "volunteer.confirm", object_kind="volunteer_shift", object_id=shift.id, at=now)
    return shift


MAX_CONFIRMED_AT_ONCE = 200  # the confirmation list shows at most as many


def _ids(raw: object) -> list[int]:
    """Service ids as sent (JSON numbers, or a form's texts), or InvalidInput."""
    ids = [as_id(item) for item in (raw if isinstance(raw, list) else [raw])]
    if None in ids:
        raise InvalidInput(Problem("shift_ids: a list of service ids", field="shift_ids", zh="服务记录编号有误"))
    return [i for i in ids if i is not None]


def confirm_many(session: Session, actor: Actor, raw_ids: object, now: dt.datetime) -> list[VolunteerShift]:
    """Confirm several services at once, all or nothing: when any one cannot be confirmed, InvalidInput names each
    refused one (its position in the list and why) and the caller's transaction confirms none."""
    shift_ids = _ids([] if raw_ids is None else raw_ids)
    if not shift_ids:
        raise InvalidInput(Problem("tick at least one service", field="shift_ids", zh="请至少勾选一条服务记录"))
    if len(shift_ids) > MAX_CONFIRMED_AT_ONCE:
        raise InvalidInput(Problem(f"at most {MAX_CONFIRMED_AT_ONCE} services at once", field="shift_ids",
                                   zh=f"一次最多确认 {MAX_CONFIRMED_AT_ONCE} 条"))  # fmt: skip
    done: list[VolunteerShift] = []
    problems: list[Problem] = []
    for i, shift_id in enumerate(dict.fromkeys(shift_ids), 1):
        try:
            done.append(confirm(session, actor, shift_id, now))
        except (NotFound, Forbidden, Conflict) as exc:
            problems.append(Problem(f"service {shift_id}: {exc}", feature=i,
                                    zh=f"服务记录 {shift_id}：{exc.zh or exc}"))  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    return done


def pending(session: Session, actor: Actor, tz: dt.tzinfo) -> list[dict[str, Any]]:
    """Finished, unconfirmed services of the actor's scope, oldest first (the community's confirmation list)."""
    stmt = (
        select(VolunteerShift, VolunteerPost, Person.name)
        .join(VolunteerSignup, VolunteerSignup.id == VolunteerShift.signup_id)
        .join(VolunteerPost, VolunteerPost.id == VolunteerSignup.post_id)
        .join(Volunteer, Volunteer.id == VolunteerSignup.volunteer_id)
        .join(Person, Person.id == Volunteer.person_id)
        .where(VolunteerShift.ended_at.is_not(None), VolunteerShift.confirmed_at.is_(None))
        .order_by(VolunteerShift.started_at)
        .limit(200)
    )
    scope = scope_of(session, actor)
    if scope is not None and scope.area_id is not None:
        stmt = stmt.where(VolunteerPost.community_id.in_(sorted(scope.community_ids) or [-1]))
    out = []
    for shift, post, name in session.execute(stmt):
        start, end = shift.started_at, shift.ended_at or shift.started_at
        out.append({
            "id": shift.id, "member": name, "post": post.title,
            "started_at": _local(start, tz), "ended_at": _local(end, tz),
            "hours": round(seconds(start, end) / 3600, 2),
        })  # fmt: skip
    return out


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC


def seconds(start: dt.datetime, end: dt.datetime | None) -> float:
    if end is None:
        return 0.0
    return (_aware(end) - _aware(start)).total_seconds()


def _local(t: dt.datetime, tz: dt.tzinfo) -> str:
    return _aware(t).astimezone(tz).strftime("%Y-%m-%d %H:%M")
