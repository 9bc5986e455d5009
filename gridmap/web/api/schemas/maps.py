"""What the map reads: search, a feature's details and history, a unit's page, the problem heatmap."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from pydantic import (
    ConfigDict,
    Field,
    create_model,
)

from gridmap.cases.queries import CASE_FILTERS
from gridmap.store.models import (
    CaseStatus,
    Role,
    SegmentLevel,
    TargetKind,
    UnitKind,
)
from gridmap.store.targets import TARGETS
from gridmap.web.api.schemas.common import Geometry, HeatMode, IsoTime, Judged, Model, OnDay, UnitRef


class SearchQuery(Model):
    required_in_document = ("q",)

    q: Judged[str] = Field(None, max_length=100, description="part of a unit, road or compound name, or a grid code")
    at: OnDay = Field(None, description="as of this day (default today)")


class SearchHit(Model):
    kind: str = Field(description="unit, road (every segment of that name), compound or grid")
    id: int = Field(description="a road: its first segment")
    label: str
    bbox: list[float] | None = Field(min_length=4, max_length=4, description="minlon, minlat, maxlon, maxlat")
    code: str | None = Field(None, description="units only")
    url: str | None = Field(None, description="units only: the unit's page")
    segments: int | None = Field(None, description="roads only: how many segments bear the name")
    segment_ids: list[int] | None = Field(None, description="roads only: the segments (the map outlines them)")


class SearchAnswer(Model):
    q: str
    results: list[SearchHit]


class FeatureProperties(Model):
    """The feature's attributes (which depends on its kind) and who is responsible for it on the day."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    code: str | None = None
    level: SegmentLevel | None = None
    length_m: float | None = None
    area_m2: float | None = None
    from_desc: str | None = None
    to_desc: str | None = None
    households: int | None = None
    community_id: int | None = None
    version: int | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    unit_id: int | None
    unit_name: str | None
    assigned_until: dt.date | None
    responsibility: str = Field(description="assigned, ending (within 30 days) or unassigned")


class PersonRef(Model):
    id: int
    name: str
    phone: str | None


class AssignmentPeriod(Model):
    id: int
    role: Role
    role_zh: str
    unit: UnitRef | None
    person: PersonRef | None
    valid_from: dt.date
    valid_to: dt.date | None = Field(description="the first day it no longer holds (null: still in force)")
    assigned_by: str | None
    note: str | None


class RolePerson(Model):
    name: str | None
    phone: str | None
    unit_name: str | None


class RoleHolders(Model):
    role: Role
    role_zh: str
    people: list[RolePerson]


class OpenCase(Model):
    id: int
    status: CaseStatus
    category: str
    category_name: str | None
    deadline: str | None = Field(description="ISO-8601 (as stored: UTC, without an offset on SpatiaLite)")
    description: str | None


class FeatureDetails(Model):
    kind: TargetKind
    id: int
    name: str | None
    properties: FeatureProperties
    as_of: dt.date
    responsible: AssignmentPeriod | None
    responsibility: str = Field(description="assigned, ending (within 30 days) or unassigned")
    roles: list[RoleHolders] = Field(description="the people in each role the kind takes")
    open_cases: list[OpenCase]
    history_url: str
    history_page: str


class FeatureHistory(Model):
    kind: TargetKind
    id: int
    name: str | None
    assignments: list[AssignmentPeriod] = Field(description="every period, every role, oldest first")


if TYPE_CHECKING:  # a model whose fields are built from gridmap's vocabulary at run time
    UnitTotals = Model
else:
    UnitTotals = create_model(
        "UnitTotals",
        __base__=Model,
        __doc__="What the unit is responsible for on the day: features of each kind and their length or area.",
        open_cases=(int, ...),
        **{t.collection: (int, ...) for t in TARGETS.values()},
        **{
            f"{t.collection}_{t.total_unit}": (float, Field(description=f"{t.measure} in {t.total_unit}"))
            for t in TARGETS.values()
        },
    )


class UnitOpenCase(Model):
    id: int
    status: CaseStatus
    category: str
    category_name: str | None
    deadline: str | None = Field(description="ISO-8601 (as stored: UTC, without an offset on SpatiaLite)")
    overdue: bool
    where: str | None = Field(description="the address, else the description")


