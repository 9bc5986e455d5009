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

        errors: list[str] = []
        for key, what in ((self.code, "code"), *((i.key, "indicator key") for i in self.indicators)):
            if not _KEY.match(key):
                errors.append(f"{what} {key!r} must be a-z, digits and _ (at most 40)")
        keys = [i.key for i in self.indicators]
        if len(set(keys)) != len(keys):
            errors.append("indicator keys repeat")
        for ind in self.indicators:
            for term in [*ind.numerator, *(ind.denominator or [])]:
                base = term.removeprefix("-")
                if base not in BASE_COUNTS:
                    errors.append(f"indicator {ind.key!r}: {base!r} is not a base count ({', '.join(BASE_COUNTS)})")
                elif not usable_for(base, self.subject):
                    errors.append(f"indicator {ind.key!r}: {base!r} cannot be counted for subject {self.subject!r}")
        for c in self.components:
            ind_ = next((i for i in self.indicators if i.key == c.indicator), None)
            if ind_ is None:
                errors.append(f"component names no indicator {c.indicator!r}")
            elif isinstance(c.rule, Linear | Threshold) and not ind_.denominator:
                errors.append(f"component {c.indicator!r}: a {c.rule.kind} rule needs a rate (give a denominator)")
        if self.rank_by is not None and self.rank_by not in keys:
            errors.append(f"rank_by names no indicator {self.rank_by!r}")
        if not self.grades or any(not g or len(g) > 4 for g, _ in self.grades):
            errors.append("grades: give [[letter, at least], …]")
        if errors:
            raise ValueError("; ".join(errors))
        self.grades = sorted(self.grades, key=lambda g: -g[1])
        return self

    def indicator(self, key: str) -> Indicator:
        return next(i for i in self.indicators if i.key == key)

    def grade_of(self, score: float) -> str:
        for letter, at in self.grades:
            if score >= at - 1e-9:
                return letter
        return self.grades[-1][0]


def parse_scheme(raw: Any) -> SchemeDoc:
    """A validated scheme document, or InvalidInput naming each problem and where it is."""
    if not isinstance(raw, dict):
        raise InvalidInput(Problem("a scheme is a JSON object", field="document", zh="考核方案须为 JSON 对象"))
    try:
        return SchemeDoc.model_validate(raw)
    except ValidationError as e:
        problems = []
        for err in e.errors()[:50]:
            where = ".".join(str(p) for p in err["loc"]) or "document"
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(Problem(msg, field=where, zh=f"考核方案有误：{msg}"))
        raise InvalidInput(problems) from None
