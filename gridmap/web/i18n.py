"""Interface language: Chinese (zh-CN) by default, English available via ``?lang=en`` (remembered in a cookie)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

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
    "nothing_yet": {"zh_CN": "暂无数据", "en": "Nothing yet"},
    "next_boundaries": {
        "zh_CN": (
            "下一步：用 gridmap import streets 街道.geojson 和"
            " gridmap import communities 社区.geojson 导入街道、社区边界。"
        ),
        "en": (
            "Next: import the 街道 and 社区 boundaries with `gridmap import streets …`"
            " and `gridmap import communities …`."
        ),
    },
    "next_segments": {
        "zh_CN": "下一步：用 gridmap import-osm 城市.osm.pbf 或 gridmap import segments 道路.geojson 导入路段。",
        "en": (
            "Next: import the roads with `gridmap import-osm city.osm.pbf` or `gridmap import segments roads.geojson`."
        ),
    },
    "next_grids": {
        "zh_CN": "下一步：用 gridmap grids generate 生成单元网格，或 gridmap import compounds 小区.geojson 导入小区。",
        "en": (
            "Next: generate the unit grids with `gridmap grids generate`,"
            " or import compounds with `gridmap import compounds …`."
        ),
    },
    "next_schemes": {
        "zh_CN": "下一步：用 gridmap scorecards seed 载入默认考核方案（gridmap init 也会载入）。",
        "en": "Next: load the default evaluation schemes: `gridmap scorecards seed` (`gridmap init` loads them too).",
    },
    "next_units": {
        "zh_CN": "下一步：用 gridmap units import 单位.csv 导入包联单位。",
        "en": "Next: import the responsible units with `gridmap units import units.csv`.",
    },
    "next_assignments": {
        "zh_CN": "下一步：尚无包联责任，在「指派」页（/assign）圈选路段、小区或网格，指派给包联单位。",
        "en": "Next: nobody is responsible for anything yet: select features on /assign and assign them to units.",
    },
    "api": {"zh_CN": "接口", "en": "API"},
    "health": {"zh_CN": "运行状态", "en": "Health"},
    "error": {"zh_CN": "出错了", "en": "Something went wrong"},
    "back_home": {"zh_CN": "返回首页", "en": "Back to the start page"},
    "language": {"zh_CN": "语言", "en": "Language"},
    # -- map pages (coverage map, unit page, feature history) --
    "coverage_map": {"zh_CN": "包联责任地图", "en": "Coverage map"},
    "cases": {"zh_CN": "案件", "en": "Cases"},
    "components": {"zh_CN": "部件", "en": "Components"},
    "owner_unit": {"zh_CN": "权属单位", "en": "Owner"},
    "no_owner": {"zh_CN": "未登记权属单位", "en": "No owner recorded"},
    "zoom_in_components": {"zh_CN": "放大至街道级后显示部件", "en": "Zoom in to street level to see components"},
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
    "too_many_features": {
        "zh_CN": "此处要素较多，仅显示一部分，放大后显示全部",
        "en": "Many features here: only some are shown — zoom in to see them all",
    },
    "zoom_in_segments": {"zh_CN": "放大后显示路段", "en": "Zoom in to see road segments"},
    "zoom_in_compounds": {"zh_CN": "放大后显示小区", "en": "Zoom in to see compounds"},
    "zoom_in_grids": {"zh_CN": "放大后显示网格", "en": "Zoom in to see unit grids"},
    "zoom_in_communities": {"zh_CN": "放大后显示社区", "en": "Zoom in to see communities"},
    "coverage_by_community": {
        "zh_CN": "社区颜色：包联覆盖率（红低绿高）",
        "en": "社区 colour: coverage (red low, green high)",
    },
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
    "group_free": {"zh_CN": "无包联（将包联）", "en": "Unassigned (will be assigned)"},
    "group_own": {"zh_CN": "已由本单位包联", "en": "Already held by this unit"},
    "group_others": {"zh_CN": "由其他单位包联（默认不接管）", "en": "Held by another unit (not taken by default)"},
    "take_over": {"zh_CN": "同时接管其他单位包联的要素", "en": "Also take over the features other units hold"},
    "take_over_named": {"zh_CN": "以下单位将失去：", "en": "These units will lose:"},
    "take_over_confirm": {"zh_CN": "确认接管并包联", "en": "Confirm take-over and assign"},
    "kept_by_others": {
        "zh_CN": "另有 {n} 个要素仍由其他单位包联，未接管。",
        "en": "{n} features held by other units were left with them.",
    },
    "unit_filter": {"zh_CN": "筛选单位（名称或编码）", "en": "Filter units (name or code)"},
    "unit_kind_city_office": {"zh_CN": "市直单位", "en": "City offices"},
    "unit_kind_district_office": {"zh_CN": "区直单位", "en": "District offices"},
    "unit_kind_enterprise": {"zh_CN": "企业", "en": "Enterprises"},
    "unit_kind_community": {"zh_CN": "街道/社区", "en": "Streets/communities"},
    "unit_kind_other": {"zh_CN": "其他单位", "en": "Other units"},
    "menu": {"zh_CN": "菜单", "en": "Menu"},
    "nav_maps": {"zh_CN": "地图", "en": "Maps"},
    "nav_duty": {"zh_CN": "包联", "en": "Responsibility"},
    "nav_field": {"zh_CN": "巡查考评", "en": "Field checks"},
    "nav_scores": {"zh_CN": "考核", "en": "Scores"},
    "nav_admin": {"zh_CN": "管理", "en": "Admin"},
    "panel": {"zh_CN": "面板", "en": "Panel"},
    "close": {"zh_CN": "关闭", "en": "Close"},
    "unit_count_segment": {"zh_CN": "条", "en": ""},
    "unit_count_compound": {"zh_CN": "个", "en": ""},
    "unit_count_grid": {"zh_CN": "格", "en": ""},
    "unit_count_case": {"zh_CN": "件", "en": ""},
    "family_event": {"zh_CN": "事件", "en": "Events"},
    "family_component": {"zh_CN": "部件", "en": "Components (部件)"},
    "family_inspection": {"zh_CN": "创城检查项", "en": "Inspection items (创城)"},
    "quantile_scale": {
        "zh_CN": "按分位数分级（每级要素数相近）",
        "en": "Quantile classes (about as many features each)",
    },
    "case_unit": {"zh_CN": "件", "en": "cases"},
    "case_count_view": {"zh_CN": "视野内案件 {n} 件", "en": "{n} cases in view"},
    "heat_truncated": {
        "zh_CN": "（案件过多，仅显示最新的一部分：请缩小时间范围或增加筛选条件）",
        "en": " (too many cases: only the newest are shown — narrow the dates or add a filter)",
    },
    "heat_by_street": {
        "zh_CN": "按街道汇总：放大到 {z} 级及以上显示{what}",
        "en": "Counted per 街道: zoom in to level {z} or closer for {what}",
    },
    "heat_what_grids": {"zh_CN": "单元网格", "en": "unit grids"},
    "heat_what_segments": {"zh_CN": "路段", "en": "road segments"},
    "assign_this": {"zh_CN": "去包联", "en": "Assign"},
    "export_summary_csv": {"zh_CN": "导出本表 CSV", "en": "Export this table (CSV)"},
    "sort_hint": {"zh_CN": "点击表头排序", "en": "Click a header to sort"},
    "light_green": {"zh_CN": "绿灯（正常）", "en": "Green (on time)"},
    "light_yellow": {"zh_CN": "黄灯（将到期）", "en": "Yellow (due soon)"},
    "light_red": {"zh_CN": "红灯（已超时）", "en": "Red (overdue)"},
    "light_none": {"zh_CN": "未计时", "en": "No clock"},
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
    # -- accounts, sign-in, the audit trail --
    "sign_in": {"zh_CN": "登录", "en": "Sign in"},
    "sign_out": {"zh_CN": "退出", "en": "Sign out"},
    "account": {"zh_CN": "账户", "en": "Account"},
    "username": {"zh_CN": "用户名", "en": "User name"},
    "bad_username": {
        "zh_CN": "用户名为 2–64 个字母、数字或 . _ @ - 符号",
        "en": "A user name is 2–64 letters, digits or . _ @ -",
    },
    "password": {"zh_CN": "密码", "en": "Password"},
    "demo_accounts": {"zh_CN": "示范环境账户", "en": "Demo accounts"},
    "demo_accounts_note": {
        "zh_CN": "这是示范城区。以下每个账户的密码都是 {password}（见 README），正式使用前请停用这些账户。",
        "en": (
            "This is the demo city. Each account below has the password {password} (see the README); "
            "disable them before real use."
        ),
    },
    "change_password": {"zh_CN": "修改密码", "en": "Change password"},
    "current_password": {"zh_CN": "当前密码", "en": "Current password"},
    "new_password": {"zh_CN": "新密码", "en": "New password"},
    "new_password_again": {"zh_CN": "再次输入新密码", "en": "New password again"},
    "my_account": {"zh_CN": "我的账户", "en": "My account"},
    "scope": {"zh_CN": "管辖范围", "en": "Scope"},
    "whole_city": {"zh_CN": "全市", "en": "The whole city"},
    "api_tokens": {"zh_CN": "接口令牌", "en": "API tokens"},
    "token": {"zh_CN": "令牌", "en": "Token"},
    "expires": {"zh_CN": "到期", "en": "Expires"},
    "last_used": {"zh_CN": "最近使用", "en": "Last used"},
    "accounts_page": {"zh_CN": "账户管理", "en": "Accounts"},
    # -- the register of units and people (/admin/units) --
    "units_admin_page": {"zh_CN": "单位与人员", "en": "Units and people"},
    "unit_name": {"zh_CN": "单位名称", "en": "Unit name"},
    "unit_code": {"zh_CN": "单位代码", "en": "Unit code"},
    "unit_kind": {"zh_CN": "类型", "en": "Kind"},
    "parent_unit": {"zh_CN": "上级单位", "en": "Parent body"},
    "contact_phone": {"zh_CN": "联系电话", "en": "Phone"},
    "unit_scope": {"zh_CN": "辖区（区划代码）", "en": "Scope (area code)"},
    "in_service": {"zh_CN": "在用", "en": "In service"},
    "retired": {"zh_CN": "已撤销", "en": "Retired"},
    "retired_on": {"zh_CN": "{day} 起撤销", "en": "Retired from {day}"},
    "left_on": {"zh_CN": "{day} 起离任", "en": "Left on {day}"},
    "merged_into": {"zh_CN": "并入", "en": "Merged into"},
    "new_unit": {"zh_CN": "新建单位", "en": "New unit"},
    "edit": {"zh_CN": "修改", "en": "Edit"},
    "save": {"zh_CN": "保存", "en": "Save"},
    "saved": {"zh_CN": "已保存", "en": "Saved"},
    "retire_unit": {"zh_CN": "撤销单位", "en": "Retire the unit"},
    "retire_unit_help": {
        "zh_CN": "撤销后单位的历史记录保留，但不能再接受新的包联；仍有包联的单位请先移交或合并。",
        "en": "A retired unit keeps its history but takes no new assignment; a unit still holding features must "
        "hand them over or be merged first.",
    },
    "merge_unit": {"zh_CN": "合并单位", "en": "Merge the unit"},
    "merge_unit_help": {
        "zh_CN": "本单位的包联自合并日起转给所选单位（历史保留），人员一并转入，本单位随即撤销。",
        "en": "From the merge day the unit's assignments pass to the chosen unit (history kept), its people move "
        "with them, and the unit is retired.",
    },
    "merge_into": {"zh_CN": "并入单位", "en": "Merge into"},
    "new_person": {"zh_CN": "新增人员", "en": "New person"},
    "person_roles": {"zh_CN": "角色", "en": "Roles"},
    "person_left": {"zh_CN": "离任", "en": "Left"},
    "import_from_file": {"zh_CN": "从文件导入", "en": "Import from a file"},
    "import_units_help": {
        "zh_CN": "下载模板填写后，由系统管理员在服务器上用命令行导入（单位、人员各一个文件）；"
        "有任何一行出错则整表不导入，并按行号列出问题。",
        "en": "Fill in a template, then run `gridmap units import FILE` (people: `gridmap people import FILE`) on "
        "the server; if any row is wrong nothing is imported and every problem is listed by row number.",
    },
    "units_template": {"zh_CN": "单位导入模板（电子表格）", "en": "Units template (Excel)"},
    "people_template": {"zh_CN": "人员导入模板（电子表格）", "en": "People template (Excel)"},
    # -- the roster page (/admin/roster) --
    "roster_page": {"zh_CN": "包联台账导入", "en": "Roster import"},
    "roster_nav": {"zh_CN": "包联台账", "en": "Roster"},
    "roster_help": {
        "zh_CN": "上传包联台账（.xlsx 或 .csv），先预览每一行匹配到的路段、小区或网格及其可信度；"
        "不唯一或未匹配的行列出最接近的候选，不会猜测。确认后整表作为一次变更导入，可整体撤销。",
        "en": "Upload the roster (.xlsx or .csv) and first see what each row matched — road segment, compound or grid "
        "— and how sure the match is; ambiguous or unmatched rows list their closest candidates and are never "
        "guessed. Confirmed, the whole file is imported as one change that can be undone as a whole.",
    },
    "downloads": {"zh_CN": "下载：", "en": "Download: "},
    "roster_template": {"zh_CN": "台账模板（含示例与可选值）", "en": "Template (with examples and allowed values)"},
    "roster_export": {"zh_CN": "当前台账", "en": "Current roster"},
    "roster_upload": {"zh_CN": "上传台账", "en": "Upload a roster"},
    "roster_file": {"zh_CN": "文件", "en": "File"},
    "roster_sheet": {"zh_CN": "工作表", "en": "Sheet"},
    "roster_sheet_first": {"zh_CN": "默认第一个", "en": "the first"},
    "roster_preview": {"zh_CN": "预览匹配", "en": "Preview the matches"},
    "roster_commander_only": {
        "zh_CN": "导入台账会改变包联关系，须由指挥长账号操作；本页可下载模板和当前台账。",
        "en": "Importing a roster changes who is responsible: a commander does it. Here you can download the "
        "template and the current roster.",
    },
    "roster_preview_of": {"zh_CN": "预览：{file}", "en": "Preview: {file}"},
    "roster_match_rate": {"zh_CN": "匹配率 {rate}%（共 {n} 行）", "en": "Match rate {rate}% of {n} rows"},
    "roster_with_fuzzy": {"zh_CN": "含近似匹配 {rate}%", "en": "{rate}% with the fuzzy matches"},
    "roster_accept_fuzzy": {
        "zh_CN": "接受 {n} 个近似匹配（按表中所示的相似度）",
        "en": "Accept the {n} fuzzy match(es) (at the scores shown)",
    },
    "roster_blocked": {
        "zh_CN": "有 {n} 行不唯一、未匹配或有误：请按候选修改文件后重新上传。",
        "en": "{n} row(s) are ambiguous, unmatched or wrong: correct the file from the candidates and upload it again.",
    },
    "roster_confirm": {"zh_CN": "确认导入 {n} 行", "en": "Import the {n} rows"},
    "roster_refused": {"zh_CN": "未导入任何数据（{n} 处问题）：", "en": "Nothing was imported ({n} problems):"},
    "roster_imported": {
        "zh_CN": "已导入 {file}（变更 {change}）：{rows} 行，新包联 {assigned}，未变 {unchanged}，"
        "结束旧包联 {closed}，新建人员 {people}。",
        "en": "{file} imported (change {change}): {rows} rows, {assigned} assigned, {unchanged} unchanged, "
        "{closed} closed, {people} people created.",
    },
    "roster_undone": {"zh_CN": "已撤销台账导入 {change}。", "en": "Roster import {change} undone."},
    "row": {"zh_CN": "行号", "en": "Row"},
    "roster_kind": {"zh_CN": "要素类型", "en": "Kind"},
    "roster_name": {"zh_CN": "表中名称", "en": "As written"},
    "roster_match": {"zh_CN": "匹配", "en": "Match"},
    "roster_target": {"zh_CN": "匹配到", "en": "Matched to"},
    "roster_candidates": {"zh_CN": "候选", "en": "Candidates"},
    "roster_unit": {"zh_CN": "包联单位", "en": "Unit"},
    "roster_role": {"zh_CN": "角色", "en": "Role"},
    "roster_person": {"zh_CN": "人员", "en": "Person"},
    "roster_problems": {"zh_CN": "问题", "en": "Problems"},
    "roster_recent": {"zh_CN": "最近的导入", "en": "Recent imports"},
    "roster_change": {"zh_CN": "变更", "en": "Change"},
    "roster_when": {"zh_CN": "时间", "en": "When"},
    "roster_who": {"zh_CN": "操作人", "en": "By"},
    "roster_counts": {"zh_CN": "结果", "en": "Result"},
    "roster_counts_line": {
        "zh_CN": "{rows} 行，新包联 {assigned}，结束 {closed}，新建人员 {people}",
        "en": "{rows} rows, {assigned} assigned, {closed} closed, {people} people created",
    },
    "roster_undo": {"zh_CN": "整体撤销", "en": "Undo"},
    "roster_was_undone": {"zh_CN": "已撤销", "en": "Undone"},
    "roster_none": {"zh_CN": "尚无台账导入。", "en": "No roster imported yet."},
    "account_made": {"zh_CN": "已创建账户 {username}", "en": "Account {username} created"},
    "token_once": {
        "zh_CN": "新令牌只显示这一次，请立即复制保存：",
        "en": "The new token is shown this once: copy it now:",
    },
    "state": {"zh_CN": "状态", "en": "State"},
    "active": {"zh_CN": "启用", "en": "Active"},
    "disabled": {"zh_CN": "已停用", "en": "Disabled"},
    "disable": {"zh_CN": "停用", "en": "Disable"},
    "enable": {"zh_CN": "启用", "en": "Enable"},
    "token_name": {"zh_CN": "令牌用途", "en": "Token name"},
    "days": {"zh_CN": "天数", "en": "Days"},
    "new_token": {"zh_CN": "新令牌", "en": "New token"},
    "new_account": {"zh_CN": "新建账户", "en": "New account"},
    "scope_code": {"zh_CN": "管辖区划代码", "en": "Scope (area code)"},
    "unit_for_clerk": {"zh_CN": "所属单位（联络员）", "en": "Unit (for a clerk)"},
    "person_code": {"zh_CN": "人员编号", "en": "Person code"},
    "create": {"zh_CN": "创建", "en": "Create"},
    "revoke": {"zh_CN": "吊销", "en": "Revoke"},
    "revoked": {"zh_CN": "已吊销", "en": "Revoked"},
    "audit_page": {"zh_CN": "操作日志", "en": "Audit trail"},
    "object_kind": {"zh_CN": "对象类型", "en": "Object kind"},
    "all_kinds": {"zh_CN": "全部", "en": "All"},
    "object_id": {"zh_CN": "对象编号", "en": "Object id"},
    "actor": {"zh_CN": "操作人", "en": "Actor"},
    "action": {"zh_CN": "操作", "en": "Action"},
    "from": {"zh_CN": "起始日期", "en": "From"},
    "to": {"zh_CN": "截止日期", "en": "To"},
    "filter": {"zh_CN": "筛选", "en": "Filter"},
    "export_csv": {"zh_CN": "导出 CSV", "en": "Export CSV"},
    "total": {"zh_CN": "合计", "en": "Total"},
    "time": {"zh_CN": "时间", "en": "Time"},
    "address": {"zh_CN": "地址", "en": "Address"},
    "object": {"zh_CN": "对象", "en": "Object"},
    "change": {"zh_CN": "变更", "en": "Change"},
    "before": {"zh_CN": "变更前", "en": "Before"},
    "after": {"zh_CN": "变更后", "en": "After"},
    "track_page": {"zh_CN": "查询上报进度", "en": "Follow your report"},
    "receipt_code": {"zh_CN": "查询码", "en": "Receipt code"},
    "look_up": {"zh_CN": "查询", "en": "Look up"},
    "receipt_not_found": {
        "zh_CN": "没有找到这个查询码对应的上报，请核对后重试",
        "en": "No report has this receipt code: check it and try again",
    },
    "problem": {"zh_CN": "问题", "en": "Problem"},
    "place": {"zh_CN": "地点", "en": "Place"},
    "handled_by": {"zh_CN": "处置单位", "en": "Handled by"},
    "being_assigned": {"zh_CN": "正在分派", "en": "Being assigned"},
    "actor_public": {"zh_CN": "市民", "en": "Member of the public"},
    "actor_system": {"zh_CN": "系统", "en": "System"},
    "reported_at": {"zh_CN": "上报时间", "en": "Reported"},
    "updated_at": {"zh_CN": "更新时间", "en": "Updated"},
    "due_by": {"zh_CN": "处置时限", "en": "Due by"},
    "latest_note": {"zh_CN": "最新进展", "en": "Latest note"},
    # -- 我的网格 (/mygrid) --
    # road-chief patrols (/patrol, /patrols)
    "patrol_page": {"zh_CN": "巡查", "en": "Patrol"},
    "patrol_intro": {
        "zh_CN": "开始巡查后请保持本页打开，结束时轨迹自动上传并匹配到路段。",
        "en": "Keep this page open while you patrol; at the end the track is sent and matched to the roads.",
    },
    "patrol_start": {"zh_CN": "开始巡查", "en": "Start patrol"},
    "patrol_stop": {"zh_CN": "结束巡查", "en": "End patrol"},
    "patrol_recording": {"zh_CN": "巡查中：已记录 {n} 个点，约 {m} 米", "en": "Patrolling: {n} fixes, about {m} m"},
    "patrol_no_gps": {
        "zh_CN": "无法获取定位：请允许本页使用位置信息",
        "en": "No position: allow this page to use your location",
    },
    "patrol_too_few": {"zh_CN": "轨迹点不足两个，未上传", "en": "Fewer than two fixes: nothing was sent"},
    "patrol_sending": {"zh_CN": "正在上传轨迹…", "en": "Sending the track…"},
    "patrol_sent": {
        "zh_CN": "已上传：{kept} 个有效点，巡查路段 {n} 条",
        "en": "Sent: {kept} usable fixes, {n} segments patrolled",
    },
    "patrol_failed": {"zh_CN": "上传失败：{error}", "en": "Not sent: {error}"},
    "patrol_retry": {"zh_CN": "重新上传", "en": "Send again"},
    "patrol_no_person": {
        "zh_CN": "本账号未关联人员名册中的人员，无法记录巡查，请联系管理员。",
        "en": "This account is not linked to a person of the register: ask an administrator.",
    },
    "patrol_map": {"zh_CN": "本次巡查轨迹", "en": "This patrol's track"},
    "patrol_result": {"zh_CN": "巡查结果", "en": "Result"},
    "patrols_page": {"zh_CN": "路长巡查", "en": "Road-chief patrols"},
    "patrols_map": {"zh_CN": "路段距上次巡查天数", "en": "Days since each segment was last patrolled"},
    "patrol_days": {"zh_CN": "统计天数", "en": "Days"},
    "patrol_total": {
        "zh_CN": "近 {days} 天，有路长的道路中已巡查 {km} / {of} 公里（{share}）",
        "en": "In the last {days} days, {km} of {of} km of roads with a road chief were patrolled ({share})",
    },
    "patrol_by_street": {"zh_CN": "按街道", "en": "By 街道"},
    "patrol_by_unit": {"zh_CN": "按包联单位（巡查率最低的 30 个）", "en": "By unit (the 30 lowest)"},
    "patrol_by_chief": {"zh_CN": "按路长（巡查率最低的 30 人）", "en": "By road chief (the 30 lowest)"},
    "patrol_chief": {"zh_CN": "路长", "en": "Road chief"},
    "patrol_segments_n": {"zh_CN": "已巡查/路段数", "en": "Patrolled / segments"},
    "patrol_assigned_km": {"zh_CN": "负责里程（公里）", "en": "Assigned (km)"},
    "patrol_patrolled_km": {"zh_CN": "已巡查（公里）", "en": "Patrolled (km)"},
    "patrol_share": {"zh_CN": "巡查率", "en": "Share"},
    "patrol_monthly": {"zh_CN": "{month} 月度巡查次数要求", "en": "Patrols required in {month}"},
    "patrol_monthly_summary": {
        "zh_CN": "{n} 条路段中 {met} 条达标，{missed} 条未达标（前 100 条如下）",
        "en": "{met} of {n} segments met the rule, {missed} missed it (the first 100 below)",
    },
    "patrol_times": {"zh_CN": "巡查天数/要求", "en": "Days patrolled / required"},
    "patrol_days_legend": {"zh_CN": "距上次巡查：", "en": "Since the last patrol:"},
    "patrol_never": {"zh_CN": "从未巡查", "en": "never"},
    "patrol_no_chief": {"zh_CN": "无路长", "en": "no road chief"},
    "patrol_days_n": {"zh_CN": "{n} 天内", "en": "within {n} days"},
    "mygrid_page": {"zh_CN": "我的网格", "en": "My grid"},
    "mygrid_map": {"zh_CN": "我负责的网格、路段和小区", "en": "The grids, roads and compounds I look after"},
    "mygrid_locate": {"zh_CN": "定位到我的位置", "en": "Go to my position"},
    "mygrid_located": {"zh_CN": "已定位，精度约 {m} 米", "en": "Located, accurate to about {m} m"},
    "mygrid_no_gps": {"zh_CN": "无法获取定位，可在地图上点选位置", "en": "No position: tap the map to place yourself"},
    "mygrid_recheck": {"zh_CN": "待核查", "en": "To re-check"},
    "mygrid_open_cases": {"zh_CN": "网格内未结案件", "en": "Open cases here"},
    "mygrid_pass": {"zh_CN": "核查通过", "en": "Pass"},
    "mygrid_fail": {"zh_CN": "核查不通过", "en": "Fail"},
    "mygrid_note": {"zh_CN": "核查说明", "en": "Note"},
    "mygrid_photo": {"zh_CN": "现场照片", "en": "Photo on site"},
    "mygrid_done": {"zh_CN": "已提交：{result}", "en": "Done: {result}"},
    "mygrid_fail_needs_note": {"zh_CN": "核查不通过需填写说明", "en": "A failed re-check needs a note"},
    "mygrid_no_tasks": {"zh_CN": "暂无待核查案件", "en": "Nothing to re-check"},
    "mygrid_no_cases": {"zh_CN": "网格内暂无未结案件", "en": "No open cases here"},
    "mygrid_quick_report": {"zh_CN": "快速上报", "en": "Quick report"},
    "mygrid_grid": {"zh_CN": "所在网格", "en": "Grid"},
    "mygrid_category": {"zh_CN": "问题类别", "en": "Category"},
    "mygrid_description": {"zh_CN": "问题描述", "en": "Description"},
    "mygrid_send": {"zh_CN": "上报", "en": "Send"},
    "mygrid_sent": {"zh_CN": "已上报，案件号 {id}", "en": "Reported: case {id}"},
    "mygrid_failed": {"zh_CN": "提交失败：{message}", "en": "Not sent: {message}"},
    "mygrid_need_position": {"zh_CN": "请先定位", "en": "Locate yourself first"},
    "mygrid_need_category": {"zh_CN": "请选择问题类别", "en": "Pick a category"},
    "mygrid_basis_person": {"zh_CN": "按本人包联", "en": "Assigned to me"},
    "mygrid_basis_unit": {"zh_CN": "按所在单位包联", "en": "Held by my unit"},
    "mygrid_basis_scope": {"zh_CN": "按管辖社区", "en": "The grids of my 社区"},
    "mygrid_basis_none": {"zh_CN": "未设置负责范围", "en": "Nothing assigned to you"},
    "mygrid_deadline": {"zh_CN": "时限", "en": "Due"},
    "mygrid_case": {"zh_CN": "案件", "en": "Case"},
    # -- the public's 随手拍 (/report) --
    "report_page": {"zh_CN": "随手拍", "en": "Report a problem"},
    "report_app_name": {"zh_CN": "随手拍 · 城市问题上报", "en": "Report a problem in the city"},
    "report_short_name": {"zh_CN": "随手拍", "en": "Report"},
    "report_intro": {
        "zh_CN": "发现城市管理问题？定位、拍照、选类别，一分钟上报，无需注册。",
        "en": "Seen a problem in the city? Locate it, take a photo, pick a category: no account needed.",
    },
    "report_where": {"zh_CN": "位置", "en": "Where"},
    "report_locate": {"zh_CN": "使用我的位置", "en": "Use my position"},
    "report_locating": {"zh_CN": "正在定位…", "en": "Locating…"},
    "report_located": {"zh_CN": "已定位，精度约 {m} 米", "en": "Located, accurate to about {m} m"},
    "report_drag_pin": {"zh_CN": "也可拖动地图上的图钉到问题所在位置", "en": "Or drag the pin to where the problem is"},
    "report_pin_moved": {"zh_CN": "已按图钉位置上报", "en": "The pin's position will be sent"},
    "report_no_gps": {
        "zh_CN": "无法获取定位，请在地图上拖动图钉标出位置",
        "en": "Your position could not be found: drag the pin on the map",
    },
    "report_photos": {"zh_CN": "照片（最多 {n} 张）", "en": "Photos (up to {n})"},
    "report_photo_add": {"zh_CN": "拍照或选择照片", "en": "Take or choose photos"},
    "report_photo_too_many": {"zh_CN": "最多 {n} 张照片", "en": "At most {n} photos"},
    "report_category": {"zh_CN": "问题类别", "en": "Category"},
    "report_category_search": {"zh_CN": "搜索类别，如：垃圾、井盖", "en": "Search, e.g. rubbish, manhole"},
    "report_category_pick": {"zh_CN": "请选择问题类别", "en": "Pick a category"},
    "report_family_event": {"zh_CN": "事件", "en": "Events"},
    "report_family_component": {"zh_CN": "部件", "en": "Street furniture"},
    "report_family_inspection": {"zh_CN": "督查", "en": "Inspection items"},
    "report_description": {"zh_CN": "问题描述", "en": "Description"},
    "report_description_hint": {"zh_CN": "简要说明看到的问题（选填）", "en": "What did you see? (optional)"},
    "report_send": {"zh_CN": "提交上报", "en": "Send"},
    "report_sending": {"zh_CN": "正在提交…", "en": "Sending…"},
    "report_received": {
        "zh_CN": "上报成功！查询码 {code}，可凭此码查询办理进度",
        "en": "Received! Your receipt code is {code}: use it to follow the report",
    },
    "report_track_link": {"zh_CN": "查询办理进度", "en": "Follow this report"},
    "report_queued": {
        "zh_CN": "当前无网络，上报已保存在手机上，网络恢复后自动发送",
        "en": "No network: the report is kept on this phone and sent when the network returns",
    },
    "report_queue_count": {"zh_CN": "待发送：{n} 条", "en": "Waiting to be sent: {n}"},
    "report_queue_sent": {
        "zh_CN": "已保存的上报已发送，查询码 {code}",
        "en": "A saved report was sent: receipt {code}",
    },
    "report_new": {"zh_CN": "再报一条", "en": "Report another"},
    "report_need_position": {"zh_CN": "请先定位或在地图上标出位置", "en": "Locate yourself or place the pin first"},
    "report_bad_position": {
        "zh_CN": "位置无效：请重新定位或在地图上标出位置",
        "en": "The position is not valid: locate again or place the pin",
    },
    "report_bad_category": {"zh_CN": "请选择有效的问题类别", "en": "Pick a valid category"},
    "report_bad_time": {"zh_CN": "拍摄/发现时间无效", "en": "The time of the report is not valid"},
    "report_bad_description": {"zh_CN": "问题描述过长，请精简后再提交", "en": "The description is too long"},
    "report_bad_address": {"zh_CN": "地址过长，请精简后再提交", "en": "The address is too long"},
    "report_bad_client_id": {
        "zh_CN": "请求缺少有效的上报编号，请刷新页面后重试",
        "en": "The report has no valid id: reload the page and try again",
    },
    "report_bad_photo": {
        "zh_CN": "照片无效：只接受 JPEG、PNG 或 WebP 图片，每张不超过 5 MB，最多 3 张",
        "en": "Photo refused: JPEG, PNG or WebP only, up to 5 MB each, at most 3",
    },
    "report_bad_input": {"zh_CN": "上报内容有误，请检查后重试", "en": "The report could not be accepted: check it"},
    "report_too_many": {
        "zh_CN": "提交过于频繁，请 {seconds} 秒后再试",
        "en": "Too many reports from this address: try again in {seconds} seconds",
    },
    "report_failed": {"zh_CN": "提交失败：{message}", "en": "Not sent: {message}"},
    "report_accuracy_unknown": {"zh_CN": "精度未知", "en": "accuracy unknown"},
    "sign_in_first": {"zh_CN": "请先登录（或在请求中携带接口令牌）", "en": "Sign in first (or send an API token)"},
    "not_allowed": {"zh_CN": "您的角色无权进行此操作", "en": "Your role may not do this"},
    "csrf_failed": {
        "zh_CN": "页面已过期或请求来源不可信（CSRF 校验失败），请刷新页面后重试",
        "en": (
            "The page has expired or the request did not come from this site (CSRF check failed): "
            "reload the page and try again"
        ),
    },
    "account_locked": {
        "zh_CN": "连续登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试",
        "en": "Too many failed sign-ins: the account is locked; try again in {minutes} minutes",
    },
}


AUDIT_ACTIONS: dict[str, tuple[str, str]] = {
    "login": ("登录", "Signed in"),
    "logout": ("退出", "Signed out"),
    "login.failed": ("登录失败", "Failed sign-in"),
    "login.locked": ("账户锁定", "Account locked"),
    "login.refused": ("锁定期间登录被拒", "Sign-in refused (locked)"),
    "account.create": ("新建账户", "Account created"),
    "account.enable": ("启用账户", "Account enabled"),
    "account.disable": ("停用账户", "Account disabled"),
    "account.password": ("修改密码", "Password changed"),
    "token.create": ("新建令牌", "Token created"),
    "token.revoke": ("吊销令牌", "Token revoked"),
    "token.use": ("使用令牌", "Token used"),
    "case.open": ("上报立案", "Case opened"),
    "case.import": ("批量导入案件", "Cases imported"),
    "assignment.create": ("划定包联", "Assigned"),
    "assignment.end": ("结束包联", "Assignment ended"),
    "category.create": ("新建问题类别", "Category created"),
    "category.change": ("修改问题类别", "Category changed"),
    "holiday.set": ("设置节假日", "Holiday set"),
    "grids.generate": ("生成单元网格", "Grids generated"),
    "osm.import": ("导入 OSM 道路", "OSM roads imported"),
    "unit.create": ("新建单位", "Unit created"),
    "unit.edit": ("修改单位", "Unit changed"),
    "unit.retire": ("撤销单位", "Unit retired"),
    "unit.merge": ("合并单位", "Unit merged"),
    "unit.import": ("导入单位", "Units imported"),
    "person.create": ("新建人员", "Person created"),
    "person.edit": ("修改人员", "Person changed"),
    "person.retire": ("人员离任", "Person left"),
    "person.import": ("导入人员", "People imported"),
    "roster.import": ("导入包联台账", "Roster imported"),
    "roster.undo": ("撤销台账导入", "Roster import undone"),
}
"""The audit trail's actions as people read them (a case step's name comes from the workflow's own table)."""

