"""模拟测评 pages: /assessments (the list, and the draw form for those who draw) and /assessments/<id> (the drawn
points on a map and as a printable route list per team, a score form per point for those who score, the score
rates). /assessments/<id>/points/<pid>/score is a point's checklist scored item by item on a phone
(``static/js/pages/assessment_point.js``). All work on a phone; the page script ``static/js/pages/assessment.js``
draws the map and sends the forms through the JSON API (/api/v1/assessments…). :func:`register` adds the blueprints
and the pages' words."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g, render_template, url_for

from gridmap.accounts import roles
from gridmap.assessments.candidates import load_candidates
from gridmap.assessments.drawing import find_assessment, list_assessments
from gridmap.assessments.items import point_sheet
from gridmap.assessments.scoring import assessment_with_results
from gridmap.assessments.vocabulary import CHECKLIST_TYPE, POINT_TYPES, type_name
from gridmap.web.auth import current_actor, signed_in
from gridmap.web.i18n import translate
from gridmap.web.session import db_session

bp = Blueprint("assessments", __name__)

WORDS: dict[str, dict[str, str]] = {
    "assess_page": {"zh_CN": "模拟测评", "en": "Mock assessments"},
    "assess_list": {"zh_CN": "历次测评", "en": "Assessments"},
    "assess_none": {"zh_CN": "尚无测评：在上方抽取点位", "en": "No assessment yet: draw points above"},
    "assess_draw": {"zh_CN": "抽取点位", "en": "Draw points"},
    "assess_title": {"zh_CN": "测评名称", "en": "Title"},
    "assess_points": {"zh_CN": "抽取总数", "en": "Points in all"},
    "assess_quotas": {"zh_CN": "各类型配额（留空：按候选数量分配其余点位）",
                      "en": "Quota per type (blank: the rest shared by candidates)"},
    "assess_candidates": {"zh_CN": "候选 {n} 个", "en": "{n} candidates"},
    "assess_exclude": {"zh_CN": "排除近几周已抽点位", "en": "Leave out points drawn in the last weeks"},
    "assess_teams": {"zh_CN": "测评组数", "en": "Teams"},
    "assess_seed": {"zh_CN": "随机种子（留空自动生成）", "en": "Random seed (blank: a new one)"},
    "assess_day": {"zh_CN": "测评日期", "en": "Day"},
    "assess_go": {"zh_CN": "抽取", "en": "Draw"},
    "assess_drawing": {"zh_CN": "正在抽取…", "en": "Drawing…"},
    "assess_failed": {"zh_CN": "未能抽取：{message}", "en": "Not drawn: {message}"},
    "assess_day_col": {"zh_CN": "日期", "en": "Day"},
    "assess_count_col": {"zh_CN": "点位数", "en": "Points"},
    "assess_seed_col": {"zh_CN": "种子", "en": "Seed"},
    "assess_by": {"zh_CN": "抽取人", "en": "Drawn by"},
    "assess_team": {"zh_CN": "第 {n} 组", "en": "Team {n}"},
    "assess_team_points": {"zh_CN": "{n} 个点位", "en": "{n} points"},
    "assess_map": {"zh_CN": "抽中的点位", "en": "The drawn points"},
    "assess_print": {"zh_CN": "打印路线单", "en": "Print the route lists"},
    "assess_score": {"zh_CN": "得分", "en": "Score"},
    "assess_possible": {"zh_CN": "满分", "en": "Full mark"},
    "assess_note": {"zh_CN": "备注", "en": "Note"},
    "assess_save": {"zh_CN": "保存", "en": "Save"},
    "assess_saved": {"zh_CN": "已保存", "en": "Saved"},
    "assess_not_scored": {"zh_CN": "未评分", "en": "Not scored"},
    "assess_results": {"zh_CN": "得分率", "en": "Score rates"},
    "assess_overall": {"zh_CN": "总体", "en": "Overall"},
    "assess_by_type": {"zh_CN": "按点位类型", "en": "By point type"},
    "assess_by_street": {"zh_CN": "按街道", "en": "By 街道"},
    "assess_rate": {"zh_CN": "得分率", "en": "Rate"},
    "assess_scored": {"zh_CN": "已评/点位", "en": "Scored / points"},
    "assess_previous": {"zh_CN": "上次", "en": "Previous"},
    "assess_change": {"zh_CN": "变化", "en": "Change"},
    "assess_vs": {"zh_CN": "对比上次测评：{title}（{day}）", "en": "Compared with {title} ({day})"},
    "assess_no_previous": {"zh_CN": "暂无可对比的上次测评", "en": "No earlier assessment to compare with"},
    "assess_no_street": {"zh_CN": "（未划入街道）", "en": "(outside every 街道)"},
    "assess_params": {"zh_CN": "抽取参数", "en": "Draw parameters"},
    "assess_repeat_hint": {"zh_CN": "用相同种子和参数可重现本次抽取（命令行：gridmap assessments repeat {id}）",
                           "en": "The same seed and parameters repeat this draw: gridmap assessments repeat {id}"},
    "assess_excluded": {"zh_CN": "排除近 {k} 周", "en": "last {k} weeks left out"},
    "assess_type": {"zh_CN": "类型", "en": "Type"},
    "assess_street": {"zh_CN": "街道", "en": "街道"},
    "assess_by_items": {"zh_CN": "逐项评分", "en": "Score item by item"},
    "assess_items_title": {"zh_CN": "逐项评分：{name}", "en": "Item by item: {name}"},
    "assess_edition": {"zh_CN": "{type}测评细则第 {n} 版", "en": "{type} checklist, edition {n}"},
    "assess_no_checklist": {"zh_CN": "该类型没有测评细则，请在测评页按整个点位评分",
                            "en": "This type has no checklist: score the whole point on the assessment page"},
    "assess_point_score": {"zh_CN": "本点位得分 {s} / {t}（已评 {k}/{n} 项）",
                           "en": "Point score {s} / {t} ({k} of {n} items scored)"},
    "assess_place": {"zh_CN": "位置", "en": "Location"},
    "assess_at_point": {"zh_CN": "默认使用抽中点位的位置；到场后可定位",
                        "en": "The drawn point's position; use GPS on site"},
    "assess_locate": {"zh_CN": "定位我的位置", "en": "Use GPS"},
    "assess_gps_at": {"zh_CN": "已定位（精度约 {m} 米）", "en": "Located (about {m} m)"},
    "assess_no_gps": {"zh_CN": "无法定位：使用点位位置", "en": "No GPS: the point's position is used"},
    "assess_pass": {"zh_CN": "合格", "en": "Pass"},
    "assess_fail": {"zh_CN": "不合格", "en": "Fail"},
    "assess_deducted": {"zh_CN": "扣分", "en": "Deducted"},
    "assess_photo": {"zh_CN": "照片", "en": "Photos"},
    "assess_item_save": {"zh_CN": "提交本项", "en": "Save this item"},
    "assess_pick_result": {"zh_CN": "请选择合格或不合格", "en": "Pass or fail?"},
    "assess_item_passed": {"zh_CN": "合格", "en": "Passed"},
    "assess_item_failed": {"zh_CN": "不合格，扣 {d} 分", "en": "Failed, {d} deducted"},
    "assess_item_case": {"zh_CN": "已立案 {id}，交 {unit}", "en": "Case {id} opened for {unit}"},
    "assess_unknown_unit": {"zh_CN": "待指派单位", "en": "a unit still to choose"},
    "assess_back": {"zh_CN": "返回测评", "en": "Back to the assessment"},
    "assess_correct": {"zh_CN": "更正", "en": "Correct"},
    "assess_delete": {"zh_CN": "删除", "en": "Delete"},
    "assess_confirm_delete": {"zh_CN": "删除这项评分？若已立案，案件将作废。",
                              "en": "Delete this scored item? Its case, if still open, is voided."},
    "assess_close": {"zh_CN": "结束测评", "en": "Close the assessment"},
    "assess_confirm_close": {"zh_CN": "结束本次测评？结束后评分不能再修改。",
                             "en": "Close this assessment? Its scores can no longer change."},
    "assess_case_void": {"zh_CN": "案件已作废", "en": "case voided"},
    "assess_closed_note": {"zh_CN": "本次测评已结束，评分不能再修改",
                           "en": "This assessment is closed: its scores are final"},
}  # fmt: skip

PAGE_STRINGS = ("assess_drawing", "assess_failed", "assess_saved", "assess_not_scored", "assess_overall",
                "assess_rate", "assess_scored", "assess_previous", "assess_change", "assess_vs", "assess_no_previous",
                "assess_no_street", "assess_type", "assess_street", "assess_team", "assess_score", "assess_point_score",
                "assess_gps_at", "assess_no_gps", "assess_pick_result", "assess_item_passed", "assess_item_failed",
                "assess_item_case", "assess_unknown_unit", "assess_confirm_delete", "assess_confirm_close")  # fmt: skip


def register(app: Flask) -> None:
    """The pages' and the API's blueprints, and the pages' words added to the shared table."""
    from gridmap.web.api.assessments import bp as api_bp
    from gridmap.web.i18n import MESSAGES

    for key, texts in WORDS.items():
        MESSAGES.setdefault(key, texts)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(bp)


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


