"""Unit kinds and people's roles as a file or a form may write them (code, Chinese, English), defined once."""

from __future__ import annotations

from gridmap.store.models import Role, UnitKind
from gridmap.store.targets import ROLE_LABELS

KIND_LABELS: dict[str, tuple[str, str]] = {
    UnitKind.CITY_OFFICE: ("市直单位", "City office"),
    UnitKind.DISTRICT_OFFICE: ("区直单位", "District office"),
    UnitKind.ENTERPRISE: ("企业", "Enterprise"),
    UnitKind.COMMUNITY: ("街道/社区", "Street office / community"),
    UnitKind.OTHER: ("其他", "Other"),
}
assert set(KIND_LABELS) == set(UnitKind)

_KIND_WORDS: dict[str, str] = {
    **{k.value: k.value for k in UnitKind},
    **{zh: k for k, (zh, _) in KIND_LABELS.items()},
    **{en.lower(): k for k, (_, en) in KIND_LABELS.items()},
    "市直": UnitKind.CITY_OFFICE, "市直部门": UnitKind.CITY_OFFICE, "区直": UnitKind.DISTRICT_OFFICE,
    "区直部门": UnitKind.DISTRICT_OFFICE, "国企": UnitKind.ENTERPRISE, "企业单位": UnitKind.ENTERPRISE,
    "街道": UnitKind.COMMUNITY, "社区": UnitKind.COMMUNITY, "其它": UnitKind.OTHER,
}  # fmt: skip

PEOPLE_ROLES: tuple[str, ...] = tuple(r.value for r in Role if r != Role.RESPONSIBLE)
"""The roles a person may hold (``responsible`` is a unit's 包联, not a person's)."""

_ROLE_WORDS: dict[str, str] = {
    **{r: r for r in PEOPLE_ROLES},
    **{ROLE_LABELS[r][0]: r for r in PEOPLE_ROLES},
    **{ROLE_LABELS[r][1].lower(): r for r in PEOPLE_ROLES},
    "街长": Role.ROAD_CHIEF.value, "巷长": Role.ROAD_CHIEF.value,  # DOMAIN.md: 路长 / 街长 / 巷长, one role by level
}  # fmt: skip


def kind_of(word: str) -> str | None:
    """``市直单位`` / ``city_office`` / ``City office`` → ``city_office``; None when unknown."""
    return _KIND_WORDS.get(word.strip()) or _KIND_WORDS.get(word.strip().lower())


def role_of(word: str) -> str | None:
    """``路长`` / ``巷长`` / ``road_chief`` → ``road_chief``; None when unknown or not a person's role."""
    return _ROLE_WORDS.get(word.strip()) or _ROLE_WORDS.get(word.strip().lower())


def kind_label(kind: str, lang: str = "zh_CN") -> str:
    zh, en = KIND_LABELS.get(kind, (kind, kind))
    return en if lang == "en" else zh