AUDIT_OBJECTS: dict[str, tuple[str, str]] = {
    "account": ("账户", "account"),
    "token": ("令牌", "token"),
    "case": ("案件", "case"),
    "assignment": ("包联", "assignment"),
    "assignments": ("包联", "assignments"),
    "category": ("问题类别", "category"),
    "holiday": ("节假日", "holiday"),
    "grid_generation": ("网格生成", "grid generation"),
    "segments": ("道路路段", "road segments"),
    "compounds": ("小区", "compounds"),
    "grids": ("单元网格", "unit grids"),
    "units": ("责任单位", "units"),
    "unit": ("责任单位", "unit"),
    "person": ("人员", "person"),
    "people": ("人员", "people"),
    "roster": ("包联台账", "roster"),
    "districts": ("区县", "districts"),
    "streets": ("街道", "streets"),
    "communities": ("社区", "communities"),
}

AUDIT_VIA: dict[str, tuple[str, str]] = {
    "session": ("网页", "web page"),
    "token": ("接口令牌", "API token"),
    "cli": ("命令行", "command line"),
    "public": ("公众", "public"),
}


def audit_label(table: dict[str, tuple[str, str]], key: str | None, lang: str) -> str:
    """A code of the audit trail in the page's language (the code itself when it has no name)."""
    if not key:
        return ""
    names = table.get(key)
    if names is None and table is AUDIT_ACTIONS and key.endswith(".import"):
        names = table.get(key) or (f"导入{AUDIT_OBJECTS.get(key[:-7], (key[:-7],))[0]}", f"{key[:-7]} imported")
    return key if names is None else names[0 if lang == "zh_CN" else 1]


