"""Inspections 明查暗访: checklist editions, an inspection and its findings, the problem list 问题清单 with its 销号
tally, the weekly look-back 回头看. Times are the city's local time with their offset; days are ISO dates."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from gridmap.inputs import parse_day
from gridmap.store.models import InspectionKind
from gridmap.web.api.schemas.cases import NumberText, Photos
from gridmap.web.api.schemas.common import Judged, Model, checked


class ChecklistItem(Model):
    id: int
    code: str = Field(description="stable across editions (a look-back matches items by it)")
    name_zh: str
    name_en: str | None
    standard: str | None = Field(description="测评标准: what passes")
    points: float
    observations: int = Field(description="how many observations the item needs")
    category: str = Field(description="the case category a failed item becomes")
    category_name: str | None


class Checklist(Model):
    """One edition of a point type's checklist; frozen once an inspection used it."""

    id: int
    point_type: str
    point_type_name: str
    edition: int
    name_zh: str
    name_en: str | None
    frozen: bool
    created_at: str
    created_by: str
    total_points: float
    items: list[ChecklistItem]


class ChecklistList(Model):
    templates: list[Checklist] = Field(description="the current edition of each point type")


class ChecklistItemIn(Model):
    code: Judged[str] = Field(None, description="default I01, I02… in order")
    name_zh: Judged[str] = None
    name_en: Judged[str] = None
    standard: Judged[str] = None
    points: Judged[float] = Field(None, description="more than 0, at most 100")
    observations: Judged[int] = Field(None, description="default 1")
    category: Judged[str] = Field(None, description="a sub-class code of the categories")


class ChecklistIn(Model):
    """The whole list of items: replaces the current edition's, or makes the next edition when it is frozen."""

    required_in_document = ("items",)

    name_zh: Judged[str] = None
    name_en: Judged[str] = None
    items: Judged[list[ChecklistItemIn]] = None


class InspectionIn(Model):
    required_in_document = ("point_type",)

    point_type: Judged[str] = Field(None, description="main_road, back_lane, compound, market, park_square…")
    kind: Judged[InspectionKind] = Field(None, description="open 明查 (default) or covert 暗访")
    title: Judged[str] = None
    team: Judged[str] = None
    day: Judged[dt.date] = Field(None, description="default today")
    street: Judged[int | str] = Field(None, description="the area inspected: a 街道's id, code or name")


class Finding(Model):
    id: int
    item_id: int
    item_code: str
    item_name: str
    item_name_en: str | None
    category: str
    passed: bool
    points_deducted: float
    lon: float
    lat: float
    note: str | None
    photos: list[str] = Field(description="stored photo names: /api/v1/photos/<name> for those who see photos")
    case_id: int | None = Field(description="the case a failed item opened")
    case_status: str | None
    unit_id: int | None
    unit_name: str | None
    recheck_of: int | None = Field(description="the earlier failed finding this one re-inspects (回头看)")
    repeat: bool = Field(description="a re-inspected point that failed again (反弹)")
    recorded_at: str
    recorded_by: str
    client_id: str | None


class InspectionHeader(Model):
    id: int
    kind: InspectionKind
    kind_name: str
    title: str
    team: str | None
    day: dt.date
    street_id: int | None
    street_name: str | None
    template_id: int
    point_type: str
    point_type_name: str
    edition: int
    created_at: str
    created_by: str
    published_at: str | None = Field(description="a covert inspection is hidden from unit clerks until then")
    published_by: str | None


class Inspection(InspectionHeader):
    checklist: Checklist
    findings: list[Finding]


class InspectionSummary(InspectionHeader):
    findings: int
    failed: int


class InspectionList(Model):
    items: list[InspectionSummary]


class ItemScoreIn(Model):
    """One checklist item scored: a mock assessment's item at a drawn point, and the fields of an inspection's
    finding (:class:`FindingIn` adds the look-back's ``recheck_of``); checked by the same code."""

    required_in_document = ("passed", "lon", "lat")

    item: Judged[str] = Field(None, description="the item's code (or send item_id)")
    item_id: Judged[int] = None
    passed: Judged[bool] = None
    points_deducted: Judged[float] = Field(None, description="default: the item's points when failed")
    lon: Judged[float] = Field(None, description="GPS or a pin on the map (required)")
    lat: Judged[float] = None
    crs: Judged[str] = Field(None, description="wgs84 (default) or gcj02")
    note: Judged[str] = None
    client_id: Judged[str] = Field(None, description="the phone's key: a retry stores nothing twice")


class ItemScoreForm(Model):
    """One checklist item scored at a point as a multipart form, with its photos (the phone page)."""

    item: Judged[str] = None
    item_id: NumberText = None
    passed: Judged[str] = Field(None, description="true or false")
    points_deducted: NumberText = None
    lon: NumberText = None
    lat: NumberText = None
    crs: Judged[str] = None
    note: Judged[str] = None
    client_id: Judged[str] = None
    photos: Photos = Field(None, max_length=3)


class FindingIn(ItemScoreIn):
    recheck_of: Judged[int] = Field(None, description="the failed finding this re-inspects (回头看)")


class FindingsIn(Model):
    """Findings recorded at once: all stored, or none (every problem named with the finding's number)."""

    required_in_document = ("findings",)

    findings: Judged[list[FindingIn]] = None


class FindingForm(ItemScoreForm):
    """One finding as a multipart form, with its photos (the phone page)."""

    recheck_of: NumberText = None


class ProblemRow(Finding):
    deadline: str | None
    closed_at: str | None
    overdue: bool
    light: str | None = Field(description="green, yellow or red")
    rework_count: int


class Tally(Model):
    total: int
    rectified: int = Field(description="closed after re-check")
    overdue: int = Field(description="past the deadline, or closed late")
    rework: int = Field(description="sent back at least once (返工)")
    repeats: int = Field(description="re-inspected and failed again (反弹)")
    void: int


class UnitProblems(Tally):
    unit_id: int | None
    unit_name: str
    ticked_off: bool = Field(description="销号: every case closed")
    problems: list[ProblemRow]


class ProblemList(Model):
    """问题清单: the failed findings grouped by the unit each was routed to, with the 销号 tally."""

    inspection: InspectionHeader
    findings: int
    passed: int
    points_deducted: float
    total_points: float
    units: list[UnitProblems]
    totals: Tally
    ticked_off: bool
    as_of: str


Day = Annotated[dt.date | None, checked(parse_day, dt.date)]


class LookBackQuery(Model):
    day: Day = Field(None, description="a day of this week (default today): last week is looked back at")


class LookBackPoint(Model):
    id: int
    lon: float
    lat: float
    note: str | None
    unit_id: int | None
    unit_name: str | None
    case_id: int | None
    case_status: str | None
    inspection_id: int
    title: str
    day: dt.date
    code: str
    name_zh: str
    point_type: str
    point_type_name: str
    recheck_id: int | None
    recheck_passed: bool | None
    rechecked_at: str | None
    recheck: str | None = Field(description="null (not yet), passed, or repeat (反弹)")


class UnitRepeats(Model):
    unit_id: int | None
    unit_name: str | None
    repeats: int


class LookBack(Model):
    week_start: dt.date
    week_end: dt.date
    points: list[LookBackPoint]
    rechecked: int
    repeats: list[UnitRepeats]
