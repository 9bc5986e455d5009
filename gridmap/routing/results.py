"""What routing answers: the :class:`RoutingResult` of a point (its API shape and its explanation) and
the :class:`PointError` of a point that could not be routed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gridmap.routing.sentences import SENTENCES, Language, kind_name, kinds_list


@dataclass(frozen=True)
class Matched:
    kind: str  # compound | segment | grid | community | street | component
    id: int
    name: str


@dataclass(frozen=True)
class Candidate:
    kind: str
    id: int
    name: str
    unit_id: int | None
    unit_name: str | None
    distance_m: float


@dataclass(frozen=True)
class AreaRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class RoutingResult:
    """The routing answer for one point. :meth:`to_dict` is the API shape."""

    lon: float
    lat: float
    crs: str
    wgs84_lon: float
    wgs84_lat: float
    observed_on: dt.date
    category: str | None
    responsible: tuple[int, str] | None
    matched: Matched | None
    rule: str | None
    distance_m: float | None
    candidates: tuple[Candidate, ...]
    ambiguous: bool
    community: AreaRef | None
    street: AreaRef | None
    order: tuple[str, ...]
    ambiguous_m: float
    tolerance_m: float | None = None  # the tolerance that applied to the matched segment

    @property
    def explanation(self) -> str:
        return explain(self)

    def to_dict(self) -> dict[str, object]:
        return {
            "point": {
                "lon": self.lon,
                "lat": self.lat,
                "crs": self.crs,
                "wgs84": {"lon": round(self.wgs84_lon, 7), "lat": round(self.wgs84_lat, 7)},
            },
            "observed_on": self.observed_on.isoformat(),
            "category": self.category,
            "responsible": (
                {"unit_id": self.responsible[0], "unit_name": self.responsible[1]} if self.responsible else None
            ),
            "matched": (
                {"kind": self.matched.kind, "id": self.matched.id, "name": self.matched.name} if self.matched else None
            ),
            "rule": self.rule,
            "distance_m": self.distance_m,
            "candidates": [
                {
                    "kind": c.kind,
                    "id": c.id,
                    "name": c.name,
                    "unit_id": c.unit_id,
                    "unit_name": c.unit_name,
                    "distance_m": c.distance_m,
                }
                for c in self.candidates
            ],
            "ambiguous": self.ambiguous,
            "explanation": self.explanation,
            "community": _area_dict(self.community),
            "street": _area_dict(self.street),
        }


def _area_dict(a: AreaRef | None) -> dict[str, object] | None:
    return {"id": a.id, "code": a.code, "name": a.name} if a else None


def explain(r: RoutingResult, lang: Language = "zh") -> str:
    """One sentence saying why the report went where it went (Chinese unless ``lang`` says English)."""
    t = SENTENCES[lang]
    before = r.order[: r.order.index(r.rule)] if r.rule in r.order else r.order
    tried = [k for k in before if k != "default"]
    skipped = [
        c for c in r.candidates if c.unit_id is None and c.kind in tried and (c.kind == "segment" or c.distance_m == 0)
    ]
    lead = ""
    if skipped:
        s = skipped[0]
        lead = t["lead"].format(kind=kind_name(s.kind, lang), name=s.name, day=r.observed_on.isoformat())
    if r.matched is None or r.responsible is None:
        area = r.community or r.street
        place = (
            t["place_area"].format(kind=kind_name("community" if r.community else "street", lang), area=area.name)
            if area
            else t["place_none"]
        )
        return lead + t["none"].format(where=kinds_list(tried, lang) or t["none_any"], place=place)
    unit = r.responsible[1]
    m = r.matched
    if r.rule in ("component", "compound", "segment", "grid"):
        tol = t["segment_tolerance"].format(tolerance=fmt_metres(r.tolerance_m)) if r.tolerance_m is not None else ""
        text_ = t[r.rule].format(name=m.name, distance=fmt_metres(r.distance_m), tolerance=tol, unit=unit)
    else:
        why = t["default_tried"].format(tried=kinds_list(tried, lang)) if tried else ""
        if m.kind == "street" and r.community is not None:
            why += t["default_no_community"].format(community=r.community.name)
        text_ = t["default"].format(why=why, kind=kind_name(m.kind, lang), name=m.name, unit=unit)
    if r.ambiguous:
        rival = next(
            (c for c in r.candidates if c.kind == m.kind and c.unit_id is not None and c.unit_id != r.responsible[0]),
            None,
        )
        if rival is not None:
            text_ += t["rival"].format(
                kind=kind_name(rival.kind, lang), name=rival.name, unit=rival.unit_name, near=fmt_metres(r.ambiguous_m)
            )
    return lead + text_


def fmt_metres(v: float | None) -> str:
    if v is None:
        return "?"
    return f"{v:.1f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))


@dataclass(frozen=True)
class PointError:
    """A point that could not be routed: its index in the input (0-based), the field, and what is wrong."""

    index: int
    field: str
    message: str
