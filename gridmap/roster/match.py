"""Finding each roster row's target among the stored features — a road segment by its code or by its road's name
and from/to description, a compound by its name (and 社区), a grid by its code — with how sure the match is:

* ``exact``: the name or code as stored; ``normalised``: equal once :mod:`~gridmap.roster.names` has reduced both;
* ``fuzzy``: one close name (difflib ratio ≥ :data:`FUZZY_ACCEPT`, clearly ahead of the next) — shown with its
  score, imported only when the user accepts fuzzy matches;
* ``ambiguous`` / ``unmatched``: never guessed — the closest candidates are listed instead.

The indexes (normalised keys per kind) are built once per import; rows repeating a target (a compound's four
people) are matched once."""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gridmap.roster.names import code_key, place_key, plain, road_key
from gridmap.store.models import Area, Compound, Grid, Segment

FUZZY_CUTOFF = 0.6  # a name at least this close is a candidate
FUZZY_ACCEPT = 0.85  # … and this close, alone at the top, a fuzzy match
FUZZY_MARGIN = 0.05
MAX_CANDIDATES = 5
MATCHED = ("exact", "normalised")


@dataclass(frozen=True)
class Feature:
    """A stored feature as the roster names it."""

    kind: str  # segment | compound | grid
    id: int
    name: str
    code: str
    community: str = ""
    from_desc: str = ""
    to_desc: str = ""

    def label(self) -> str:
        """How the preview shows it: 迎泽大街（解放路—新建路）#S0012, 阳光小区（桥东社区）#C001."""
        if self.kind == "segment":
            ends = f"（{self.from_desc}—{self.to_desc}）" if self.from_desc or self.to_desc else ""
            return f"{self.name}{ends}" + (f" #{self.code}" if self.code else "")
        where = f"（{self.community}）" if self.community else ""
        if self.kind == "grid":
            return f"{self.code}{where}"
        return f"{self.name}{where}" + (f" #{self.code}" if self.code else "")


@dataclass(frozen=True)
class Query:
    """What a roster row says about its target."""

    kind: str
    name: str = ""
    code: str = ""
    community: str = ""
    from_desc: str = ""
    to_desc: str = ""


@dataclass
class Match:
    status: str  # exact | normalised | fuzzy | ambiguous | unmatched
    feature: Feature | None = None
    score: float = 1.0
    candidates: list[tuple[Feature, float]] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return self.status in MATCHED


class _KindIndex:
    """One kind's features by stored code and name, and by their normalised keys."""

    def __init__(self, features: list[Feature], key: Callable[[object], str]) -> None:
        self.key = key
        self.by_code: dict[str, list[Feature]] = defaultdict(list)
        self.by_code_key: dict[str, list[Feature]] = defaultdict(list)
        self.by_name: dict[str, list[Feature]] = defaultdict(list)
        self.by_key: dict[str, list[Feature]] = defaultdict(list)
        for f in features:
            if f.code:
                self.by_code[f.code].append(f)
                self.by_code_key[code_key(f.code)].append(f)
            if f.name:
                self.by_name[f.name.strip()].append(f)
                self.by_key[key(f.name)].append(f)
        self.keys = list(self.by_key)
        self.code_keys = list(self.by_code_key)


