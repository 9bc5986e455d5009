"""The point types 点位类型 of a mock assessment, defined once: their code, Chinese and English names, and where
their candidates come from (road segments of some levels, compounds, or places of a kind).

>>> parse_point_type("农贸市场"), parse_point_type("Main_Road"), parse_point_type("菜地")
('market', 'main_road', None)
"""

from __future__ import annotations

from dataclasses import dataclass

from gridmap.store.models import PLACE_KIND_WORDS, PlaceKind, SegmentLevel


@dataclass(frozen=True)
class PointType:
    code: str
    zh: str
    en: str
    source: str  # "segment" | "compound" | "place"
    levels: tuple[str, ...] = ()  # segments: the road levels it takes
    place_kind: str | None = None  # places: the kind it takes


_PLACE_NAMES: dict[PlaceKind, tuple[str, str]] = {
    PlaceKind.MARKET: ("农贸市场", "Farmers' markets"),
    PlaceKind.PARK: ("公园广场", "Parks and squares"),
    PlaceKind.SITE: ("建筑工地", "Construction sites"),
    PlaceKind.SCHOOL: ("学校周边", "School surroundings"),
    PlaceKind.COMMERCIAL: ("商业大街", "Commercial streets"),
    PlaceKind.HOSPITAL: ("医院", "Hospitals"),
    PlaceKind.STATION: ("车站", "Stations"),
    PlaceKind.HALL: ("政务服务大厅", "Service halls"),
}
assert set(_PLACE_NAMES) == set(PlaceKind)

POINT_TYPES: tuple[PointType, ...] = (
    PointType("main_road", "主次干道", "Main and secondary roads", "segment",
              levels=(SegmentLevel.MAIN.value, SegmentLevel.SECONDARY.value)),
    PointType("back_street", "背街小巷", "Back streets and alleys", "segment", levels=(SegmentLevel.BACK.value,)),
    PointType("compound", "小区", "Residential compounds", "compound"),
    *(PointType(k.value, zh, en, "place", place_kind=k.value) for k, (zh, en) in _PLACE_NAMES.items()),
)  # fmt: skip
"""Every point type, in the order reports list them."""

BY_CODE: dict[str, PointType] = {t.code: t for t in POINT_TYPES}
ORDER: dict[str, int] = {t.code: i for i, t in enumerate(POINT_TYPES)}

_WORDS: dict[str, str] = {
    **{t.code: t.code for t in POINT_TYPES},
    **{t.zh: t.code for t in POINT_TYPES},
    **{w: k.value for w, k in PLACE_KIND_WORDS.items()},
    "主干道": "main_road", "次干道": "main_road", "main": "main_road", "secondary": "main_road",
    "背街": "back_street", "小巷": "back_street", "back": "back_street", "compounds": "compound",
    "residential": "compound",
}  # fmt: skip

TYPE_HELP = "、".join(f"{t.zh}（{t.code}）" for t in POINT_TYPES)


def parse_point_type(word: object) -> str | None:
    """A point type's code from its code or name (Chinese or English, any case); None when it names none."""
    text = str(word).strip()
    return _WORDS.get(text) or _WORDS.get(text.lower())


def type_name(code: str, lang: str) -> str:
    t = BY_CODE.get(code)
    if t is None:
        return code
    return t.en if lang == "en" else t.zh


CHECKLIST_TYPE: dict[str, str] = {
    "main_road": "main_road", "back_street": "back_lane", "compound": "compound", "market": "market",
    "park": "park_square", "site": "construction_site", "school": "school_area",
}  # fmt: skip
"""The inspections' checklist (point type) a drawn point of each type is scored against; the types without one
(commercial streets, hospitals, stations, service halls) are scored as a whole point."""
assert set(CHECKLIST_TYPE) <= set(BY_CODE)