def _strings() -> dict[str, str]:
    return {k: translate(k, _lang()) for k in PAGE_STRINGS}


def _can_score() -> bool:
    return current_actor().has(*roles.ASSESSES)


@bp.get("/assessments")
@signed_in
def list_page():
    session = db_session()
    lang = _lang()
    types: list[dict[str, Any]] = []
    if _can_score():
        counts = load_candidates(session).counts()
        types = [{"code": t.code, "name": type_name(t.code, lang), "n": counts[t.code]} for t in POINT_TYPES]
    config = {"page": "list", "strings": _strings(), "api": url_for("assessments_api.draw_one"),
              "show": url_for("assessments.assessment_page", assessment_id=0)}  # fmt: skip
    return render_template("assessments.html", items=list_assessments(session, lang), types=types,
                           can_draw=_can_score(), config=config)  # fmt: skip


@bp.get("/assessments/<int:assessment_id>")
@signed_in
def assessment_page(assessment_id: int):
    data = assessment_with_results(db_session(), assessment_id, _lang())
    teams: dict[int, list[dict[str, Any]]] = {}
    for p in data["points"]:
        teams.setdefault(p["team"], []).append(p)
    config = {
        "page": "show",
        "strings": _strings(),
        "points": [
            {k: p[k] for k in ("id", "team", "stop", "lon", "lat", "name", "type_name")} for p in data["points"]
        ],
        "results": data["results"],
        "scoreUrl": f"/api/v1/assessments/{assessment_id}/points/",
        "resultsUrl": url_for("assessments_api.get_results", assessment_id=assessment_id),
        "closeUrl": url_for("assessments_api.close_one", assessment_id=assessment_id),
    }
    return render_template("assessment.html", a=data, teams=teams, can_score=_can_score(), config=config,
                           by_items=set(CHECKLIST_TYPE))  # fmt: skip


@bp.get("/assessments/<int:assessment_id>/points/<int:point_id>/score")
@signed_in
def point_page(assessment_id: int, point_id: int):
    """The phone's scoring sheet of one point: every item of its checklist, passed or failed, sent one by one."""
    sheet = point_sheet(db_session(), assessment_id, point_id, _lang())
    config = {
        "strings": _strings(),
        "itemsUrl": url_for("assessments_api.score_items", assessment_id=assessment_id, point_id=point_id),
        "point": {k: sheet["point"][k] for k in ("lon", "lat")},
        "total": len((sheet["checklist"] or {}).get("items", [])),
    }
    scored = {i["item_id"]: i for i in sheet["items"]}
    closed = find_assessment(db_session(), assessment_id).closed_at is not None
    return render_template("assessment_point.html", sheet=sheet, scored=scored, assessment_id=assessment_id,
                           can_score=_can_score(), closed=closed, config=config)  # fmt: skip
