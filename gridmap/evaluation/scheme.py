"""An evaluation scheme 考核方案 as data: a JSON document, validated here, versioned in the database.

A scheme names its subject (units, 街道, 社区, grids, dispatchers, inspectors), its **indicators** — each a
numerator over a denominator, both sums and differences of the base counts of :mod:`gridmap.evaluation.counts`
(``["due", "-due_parked"]`` is 应结案 − 缓办/挂账) — and its **components**: an indicator scored by a rule, times a
weight. Rules (the ones cities use, DOMAIN.md):

- ``linear``: the rate in percent (``complement``: 100 − rate, for "1 − rework rate"), capped to 0…100;
- ``threshold``: ``points`` when the rate reaches ``at``, minus ``per_point`` for each percentage point below
  (never below 0) — "on-time ≥ 70 % earns 50, minus 1 per point below";
- ``tiers``: a count mapped through ``[[more_than_or_equal, points], …]`` — "> 2,000 → 100, ≥ 1,201 → 90 …";
- ``per_event``: ``points`` (negative: a penalty) per counted event — "−0.2 per rework".

The score is the weighted sum, capped to ``[0, max_score]``; the grade is the first of ``grades`` the score reaches.
A subject whose ``rank_by`` denominator is below ``min_cases`` is listed but neither graded nor ranked (样本不足).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gridmap.errors import InvalidInput, Problem
from gridmap.validation_text import sentences

SUBJECTS: dict[str, tuple[str, str]] = {
    "unit": ("责任单位", "units"),
    "street": ("街道", "sub-districts"),
    "community": ("社区", "communities"),
    "grid": ("单元网格", "grids"),
    "dispatcher": ("派遣员", "dispatchers"),
    "inspector": ("监督员", "inspectors"),
}
PEOPLE = ("dispatcher", "inspector")  # subjects counted by who took the step (the event's actor)
DEFAULT_GRADES = (("A", 90.0), ("B", 75.0), ("C", 60.0), ("D", 40.0), ("E", 0.0))
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Indicator(_Doc):
    key: str = Field(description="a-z, digits, _ (e.g. closure)")
    name_zh: str = Field(min_length=1, max_length=60)
    name_en: str | None = Field(None, max_length=100)
    numerator: list[str] = Field(min_length=1, description='base counts, "-" to subtract: ["due", "-due_parked"]')
    denominator: list[str] | None = Field(None, description="none: the indicator is a count, not a rate")


class Linear(_Doc):
    kind: Literal["linear"]
    complement: bool = False  # 100 − rate (1 − rework rate)
    if_empty: float = Field(100.0, description="the value when the denominator is 0 (nothing was due: nothing failed)")


class Threshold(_Doc):
    kind: Literal["threshold"]
    at: float = Field(ge=0, le=100, description="the rate (%) that earns full points")
    points: float = Field(ge=0)
    per_point: float = Field(ge=0, description="points lost per percentage point below `at`")
    complement: bool = False
    if_empty: float | None = Field(None, description="points when the denominator is 0 (default: full points)")


class Tiers(_Doc):
    kind: Literal["tiers"]
    tiers: list[tuple[float, float]] = Field(min_length=1, description="[[at least, points], …], any order")
    below: float = 0.0  # points under the lowest tier


class PerEvent(_Doc):
    kind: Literal["per_event"]
    points: float = Field(description="per counted event; negative for a penalty")


Rule = Annotated[Linear | Threshold | Tiers | PerEvent, Field(discriminator="kind")]


class Component(_Doc):
    indicator: str
    rule: Rule
    weight: float = Field(1.0, ge=0, le=100)


class SchemeDoc(_Doc):
    """The document stored per scheme version (see the module's docstring)."""

    code: str = Field(description="a-z, digits, _; the same across versions")
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str | None = Field(None, max_length=200)
    subject: Literal["unit", "street", "community", "grid", "dispatcher", "inspector"]
    params: dict[str, float] = Field(default_factory=dict, description="dispatch_minutes, recheck_hours …")
    indicators: list[Indicator] = Field(min_length=1, max_length=40)
    components: list[Component] = Field(min_length=1, max_length=40)
    max_score: float = Field(100.0, gt=0)
    grades: list[tuple[str, float]] = Field(default_factory=lambda: list(DEFAULT_GRADES))
    rank_by: str | None = Field(None, description="an indicator: its denominator (or count) decides min_cases")
    min_cases: int = Field(1, ge=0)
    higher_is_better: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> SchemeDoc:
        from gridmap.evaluation.counts import BASE_COUNTS, usable_for

        errors: list[Problem] = []

        def bad(field: str, en: str, zh: str) -> None:
            errors.append(Problem(en, field=field, zh=zh))

        if not _KEY.match(self.code):
            bad("code", f"code {self.code!r} must be a-z, digits and _ (at most 40)",
                "方案代码只能用小写字母、数字和下划线（以字母开头，最多 40 个）")  # fmt: skip
        for n, i in enumerate(self.indicators):
            if not _KEY.match(i.key):
                bad(f"indicators.{n}.key", f"indicator key {i.key!r} must be a-z, digits and _ (at most 40)",
                    f"第 {n + 1} 个指标的代码“{i.key[:40]}”只能用小写字母、数字和下划线")  # fmt: skip
        keys = [i.key for i in self.indicators]
        if len(set(keys)) != len(keys):
            bad("indicators", "indicator keys repeat", "指标代码重复")
        for n, ind in enumerate(self.indicators):
            for part, terms in (("numerator", ind.numerator), ("denominator", ind.denominator or [])):
                side = "分子" if part == "numerator" else "分母"
                for term in terms:
                    base = term.removeprefix("-")
                    if base not in BASE_COUNTS:
                        bad(f"indicators.{n}.{part}",
                            f"indicator {ind.key!r}: {base!r} is not a base count ({', '.join(BASE_COUNTS)})",
                            f"指标“{ind.name_zh}”的{side}：“{base[:40]}”不是基础计数")  # fmt: skip
                    elif not usable_for(base, self.subject):
                        bad(f"indicators.{n}.{part}",
                            f"indicator {ind.key!r}: {base!r} cannot be counted for subject {self.subject!r}",
                            f"指标“{ind.name_zh}”的{side}：“{base}”不能按{SUBJECTS[self.subject][0]}计数")  # fmt: skip
        for n, c in enumerate(self.components):
            ind_ = next((i for i in self.indicators if i.key == c.indicator), None)
            if ind_ is None:
                bad(f"components.{n}.indicator", f"component names no indicator {c.indicator!r}",
                    f"第 {n + 1} 项计分规则引用的指标“{c.indicator[:40]}”不存在")  # fmt: skip
            elif isinstance(c.rule, Linear | Threshold) and not ind_.denominator:
                bad(f"components.{n}.rule.kind",
                    f"component {c.indicator!r}: a {c.rule.kind} rule needs a rate (give a denominator)",
                    f"第 {n + 1} 项计分规则（{ind_.name_zh}）：该规则需要比率指标（请给出分母）")  # fmt: skip
        if self.rank_by is not None and self.rank_by not in keys:
            bad("rank_by", f"rank_by names no indicator {self.rank_by!r}", f"排名依据的指标“{self.rank_by[:40]}”不存在")
        for n, (letter, _at) in enumerate(self.grades):
            if not letter or len(letter) > 4:
                bad(f"grades.{n}", "grades: give [[letter, at least], …] (a letter of 1–4 characters)",
                    f"第 {n + 1} 个等级：等级名称须为 1–4 个字符")  # fmt: skip
        if not self.grades:
            bad("grades", "grades: give [[letter, at least], …]", "请至少给出一个等级")
        if errors:
            raise SchemeProblems(errors)
        self.grades = sorted(self.grades, key=lambda g: -g[1])
        return self

    def indicator(self, key: str) -> Indicator:
        return next(i for i in self.indicators if i.key == key)

    def grade_of(self, score: float) -> str:
        for letter, at in self.grades:
            if score >= at - 1e-9:
                return letter
        return self.grades[-1][0]


class SchemeProblems(ValueError):
    """The document's own consistency problems, each naming its field, in English and Chinese."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def parse_scheme(raw: Any) -> SchemeDoc:
    """A validated scheme document, or InvalidInput naming each problem and where it is (in English and Chinese:
    the admin page shows the reader's language)."""
    if not isinstance(raw, dict):
        raise InvalidInput(Problem("a scheme is a JSON object", field="document", zh="考核方案须为 JSON 对象"))
    try:
        return SchemeDoc.model_validate(raw)
    except ValidationError as e:
        problems: list[Problem] = []
        for err in e.errors(include_url=False)[:50]:
            cause = (err.get("ctx") or {}).get("error")
            if isinstance(cause, SchemeProblems):
                problems.extend(cause.problems)
                continue
            where = ".".join(str(p) for p in err["loc"]) or "document"
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(Problem(f"{field_label_en(err['loc'], raw)}: {msg}", field=where,
                                    zh=f"{field_label_zh(err['loc'], raw)}：{sentences(err).zh}"))  # fmt: skip
        raise InvalidInput(problems) from None


_FIELDS_ZH = {
    "code": "方案代码", "name_zh": "中文名称", "name_en": "英文名称", "subject": "考核对象", "params": "参数",
    "indicators": "指标", "components": "计分规则", "max_score": "满分", "grades": "等级", "rank_by": "排名依据",
    "min_cases": "最少案件数", "higher_is_better": "分高为优", "key": "代码", "numerator": "分子",
    "denominator": "分母", "indicator": "指标", "weight": "权重", "rule": "规则", "kind": "规则类型",
    "complement": "取补（100 − 比率）", "if_empty": "无分母时的值", "at": "达标线（%）", "points": "分值",
    "per_point": "每低一个百分点扣分", "tiers": "分档", "below": "最低档以下得分",
}  # fmt: skip
_RULE_KINDS = ("linear", "threshold", "tiers", "per_event")


def _item_name(raw: Any, part: str, n: int, zh: bool) -> str:
    """What the n-th indicator or component of the document sent is called (a component: its indicator's name)."""
    try:
        item = raw[part][n]
        if part == "components":
            item = next((i for i in raw["indicators"] if i.get("key") == item.get("indicator")), item)
        name = (item.get("name_zh") if zh else item.get("name_en")) or item.get("key") or item.get("indicator")
        return str(name or "")[:40]
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def field_label_zh(loc: tuple[int | str, ...], raw: Any) -> str:
    """A field of a scheme document as a Chinese reader knows it: "第 2 项计分规则（closure）的权重"."""
    words: list[str] = []
    i = 0
    while i < len(loc):
        part = loc[i]
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        if part in ("indicators", "components", "grades", "tiers") and isinstance(nxt, int):
            unit = {"indicators": "个指标", "components": "项计分规则", "grades": "个等级", "tiers": "档"}[str(part)]
            name = _item_name(raw, str(part), nxt, True) if i == 0 else ""
            words.append(f"第 {nxt + 1} {unit}" + (f"（{name}）" if name else ""))
            i += 2
            continue
        if isinstance(part, str) and part not in _RULE_KINDS:
            words.append(_FIELDS_ZH.get(part, part))
        i += 1
    return "的".join(words) or "考核方案"


def field_label_en(loc: tuple[int | str, ...], raw: Any) -> str:
    """The same in English: "components[2] (closure) weight"."""
    words: list[str] = []
    for i, part in enumerate(loc):
        if isinstance(part, int):
            name = _item_name(raw, str(loc[i - 1]), part, False) if i == 1 else ""
            words[-1] += f"[{part + 1}]" + (f" ({name})" if name else "")
        elif part not in _RULE_KINDS:
            words.append(str(part))
    return " ".join(words) or "document"
