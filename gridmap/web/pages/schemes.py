"""The evaluation schemes page (/admin/schemes): every scheme with its versions, one version read in full — its
indicators (numerator and denominator counts, the excluded ones marked), scoring rules, weights and grades — and,
for an administrator, a form saving it as a NEW version (through /api/v1/schemes; a version, once saved, never
changes, so a published scorecard keeps the one it was scored by). Commanders read it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g, render_template, request

from gridmap.accounts import roles
from gridmap.evaluation import SUBJECTS, list_schemes, parse_scheme, scheme_versions
from gridmap.evaluation.counts import BASE_COUNTS
from gridmap.web.auth import allow, current_actor
from gridmap.web.i18n import MESSAGES, name_in, translate
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("schemes", __name__)

WORDS: dict[str, dict[str, str]] = {
    "schemes_page": {"zh_CN": "考核方案", "en": "Evaluation schemes"},
    "sch_intro": {
        "zh_CN": "考核方案是数据：每次修改另存为新版本，已保存的版本（包括已用于发布成绩的版本）不会改变。",
        "en": "A scheme is data: every edit is saved as a new version; a saved version (and so every published "
        "scorecard's) never changes.",
    },
    "sch_code": {"zh_CN": "代码", "en": "Code"},
    "sch_subject": {"zh_CN": "考核对象", "en": "Scored"},
    "sch_version": {"zh_CN": "版本", "en": "Version"},
    "sch_versions": {"zh_CN": "历史版本", "en": "Versions"},
    "sch_v": {"zh_CN": "第 {v} 版", "en": "version {v}"},
    "sch_latest": {"zh_CN": "当前版本", "en": "current"},
    "sch_saved_by": {"zh_CN": "保存", "en": "Saved"},
    "sch_note": {"zh_CN": "说明", "en": "Note"},
    "sch_used": {"zh_CN": "已用于发布：{periods}", "en": "Published with it: {periods}"},
    "sch_published": {"zh_CN": "发布情况", "en": "Published"},
    "sch_unused": {"zh_CN": "未用于发布", "en": "Not published with"},
    "sch_indicators": {"zh_CN": "指标", "en": "Indicators"},
    "sch_numerator": {"zh_CN": "分子", "en": "Numerator"},
    "sch_denominator": {"zh_CN": "分母", "en": "Denominator"},
    "sch_count_only": {"zh_CN": "（计数，非比率）", "en": "(a count, not a rate)"},
    "sch_excluded": {"zh_CN": "扣除", "en": "less"},
    "sch_components": {"zh_CN": "计分规则", "en": "Scoring rules"},
    "sch_rule": {"zh_CN": "规则", "en": "Rule"},
    "sch_weight": {"zh_CN": "权重", "en": "Weight"},
    "sch_rule_linear": {"zh_CN": "加权线性：得分 = 比率（%）", "en": "Weighted linear: points = the rate (%)"},
    "sch_rule_linear_c": {
        "zh_CN": "加权线性：得分 = 100 − 比率（%）",
        "en": "Weighted linear: points = 100 − rate (%)",
    },
    "sch_rule_threshold": {
        "zh_CN": "达标扣分：达到 {at}% 得 {points} 分，每低 1 个百分点扣 {per_point} 分",
        "en": "Threshold: {points} points at {at} %, less {per_point} per point below",
    },
    "sch_rule_tiers": {"zh_CN": "分档计数：{tiers}；以下 {below} 分", "en": "Tiers: {tiers}; below: {below}"},
    "sch_tier": {"zh_CN": "≥ {at} 得 {points} 分", "en": "≥ {at} → {points}"},
    "sch_rule_per_event": {"zh_CN": "按次计分：每次 {points} 分", "en": "Per event: {points} each"},
    "sch_grades": {"zh_CN": "等级", "en": "Grades"},
    "sch_grade_at": {"zh_CN": "不低于", "en": "At least"},
    "sch_max_score": {"zh_CN": "满分", "en": "Maximum score"},
    "sch_min_cases": {"zh_CN": "最少案件数（低于则不排名）", "en": "Fewest cases to be ranked"},
    "sch_rank_by": {"zh_CN": "排名依据", "en": "Ranked by"},
    "sch_edit": {"zh_CN": "修改并另存为新版本", "en": "Edit and save as a new version"},
    "sch_edit_from": {"zh_CN": "以第 {v} 版为基础修改", "en": "Editing from version {v}"},
    "sch_name_zh": {"zh_CN": "中文名称", "en": "Chinese name"},
    "sch_name_en": {"zh_CN": "英文名称", "en": "English name"},
    "sch_at": {"zh_CN": "达标线（%）", "en": "Full points at (%)"},
    "sch_points": {"zh_CN": "分值", "en": "Points"},
    "sch_per_point": {"zh_CN": "每低 1 个百分点扣分", "en": "Less per point below"},
    "sch_tiers_field": {"zh_CN": "分档（不低于:得分，逗号分隔）", "en": "Tiers (at least:points, comma-separated)"},
    "sch_below": {"zh_CN": "最低档以下得分", "en": "Points below the lowest tier"},
    "sch_per_event_pts": {"zh_CN": "每次得分（负数为扣分）", "en": "Points per event (negative: a penalty)"},
    "sch_complement": {"zh_CN": "取补（100 − 比率）", "en": "Complement (100 − rate)"},
    "sch_json": {"zh_CN": "高级：以文本编辑整个方案（含指标、分子、分母）", "en": "Advanced: the whole scheme as JSON"},
    "sch_save": {"zh_CN": "另存为新版本", "en": "Save as a new version"},
    "sch_save_json": {"zh_CN": "按文本另存为新版本", "en": "Save the JSON as a new version"},
    "sch_saved": {"zh_CN": "已保存为第 {v} 版", "en": "Saved as version {v}"},
    "sch_failed": {"zh_CN": "未保存：{message}", "en": "Not saved: {message}"},
    "sch_bad_json": {"zh_CN": "文本格式有误（须为 JSON）：{message}", "en": "The JSON is not valid: {message}"},
    "sch_view_only": {"zh_CN": "只有系统管理员可以修改考核方案。", "en": "Only an administrator edits schemes."},
    "sch_none": {"zh_CN": "尚无考核方案", "en": "No schemes yet"},
}
_SCRIPT_STRINGS = ("sch_saved", "sch_failed", "sch_bad_json")


def register(app: Flask) -> None:
    for key, texts in WORDS.items():
        MESSAGES.setdefault(key, texts)
    app.register_blueprint(bp)


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _rule_text(rule: dict[str, Any], lang: str) -> str:
    kind = rule["kind"]
    if kind == "linear":
        return translate("sch_rule_linear_c" if rule.get("complement") else "sch_rule_linear", lang)
    if kind == "threshold":
        return translate("sch_rule_threshold", lang, at=_num(rule["at"]), points=_num(rule["points"]),
                         per_point=_num(rule["per_point"]))  # fmt: skip
    if kind == "tiers":
        tiers = sorted(rule["tiers"], key=lambda t: -t[0])
        said = "，" if lang == "zh_CN" else ", "
        shown = said.join(translate("sch_tier", lang, at=_num(a), points=_num(p)) for a, p in tiers)
        return translate("sch_rule_tiers", lang, tiers=shown, below=_num(rule.get("below", 0.0)))
    return translate("sch_rule_per_event", lang, points=_num(rule["points"]))


def _terms(terms: list[str] | None, lang: str) -> list[dict[str, Any]]:
    """The base counts of a numerator or denominator: each named, those subtracted (exclusions) marked."""
    out = []
    for term in terms or []:
        key = term.removeprefix("-")
        base = BASE_COUNTS.get(key)
        name = (base.en if lang == "en" else base.zh) if base else key
        out.append({"key": key, "name": name, "minus": term.startswith("-")})
    return out


def _view(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    """A version's document as the page shows it."""
    names = {i["key"]: name_in(i, lang) for i in doc["indicators"]}
    return {
        "indicators": [
            {"key": i["key"], "name": names[i["key"]], "numerator": _terms(i["numerator"], lang),
             "denominator": _terms(i.get("denominator"), lang)}
            for i in doc["indicators"]
        ],
        "components": [
            {"n": n, "indicator": c["indicator"], "name": names.get(c["indicator"], c["indicator"]),
             "weight": _num(c.get("weight", 1.0)), "rule": c["rule"], "text": _rule_text(c["rule"], lang),
             "tiers": ", ".join(f"{_num(a)}:{_num(p)}" for a, p in c["rule"].get("tiers", []))}
            for n, c in enumerate(doc["components"])
        ],
        "grades": [{"n": n, "letter": g_, "at": _num(at)} for n, (g_, at) in enumerate(doc["grades"])],
        "rank_by": names.get(doc.get("rank_by") or "", ""),
    }  # fmt: skip


