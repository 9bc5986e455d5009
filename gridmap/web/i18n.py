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
    # -- map pages (coverage map, unit page, feature history) --
    "coverage_map": {"zh_CN": "包联责任地图", "en": "Coverage map"},
    "cases": {"zh_CN": "案件", "en": "Cases"},
    "assigned_state": {"zh_CN": "已包联", "en": "Assigned"},
    "unassigned_state": {"zh_CN": "无包联", "en": "Unassigned"},
    "ending_state": {"zh_CN": "30天内到期", "en": "Ending within 30 days"},
    "responsible_unit": {"zh_CN": "包联单位", "en": "Responsible unit"},
    "none_responsible": {"zh_CN": "无包联单位（属地兜底）", "en": "No responsible unit (local default)"},
    "open_cases": {"zh_CN": "未结案件", "en": "Open cases"},
    "no_open_cases": {"zh_CN": "无未结案件", "en": "No open cases"},
    "history": {"zh_CN": "包联历史", "en": "History"},
    "deadline": {"zh_CN": "处置时限", "en": "Deadline"},
    "color_by": {"zh_CN": "着色", "en": "Colour"},
    "color_by_state": {"zh_CN": "按包联状态", "en": "By responsibility"},
    "color_by_unit": {"zh_CN": "按包联单位", "en": "By unit"},
    "other_units": {"zh_CN": "其他单位", "en": "Other units"},
    "search": {"zh_CN": "搜索", "en": "Search"},
    "search_placeholder": {"zh_CN": "单位、道路、小区或网格编码", "en": "Unit, road, compound or grid code"},
    "search_none": {"zh_CN": "未找到", "en": "Nothing found"},
    "map_date": {"zh_CN": "查看日期", "en": "Map as of"},
    "today": {"zh_CN": "今天", "en": "Today"},
    "loading": {"zh_CN": "加载中…", "en": "Loading…"},
    "unit_page": {"zh_CN": "单位详情", "en": "Unit page"},
    "road": {"zh_CN": "道路", "en": "Road"},
    "unit": {"zh_CN": "单位", "en": "Unit"},
    "grid": {"zh_CN": "网格", "en": "Grid"},
    "compound": {"zh_CN": "小区", "en": "Compound"},
    "segment": {"zh_CN": "路段", "en": "Segment"},
    "valid_until": {"zh_CN": "到期", "en": "until"},
    "valid_from": {"zh_CN": "起始", "en": "From"},
    "valid_to": {"zh_CN": "截止", "en": "To"},
    "legend": {"zh_CN": "图例", "en": "Legend"},
    "nobody": {"zh_CN": "（空缺）", "en": "(vacant)"},
    "role": {"zh_CN": "角色", "en": "Role"},
    "person": {"zh_CN": "人员", "en": "Person"},
    "contact": {"zh_CN": "联系人", "en": "Contact"},
    "totals": {"zh_CN": "合计", "en": "Totals"},
    "road_km_short": {"zh_CN": "道路（公里）", "en": "Road (km)"},
    "area_ha": {"zh_CN": "面积（公顷）", "en": "Area (ha)"},
    "status": {"zh_CN": "状态", "en": "Status"},
    "category": {"zh_CN": "类别", "en": "Category"},
    "location": {"zh_CN": "位置", "en": "Location"},
    "overdue": {"zh_CN": "已超时", "en": "Overdue"},
    "no_cases": {"zh_CN": "暂无未结案件", "en": "No open cases"},
    "no_history": {"zh_CN": "从未包联", "en": "Never assigned"},
    # -- commander's pages: assign by drawing, gaps, heatmap --
    "assign_page": {"zh_CN": "划片包联", "en": "Assign by drawing"},
    "gaps_page": {"zh_CN": "包联空白", "en": "Gaps"},
    "heatmap_page": {"zh_CN": "问题热力图", "en": "Problem heatmap"},
    "assign_help": {
        "zh_CN": "用左上角工具画线、多边形或矩形圈选路段、小区和网格；或单击某个要素。",
        "en": "Draw a line, polygon or rectangle (tools at the top left) to catch segments, compounds and grids; "
        "or click a single feature.",
    },
    "catch_kinds": {"zh_CN": "圈选图层", "en": "Catch"},
    "buffer_m": {"zh_CN": "画线缓冲（米）", "en": "Line buffer (m)"},
    "caught": {"zh_CN": "圈中要素", "en": "Caught"},
    "caught_free": {"zh_CN": "无包联", "en": "unassigned"},
    "caught_owned": {"zh_CN": "已有包联", "en": "already assigned"},
    "held_by_others": {"zh_CN": "已由其他单位包联", "en": "Already held by other units"},
    "choose_unit": {"zh_CN": "选择包联单位", "en": "Choose a unit"},
    "start_date": {"zh_CN": "起始日期", "en": "Start date"},
    "end_date": {"zh_CN": "截止日期", "en": "End date"},
    "confirm_assign": {"zh_CN": "确认包联", "en": "Confirm assignment"},
    "clear_selection": {"zh_CN": "清除", "en": "Clear"},
    "assigned_ok": {
        "zh_CN": "已包联 {n} 个要素，{closed} 个原包联已结束。",
        "en": "Assigned {n} features; {closed} previous assignments closed.",
    },
    "nothing_to_assign": {
        "zh_CN": "所选要素已由该单位包联，无需变更。",
        "en": "The unit already holds every selected feature.",
    },
    "conflict_reload": {
        "zh_CN": "其他指挥员刚刚修改了这些要素的包联，未保存任何内容。已刷新圈选结果，请核对后重试。",
        "en": "Another commander just changed these assignments; nothing was saved. The selection was refreshed: "
        "check it and try again.",
    },
    "end_assignment": {"zh_CN": "结束包联", "en": "End assignment"},
    "ended_ok": {"zh_CN": "包联已结束（历史保留）。", "en": "Assignment ended (history kept)."},
    "current_holder": {"zh_CN": "当前包联", "en": "Current holder"},
    "gap_totals": {"zh_CN": "包联空白合计", "en": "Gap totals"},
    "unassigned_compounds": {"zh_CN": "无包联小区", "en": "Unassigned compounds"},
    "unassigned_grid_km2": {"zh_CN": "无包联网格（平方公里）", "en": "Unassigned grid area (km²)"},
    "unassigned_segments": {"zh_CN": "无包联路段", "en": "Unassigned segments"},
    "nearest_units": {"zh_CN": "就近建议单位", "en": "Nearest units"},
    "default_party": {"zh_CN": "属地兜底", "en": "Local default"},
    "download_csv": {"zh_CN": "下载 CSV", "en": "Download CSV"},
    "download_geojson": {"zh_CN": "下载 GeoJSON", "en": "Download GeoJSON"},
    "apply": {"zh_CN": "查询", "en": "Apply"},
    "all": {"zh_CN": "全部", "en": "All"},
    "name": {"zh_CN": "名称", "en": "Name"},
    "kind": {"zh_CN": "类型", "en": "Kind"},
    "size": {"zh_CN": "长度/面积", "en": "Length/area"},
    "coverage_road": {"zh_CN": "道路覆盖率", "en": "Road coverage"},
    "coverage_compound": {"zh_CN": "小区覆盖率", "en": "Compound coverage"},
    "coverage_grid": {"zh_CN": "网格覆盖率", "en": "Grid coverage"},
    "district_total": {"zh_CN": "全区", "en": "District"},
    "outside_areas": {"zh_CN": "未落入任何社区", "en": "Outside every community"},
    "gap_count": {"zh_CN": "空白要素 {n} 个", "en": "{n} gaps"},
    "heat_mode": {"zh_CN": "显示方式", "en": "Show as"},
    "mode_points": {"zh_CN": "热力图", "en": "Heat"},
    "mode_grids": {"zh_CN": "按网格统计", "en": "Per unit grid"},
    "mode_segments": {"zh_CN": "按路段（每公里）", "en": "Per road km"},
    "category_class": {"zh_CN": "大类", "en": "Class"},
    "category_sub": {"zh_CN": "小类", "en": "Sub-class"},
    "period_from": {"zh_CN": "开始", "en": "From"},
    "period_to": {"zh_CN": "结束", "en": "To"},
    "status_open": {"zh_CN": "未结案件", "en": "Open cases"},
    "status_all": {"zh_CN": "全部案件", "en": "All cases"},
    "status_closed": {"zh_CN": "已结案", "en": "Closed"},
    "only_overdue": {"zh_CN": "仅超时", "en": "Overdue only"},
    "case_count": {"zh_CN": "案件 {n} 件", "en": "{n} cases"},
    "case_list": {"zh_CN": "案件列表", "en": "Case list"},
    "duplicate_of": {"zh_CN": "重复，原案 #{n}", "en": "duplicate of #{n}"},
    "per_km": {"zh_CN": "件/公里", "en": "per km"},
    "per_km2": {"zh_CN": "件/平方公里", "en": "per km²"},
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
