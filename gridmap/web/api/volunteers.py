"""JSON API of party members and volunteers 在职党员进社区: posts (a community publishes; members sign up), a member's
check-in and check-out (position inside the post's area), the community's confirmation of services, the points
scheme (data, versioned) and the quarterly ranking. Handlers parse, call one use-case, serialise."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, g, jsonify

from gridmap.accounts import roles
from gridmap.accounts.actor import ANY_ACCOUNT
from gridmap.evaluation.periods import Period, parse_period
from gridmap.volunteers import (
    check_in,
    check_out,
    close_post,
    confirm,
    confirm_many,
    current_scheme,
    my_posts,
    publish_post,
    ranking_seen_by,
    rate,
    save_scheme,
    sign_up,
    standing,
)
from gridmap.volunteers.points import evaluation_of
from gridmap.volunteers.register import is_member, list_posts, member_of, post_row
from gridmap.volunteers.service import pending
from gridmap.web.api.openapi import body_of, operation, query_of
from gridmap.web.api.schemas.volunteers import (
    ConfirmedShifts,
    ConfirmShiftsIn,
    MyService,
    PendingList,
    PointsSchemeIn,
    PointsSchemeOut,
    PositionIn,
    RankingQuery,
    ShiftOut,
    SignupOut,
    VolunteerPostIn,
    VolunteerPostList,
    VolunteerPostOut,
    VolunteerRanking,
    VolunteerReviewIn,
    VolunteerReviewOut,
)
from gridmap.web.auth import allow, current_actor
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("volunteers_api", __name__)
TAGS = ("volunteers",)


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


def tz() -> ZoneInfo:
    return ZoneInfo(app_state().settings.cases.timezone)


def this_quarter() -> Period:
    today = dt.datetime.now(tz()).date()
    return parse_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}", tz())


def _shift(shift: Any) -> dict[str, Any]:
    def local(t: dt.datetime | None) -> str | None:
        return None if t is None else (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(tz()).isoformat()

    return {"id": shift.id, "signup_id": shift.signup_id, "started_at": local(shift.started_at),
            "ended_at": local(shift.ended_at), "confirmed": shift.confirmed_at is not None}  # fmt: skip


@bp.get("/volunteers/posts")
@allow(*ANY_ACCOUNT)
@operation("listVolunteerPosts", tags=TAGS, ok={200: VolunteerPostList})
def list_volunteer_posts():
    """The open posts of the account's scope"""
    return jsonify({"items": list_posts(db_session(), current_actor(), _lang())})


@bp.post("/volunteers/posts")
@allow(*roles.PUBLISHES_POSTS)
@operation("publishVolunteerPost", tags=TAGS, json=VolunteerPostIn, ok={201: VolunteerPostOut},
           errors=(400, 403, 404))  # fmt: skip
def publish_volunteer_post():
    """Publish a post in a community (or one of its compounds) of the account's scope"""
    with writing() as session:
        post = publish_post(session, current_actor(), body_of(VolunteerPostIn).sent(), dt.datetime.now(dt.UTC))
        row = post_row(session, post, _lang())
    return jsonify(row), 201


@bp.post("/volunteers/posts/<int:post_id>/close")
@allow(*roles.PUBLISHES_POSTS)
@operation("closeVolunteerPost", tags=TAGS, ok={200: VolunteerPostOut}, errors=(403, 404, 409),
           path={"post_id": "the post"})  # fmt: skip
def close_volunteer_post(post_id: int):
    """Close a post: no more sign-ups or check-ins; its sign-ups and services are kept"""
    with writing() as session:
        row = post_row(session, close_post(session, current_actor(), post_id, dt.datetime.now(dt.UTC)), _lang())
    return jsonify(row)


@bp.post("/volunteers/posts/<int:post_id>/signups")
@allow(*ANY_ACCOUNT)
@operation("signUpVolunteerPost", tags=TAGS, ok={201: SignupOut}, errors=(403, 404, 409),
           path={"post_id": "the post"})  # fmt: skip
def sign_up_post(post_id: int):
    """The signed-in member takes the post (their account's person must be a registered member)"""
    with writing() as session:
        row = sign_up(session, current_actor(), post_id, dt.datetime.now(dt.UTC))
        out = {"signup_id": row.id, "post_id": row.post_id}
    return jsonify(out), 201


@bp.get("/volunteers/me")
@allow(*ANY_ACCOUNT)
@operation("myVolunteerService", tags=TAGS, ok={200: MyService})
def my_service():
    """The signed-in member's posts (with any open service) and their hours and points this quarter (an account
    whose person is not a registered member: ``member`` false, nothing else)"""
    session = db_session()
    actor = current_actor()
    period = this_quarter()
    if not is_member(session, actor):
        return jsonify({"period": period.key, "member": False, "posts": [], "standing": None})
    member = member_of(session, actor)
    return jsonify({"period": period.key, "member": True, "posts": my_posts(session, member, _lang()),
                    "standing": standing(session, member, period)})  # fmt: skip


@bp.post("/volunteers/signups/<int:signup_id>/check-in")
@allow(*ANY_ACCOUNT)
@operation("checkInVolunteer", tags=TAGS, json=PositionIn, ok={201: ShiftOut}, errors=(400, 403, 404, 409),
           path={"signup_id": "the member's sign-up"})  # fmt: skip
