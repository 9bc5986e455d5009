"""The text columns of a bulk answer (``gridmap snap``): each point's candidates as JSON and its explanation, built
over arrays — each distinct piece (a feature's name, a unit's name, a distance, a rule's "tried" list) is formatted
once and indexed, and the pieces are joined per rule. Formatting :class:`~gridmap.routing.results.RoutingResult`
one point at a time costs several times the routing itself.

The sentences are the templates of :mod:`gridmap.routing.sentences`, which :func:`gridmap.routing.results.explain`
fills one point at a time, and the JSON that of its candidates (the test ``tests/test_snap_text.py`` holds every
rule's text equal to the per-point one, in both languages)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import reduce
from string import Formatter
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridmap.routing.config import ANSWER_RULES, MATCH_KINDS, RULES
from gridmap.routing.results import fmt_metres
from gridmap.routing.sentences import SENTENCES, Language, kind_name, kinds_list

if TYPE_CHECKING:
    from gridmap.routing.bulk import RoutingBatch

_EPOCH = dt.date(1970, 1, 1)


def round1(values: np.ndarray) -> np.ndarray:
    """Python's ``round(v, 1)`` of every value: numpy's ``rint(10 v) / 10`` is the same number except near a tie
    (``0.15`` is 0.1499…: Python says 0.1, 10 × 0.15 = 1.5 says 0.2), where Python's own rounding is used."""
    y = np.asarray(values, dtype=float) * 10
    out = np.rint(y) / 10
    near = np.flatnonzero(np.abs(y - np.floor(y) - 0.5) < 1e-6)
    if len(near):
        out[near] = [round(v, 1) for v in np.asarray(values, dtype=float)[near].tolist()]
    return out


def each(values: np.ndarray, fn: Callable[[Any], str]) -> np.ndarray:
    """``fn`` of every value as an object array, ``fn`` called once per distinct value."""
    codes, uniq = pd.factorize(np.asarray(values), use_na_sentinel=False)
    return np.asarray([fn(v) for v in np.asarray(uniq).tolist()] + [""], dtype=object)[codes]


def _cat(*parts: object) -> np.ndarray:
    """Element-wise concatenation of object arrays of text (and plain strings)."""
    arrays = [p.astype(object) if isinstance(p, np.ndarray) and p.dtype != object else p for p in parts]
    return reduce(np.add, arrays)  # type: ignore[arg-type]  # np.add is a ufunc, not the binary callable reduce's stub expects


class _Names:
    """Feature and unit names as object arrays of text, built once per call."""

    def __init__(self, batch: RoutingBatch) -> None:
        self._tables = batch.layers.tables
        self._units = batch.layers.unit_names
        self._labels: dict[int, np.ndarray] = {}

    def labels(self, kind: int) -> np.ndarray:
        got = self._labels.get(kind)
        if got is None:
            names = self._tables[MATCH_KINDS[kind]].names
            got = self._labels[kind] = np.asarray([str(v) for v in np.asarray(names).tolist()] + [""], dtype=object)
        return got

    def feature(self, kind: np.ndarray, row: np.ndarray) -> np.ndarray:
        """``str(name)`` of the feature ``row`` of the kind ``kind`` ("" where kind is -1)."""
        out = np.full(len(kind), "", dtype=object)
        for k in np.unique(kind[kind >= 0]).tolist():
            m = kind == k
            out[m] = self.labels(k)[row[m]]
        return out

    def unit(self, unit: np.ndarray, fn: Callable[[int], str]) -> np.ndarray:
        return each(unit, fn)

    def responsible(self, unit: np.ndarray) -> np.ndarray:
        """The responsible unit's name as the answer gives it (``#id`` for a unit the table lacks)."""
        return self.unit(unit, lambda u: self._units.get(u, f"#{u}"))

    def candidate_unit(self, unit: np.ndarray) -> np.ndarray:
        """A candidate's unit name (``None`` when none: the per-point sentence prints it so)."""
        return self.unit(unit, lambda u: str(self._units.get(u) if u >= 0 else None))


