"""The sentences of a routing explanation, once per language: the one-off answer
(:func:`gridmap.routing.results.explain`) fills them with ``str.format`` and the bulk answer
(:mod:`gridmap.routing.bulk_text`) with arrays, so the two cannot drift apart. Each template names its fields
(``{name}``, ``{unit}``, ...); a rule's sentence is the template of that rule."""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]

KIND_NAMES: dict[Language, dict[str, str]] = {
    "zh": {
        "compound": "小区",
        "segment": "路段",
        "grid": "单元网格",
        "community": "社区",
        "street": "街道",
        "component": "部件",
    },
    "en": {
        "compound": "compound",
        "segment": "road segment",
        "grid": "unit grid",
        "community": "community",
        "street": "street",
        "component": "component",
    },
}

SENTENCES: dict[Language, dict[str, str]] = {
    "zh": {
        "list_sep": "、",
        # before the answer: a feature of a tried rule that the point is on, without a unit that day
        "lead": "{kind}「{name}」{day}无包联单位；",
        # no unit found
        "none": "未找到责任单位：没有已包联的{where}，{place}，请指挥中心指定",
        "none_any": "任何规则",
        "place_area": "所在{kind}「{area}」也未设责任单位",
        "place_none": "不在任何社区或街道内",
        # a unit found, per rule
        "component": "距{name}{distance} 米，权属单位：{unit}",
        "compound": "位于小区「{name}」内，包联单位：{unit}",
        "segment": "距路段「{name}」{distance} 米{tolerance}，包联单位：{unit}",
        "segment_tolerance": "（{tolerance} 米容差内最近的已包联路段）",
        "grid": "位于单元网格 {name} 内，责任单位：{unit}",
        "default": "{why}由所在{kind}「{name}」属地兜底：{unit}",
        "default_tried": "不在已包联的{tried}范围内，",
        "default_no_community": "所在社区「{community}」未设责任单位，",
        # after the answer: a rival of the same kind with another unit, near the boundary
        "rival": "；另有{kind}「{name}」（{unit}）相距不足 {near} 米，属边界情况，请指挥中心确认",
    },
    "en": {
        "list_sep": ", ",
        "lead": "{kind} “{name}” has no responsible unit on {day}; ",
        "none": "no responsible unit found: no assigned {where}, {place}; the command centre is to choose one",
        "none_any": "feature under any rule",
        "place_area": "its {kind} “{area}” has no responsible unit either",
        "place_none": "it lies in no community or street",
        "component": "{distance} m from {name}, owned by {unit}",
        "compound": "inside compound “{name}”, responsible unit: {unit}",
        "segment": "{distance} m from road segment “{name}”{tolerance}, responsible unit: {unit}",
        "segment_tolerance": " (the nearest assigned segment within {tolerance} m)",
        "grid": "inside unit grid {name}, responsible unit: {unit}",
        "default": "{why}the local default of its {kind} “{name}”: {unit}",
        "default_tried": "outside any assigned {tried}, ",
        "default_no_community": "its community “{community}” has no responsible unit, ",
        "rival": "; {kind} “{name}” ({unit}) is also within {near} m: a boundary case, to be confirmed",
    },
}


def kind_name(kind: str, lang: Language = "zh") -> str:
    """A feature kind (``compound``, ``segment``...) as the sentence names it."""
    return KIND_NAMES[lang][kind]


def kinds_list(kinds: tuple[str, ...] | list[str], lang: Language = "zh") -> str:
    """Kinds as a list in a sentence ("" for none)."""
    return SENTENCES[lang]["list_sep"].join(KIND_NAMES[lang][k] for k in kinds)
