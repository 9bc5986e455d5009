"""Mock assessments 模拟测评: what a client sends to draw one and to score a point, and what it reads back."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from gridmap.web.api.schemas.common import Judged, Model

# The checklist edition a point is scored on is the inspections' own resource (the same edition, read by the same
# code): one model of it, not a copy that could drift.
from gridmap.web.api.schemas.inspections import Checklist, ItemScoreIn


class DrawIn(Model):
    """A draw: N points, quotas per type (the other types share the rest by their candidates), the weeks whose
    points are left out, the seed (new when not given; stored either way) and the number of teams."""

    required_in_document = ("points",)

    points: Judged[int] = Field(None, description="how many points in all (1–1000)")
    quotas: Judged[dict[str, int] | list[str]] = Field(
        None,
        description='points per type: {"market": 3, "主次干道": 10} or ["农贸市场=3"]; types by code or '
        "Chinese name (main_road 主次干道, back_street 背街小巷, compound 小区, market 农贸市场, park 公园广场, "
        "site 建筑工地, school 学校周边, commercial 商业大街, hospital 医院, station 车站, hall 政务服务大厅)",
    )
    exclude_weeks: Judged[int] = Field(None, description="leave out points drawn in the last K weeks (default 0)")
    seed: Judged[int] = Field(None, description="the random seed (0 … 2⁶³−1); the same seed on the same store "
                              "draws the same points")  # fmt: skip
    teams: Judged[int] = Field(None, description="split the points among T teams (default 1)")
    title: Judged[str] = None
    drawn_on: Judged[dt.date] = Field(None, description="the day of the draw (default today)")


class PointScoreIn(Model):
    """A point's score out of its full mark (sent again to correct it)."""

    required_in_document = ("score", "possible")

    score: Judged[float] = Field(None, description="0 … possible")
    possible: Judged[float] = Field(None, description="the full mark, > 0")
    note: Judged[str | None] = None


class QuotaOut(Model):
    type: str
    type_name: str
    n: int


class AssessmentPointOut(Model):
    """A drawn point, with its team, its stop on the team's walk and its score (null until scored)."""

    id: int
    seq: int = Field(description="1.. in the order drawn")
    type: str
    type_name: str
    source: str = Field(description="segment | compound | place")
    target_id: int
    name: str | None
    street_id: int | None
    street_name: str | None
    lon: float
    lat: float
    team: int
    stop: int
    score: float | None
    possible: float | None
    rate: float | None
    note: str | None
    scored_by: str | None
    scored_at: str | None


class DrawParams(Model):
    """What repeats a draw, with its seed."""

    points: int
    quotas_asked: dict[str, int] = Field(description="the quotas as asked (type code → n)")
    quotas: dict[str, int] = Field(description="the quotas used: those asked and the rest shared by candidates")
    exclude_weeks: int
    teams: int
    method: str = Field(description="how the seed picks the points (pcg64-keys-v1)")
    candidates: dict[str, int] = Field(description="candidates per type in the store when drawn")
    excluded: dict[str, int] = Field(description="candidates per type left out as drawn in the last weeks")


class AssessmentSummary(Model):
    id: int
    title: str
    drawn_on: dt.date
    seed: int
    params: DrawParams
    created_at: str
    created_by: str
    closed_at: str | None = Field(description="when its scores became final (null: items may still be corrected)")
    closed_by: str | None
    quotas: list[QuotaOut]


class AssessmentList(Model):
    items: list[AssessmentSummary]


class RateLine(Model):
    """Score ÷ possible over the points scored, with the previous assessment's rate and the change (points)."""

    points: int
    scored: int
    score: float
    possible: float
    rate: float | None
    previous_rate: float | None
    change_pp: float | None = Field(description="change in percentage points")
    type: str | None = None
    type_name: str | None = None
    street_id: int | None = None
    street_name: str | None = None


class PreviousRef(Model):
    id: int
    title: str
    drawn_on: dt.date


class Results(Model):
    assessment_id: int
    previous: PreviousRef | None
    overall: RateLine
    by_type: list[RateLine]
    by_street: list[RateLine]


class AssessmentOut(AssessmentSummary):
    points: list[AssessmentPointOut]
    results: Results


class PointItemsIn(Model):
    """Checklist items scored at a point: all stored, or none (every problem named with the item's number)."""

    required_in_document = ("items",)

    items: Judged[list[ItemScoreIn]] = None


class ItemCorrectionIn(Model):
    """A scored item corrected before the assessment is closed: the item stays, the rest is given anew (the place
    only if it moves)."""

    required_in_document = ("passed",)

    passed: Judged[bool] = None
    points_deducted: Judged[float] = Field(None, description="default: the item's points when failed")
    note: Judged[str | None] = None
    lon: Judged[float] = Field(None, description="default: the place recorded")
    lat: Judged[float] = None
    crs: Judged[str] = Field(None, description="wgs84 (default) or gcj02")


class ScoredItem(Model):
    """One checklist item scored at a point; a failed one opened ``case_id``, routed to ``unit_id``."""

    id: int
    item_id: int
    item_code: str
    item_name: str
    passed: bool
    points_deducted: float
    lon: float
    lat: float
    note: str | None
    photos: list[str]
    case_id: int | None
    case_status: str | None
    unit_id: int | None
    unit_name: str | None
    recorded_at: str | None
    recorded_by: str


class PointSheet(Model):
    """A drawn point with its checklist edition (null for a type scored whole) and the items scored so far."""

    point: AssessmentPointOut
    checklist: Checklist | None
    items: list[ScoredItem]
