"""Accounts and the audit trail on pages: a person's own account, the administrator's list (create, disable,
tokens), and the audit trail a commander reads (exported by ``/api/v1/audit``: :mod:`gridmap.web.api.audit`)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_security import hash_password

from gridmap.accounts import audit, registry, roles
from gridmap.cases.states import ACTIONS
from gridmap.catalogue.holiday_file import missing_holidays
from gridmap.errors import GridmapError
from gridmap.inputs import parse_number
from gridmap.store.models import AccountRole
from gridmap.web.auth import allow, current_actor, signed_in
from gridmap.web.i18n import AUDIT_ACTIONS, AUDIT_OBJECTS, AUDIT_VIA, audit_label
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("accounts", __name__)


def _tz() -> ZoneInfo:
    return ZoneInfo(app_state().settings.cases.timezone)


def _holiday_warning(lang: str) -> str | None:
    """From 1 December, while the coming year has no holidays: what the administrator must load."""
    late = missing_holidays(db_session())
    return None if late is None else (late.zh if lang == "zh_CN" else late.en)


def _role_options() -> list[dict[str, str]]:
    lang = g.get("lang", "zh_CN")
    return [{"value": r.value, "label": roles.role_name(r.value, lang)} for r in AccountRole]


@bp.get("/account")
@signed_in
def my_account():
    actor = current_actor()
    session = db_session()
    me = registry.find_account(session, actor.name)
    answer = next(a for a in registry.list_accounts(session) if a["id"] == me.id)
    return render_template(
        "account.html",
        me=answer,
        role_name=roles.role_name(me.role, g.get("lang", "zh_CN")),
        tokens=registry.list_tokens(session, me.username),
        lang=g.get("lang", "zh_CN"),
        attribution=app_state().attribution,
    )


@bp.get("/admin/accounts")
@allow(*roles.MANAGES_ACCOUNTS)
def accounts_page(message: str | None = None, error: str | None = None, new_token: str | None = None):
    session = db_session()
    lang = g.get("lang", "zh_CN")
    return render_template(
        "accounts.html",
        accounts=[{**a, "role_name": roles.role_name(a["role"], lang)} for a in registry.list_accounts(session)],
        tokens=registry.list_tokens(session),
        role_options=_role_options(),
        message=message,
        error=error,
        new_token=new_token,
        lang=lang,
        holiday_warning=_holiday_warning(lang),
        attribution=app_state().attribution,
    )


@bp.post("/admin/accounts")
@allow(*roles.MANAGES_ACCOUNTS)
def create_account():
    form = request.form
    try:
        with writing() as session:
            made = registry.create_account(
                session,
                current_actor(),
                username=form.get("username", ""),
                name=form.get("name"),
                role=form.get("role", ""),
                password=form.get("password", ""),
                hash_password=hash_password,
                scope=form.get("scope") or None,
                unit=form.get("unit") or None,
                person=form.get("person") or None,
            )
    except GridmapError as exc:
        return accounts_page(error=str(exc)), 400
    return accounts_page(message=made["username"])


@bp.post("/admin/accounts/<username>/active")
@allow(*roles.MANAGES_ACCOUNTS)
def set_active(username: str):
    try:
        with writing() as session:
            registry.set_active(session, current_actor(), username, request.form.get("active") == "1")
    except GridmapError as exc:
        return accounts_page(error=str(exc)), 400
    return redirect(url_for("accounts.accounts_page"))


@bp.post("/admin/accounts/<username>/tokens")
@allow(*roles.MANAGES_ACCOUNTS)
def create_token(username: str):
    problems: list = []
    days = parse_number(request.form.get("expires_days"), "expires_days", problems, required=False)
    try:
        if problems:
            raise registry.InvalidInput(problems)
        with writing() as session:
            raw, _info = registry.create_token(
                session, current_actor(), username, name=request.form.get("name"), expires_days=days
            )
    except GridmapError as exc:
        return accounts_page(error=str(exc)), 400
    return accounts_page(new_token=raw)


@bp.post("/admin/tokens/<token>/revoke")
@allow(*roles.MANAGES_ACCOUNTS)
def revoke_token(token: str):
    try:
        with writing() as session:
            registry.revoke_token(session, current_actor(), token)
    except GridmapError as exc:
        return accounts_page(error=str(exc)), 400
    return redirect(url_for("accounts.accounts_page"))


def _action_label(action: str, lang: str) -> str:
    """An audit action in the page's language: a case step by the workflow's own name for it."""
    if action.startswith("case.") and action[5:] in ACTIONS:
        step = ACTIONS[action[5:]]
        return step.label_zh if lang == "zh_CN" else step.name.replace("_", " ")
    return audit_label(AUDIT_ACTIONS, action, lang)


@bp.get("/audit")
@allow(*roles.READS_AUDIT)
def audit_page():
    filters = {k: v for k, v in request.args.items() if k != "lang"}
    found = audit.entries(db_session(), filters, _tz())
    pages = max(1, -(-int(found["total"]) // int(found["per_page"])))
    lang = g.get("lang", "zh_CN")
    return render_template(
        "audit.html",
        found=found,
        pages=pages,
        filters=filters,
        action_label=lambda action: _action_label(action, lang),
        object_label=lambda kind: audit_label(AUDIT_OBJECTS, kind, lang),
        via_label=lambda via: audit_label(AUDIT_VIA, via, lang),
        object_kinds=list(AUDIT_OBJECTS),
        lang=lang,
        holiday_warning=_holiday_warning(lang),
        attribution=app_state().attribution,
    )
