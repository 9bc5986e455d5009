"""What routing answers: the :class:`RoutingResult` of a point (its API shape and its Chinese explanation) and
the :class:`PointError` of a point that could not be routed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

KIND_ZH = {
    "compound": "小区",
    "segment": "路段",
    "grid": "单元网格",
    "community": "社区",
    "street": "街道",
    "component": "部件",
}


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


def explain(r: RoutingResult) -> str:
    """One Chinese sentence saying why the report went where it went."""
    before = r.order[: r.order.index(r.rule)] if r.rule in r.order else r.order
    tried = [k for k in before if k != "default"]
    skipped = [
        c for c in r.candidates if c.unit_id is None and c.kind in tried and (c.kind == "segment" or c.distance_m == 0)
    ]
    lead = ""
    if skipped:
        s = skipped[0]
        lead = f"{KIND_ZH[s.kind]}「{s.name}」{r.observed_on.isoformat()}无包联单位；"
    if r.matched is None or r.responsible is None:
        where = "、".join(KIND_ZH[k] for k in tried) or "任何规则"
        area = r.community or r.street
        place = (
            f"所在{('社区' if r.community else '街道')}「{area.name}」也未设责任单位"
            if area
            else "不在任何社区或街道内"
        )
        return f"{lead}未找到责任单位：没有已包联的{where}，{place}，请指挥中心指定"
    unit = r.responsible[1]
    m = r.matched
    if r.rule == "component":
        text_ = f"距{m.name}{fmt_metres(r.distance_m)} 米，权属单位：{unit}"
    elif r.rule == "compound":
        text_ = f"位于小区「{m.name}」内，包联单位：{unit}"
    elif r.rule == "segment":
        tol = f"（{fmt_metres(r.tolerance_m)} 米容差内最近的已包联路段）" if r.tolerance_m is not None else ""
        text_ = f"距路段「{m.name}」{fmt_metres(r.distance_m)} 米{tol}，包联单位：{unit}"
    elif r.rule == "grid":
        text_ = f"位于单元网格 {m.name} 内，责任单位：{unit}"
    else:
        tried_zh = "、".join(KIND_ZH[k] for k in tried)
        why = f"不在已包联的{tried_zh}范围内，" if tried_zh else ""
        if m.kind == "street" and r.community is not None:
            why += f"所在社区「{r.community.name}」未设责任单位，"
        text_ = f"{why}由所在{KIND_ZH[m.kind]}「{m.name}」属地兜底：{unit}"
    if r.ambiguous:
        rival = next(
            (c for c in r.candidates if c.kind == m.kind and c.unit_id is not None and c.unit_id != r.responsible[0]),
            None,
        )
        if rival is not None:
            text_ += (
                f"；另有{KIND_ZH[rival.kind]}「{rival.name}」（{rival.unit_name}）"
                f"相距不足 {fmt_metres(r.ambiguous_m)} 米，"
                "属边界情况，请指挥中心确认"
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