def _tried(batch: RoutingBatch) -> list[tuple[str, ...]]:
    """Per key ``order_code * (len(ANSWER_RULES) + 1) + rule + 1``: the rules tried before the answering one."""
    out = []
    for codes in batch.order_table.tolist():
        order = tuple(RULES[c] for c in codes if c >= 0)
        for r in range(-1, len(ANSWER_RULES)):
            rule = ANSWER_RULES[r] if r >= 0 else None
            before = order[: order.index(rule)] if rule in order else order
            out.append(tuple(k for k in before if k != "default"))
    return out


def _first(cand_point: np.ndarray, hit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(points, candidate)``: the first candidate satisfying ``hit`` of each point that has one."""
    q = np.flatnonzero(hit)
    points, first = np.unique(cand_point[q], return_index=True)
    return points, q[first]


def fill(template: str, **fields: object) -> np.ndarray:
    """``template.format(**fields)`` element-wise, where fields are object arrays of text (or plain strings)."""
    parts: list[object] = []
    for literal, field, _spec, _conv in Formatter().parse(template):
        if literal:
            parts.append(literal)
        if field is not None:
            parts.append(fields[field])
    return _cat(*parts)


def explanations(batch: RoutingBatch, ok: np.ndarray, lang: Language = "zh") -> np.ndarray:
    """The explanation of each point of ``ok`` (:func:`gridmap.routing.results.explain`), as an object array."""
    t = SENTENCES[lang]
    b, n = batch.block, len(ok)
    names = _Names(batch)
    width = len(ANSWER_RULES) + 1
    tried = _tried(batch)
    key_all = batch.order_code * width + b.rule.astype(np.int64) + 1
    key, rule, kind, unit = key_all[ok], b.rule[ok], b.kind[ok], b.unit[ok]
    matched = (kind >= 0) & (unit >= 0)
    at = np.full(len(batch), -1, np.int64)
    at[ok] = np.arange(n)
    cp, ck, cr, cu = b.cand_point, b.cand_kind.astype(np.int64), b.cand_row, b.cand_unit
    community = names.feature(np.where(b.community[ok] >= 0, MATCH_KINDS.index("community"), -1), b.community[ok])
    street = names.feature(np.where(b.street[ok] >= 0, MATCH_KINDS.index("street"), -1), b.street[ok])
    text = np.full(n, "", dtype=object)

    def kind_of(k: np.ndarray) -> np.ndarray:
        return each(k, lambda v: kind_name(MATCH_KINDS[v], lang))

    # the lead: the first candidate of a tried kind, without a unit, that the point is on (or on the segment of)
    in_tried = np.array([[k in before for k in MATCH_KINDS] for before in tried], dtype=bool).reshape(len(tried), -1)
    seg = MATCH_KINDS.index("segment")
    skip = (cu < 0) & in_tried[key_all[cp], ck] & ((ck == seg) | (round1(b.cand_distance) == 0)) & (at[cp] >= 0)
    pts, c = _first(cp, skip)
    lead = np.full(n, "", dtype=object)
    if len(pts):
        day = each(batch.days[pts], lambda d: (_EPOCH + dt.timedelta(days=d)).isoformat())
        lead[at[pts]] = fill(t["lead"], kind=kind_of(ck[c]), name=names.feature(ck[c], cr[c]), day=day)

    # no unit found
    m = ~matched
    if m.any():
        where = each(key[m], lambda k: kinds_list(tried[k], lang) or t["none_any"])
        has_com, has_st = b.community[ok][m] >= 0, b.street[ok][m] >= 0
        area_kind = np.where(has_com, kind_name("community", lang), kind_name("street", lang)).astype(object)
        place_area = fill(t["place_area"], kind=area_kind, area=np.where(has_com, community[m], street[m]))
        place = np.where(has_com | has_st, place_area, t["place_none"])
        text[m] = fill(t["none"], where=where, place=place)

    # a unit found: one template per rule
    feature = names.feature(np.where(matched, kind, -1), b.row[ok])
    resp = names.responsible(unit)
    dist = each(round1(b.distance[ok]), lambda v: "" if v != v else fmt_metres(v))
    rule_at = {r: ANSWER_RULES.index(r) for r in ("component", "compound", "segment", "grid")}
    for r, code in rule_at.items():
        m = matched & (rule == code)
        tolerance: np.ndarray | str = ""
        if r == "segment":
            tolerance = each(
                b.tolerance[ok][m], lambda v: "" if v != v else t["segment_tolerance"].format(tolerance=fmt_metres(v))
            )
        text[m] = fill(t[r], name=feature[m], distance=dist[m], tolerance=tolerance, unit=resp[m])
    m = matched & ~np.isin(rule, list(rule_at.values()))
    if m.any():
        why = each(key[m], lambda k: t["default_tried"].format(tried=kinds_list(tried[k], lang)) if tried[k] else "")
        no_com = (kind[m] == MATCH_KINDS.index("street")) & (b.community[ok][m] >= 0)
        why = np.where(no_com, _cat(why, fill(t["default_no_community"], community=community[m])), why)
        text[m] = fill(t["default"], why=why, kind=kind_of(kind[m]), name=feature[m], unit=resp[m])

    # a rival of the same kind with another unit, for a boundary case
    rival = (ck == b.kind[cp]) & (cu >= 0) & (cu != b.unit[cp]) & b.ambiguous[cp] & (at[cp] >= 0)
    pts, c = _first(cp, rival)
    keep = matched[at[pts]]
    pts, c = pts[keep], c[keep]
    if len(pts):
        suffix = fill(
            t["rival"],
            kind=kind_of(ck[c]),
            name=names.feature(ck[c], cr[c]),
            unit=names.candidate_unit(cu[c]),
            near=fmt_metres(batch.config.ambiguous_m),
        )
        text[at[pts]] = _cat(text[at[pts]], suffix)
    return _cat(lead, text) if n else text


def candidates_json(batch: RoutingBatch, ok: np.ndarray) -> np.ndarray:
    """The candidates of each point of ``ok`` as the JSON list ``gridmap snap`` writes ("" when none)."""
    b, n = batch.block, len(ok)
    names = _Names(batch)
    at = np.full(len(batch), -1, np.int64)
    at[ok] = np.arange(n)
    sel = np.flatnonzero(at[b.cand_point] >= 0)
    cp, ck, cr, cu = b.cand_point[sel], b.cand_kind[sel].astype(np.int64), b.cand_row[sel], b.cand_unit[sel]
    if not len(sel):
        return np.full(n, "", dtype=object)
    tables = batch.layers.tables
    feature = each(
        ck * (1 << 40) + cr,
        lambda v: (
            f'{{"kind": "{MATCH_KINDS[v >> 40]}", "id": {tables[MATCH_KINDS[v >> 40]].ids[v & ((1 << 40) - 1)]}, '
            f'"name": {json.dumps(str(names.labels(v >> 40)[v & ((1 << 40) - 1)]), ensure_ascii=False)}, '
        ),
    )
    units = batch.layers.unit_names
    unit = each(cu, lambda u: json.dumps(units.get(u) if u >= 0 else None, ensure_ascii=False))
    dist = each(round1(b.cand_distance[sel]), repr)
    first = np.r_[True, cp[1:] != cp[:-1]]
    last = np.r_[cp[1:] != cp[:-1], True]
    parts = _cat(
        np.where(first, "[", ", "), feature, '"unit_name": ', unit, ', "distance_m": ', dist, np.where(last, "}]", "}")
    ).tolist()
    whole = "".join(parts)
    offsets = np.r_[0, np.cumsum(np.fromiter(map(len, parts), np.int64, len(parts)))]
    starts = offsets[np.searchsorted(cp, ok)].tolist()
    ends = offsets[np.searchsorted(cp, ok, side="right")].tolist()
    return np.asarray([whole[s:e] for s, e in zip(starts, ends, strict=True)], dtype=object)
