"""Interface language: Chinese (zh-CN) by default, English available via ``?lang=en`` (remembered in a cookie)."""

from __future__ import annotations

from flask import Request

LANGUAGES = {"zh_CN": "中文", "en": "English"}

MESSAGES: dict[str, dict[str, str]] = {
    "app_title": {"zh_CN": "网格化管理指挥平台", "en": "Grid management command platform"},
    "overview": {"zh_CN": "数据概览", "en": "Overview"},
    "as_of": {"zh_CN": "统计日期", "en": "As of"},
    "layer": {"zh_CN": "图层", "en": "Layer"},
    "count": {"zh_CN": "数量", "en": "Count"},
    "assigned": {"zh_CN": "已落实包联", "en": "With a responsible unit"},
    "coverage": {"zh_CN": "覆盖率", "en": "Coverage"},
    "streets": {"zh_CN": "街道", "en": "Sub-districts (街道)"},
    "communities": {"zh_CN": "社区", "en": "Communities (社区)"},
    "segments": {"zh_CN": "路段", "en": "Road segments"},
    "compounds": {"zh_CN": "小区", "en": "Residential compounds"},
    "grids": {"zh_CN": "单元网格", "en": "Unit grids"},
    "units": {"zh_CN": "包联单位", "en": "Responsible units"},
    "people": {"zh_CN": "人员", "en": "People"},
    "road_km": {"zh_CN": "道路总长（公里）", "en": "Road length (km)"},
    "unassigned_km": {"zh_CN": "无包联道路（公里）", "en": "Road without a unit (km)"},
    "empty_store": {
        "zh_CN": "数据库中尚无数据。运行 gridmap demo 载入示范城区，或用 gridmap import 导入数据。",
        "en": "The database is empty. Run `gridmap demo` to load the demo city, or `gridmap import` your data.",
    },
    "api": {"zh_CN": "接口", "en": "API"},
    "health": {"zh_CN": "运行状态", "en": "Health"},
    "error": {"zh_CN": "出错了", "en": "Something went wrong"},
    "back_home": {"zh_CN": "返回首页", "en": "Back to the start page"},
    "language": {"zh_CN": "语言", "en": "Language"},
}


def pick_language(request: Request, default: str) -> str:
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in LANGUAGES:
        return asked
    if asked and asked.lower().startswith("zh"):
        return "zh_CN"
    return default if default in LANGUAGES else "zh_CN"


def translate(key: str, lang: str, **values: object) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["zh_CN"]
    return text.format(**values) if values else text