class UnitOverview(Model):
    id: int
    code: str | None
    name: str
    kind: UnitKind
    contact_name: str | None
    contact_phone: str | None
    as_of: dt.date
    totals: UnitTotals
    bbox: list[float] | None = Field(min_length=4, max_length=4, description="around everything it is responsible for")
    people: list[PersonRef]
    open_cases: list[UnitOpenCase]


if TYPE_CHECKING:  # a model whose fields are built from gridmap's vocabulary at run time
    HeatFilters = Model
else:
    HeatFilters = create_model(
        "HeatFilters",
        __base__=Model,
        __doc__="The filters applied, as /api/v1/cases parameters.",
        **{(f"{k}_" if k == "from" else k): (str, Field(None, alias=k)) for k in CASE_FILTERS},
    )


class HeatQuery(Model):
    mode: Judged[HeatMode] = Field(None, description="default points")
    status: Judged[str] = Field(None, description="as in /api/v1/cases; default active")
    category: Judged[str] = Field(None, description="as in /api/v1/cases")
    source: Judged[str] = Field(None, description="as in /api/v1/cases")
    unit: Judged[str] = Field(None, description="as in /api/v1/cases")
    street: Judged[str] = Field(None, description="as in /api/v1/cases")
    community: Judged[str] = Field(None, description="as in /api/v1/cases")
    from_: Judged[IsoTime] = Field(None, alias="from", description="as in /api/v1/cases")
    to: Judged[IsoTime] = Field(None, description="as in /api/v1/cases")
    overdue: Judged[bool] = Field(None, description="as in /api/v1/cases")
    duplicate: Judged[bool] = Field(None, description="as in /api/v1/cases")
    bbox: Judged[str] = Field(None, description="minlon,minlat,maxlon,maxlat")
    zoom: Judged[int] = Field(
        None, ge=0, le=22, description="the map's zoom: grids below 14 and segments below 13 are counted per 街道"
    )
    top: Judged[int] = Field(None, ge=1, le=1000, description="grids, segments: only the N with the most cases")
    snap_m: Judged[float] = Field(None, ge=1, le=200, description="segments mode: how near a road a case counts")

    def filters(self) -> dict[str, object]:
        return self.sent(by_alias=True)


class HeatProperties(Model):
    id: int
    count: int
    code: str | None = Field(None, description="grids, 街道")
    per_km2: float | None = Field(None, description="grids, 街道")
    name: str | None = Field(None, description="segments, 街道")
    length_m: float | None = Field(None, description="segments")
    per_km: float | None = Field(None, description="segments")


class HeatFeature(Model):
    type: Literal["Feature"]
    id: int
    geometry: Geometry
    properties: HeatProperties


class HeatFeatures(Model):
    type: Literal["FeatureCollection"]
    features: list[HeatFeature]


class HeatAnswer(Model):
    """Case points (mode points), or counts per unit grid (grids) or per road km (segments)."""

    mode: HeatMode
    count: int = Field(description="cases found (grids, segments: the newest 200 000 at most)")
    truncated: bool
    level: Literal["street"] | None = Field(
        None, description="grids, segments below their minimum zoom: the counts are per 街道 (features: outlines)"
    )
    min_zoom: int | None = Field(None, description="level street: the zoom from which grids / segments are drawn")
    maintained: bool | None = Field(
        None, description="grids, segments: counted from the maintained per-grid/segment totals (every case, no cap)"
    )
    filters: HeatFilters
    cases_url: str = Field(description="the same cases as a list")
    points: list[tuple[float, float, float]] | None = Field(None, description="points: [lat, lon, weight] triples")
    binned: float | None = Field(
        None, description="points: more than 50 000 cases were counted in square cells this wide (degrees)"
    )
    counted: int | None = Field(None, description="grids, segments: cases that fell in a grid / near a road")
    max: int | None = Field(None, description="grids: the largest count")
    max_per_km: float | None = Field(None, description="segments: the largest count per km")
    features: HeatFeatures | None = Field(None, description="grids, segments")