def _subject_name(subject: str, lang: str) -> str:
    zh, en = SUBJECTS.get(subject, (subject, subject))
    return en if lang == "en" else zh


@bp.get("/admin/schemes")
@allow(*roles.READS_SCHEMES)
def schemes_page():
    lang = _lang()
    items = list_schemes(db_session())
    for s in items:
        s["subject_name"] = _subject_name(s["subject"], lang)
        s["name"] = name_in(s, lang)
    return render_template("schemes.html", items=items, lang=lang, attribution=app_state().attribution)


@bp.get("/admin/schemes/<code>")
@allow(*roles.READS_SCHEMES)
def scheme_page(code: str):
    lang = _lang()
    versions = scheme_versions(db_session(), code)
    wanted = request.args.get("version", type=int)
    shown = next((v for v in versions if v["version"] == wanted), versions[0])
    doc = parse_scheme(shown["document"]).model_dump(mode="json")  # defaults filled in (weights, grades)
    config = {
        "lang": lang,
        "url": "/api/v1/schemes",
        "page": f"/admin/schemes/{code}",
        "document": doc,
        "strings": {k: translate(k, lang) for k in _SCRIPT_STRINGS},
    }
    return render_template(
        "scheme.html", scheme=shown, latest=versions[0], versions=versions, doc=doc, view=_view(doc, lang),
        subject_name=_subject_name(shown["subject"], lang), lang=lang, config=config,
        can_edit=current_actor().has(*roles.EDITS_SCHEMES), attribution=app_state().attribution,
        name=name_in(shown, lang), num=_num,
    )  # fmt: skip
