"""Party members and volunteers 在职党员进社区: /volunteers/me, a member's phone page (my posts, 签到/签退 by the
phone's position, my hours and points, open posts to sign up for); /volunteers/community, the community's page to
publish posts and confirm services; /volunteers/ranking, the quarterly ranking that praises the top.
:func:`register` adds these pages, the API and the words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for

from gridmap.accounts import roles
from gridmap.accounts.actor import ANY_ACCOUNT
from gridmap.errors import GridmapError, InvalidInput
from gridmap.evaluation.periods import parse_period
from gridmap.volunteers import (
    close_post,
    confirm,
    confirm_many,
    my_posts,
    publish_post,
    ranking_seen_by,
    rate,
    standing,
)
from gridmap.volunteers.register import DUTIES, find_member, list_posts, open_posts_for, post_places, post_row
from gridmap.volunteers.reviews import org_to_rate, to_rate
from gridmap.volunteers.service import pending
from gridmap.web.api.volunteers import this_quarter, tz
from gridmap.web.auth import allow, current_actor
from gridmap.web.i18n import translate
from gridmap.web.session import db_session, writing
from gridmap.web.volunteers_i18n import PHONE_STRINGS, WORDS

bp = Blueprint("volunteers", __name__)
COMMUNITY_ROLES = tuple(dict.fromkeys(roles.PUBLISHES_POSTS + roles.CONFIRMS_SERVICE))


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


def _said(exc: GridmapError) -> str:
    return exc.zh if _lang() == "zh_CN" and exc.zh else str(exc)


@bp.get("/volunteers/me")
@allow(*ANY_ACCOUNT)
def my_page():
    session = db_session()
    actor = current_actor()
    member = find_member(session, actor)
    lang, period = _lang(), this_quarter()
    posts, mine, open_posts, reviews = [], None, [], None
    if member is not None:
        posts = my_posts(session, member, lang)
        mine = standing(session, member, period)
        open_posts = open_posts_for(session, actor, member, {p["id"] for p in posts}, lang)
        reviews = to_rate(session, actor, period)
    strings = {k: translate(k, lang) for k in PHONE_STRINGS}
    return render_template("volunteer_me.html", member=member, posts=posts, mine=mine, open_posts=open_posts,
                           period=period.label(lang), strings=strings, reviews=reviews)  # fmt: skip


@bp.get("/volunteers/community")
@allow(*COMMUNITY_ROLES)
def community_page():
    session = db_session()
    actor = current_actor()
    lang = _lang()
    communities, compounds = post_places(session, actor)
    duties = [{"value": k, "label": en if lang == "en" else zh} for k, (zh, en) in DUTIES.items()]
    period = this_quarter()
    rater = actor.has(*roles.RATES_MEMBERS)
    return render_template(
        "volunteer_community.html", posts=list_posts(session, actor, lang, include_closed=True),
        pending=pending(session, actor, tz()), communities=communities, compounds=compounds, duties=duties,
        publisher=actor.has(*roles.PUBLISHES_POSTS), confirmer=actor.has(*roles.CONFIRMS_SERVICE),
        rater=rater, members=org_to_rate(session, actor, period) if rater else [], period=period.label(lang),
    )  # fmt: skip


@bp.post("/volunteers/community/posts")
@allow(*roles.PUBLISHES_POSTS)
def publish_form():
    form = request.form

    def number(key: str) -> Any:
        raw = (form.get(key) or "").strip()
        if not raw:
            return None
        try:
            return float(raw) if key == "tolerance_m" else int(raw)
        except ValueError:
            return raw  # the use-case names it

    body = {k: number(k) for k in ("community_id", "compound_id", "slots", "tolerance_m")}
    body = {k: v for k, v in body.items() if v is not None} | {"duty": form.get("duty"), "title": form.get("title")}
    try:
        with writing() as session:
            post = post_row(session, publish_post(session, current_actor(), body, dt.datetime.now(dt.UTC)), _lang())
        flash(translate("vol_published", _lang(), title=post["title"]))
    except GridmapError as exc:
        flash(_said(exc), "error")
    return redirect(url_for("volunteers.community_page"))


@bp.post("/volunteers/community/shifts/<int:shift_id>/confirm")
@allow(*roles.CONFIRMS_SERVICE)
def confirm_form(shift_id: int):
    try:
        with writing() as session:
            confirm(session, current_actor(), shift_id, dt.datetime.now(dt.UTC))
        flash(translate("vol_confirmed", _lang()))
    except GridmapError as exc:
        flash(_said(exc), "error")
    return redirect(url_for("volunteers.community_page"))


@bp.post("/volunteers/community/shifts/confirm")
@allow(*roles.CONFIRMS_SERVICE)
def confirm_many_form():
    """The ticked services confirmed at once, or none and a line per refused one."""
    ids = request.form.getlist("shift_id")
    try:
        with writing() as session:
            done = confirm_many(session, current_actor(), ids, dt.datetime.now(dt.UTC))
        flash(translate("vol_confirmed_many", _lang(), n=len(done)))
    except InvalidInput as exc:
        flash(translate("vol_confirmed_none", _lang()), "error")
        for problem in exc.problems:
            flash((problem.text_zh() if _lang() == "zh_CN" else None) or str(problem), "error")
    except GridmapError as exc:
        flash(_said(exc), "error")
    return redirect(url_for("volunteers.community_page"))


@bp.post("/volunteers/community/posts/<int:post_id>/close")
@allow(*roles.PUBLISHES_POSTS)
def close_form(post_id: int):
    try:
        with writing() as session:
            post = close_post(session, current_actor(), post_id, dt.datetime.now(dt.UTC))
            title = post.title
        flash(translate("vol_closed", _lang(), title=title))
    except GridmapError as exc:
        flash(_said(exc), "error")
    return redirect(url_for("volunteers.community_page"))


@bp.post("/volunteers/reviews")
@allow(*ANY_ACCOUNT)
def review_form():
    """A self, peer or organisation score from the member's page or the community's; back to the page it came from."""
    form = request.form
    source = form.get("source") or ""
    back = "volunteers.community_page" if source == "org" else "volunteers.my_page"
    try:
        with writing() as session:
            rate(session, current_actor(), form.get("volunteer_id"), this_quarter(), source, form.get("score"),
                 dt.datetime.now(dt.UTC))  # fmt: skip
        flash(translate("vol_rated", _lang()))
    except GridmapError as exc:
        flash(_said(exc), "error")
    return redirect(url_for(back))


@bp.get("/volunteers/ranking")
@allow(*ANY_ACCOUNT)
def ranking_page():
    session = db_session()
    raw = (request.args.get("period") or "").strip()
    error = None
    period = this_quarter()
    if raw:
        try:
            period = parse_period(raw, tz())
        except GridmapError as exc:
            error = _said(exc)
    found = ranking_seen_by(session, current_actor(), period)
    quarters = _recent_quarters(period.first_day)
    return render_template("volunteer_ranking.html", r=found, label=period.label(_lang()), error=error,
                           period=period.key, quarters=quarters)  # fmt: skip


def _recent_quarters(day: dt.date) -> list[str]:
    """The quarter of ``day`` and the three before it, newest first."""
    out, y, q = [], day.year, (day.month - 1) // 3 + 1
    for _ in range(4):
        out.append(f"{y}-Q{q}")
        y, q = (y - 1, 4) if q == 1 else (y, q - 1)
    return out


def register(app: Flask) -> None:
    from gridmap.web.api.volunteers import bp as api_bp
    from gridmap.web.i18n import MESSAGES

    for key, texts in WORDS.items():
        MESSAGES.setdefault(key, texts)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(bp)
