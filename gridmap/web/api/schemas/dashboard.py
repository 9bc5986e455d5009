"""The dashboard's figures (the start page and the large screen read the same)."""

from __future__ import annotations

from pydantic import Field

from gridmap.web.api.schemas.common import Model


class Trend(Model):
    weeks: list[str] = Field(description="ISO weeks, oldest first (this week last)")
    labels_zh: list[str] = Field(description="the same weeks as a person reads them: 第48周")
    due: list[int]
    closure: list[float | None] = Field(description="% of the cases due in the week that are closed (null: none due)")
    on_time: list[float | None] = Field(description="% of the cases due in the week closed by their deadline")


class Ranked(Model):
    name: str
    score: float
    grade: str | None


class DashboardRanking(Model):
    period: str
    label_zh: str
    scheme: str
    top: list[Ranked]
    bottom: list[Ranked] = Field(description="the last first")


class HotSpot(Model):
    name: str
    reports: int
    open: int


class Dashboard(Model):
    """The figures within the caller's scope, as of ``as_of`` (local time)."""

    as_of: str
    reports_today: int
    reports_week: int
    open: int
    overdue: int
    closed_week: int
    coverage: float | None = Field(description="% of grids, road segments and compounds with a responsible unit")
    trend: Trend
    ranking: DashboardRanking | None = Field(description="the latest published unit scorecard (null: none yet)")
    hot_spots: list[HotSpot]
