"""The pages people work cases in (issue 12): 我的待办 (/tasks) — the signed-in person's queue, which its script
refreshes from /api/v1/tasks — and the case page (/cases/<id>). Handlers parse, call one use-case, render."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from gridmap.accounts import roles
from gridmap.cases.queues import QUEUES, queue_choices
from gridmap.web.auth import allow, current_actor
from gridmap.web.casework_i18n import CASEWORK
from gridmap.web.session import db_session

bp = Blueprint("casework", __name__)

JS_STRINGS = tuple(CASEWORK)  # the scripts get every word of these pages in the page's language


def strings(lang: str) -> dict[str, str]:
    from gridmap.web.i18n import translate

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
                           strings=strings(lang))  # fmt: skip