class Index:
    """Every assignable feature, indexed once; :meth:`match` finds a row's target."""

    def __init__(self, features: Iterable[Feature]) -> None:
        by_kind: dict[str, list[Feature]] = {"segment": [], "compound": [], "grid": []}
        for f in features:
            by_kind[f.kind].append(f)
        self.kinds = {
            "segment": _KindIndex(by_kind["segment"], road_key),
            "compound": _KindIndex(by_kind["compound"], place_key),
            "grid": _KindIndex(by_kind["grid"], code_key),
        }
        self._cache: dict[Query, Match] = {}

    @classmethod
    def load(cls, session: Session, on: dt.date | None = None) -> Index:
        """The segments, the compounds and the grids in force on ``on`` (default today)."""
        day = on or dt.date.today()
        feats: list[Feature] = []
        for i, code, name, a, b in session.execute(
            select(Segment.id, Segment.ext_id, Segment.name, Segment.from_desc, Segment.to_desc)
        ):
            feats.append(Feature("segment", i, name or "", code or "", "", a or "", b or ""))
        for i, code, name, community in session.execute(
            select(Compound.id, Compound.ext_id, Compound.name, Area.name).join(
                Area, Area.id == Compound.community_id, isouter=True
            )
        ):
            feats.append(Feature("compound", i, name or "", code or "", community or ""))
        for i, code, community in session.execute(
            select(Grid.id, Grid.code, Area.name)
            .join(Area, Area.id == Grid.community_id, isouter=True)
            .where(Grid.valid_from <= day, or_(Grid.valid_to.is_(None), Grid.valid_to > day))
        ):
            feats.append(Feature("grid", i, code, code, community or ""))
        return cls(feats)

    def match(self, q: Query) -> Match:
        if q not in self._cache:
            self._cache[q] = self._match(q)
        return self._cache[q]

    def _match(self, q: Query) -> Match:
        ix = self.kinds[q.kind]
        code = q.code.strip() or (q.name.strip() if q.kind == "grid" else "")
        if code:
            for status, pool in (("exact", ix.by_code.get(code)), ("normalised", ix.by_code_key.get(code_key(code)))):
                if pool:
                    if len(pool) == 1:
                        return Match(status, pool[0])
                    return Match("ambiguous", None, 0.0, [(f, 1.0) for f in pool[:MAX_CANDIDATES]])
            if q.kind == "grid" or not q.name.strip():
                near = difflib.get_close_matches(code_key(code), ix.code_keys, MAX_CANDIDATES, FUZZY_CUTOFF)
                cands = [(f, _ratio(code_key(code), k)) for k in near for f in ix.by_code_key[k]]
                return Match("unmatched", None, 0.0, cands[:MAX_CANDIDATES])
        name = q.name.strip()
        if not name:
            return Match("unmatched", None, 0.0)
        key = ix.key(name)
        seen: list[Feature] = []
        for status, pool in (("exact", ix.by_name.get(name, [])), ("normalised", ix.by_key.get(key, []))):
            narrowed = self._narrow(q, pool)
            if len(narrowed) > 1 and status == "normalised":
                narrowed = _closest(name, narrowed)
            if len(narrowed) == 1:
                return Match(status, narrowed[0])
            if len(narrowed) > 1:
                return Match("ambiguous", None, 0.0, [(f, 1.0) for f in narrowed[:MAX_CANDIDATES]])
            seen += [f for f in pool if f not in seen]
        if seen:  # the name is there, but not in that 社区 / between those roads
            return Match("unmatched", None, 0.0, [(f, 1.0) for f in seen[:MAX_CANDIDATES]])
        near = difflib.get_close_matches(key, ix.keys, 20, FUZZY_CUTOFF)
        scored = sorted(((f, _ratio(key, k)) for k in near for f in ix.by_key[k]), key=lambda fs: -fs[1])
        fitting = [fs for fs in scored if fs[0] in self._narrow(q, [fs[0]])] or scored
        cands = fitting[:MAX_CANDIDATES]
        if cands and cands[0][1] >= FUZZY_ACCEPT and (len(cands) == 1 or cands[1][1] <= cands[0][1] - FUZZY_MARGIN):
            return Match("fuzzy", cands[0][0], round(cands[0][1], 3), cands)
        return Match("unmatched", None, 0.0, [(f, round(s, 3)) for f, s in cands])

    @staticmethod
    def _narrow(q: Query, pool: list[Feature]) -> list[Feature]:
        """The features of ``pool`` in the row's 社区 and between its from/to roads (when the row gives them)."""
        out = pool
        if q.community.strip():
            c = place_key(q.community)
            out = [f for f in out if place_key(f.community) == c]
        ends = {road_key(e) for e in (q.from_desc, q.to_desc) if e.strip()}
        if ends and q.kind == "segment":
            pair = sorted((road_key(q.from_desc), road_key(q.to_desc)))  # an empty end is a dead end: it counts
            both = [f for f in out if sorted((road_key(f.from_desc), road_key(f.to_desc))) == pair]
            ordered = [f for f in both if road_key(f.from_desc) == road_key(q.from_desc)]
            out = (ordered if len(ordered) == 1 else both) or [
                f for f in out if ends <= {road_key(f.from_desc), road_key(f.to_desc)}
            ]
        return out


def _closest(name: str, pool: list[Feature]) -> list[Feature]:
    """Of features equal once normalised, the one whose name the row's only extends by suffixes (北川花园小区 →
    北川花园, not 北川小区); all of them when that does not single one out."""
    q = plain(name)
    within = [f for f in pool if q.startswith(plain(f.name)) or plain(f.name).startswith(q)]
    longest = max((len(plain(f.name)) for f in within if q.startswith(plain(f.name))), default=0)
    best = [f for f in within if q.startswith(plain(f.name)) and len(plain(f.name)) == longest and longest]
    return best if len(best) == 1 else pool


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


__all__ = ["Feature", "Index", "Match", "Query", "plain"]
