"""Scoring one subject by a scheme: base counts → indicator values → component points → score and grade; and
ranking within peer groups. Pure: no I/O, so the golden tests can check the arithmetic by hand.

>>> from gridmap.evaluation.scheme import parse_scheme
>>> doc = parse_scheme({"code": "x", "name_zh": "示例", "subject": "unit",
...     "indicators": [{"key": "closure", "name_zh": "结案率", "numerator": ["due_closed"], "denominator": ["due"]}],
...     "components": [{"indicator": "closure", "rule": {"kind": "linear"}}]})
>>> score_subject(doc, {"due": 8, "due_closed": 6})
({'closure': 75.0}, {'closure': 75.0}, 75.0, 'B')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gridmap.evaluation.scheme import Component, Linear, PerEvent, SchemeDoc, Threshold, Tiers


def _sum(terms: Sequence[str], counts: Mapping[str, int]) -> int:
    return sum(-counts.get(t[1:], 0) if t.startswith("-") else counts.get(t, 0) for t in terms)


def indicator_parts(doc: SchemeDoc, key: str, counts: Mapping[str, int]) -> tuple[int, int | None]:
    """(numerator, denominator) of one indicator (denominator None: a count)."""
    ind = doc.indicator(key)
    return _sum(ind.numerator, counts), (_sum(ind.denominator, counts) if ind.denominator else None)


def indicator_value(doc: SchemeDoc, key: str, counts: Mapping[str, int]) -> float | None:
    """A rate in percent (None when its denominator is 0 or less), or a count."""
    num, den = indicator_parts(doc, key, counts)
    if den is None:
        return float(num)
    if den <= 0:
        return None
    return 100.0 * num / den


def component_points(c: Component, value: float | None) -> float:
    """The points one component earns for its indicator's value (before its weight)."""
    rule = c.rule
    if isinstance(rule, Linear):
        if value is None:
            return rule.if_empty
        v = 100.0 - value if rule.complement else value
        return min(100.0, max(0.0, v))
    if isinstance(rule, Threshold):
        if value is None:
            return rule.points if rule.if_empty is None else rule.if_empty
        v = 100.0 - value if rule.complement else value
        if v >= rule.at:
            return rule.points
        return max(0.0, rule.points - rule.per_point * (rule.at - v))
    if isinstance(rule, Tiers):
        n = value or 0.0
        for at, points in sorted(rule.tiers, key=lambda t: -t[0]):
            if n >= at:
                return points
        return rule.below
    if isinstance(rule, PerEvent):
        return rule.points * (value or 0.0)
    raise TypeError(rule)


Terms = list[tuple[str, int]]  # (base count, +1 or −1)


def compiled(doc: SchemeDoc) -> list[tuple[str, Terms, Terms | None]]:
    """Each indicator's key, numerator and denominator as signed terms (parsed once per scorecard, not per
    subject)."""

    def terms(ts: Sequence[str]) -> Terms:
        return [(t[1:], -1) if t.startswith("-") else (t, 1) for t in ts]

    return [(i.key, terms(i.numerator), terms(i.denominator) if i.denominator else None) for i in doc.indicators]


def _values(parts: list[tuple[str, Terms, Terms | None]], counts: Mapping[str, int]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key, num_terms, den_terms in parts:
        num = sum(sign * counts.get(k, 0) for k, sign in num_terms)
        if den_terms is None:
            out[key] = float(num)
            continue
        den = sum(sign * counts.get(k, 0) for k, sign in den_terms)
        out[key] = 100.0 * num / den if den > 0 else None
    return out


def score_subject(
    doc: SchemeDoc, counts: Mapping[str, int], parts: list[tuple[str, Terms, Terms | None]] | None = None
) -> tuple[dict[str, float | None], dict[str, float], float, str]:
    """(indicator values, points per component, score, grade) of one subject (``parts``: :func:`compiled`)."""
    values = _values(parts if parts is not None else compiled(doc), counts)
    points: dict[str, float] = {}
    total = 0.0
    for c in doc.components:
        p = component_points(c, values[c.indicator]) * c.weight
        points[c.indicator] = round(points.get(c.indicator, 0.0) + p, 6)
        total += p
    score = round(min(doc.max_score, max(0.0, total)), 4)
    return {k: (None if v is None else round(v, 4)) for k, v in values.items()}, points, score, doc.grade_of(score)


def rankable(doc: SchemeDoc, counts: Mapping[str, int]) -> bool:
    """Enough cases to rank: the ``rank_by`` indicator's denominator (or count) reaches ``min_cases``."""
    if doc.rank_by is None:
        return True
    num, den = indicator_parts(doc, doc.rank_by, counts)
    return (den if den is not None else num) >= doc.min_cases


@dataclass
class Line:
    """One subject's line of a scorecard (the row a published scorecard freezes)."""

    subject_id: str
    name: str
    group: str | None
    counts: dict[str, int]
    values: dict[str, float | None]
    points: dict[str, float]
    score: float | None
    grade: str | None
    rank: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject_id": self.subject_id, "name": self.name, "group": self.group, "counts": self.counts,
            "values": self.values, "points": self.points, "score": self.score, "grade": self.grade, "rank": self.rank,
        }  # fmt: skip


def score_lines(
    doc: SchemeDoc, subjects: Sequence[tuple[str, str, str | None]], counts: Mapping[str, Mapping[str, int]]
) -> list[Line]:
    """Lines for ``(id, name, group)`` subjects, ranked within their group (ties share a rank: 1, 1, 3),
    best first; subjects with too few cases come last, ungraded and unranked."""
    keys = sorted({t.removeprefix("-") for i in doc.indicators for t in [*i.numerator, *(i.denominator or [])]})
    lines = []
    parts = compiled(doc)
    empty: Mapping[str, int] = {}
    for sid, name, group in subjects:
        got = counts.get(sid, empty)
        c = {k: int(got.get(k, 0)) for k in keys}
        values, points, score, grade = score_subject(doc, c, parts)
        if rankable(doc, c):
            lines.append(Line(sid, name, group, c, values, points, score, grade))
        else:
            lines.append(Line(sid, name, group, c, values, points, None, None))
    sign = -1 if doc.higher_is_better else 1
    lines.sort(key=lambda ln: (ln.group or "", ln.score is None, sign * (ln.score or 0.0), ln.name))
    last: dict[str | None, tuple[float, int, int]] = {}
    for ln in lines:
        if ln.score is None:
            continue
        prev_score, prev_rank, seen = last.get(ln.group, (float("nan"), 0, 0))
        seen += 1
        ln.rank = prev_rank if ln.score == prev_score else seen
        last[ln.group] = (ln.score, ln.rank, seen)
    return lines