def check_in_route(signup_id: int):
    """Start a service at the post's place (the position must be inside its area, within its tolerance)"""
    with writing() as session:
        shift = _shift(check_in(session, current_actor(), signup_id, body_of(PositionIn).sent(),
                                dt.datetime.now(dt.UTC)))  # fmt: skip
    return jsonify(shift), 201


@bp.post("/volunteers/signups/<int:signup_id>/check-out")
@allow(*ANY_ACCOUNT)
@operation("checkOutVolunteer", tags=TAGS, json=PositionIn, ok={200: ShiftOut}, errors=(400, 403, 404, 409),
           path={"signup_id": "the member's sign-up"})  # fmt: skip
def check_out_route(signup_id: int):
    """End the open service at the post's place"""
    with writing() as session:
        shift = _shift(check_out(session, current_actor(), signup_id, body_of(PositionIn).sent(),
                                 dt.datetime.now(dt.UTC)))  # fmt: skip
    return jsonify(shift)


@bp.get("/volunteers/shifts/pending")
@allow(*roles.CONFIRMS_SERVICE)
@operation("listPendingShifts", tags=TAGS, ok={200: PendingList})
def list_pending():
    """Finished services of the account's scope waiting for the community's confirmation"""
    return jsonify({"items": pending(db_session(), current_actor(), tz())})


@bp.post("/volunteers/shifts/<int:shift_id>/confirm")
@allow(*roles.CONFIRMS_SERVICE)
@operation("confirmVolunteerShift", tags=TAGS, ok={200: ShiftOut}, errors=(403, 404, 409),
           path={"shift_id": "the service"})  # fmt: skip
def confirm_shift(shift_id: int):
    """Confirm a finished service (it then earns points)"""
    with writing() as session:
        shift = _shift(confirm(session, current_actor(), shift_id, dt.datetime.now(dt.UTC)))
    return jsonify(shift)


@bp.post("/volunteers/shifts/confirm")
@allow(*roles.CONFIRMS_SERVICE)
@operation("confirmVolunteerShifts", tags=TAGS, json=ConfirmShiftsIn, ok={200: ConfirmedShifts},
           errors=(400,))  # fmt: skip
def confirm_shifts():
    """Confirm several finished services at once, all or none (a refusal names each refused service)"""
    ids = body_of(ConfirmShiftsIn).sent().get("shift_ids")
    with writing() as session:
        done = confirm_many(session, current_actor(), ids, dt.datetime.now(dt.UTC))
        out = [_shift(s) for s in done]
    return jsonify({"items": out})


@bp.post("/volunteers/reviews")
@allow(*ANY_ACCOUNT)
@operation("rateVolunteer", tags=TAGS, json=VolunteerReviewIn, ok={200: VolunteerReviewOut},
           errors=(400, 403, 404))  # fmt: skip
def rate_volunteer():
    """Give a member a quarter's score: self (your own), peer (a member of your party organisation, team or post) or
    org (the community's commander, for a member of their communities)"""
    body = body_of(VolunteerReviewIn).sent()
    raw = body.get("period")
    period = parse_period(raw, tz()) if raw else this_quarter()
    with writing() as session:
        row = rate(session, current_actor(), body.get("volunteer_id"), period, str(body.get("source")),
                   body.get("score"), dt.datetime.now(dt.UTC))  # fmt: skip
        out = {"volunteer_id": row.volunteer_id, "period": row.period, "source": row.source, "score": row.score,
               "evaluation": evaluation_of(session, row.volunteer_id, period)}  # fmt: skip
    return jsonify(out)


@bp.get("/volunteers/ranking")
@allow(*ANY_ACCOUNT)
@operation("volunteerRanking", tags=TAGS, query=RankingQuery, ok={200: VolunteerRanking}, errors=(400,))
def volunteer_ranking():
    """A period's ranking of members by points (default: this quarter), within the account's scope"""
    raw = query_of(RankingQuery).period
    period = parse_period(raw, tz()) if raw else this_quarter()
    session = db_session()
    return jsonify(ranking_seen_by(session, current_actor(), period))


@bp.get("/volunteers/scheme")
@allow(*ANY_ACCOUNT)
@operation("getPointsScheme", tags=TAGS, ok={200: PointsSchemeOut})
def get_points_scheme():
    """The current points scheme 积分制 (version 0: the built-in default)"""
    version, scheme = current_scheme(db_session())
    return jsonify({"version": version, "document": scheme.model_dump(by_alias=True)})


@bp.put("/volunteers/scheme")
@allow(*roles.EDITS_SCHEMES)
@operation("savePointsScheme", tags=TAGS, json=PointsSchemeIn, ok={200: PointsSchemeOut}, errors=(400,))
def save_points_scheme():
    """Save the points scheme as its next version (earlier versions kept)"""
    with writing() as session:
        row = save_scheme(session, body_of(PointsSchemeIn).sent().get("document"), current_actor(),
                          dt.datetime.now(dt.UTC))  # fmt: skip
        out = {"version": row.version, "document": row.document}
    return jsonify(out)
