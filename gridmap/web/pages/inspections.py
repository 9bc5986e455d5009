"""Inspection pages 明查暗访: the list with the form that opens an inspection, the phone page the team records
findings on (/inspections/<id>/record, its script posts to /api/v1/inspections/<id>/findings), the printable problem
list 问题清单 with its 销号 tally (and its XLSX), the weekly look-back 回头看, and the administrators' checklist editor.
Plain forms post back; each handler parses, calls :mod:`gridmap.inspections`, and renders."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from gridmap.accounts import roles
from gridmap.accounts.roles import R
from gridmap.catalogue.categories import list_categories
from gridmap.errors import GridmapError, NotFound
from gridmap.inspections import lookback, problems, records, templates
from gridmap.inspections.vocabulary import KIND_NAMES, POINT_TYPES
from gridmap.store.models import Area, AreaLevel
from gridmap.web.api.local_times import out
from gridmap.web.auth import allow, current_actor, signed_in
from gridmap.web.i18n import MESSAGES, translate
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("inspections", __name__)

WORDS: dict[str, dict[str, str]] = {
    "inspections_page": {"zh_CN": "明查暗访", "en": "Inspections"},
    "insp_new": {"zh_CN": "新建督查", "en": "New inspection"},
    "insp_kind": {"zh_CN": "方式", "en": "Kind"},
    "insp_point_type": {"zh_CN": "点位类型", "en": "Point type"},
    "insp_team": {"zh_CN": "检查组", "en": "Team"},
    "insp_day": {"zh_CN": "日期", "en": "Day"},
    "insp_street": {"zh_CN": "区域（街道）", "en": "Area (街道)"},
    "insp_title": {"zh_CN": "名称", "en": "Title"},
    "insp_open": {"zh_CN": "开始督查", "en": "Start"},
    "insp_none": {"zh_CN": "暂无督查记录", "en": "No inspections yet"},
    "insp_findings": {"zh_CN": "检查记录", "en": "Findings"},
    "insp_failed": {"zh_CN": "问题数", "en": "Problems"},
    "insp_published": {"zh_CN": "已发布", "en": "Published"},
    "insp_unpublished": {"zh_CN": "未发布", "en": "Not published"},
    "insp_publish": {"zh_CN": "发布问题清单", "en": "Publish the problem list"},
    "insp_covert_hidden": {
        "zh_CN": "暗访结果发布前，责任单位看不到这些问题和案件。",
        "en": "Until published, the units do not see these problems and cases (covert inspection).",
    },
    "insp_record": {"zh_CN": "录入检查记录", "en": "Record findings"},
    "insp_problem_list": {"zh_CN": "问题清单", "en": "Problem list"},
    "insp_lookback": {"zh_CN": "回头看", "en": "Look-back"},
    "insp_checklists": {"zh_CN": "测评细则", "en": "Checklists"},
    "insp_edition": {"zh_CN": "第 {n} 版", "en": "edition {n}"},
    "insp_frozen": {"zh_CN": "已使用（修改将生成新版本）", "en": "in use (a change makes a new edition)"},
    "insp_editable": {"zh_CN": "未使用（可直接修改）", "en": "unused (edited in place)"},
    "insp_item": {"zh_CN": "检查项目", "en": "Item"},
    "insp_code": {"zh_CN": "编号", "en": "Code"},
    "insp_points": {"zh_CN": "分值", "en": "Points"},
    "insp_observations": {"zh_CN": "观测次数", "en": "Observations"},
    "insp_category": {"zh_CN": "案件类别", "en": "Case category"},
    "insp_standard": {"zh_CN": "测评标准", "en": "Standard"},
    "insp_save": {"zh_CN": "保存", "en": "Save"},
    "insp_saved": {"zh_CN": "已保存：第 {n} 版", "en": "Saved: edition {n}"},
    "insp_add_rows": {
        "zh_CN": "空行可新增项目；清空名称即删除该项。",
        "en": "Fill an empty row to add an item; clear a name to drop it.",
    },
    "insp_unit": {"zh_CN": "责任单位", "en": "Responsible unit"},
    "insp_total": {"zh_CN": "问题总数", "en": "Total"},
    "insp_rectified": {"zh_CN": "已整改", "en": "Rectified"},
    "insp_overdue": {"zh_CN": "超期", "en": "Overdue"},
    "insp_rework": {"zh_CN": "返工", "en": "Rework"},
    "insp_repeats": {"zh_CN": "反弹", "en": "Repeats"},
    "insp_ticked": {"zh_CN": "已销号", "en": "Ticked off"},
    "insp_not_ticked": {"zh_CN": "未销号", "en": "Open"},
    "insp_no_problems": {"zh_CN": "本次督查未发现问题", "en": "No problems found"},
    "insp_score": {"zh_CN": "扣分 {d} / 满分 {t}", "en": "{d} deducted of {t}"},
    "insp_deducted": {"zh_CN": "扣分", "en": "Deducted"},
    "insp_case": {"zh_CN": "案件", "en": "Case"},
    "insp_status": {"zh_CN": "状态", "en": "Status"},
    "insp_deadline": {"zh_CN": "整改期限", "en": "Deadline"},
    "insp_note": {"zh_CN": "说明", "en": "Note"},
    "insp_print": {"zh_CN": "打印", "en": "Print"},
    "insp_xlsx": {"zh_CN": "导出表格", "en": "Export XLSX"},
    "insp_as_of": {"zh_CN": "统计时间", "en": "As of"},
    "insp_all_units": {"zh_CN": "合计", "en": "All units"},
    "insp_week": {"zh_CN": "上周（{a} 至 {b}）发现的问题点位", "en": "Points that failed last week ({a} to {b})"},
    "insp_recheck_none": {"zh_CN": "待复查", "en": "To re-inspect"},
    "insp_recheck_passed": {"zh_CN": "复查合格", "en": "Passed on re-inspection"},
    "insp_recheck_repeat": {"zh_CN": "反弹", "en": "Repeat"},
    "insp_repeats_by_unit": {"zh_CN": "各单位反弹次数", "en": "Repeats per unit"},
    "insp_no_points": {"zh_CN": "上周无问题点位", "en": "No failed points last week"},
    "insp_recheck_here": {"zh_CN": "去复查", "en": "Re-inspect"},
    # the phone page's words (its script reads them)
    "insp_locate": {"zh_CN": "定位我的位置", "en": "Use GPS"},
    "insp_place": {"zh_CN": "位置", "en": "Place"},
    "insp_pin_hint": {"zh_CN": "或在地图上点选位置", "en": "or tap the map to drop a pin"},
    "insp_pass": {"zh_CN": "合格", "en": "Pass"},
    "insp_fail": {"zh_CN": "不合格", "en": "Fail"},
    "insp_photo": {"zh_CN": "拍照", "en": "Photo"},
    "insp_send": {"zh_CN": "提交", "en": "Save finding"},
    "insp_sent": {"zh_CN": "已提交", "en": "Saved"},
    "insp_sent_case": {"zh_CN": "已提交，已立案 {id} 号，派往 {unit}", "en": "Saved; case {id} opened for {unit}"},
    "insp_gps_at": {"zh_CN": "已定位（精度约 {m} 米）", "en": "Located (about {m} m)"},
    "insp_pinned": {"zh_CN": "已在地图上选点", "en": "Pin dropped"},
    "insp_no_gps": {"zh_CN": "无法定位：请在地图上选点", "en": "No GPS: tap the map"},
    "insp_pick_item": {"zh_CN": "请选择检查项目", "en": "Pick an item"},
    "insp_pick_result": {"zh_CN": "请选择合格或不合格", "en": "Pass or fail?"},
    "insp_recorded": {"zh_CN": "已录入", "en": "Recorded"},
    "insp_unknown_unit": {"zh_CN": "未找到责任单位", "en": "no unit found"},
}


def _words() -> None:
    for key, texts in WORDS.items():
        MESSAGES.setdefault(key, texts)


_words()
PHONE_STRINGS = tuple(k for k in WORDS if k.startswith("insp_"))


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


def _said(exc: GridmapError) -> str:
    return exc.zh if _lang() == "zh_CN" and exc.zh else str(exc)


def _tz() -> ZoneInfo:
    return ZoneInfo(app_state().settings.cases.timezone)


def _common() -> dict[str, Any]:
    lang = _lang()
    return {
        "lang": lang,
        "attribution": app_state().attribution,
        "point_types": [{"value": k, "label": zh if lang == "zh_CN" else en} for k, (zh, en) in POINT_TYPES.items()],
        "kinds": [{"value": k, "label": zh if lang == "zh_CN" else en} for k, (zh, en) in KIND_NAMES.items()],
        "actor_role": current_actor().role,
    }


def _not_found(exc: GridmapError) -> Any:
    return render_template("error.html", status=404, message=_said(exc), lang=_lang()), 404


@bp.get("/inspections")
@signed_in
def inspections_page(error: str | None = None, form: dict[str, str] | None = None):
    from sqlalchemy import select

    session = db_session()
    found = out(records.list_inspections(session, actor=current_actor(), lang=_lang()), _tz())
    streets = session.execute(select(Area.id, Area.name).where(Area.level == AreaLevel.STREET).order_by(Area.code))
    today = dt.datetime.now(_tz()).date().isoformat()
    form = form or {"point_type": request.args.get("type", ""), "recheck": request.args.get("recheck", "")}
    return render_template(
        "inspections.html", found=found, streets=list(streets), error=error, form=form, today=today, **_common()
    )


@bp.post("/inspections")
@allow(*roles.OPENS_INSPECTIONS)
def create_inspection():
    data = {k: request.form.get(k, "") for k in ("kind", "point_type", "title", "team", "day", "street")}
    recheck = request.form.get("recheck", "")
    actor = current_actor()
    try:
        with writing() as session:
            made = records.open_inspection(session, {k: v for k, v in data.items() if v}, actor=actor, tz=_tz())
    except GridmapError as exc:
        return inspections_page(error=_said(exc), form=data), 400
    if actor.role == R.INSPECTOR:
        again: dict[str, Any] = {"recheck": recheck} if recheck.isdigit() else {}  # 回头看: re-inspect that point
        return redirect(url_for("inspections.record_page", inspection_id=made["id"], **again))
    return redirect(url_for("inspections.problem_list_page", inspection_id=made["id"]))


@bp.get("/inspections/<int:inspection_id>")
@signed_in
def problem_list_page(inspection_id: int):
    try:
        pl = problems.problem_list(db_session(), inspection_id, app_state().settings, actor=current_actor())
    except NotFound as exc:
        return _not_found(exc)
    return render_template("inspection_problems.html", pl=out(pl, _tz()), **_common())


@bp.post("/inspections/<int:inspection_id>/publish")
@allow(*roles.PUBLISHES_INSPECTIONS)
def publish_inspection(inspection_id: int):
    try:
        with writing() as session:
            records.publish(session, inspection_id, actor=current_actor(), settings=app_state().settings)
    except NotFound as exc:
        return _not_found(exc)
    return redirect(url_for("inspections.problem_list_page", inspection_id=inspection_id))


@bp.get("/inspections/<int:inspection_id>/problems.xlsx")
@signed_in
def problem_list_xlsx(inspection_id: int):
    try:
        pl = problems.problem_list(db_session(), inspection_id, app_state().settings, actor=current_actor())
    except NotFound as exc:
        return _not_found(exc)
    body = problems.problem_list_xlsx(out(pl, _tz()))
    name = f"problem-list-{inspection_id}.xlsx"
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/inspections/<int:inspection_id>/record")
@allow(*roles.RECORDS_FINDINGS)
def record_page(inspection_id: int):
    try:
        inspection = records.get_inspection(db_session(), inspection_id, actor=current_actor(), lang=_lang())
    except NotFound as exc:
        return _not_found(exc)
    lang = _lang()
    recheck = request.args.get("recheck", "")
    target = lookback.recheck_target(db_session(), int(recheck)) if recheck.isdigit() and len(recheck) < 10 else None
    config = {
        "lang": lang,
        "findingsUrl": url_for("inspections_api.record_findings", inspection_id=inspection_id),
        "inspectionUrl": url_for("inspections_api.get_inspection", inspection_id=inspection_id),
        "recheck": target,
        "strings": {k: translate(k, lang) for k in PHONE_STRINGS},
    }
    return render_template("inspection_record.html", inspection=out(inspection, _tz()), config=config, **_common())


@bp.get("/inspections/lookback")
@signed_in
def lookback_page():
    from gridmap.inputs import parse_day

    day = parse_day(request.args.get("day"), "day", [], default=None) or dt.datetime.now(_tz()).date()
    found = lookback.look_back(db_session(), day, actor=current_actor(), lang=_lang())
    return render_template("inspection_lookback.html", found=out(found, _tz()), **_common())


@bp.get("/admin/checklists")
@allow(*roles.EDITS_CHECKLISTS)
def checklists_page(error: str | None = None, done: int | None = None):
    session = db_session()
    chosen = request.args.get("type") or (request.view_args and request.view_args.get("point_type")) or "main_road"
    if chosen not in POINT_TYPES:
        chosen = "main_road"
    try:
        edition: Any = out(templates.current_edition(session, chosen, _lang()), _tz())
    except NotFound as exc:
        edition, error = None, error or _said(exc)
    cats = [c for c in list_categories(session, active=True) if c["parent_code"] is not None]
    return render_template(
        "inspection_checklists.html",
        chosen=chosen,
        edition=edition,
        categories=cats,
        error=error,
        done=done,
        blank_rows=3,
        **_common(),
    )


@bp.post("/admin/checklists/<point_type>")
@allow(*roles.EDITS_CHECKLISTS)
def save_checklist(point_type: str):
    f = request.form
    columns = ("code", "name_zh", "points", "observations", "category", "standard")
    rows = list(zip(*(f.getlist(c) for c in columns), strict=False))
    items = [dict(zip(columns, r, strict=True)) for r in rows if r[1].strip()]
    try:
        with writing() as session:
            saved = templates.save_template(session, point_type, {"items": items}, actor=current_actor())
    except NotFound as exc:
        return _not_found(exc)
    except GridmapError as exc:
        return checklists_page(error=_said(exc)), 400
    return redirect(url_for("inspections.checklists_page", type=point_type, saved=saved["edition"]))
