"""The register of units and people on pages (commanders and administrators): the list with its filters and the
create form, a unit's page with its edit, retire and merge forms and its people, and the import templates. Plain
forms posting back (no page script): each handler parses, calls :mod:`gridmap.units`, and renders."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from gridmap.accounts import roles
from gridmap.errors import GridmapError
from gridmap.store.models import Area, UnitKind
from gridmap.store.targets import role_label
from gridmap.units import files, register
from gridmap.units.vocabulary import PEOPLE_ROLES, kind_label
from gridmap.web.auth import allow, current_actor
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("units_admin", __name__)

UNIT_FORM = ("name", "code", "kind", "parent_id", "contact_name", "contact_phone", "area_id")


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


def _said(exc: GridmapError) -> str:
    """The error in the page's language."""
    return exc.zh if _lang() == "zh_CN" and exc.zh else str(exc)


def _common() -> dict[str, object]:
    lang = _lang()
    return {
        "lang": lang,
        "attribution": app_state().attribution,
        "kinds": [{"value": k.value, "label": kind_label(k.value, lang)} for k in UnitKind],
        "person_roles": [{"value": r, "label": role_label(r, lang)} for r in PEOPLE_ROLES],
        "kind_label": lambda k: kind_label(k, lang),
        "role_label": lambda r: role_label(r, lang),
    }


def _in_service() -> list[dict[str, object]]:
    return register.list_units(db_session(), {"per_page": 10_000}, current_actor(), _lang())["items"]


@bp.get("/admin/units")
@allow(*roles.EDITS_UNITS)
def units_page(error: str | None = None, form: dict[str, str] | None = None):
    filters = {k: v for k, v in request.args.items() if k in ("q", "kind", "retired", "page") and v}
    try:
        found = register.list_units(db_session(), {**filters, "per_page": 200}, current_actor(), _lang())
    except GridmapError as exc:
        found, error = {"total": 0, "page": 1, "per_page": 200, "items": []}, _said(exc)
    names = {u["id"]: u["name"] for u in _in_service()}
    return render_template("units_admin.html", found=found, filters=filters, names=names, error=error,
                           form=form or {}, pages=max(1, -(-int(found["total"]) // 200)), **_common())  # fmt: skip


@bp.post("/admin/units")
@allow(*roles.EDITS_UNITS)
def create_unit():
    data = {k: request.form.get(k, "") for k in UNIT_FORM}
    try:
        with writing() as session:
            unit_id = register.create_unit(session, data, current_actor()).id
    except GridmapError as exc:
        return units_page(error=_said(exc), form=data), 400
    return redirect(url_for("units_admin.unit_page", unit_id=unit_id, done="created"))


@bp.get("/admin/units/<int:unit_id>")
@allow(*roles.EDITS_UNITS)
def unit_page(unit_id: int, error: str | None = None):
    session = db_session()
    actor = current_actor()
    try:
        unit = register.unit_dict(register.get_unit(session, unit_id), actor, _lang())
    except GridmapError as exc:
        return render_template("error.html", status=404, message=_said(exc)), 404
    people = register.list_people(session, {"unit_id": unit_id, "all": True, "per_page": 10_000}, actor)["items"]
    others = [u for u in _in_service() if u["id"] != unit_id]
    names = {u["id"]: u["name"] for u in others}
    for key in ("parent_id", "merged_into_id"):
        ref = unit[key]
        if ref is not None and ref not in names:
            names[ref] = register.get_unit(session, ref).name
    area = session.get(Area, unit["area_id"]) if unit["area_id"] else None
    return render_template("unit_admin.html", unit=unit, people=people, others=others, names=names, error=error,
                           area_code=area.code if area else "", done=request.args.get("done"), **_common())  # fmt: skip


def _unit_action(unit_id: int, action: Callable[[Session], object]) -> Any:
    try:
        with writing() as session:
            action(session)
    except GridmapError as exc:
        return unit_page(unit_id, error=_said(exc)), 400
    return redirect(url_for("units_admin.unit_page", unit_id=unit_id, done="saved"))


@bp.post("/admin/units/<int:unit_id>")
@allow(*roles.EDITS_UNITS)
def edit_unit(unit_id: int):
    data = {k: request.form[k] for k in UNIT_FORM if k in request.form}
    return _unit_action(unit_id, lambda s: register.edit_unit(s, unit_id, data, current_actor()))


@bp.post("/admin/units/<int:unit_id>/retire")
@allow(*roles.EDITS_UNITS)
def retire_unit(unit_id: int):
    on = request.form.get("on") or None
    return _unit_action(unit_id, lambda s: register.retire_unit(s, unit_id, current_actor(), on=on))


@bp.post("/admin/units/<int:unit_id>/merge")
@allow(*roles.EDITS_UNITS)
def merge_unit(unit_id: int):
    into, on = request.form.get("into", ""), request.form.get("on") or None
    return _unit_action(unit_id, lambda s: register.merge_unit(s, unit_id, into, current_actor(), on=on))


@bp.post("/admin/units/<int:unit_id>/people")
@allow(*roles.EDITS_UNITS)
def create_person(unit_id: int):
    data = {"name": request.form.get("name", ""), "phone": request.form.get("phone", ""), "unit_id": unit_id,
            "code": request.form.get("code", ""), "roles": request.form.getlist("roles")}  # fmt: skip
    return _unit_action(unit_id, lambda s: register.create_person(s, data, current_actor()))


@bp.post("/admin/units/<int:unit_id>/people/<int:person_id>/retire")
@allow(*roles.EDITS_UNITS)
def retire_person(unit_id: int, person_id: int):
    return _unit_action(unit_id, lambda s: register.retire_person(s, person_id, current_actor()))


@bp.get("/admin/<any(units, people):what>/template.xlsx")
@allow(*roles.EDITS_UNITS)
def template(what: str):
    """The import file to fill in, as ``gridmap units template`` writes it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{what}-template.xlsx"
        files.template(path, what)
        data = path.read_bytes()
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{what}-template.xlsx"'},
    )
