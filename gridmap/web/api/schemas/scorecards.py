"""Scorecards and evaluation schemes as the API reads and writes them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gridmap.evaluation.scheme import SchemeDoc
from gridmap.web.api.schemas.common import Judged, Model

Subject = Literal["unit", "street", "community", "grid", "dispatcher", "inspector"]


class ScorecardQuery(Model):
    period: Judged[str] = Field(None, description="2026-11, 2026-W47, 2026-Q4, 2026, or 2026-11-03..2026-11-20 "
                                "(local days, both included); required")  # fmt: skip
    subject: Subject = Field("unit", description="who is scored")
    scheme: str | None = Field(None, max_length=64, description="a scheme code (default: the subject's composite)")
    group: str | None = Field(None, max_length=32, description="one peer group (a unit kind; a 街道 for 社区)")
    live: bool = Field(False, description="count afresh even when the period was published")


class PublishIn(Model):
    required_in_document = ("period",)

    period: Judged[str] = Field(None, description="a finished period (as in GET /scorecards)")
    subject: Subject = "unit"
    scheme: str | None = Field(None, max_length=64)
    note: str | None = Field(None, max_length=500)


class ScorecardRow(Model):
    subject_id: str = Field(description="a unit, area or grid id, or an account's user name")
    name: str
    group: str | None = Field(description="its peer group (ranked within it)")
    counts: dict[str, int] = Field(description="the base counts (立案, 应结案, 结案 …) by key")
    values: dict[str, float | None] = Field(description="each indicator: a rate in percent or a count (null: 0/0)")
    points: dict[str, float] = Field(description="points per scored indicator, weight applied")
    score: float | None = Field(description="null: too few cases to grade or rank")
    grade: str | None
    rank: int | None = Field(description="within its peer group; ties share a rank")
    cases: dict[str, str] = Field(description="per base count: the /cases query listing the cases it counts")


class ScorecardPublication(Model):
    at: str = Field(description="when (ISO-8601)")
    by: str | None
    scheme_version: int


class SchemeRef(Model):
    code: str
    version: int
    name_zh: str
    name_en: str | None
    subject: str


class IndicatorOut(Model):
    key: str
    name_zh: str
    name_en: str | None
    numerator: list[str] = Field(description='base counts; "-" subtracts')
    denominator: list[str] | None = Field(description="null: a count, not a rate")


class ComponentOut(Model):
    indicator: str
    kind: str = Field(description="linear, threshold, tiers or per_event")
    weight: float


class PeerGroup(Model):
    key: str
    name_zh: str | None
    name_en: str | None


class Scorecard(Model):
    scheme: SchemeRef = Field(description="the scheme version the card was scored by")
    indicators: list[IndicatorOut]
    components: list[ComponentOut]
    counts: dict[str, dict[str, str]] = Field(description="each base count's name in zh and en")
    period: dict[str, str] = Field(description="key, kind, label_zh, start and end (local time with offset)")
    computed_at: str
    published: ScorecardPublication | None = Field(description="null: counted now, not published (it may still change)")
    groups: list[PeerGroup] = Field(description="peer groups")
    rows: list[ScorecardRow]


class TrendSeries(Model):
    subject_id: str
    name: str
    scores: list[float | None]


class Trends(Model):
    periods: list[str] = Field(description="oldest first; the last is the period asked for")
    labels_zh: list[str]
    series: list[TrendSeries]


class SchemeIn(Model):
    required_in_document = ("document",)

    document: Judged[SchemeDoc] = Field(None, description="the scheme (see gridmap/evaluation/scheme.py); saved "
                                             "as the next version of its code")  # fmt: skip
    note: str | None = Field(None, max_length=500)


class Scheme(Model):
    code: str
    version: int
    name_zh: str
    name_en: str | None
    subject: str
    created_at: str | None
    created_by: str | None
    note: str | None
    document: SchemeDoc


class SchemeList(Model):
    items: list[Scheme]
