"""The schemes every new database starts with (version 1, editable afterwards like any other): DOMAIN.md's
department composite, the threshold-and-deduction scheme, a region scheme for 街道 and 社区 and the two position
scorecards gridmap can count. Cities change them through the API; these documents are only the seed."""

from __future__ import annotations

from typing import Any

_DUE = ["due", "-due_parked"]  # 应结案 − 缓办/挂账
_GRADES_70 = [["A", 63.0], ["B", 52.5], ["C", 42.0], ["D", 28.0], ["E", 0.0]]  # A ≥ 90 % … of 70 points


def _rate(key: str, zh: str, en: str, num: list[str], den: list[str]) -> dict[str, Any]:
    return {"key": key, "name_zh": zh, "name_en": en, "numerator": num, "denominator": den}


def _count(key: str, zh: str, en: str, num: list[str]) -> dict[str, Any]:
    return {"key": key, "name_zh": zh, "name_en": en, "numerator": num}


def _region(subject: str, zh: str, en: str) -> dict[str, Any]:
    return {
        "code": f"{subject}_composite",
        "name_zh": zh,
        "name_en": en,
        "subject": subject,
        "indicators": [
            _count("problems", "发现问题数（立案 − 挂账）", "problems found (opened − parked)", ["opened", "-parked"]),
            _rate(
                "public_share",
                "公众首报占比（漏报）",
                "share first reported by the public (missed by patrols)",
                ["opened_public"],
                ["opened"],
            ),
            _rate("closure", "结案率", "closure rate", ["due_closed"], _DUE),
            _rate("on_time", "按期结案率", "on-time closure rate", ["due_on_time"], _DUE),
            _count("overdue", "超期未结", "overdue, not closed", ["due_overdue"]),
        ],
        "components": [
            {
                "indicator": "problems",
                "weight": 0.2,
                "rule": {"kind": "tiers", "tiers": [[0, 100], [50, 90], [100, 75], [200, 60]]},
            },
            {"indicator": "closure", "weight": 0.3, "rule": {"kind": "linear"}},
            {"indicator": "on_time", "weight": 0.3, "rule": {"kind": "linear"}},
            {"indicator": "public_share", "weight": 0.2, "rule": {"kind": "linear", "complement": True}},
        ],
        "rank_by": "closure",
        "min_cases": 1,
    }


DEFAULT_SCHEMES: list[dict[str, Any]] = [
    {
        "code": "unit_composite",
        "name_zh": "责任单位综合考核（综合指标值）",
        "name_en": "Units: composite score",
        "subject": "unit",
        "indicators": [
            _count("cases", "办件量（应结案 − 挂账）", "cases due (less parked)", _DUE),
            _rate("closure", "结案率", "closure rate", ["due_closed"], _DUE),
            _rate("on_time", "按期结案率", "on-time closure rate", ["due_on_time"], _DUE),
            _rate("rework", "返工率", "rework rate", ["due_reworked"], _DUE),
            _rate("extension", "延期率", "extension rate", ["due_extended"], _DUE),
            _count("overdue", "超期未结", "overdue, not closed", ["due_overdue"]),
        ],
        "components": [
            {
                "indicator": "cases",
                "weight": 0.1,
                "rule": {"kind": "tiers", "tiers": [[60, 100], [30, 90], [10, 75], [1, 60]]},
            },
            {"indicator": "closure", "weight": 0.3, "rule": {"kind": "linear"}},
            {"indicator": "on_time", "weight": 0.3, "rule": {"kind": "linear"}},
            {"indicator": "rework", "weight": 0.3, "rule": {"kind": "linear", "complement": True}},
        ],
        "rank_by": "closure",
        "min_cases": 1,
    },
    {
        "code": "unit_threshold",
        "name_zh": "责任单位达标扣分考核",
        "name_en": "Units: thresholds and deductions",
        "subject": "unit",
        "indicators": [
            _rate("on_time", "按期处置率", "on-time rate", ["due_on_time"], _DUE),
            _rate("closure", "结案率", "closure rate", ["due_closed"], _DUE),
            _count("reworks", "返工次数", "reworks", ["reworked"]),
            _count("rework3", "三次核查不通过", "cases failing the re-check three times", ["due_rework3"]),
        ],
        "components": [
            {"indicator": "on_time", "rule": {"kind": "threshold", "at": 70, "points": 50, "per_point": 1}},
            {"indicator": "closure", "rule": {"kind": "threshold", "at": 90, "points": 20, "per_point": 1}},
            {"indicator": "reworks", "rule": {"kind": "per_event", "points": -0.2}},
            {"indicator": "rework3", "rule": {"kind": "per_event", "points": -0.5}},
        ],
        "max_score": 70,
        "grades": _GRADES_70,
        "rank_by": "closure",
        "min_cases": 1,
    },
    _region("street", "街道综合考核", "Sub-districts: composite score"),
    _region("community", "社区综合考核", "Communities: composite score"),
    _region("grid", "单元网格考核", "Unit grids: composite score"),
    {
        "code": "dispatcher_post",
        "name_zh": "派遣员岗位考核",
        "name_en": "Dispatchers (position scorecard)",
        "subject": "dispatcher",
        "params": {"dispatch_minutes": 30},
        "indicators": [
            _count("dispatches", "派遣量", "dispatches", ["dispatched"]),
            _rate("on_time", "按时派遣率", "on-time dispatch rate", ["dispatched_on_time"], ["dispatched"]),
            _rate(
                "accurate",
                "准确派遣率（派遣 − 返工）",
                "accurate dispatch rate (dispatched − reworked)",
                ["dispatched", "-dispatched_reworked"],
                ["dispatched"],
            ),
        ],
        "components": [
            {
                "indicator": "dispatches",
                "weight": 0.2,
                "rule": {"kind": "tiers", "tiers": [[2001, 100], [1201, 90], [501, 75], [301, 60]]},
            },
            {"indicator": "on_time", "weight": 0.4, "rule": {"kind": "linear"}},
            {"indicator": "accurate", "weight": 0.4, "rule": {"kind": "linear"}},
        ],
        "rank_by": "dispatches",
        "min_cases": 1,
    },
    {
        "code": "inspector_post",
        "name_zh": "监督员岗位考核",
        "name_en": "Inspectors (position scorecard)",
        "subject": "inspector",
        "params": {"recheck_hours": 24},
        "indicators": [
            _count("reports", "上报量", "reports", ["reported"]),
            _rate("valid", "有效上报率", "valid-report rate", ["reported_valid"], ["reported"]),
            _rate("recheck", "按时核查率", "on-time re-check rate", ["rechecked_on_time"], ["rechecked"]),
        ],
        "components": [
            {"indicator": "valid", "weight": 0.5, "rule": {"kind": "linear"}},
            {"indicator": "recheck", "weight": 0.5, "rule": {"kind": "linear"}},
        ],
        "rank_by": "reports",
        "min_cases": 1,
    },
]
