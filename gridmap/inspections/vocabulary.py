"""The words of inspections, defined once: point types (实地考察点位 types, each with a checklist) and inspection kinds,
in Chinese and English. Pure data."""

from __future__ import annotations

from gridmap.store.models import InspectionKind

POINT_TYPES: dict[str, tuple[str, str]] = {
    "main_road": ("主次干道", "Main and secondary roads"),
    "back_lane": ("背街小巷", "Back streets and lanes"),
    "compound": ("居民小区", "Residential compounds"),
    "market": ("农贸市场", "Farmers' markets"),
    "park_square": ("公园广场", "Parks and squares"),
    "construction_site": ("建筑工地", "Construction sites"),
    "school_area": ("学校周边", "School surroundings"),
    "shop": ("门前五包", "Storefronts (门前五包)"),
}
"""Each point type's code and its name in Chinese and English (the national assessment's point types)."""

KIND_NAMES: dict[str, tuple[str, str]] = {
    InspectionKind.OPEN: ("明查", "Open inspection"),
    InspectionKind.COVERT: ("暗访", "Covert inspection"),
}
assert set(KIND_NAMES) == set(InspectionKind)


def point_type_name(code: str, lang: str = "zh_CN") -> str:
    zh, en = POINT_TYPES.get(code, (code, code))
    return en if lang == "en" else zh


def kind_name(kind: str, lang: str = "zh_CN") -> str:
    zh, en = KIND_NAMES.get(kind, (kind, kind))
    return en if lang == "en" else zh
