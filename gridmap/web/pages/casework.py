"""The pages people work cases in (issue 12): 我的待办 (/tasks) — the signed-in person's queue, which its script
refreshes from /api/v1/tasks — and the case page (/cases/<id>). Handlers parse, call one use-case, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request

from gridmap.accounts import roles
from gridmap.accounts.actor import PUBLIC, SYSTEM
from gridmap.cases.queues import QUEUES, queue_choices
from gridmap.cases.states import STATUS_ZH, S
from gridmap.errors import Forbidden, NotFound
from gridmap.maps.case_page import case_page
from gridmap.web.auth import allow, current_actor, signed_in
from gridmap.web.casework_i18n import ACTION_EN, CASEWORK, SOURCE_NAMES, STATUS_EN
from gridmap.web.i18n import local_with_zone as zoned_time
from gridmap.web.i18n import translate
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("casework", __name__)

# the scripts get every word of these pages in the page's language: their own, and the traffic light's (shared)
JS_STRINGS = (*CASEWORK, *(f"light_{light}" for light in ("green", "yellow", "red", "none")))


def strings(lang: str) -> dict[str, str]:
    return {k: translate(k, lang) for k in JS_STRINGS}


@bp.get("/tasks")
@allow(*roles.WORKS_CASES)  # the roles with a queue
def tasks_page():
    lang = g.get("lang", "zh_CN")
    actor = current_actor()
    groups = [{"key": q.key, "name": q.zh if lang == "zh_CN" else q.en} for q in QUEUES.get(actor.role, ())]
    wanted = {k: (request.args.get(k) or "")[:64] for k in ("group", "category", "urgency", "street", "page")}
    if wanted["group"] not in {q["key"] for q in groups}:
        wanted["group"] = groups[0]["key"] if groups else ""
    return render_template("tasks.html", groups=groups, choices=queue_choices(db_session(), actor), wanted=wanted,
                           strings=strings(lang), time_zone=app_state().settings.cases.timezone)  # fmt: skip


# -- the case page -------------------------------------------------------------------------------------------------

PHOTO_STEPS = {"accept", "report_back", "recheck_pass", "recheck_fail"}  # steps whose form takes photos
AFTER_STEPS = {"report_back"}  # their photos show the work done (处置后); the opening report's, the problem (处置前)


@bp.get("/cases/<int:case_id>")
@signed_in
def case_view(case_id: int):
    """A case as the signed-in person may see it, with the steps open to them now as buttons and forms."""
    lang = g.get("lang", "zh_CN")
    try:
        content = case_page(db_session(), case_id, app_state().settings, current_actor())
    except NotFound:
        return render_template("error.html", status=404, message=translate("case_not_found", lang, n=case_id)), 404
    except Forbidden:
        return render_template("error.html", status=403, message=translate("case_forbidden", lang, n=case_id)), 403
    case = content["case"]
    steps = [
        {"name": st.name, "label": st.label_zh if lang == "zh_CN" else ACTION_EN.get(st.name, st.name),
         "needs_note": st.needs_note, "photos": st.name in PHOTO_STEPS, "unit": st.name == "dispatch",
         "amount": st.name in ("request_extension", "approve_extension")}
        for st in content["steps"]
    ]  # fmt: skip
    events = [{**e, "label": _action_label(e["action"], e["action_zh"], lang),
               "actor": actor_label(e, lang),
               "photo_kind": "after_photo" if e["action"] in AFTER_STEPS else "before_photo" if e["seq"] == 1 else ""}
              for e in case["events"]]  # fmt: skip
    return render_template(
        "case.html", case=case, steps=steps, events=events, shapes=content["shapes"], roles=content["roles"],
        people=content["people"], units=content["units"], strings=strings(lang),
        status_label=status_label(case["status"], lang), source_label=_source_label(case["source"], lang),
        deadline_text=local_with_zone(case["deadline"]), left_text=time_left(case["progress"], lang),
        light=(case["progress"] or {}).get("light", "none"),
        status_labels={st.value: status_label(st.value, lang) for st in S}, zoned=local_with_zone,
        sees_photos=current_actor().has(*roles.SEES_PHOTOS),
    )  # fmt: skip


def actor_label(event: dict[str, Any], lang: str) -> str:
    """Who took a step, as people know them: an account's full name with its role ("王芳（派遣员）"), never its
    username; the public; the system (the command line, the demo loader); else the name a client sent before
    accounts existed."""
    actor, name, role = event.get("actor"), event.get("actor_name"), event.get("actor_role")
    if actor == PUBLIC:
        return translate("actor_public", lang)
    if role and name:
        shown = roles.role_name(role, lang)
        return f"{name}（{shown}）" if lang == "zh_CN" else f"{name} ({shown})"
    if role:  # a reader who does not see people: the role only
        return roles.role_name(role, lang)
    if actor is None or actor == SYSTEM or actor.startswith("cli:"):
        return translate("actor_system", lang)
    return str(actor)


def status_label(status: str, lang: str) -> str:
    return STATUS_ZH[S(status)] if lang == "zh_CN" else STATUS_EN.get(status, status)


def _action_label(action: str, zh: str, lang: str) -> str:
    return zh if lang == "zh_CN" else ACTION_EN.get(action, action)


def _source_label(source: str, lang: str) -> str:
    names = SOURCE_NAMES.get(source, (source, source))
    return names[0] if lang == "zh_CN" else names[1]


def local_with_zone(iso: str | None) -> str:
    """A stored time as the city's local time with its zone ("2026-03-02 17:00 (UTC+08:00)"); "–" for none."""
    return zoned_time(iso, app_state().settings.cases.timezone) or "–"


def time_left(progress: dict[str, Any] | None, lang: str) -> str:
    """The time left before the deadline ("剩余 3 小时"), or past it ("超时 2 天"); "–" without a clock."""
    if not progress:
        return "–"
    seconds = float(progress["remaining_seconds"])
    s = abs(seconds)
    d, h, m = int(s // 86400), int(s % 86400 // 3600), int(s % 3600 // 60)
    t = lambda key: translate(key, lang)  # noqa: E731
    if d:
        span = f"{d} {t('days_u')}" + (f" {h} {t('hours_u')}" if h else "")
    elif h:
        span = f"{h} {t('hours_u')}" + (f" {m} {t('minutes_u')}" if m else "")
    else:
        span = f"{m} {t('minutes_u')}"
    text = translate("over_fmt" if seconds < 0 or progress.get("overdue") else "left_fmt", lang, t=span)
    return f"{text}（{t('frozen')}）" if progress.get("frozen") else text