def name_in(d: dict[str, object], lang: str) -> str:
    """A stored thing's name in the reader's language: ``name_en`` for English readers when it has one, else
    ``name_zh`` (else its ``key``)."""
    return str((d.get("name_en") if lang == "en" else None) or d.get("name_zh") or d.get("key") or "")


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


def local_minutes(value: str | None, tz_name: str) -> str:
    """An ISO time (UTC when it carries no offset) as the city's local time to the minute ("2026-03-02 17:00");
    "" for none. Pages show it with its zone through ``local_with_zone``."""
    if not value:
        return ""
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    t = t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t
    return t.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%d %H:%M")


def zone_label(tz_name: str, at: dt.datetime | None = None) -> str:
    """The city's zone as a reader sees it beside a time: its UTC offset ("UTC+08:00"; "UTC+05:30")."""
    off = (at or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(tz_name)).utcoffset() or dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h:02d}:{m:02d}"


def local_with_zone(value: str | None, tz_name: str) -> str:
    """An ISO time as the city's local time to the minute, labelled with its zone ("2026-12-05 14:30 (UTC+08:00)"),
    the one form every page and script shows a time in."""
    shown = local_minutes(value, tz_name)
    return f"{shown} ({zone_label(tz_name)})" if shown and shown != value else shown
