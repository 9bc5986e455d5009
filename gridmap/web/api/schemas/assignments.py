"""Assigning by drawing (preview, assign, end), the unit picker, and the gaps nobody is responsible for."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    create_model,
)

from gridmap.responsibility.drawing import MAX_VERTICES
from gridmap.responsibility.gaps import CSV_COLUMNS, NEAREST_M
from gridmap.responsibility.preview import DEFAULT_BUFFER_M, MAX_BUFFER_M
from gridmap.store.models import (
    Role,
    TargetKind,
    UnitKind,
)
from gridmap.store.targets import KINDS
from gridmap.web.api.schemas.common import (
    AreaName,
    Flag,
    GapsFormat,
    Geometry,
    Holder,
    Judged,
    Model,
    Position,
    UnitRef,
    clipped,
    lowered,
)
from gridmap.web.api.schemas.units import Id, Page, PerPage, Unit


class UnitsQuery(Model):
    q: str | None = Field(None, description="part of a name or code")
    kind: UnitKind | None = None
    parent_id: Id = Field(None, description="the units answering to this one")
    area_id: Id = Field(None, description="the units whose scope is this area")
    retired: Flag = Field(None, description="true: only retired units; default: only units in service")
    page: Page = None
    per_page: PerPage = Field(None, description="default 1000, at most 10000")


if TYPE_CHECKING:  # a model whose fields are built from gridmap's vocabulary at run time
    Holds = Model
else:
    Holds = create_model(
        "Holds",
        __base__=Model,
        __doc__="How many features of each kind the unit is responsible for now.",
        **{k: (int, ...) for k in KINDS},
    )


class UnitItem(Unit):
    holds: Holds


class UnitList(Model):
    total: int
    page: int
    per_page: int
    items: list[UnitItem]


class DrawnShape(Model):
    """A GeoJSON LineString or Polygon (or a Feature holding one), EPSG:4326, hand-drawn."""

    type: Judged[Literal["LineString", "Polygon", "Feature"]]
    coordinates: Judged[list[Position] | list[list[Position]]] = Field(
        None, description=f"at most {MAX_VERTICES} vertices; a line or ring that does not cross itself"
    )
    geometry: Judged[Geometry] = Field(None, description="a Feature's geometry")


class PreviewIn(Model):
    required_in_document = ("shape",)

    shape: Judged[DrawnShape] = None
    kinds: Judged[list[TargetKind]] = Field(None, description="default: every kind")
    buffer_m: Judged[float] = Field(
        None, ge=1, le=MAX_BUFFER_M, description=f"a line catches within this distance (default {DEFAULT_BUFFER_M:g})"
    )
    at: Judged[dt.date] = Field(None, description="default today")
    role: Judged[Role] = Field(None, description=f"default {Role.RESPONSIBLE}")
    unit_id: Judged[int] = Field(None, description="the unit about to take them: its own show as group 'own'")


class CaughtFeature(Model):
    model_config = ConfigDict(extra="allow")

    kind: TargetKind
    id: int
    name: str
    code: str | None
    share: float = Field(description="the share of its length or area inside the drawn shape")
    current: Holder | None
    group: Literal["free", "own", "others"] = Field(
        description="free: nobody holds it; own: the unit asked about does; others: another unit (take-over needed)"
    )
    length_m: float | None = Field(None, description="segments")
    area_m2: float | None = Field(None, description="compounds, grids")


class PreviewTotal(Model):
    count: int
    owned: int
    free: int
    own: int = Field(description="held by the unit asked about")
    others: int = Field(description="held by another unit")
    length_m: float | None = Field(None, description="segments")
    area_m2: float | None = Field(None, description="compounds, grids")


if TYPE_CHECKING:  # a model whose fields are built from gridmap's vocabulary at run time
    PreviewTotals = Model
else:
    PreviewTotals = create_model(
        "PreviewTotals",
        __base__=Model,
        __doc__="Per kind asked for.",
        **{k: (PreviewTotal | None, None) for k in KINDS},
    )


class DrawnShapeSummary(Model):
    type: str
    vertices: int
    buffer_m: float | None = Field(description="lines only")
    area_m2: float = Field(description="the area that catches (a line's buffer)")


class Owner(Model):
    unit_id: int | None
    unit_name: str | None
    count: int
    by_kind: dict[str, int] = Field(description="how many of each kind")


class PreviewGroups(Model):
    free: int
    own: int
    others: int


class PreviewAnswer(Model):
    as_of: dt.date
    role: Role
    shape: DrawnShapeSummary
    features: list[CaughtFeature]
    totals: PreviewTotals
    owners: list[Owner] = Field(description="who holds the caught features now, most first")
    groups: PreviewGroups
    losses: list[Owner] = Field(description="the other units and what each would lose by a take-over")


class TargetIn(Model):
    kind: Judged[TargetKind]
    id: Judged[int]
    expected: Judged[int | None] = Field(
        None, description="the assignment_id the preview showed (null: none); a different holder now is a 409"
    )


Clipped = Annotated[str | None, clipped(200), Field(description="at most 200 characters are kept")]


class AssignIn(Model):
    """Make a unit responsible (in a role) for features, all or nothing."""

    required_in_document = ("targets", "unit_id")

    targets: Judged[list[TargetIn]] = None
    unit_id: Judged[int] = None
    role: Judged[Role] = Field(None, description=f"default {Role.RESPONSIBLE}")
    valid_from: Judged[dt.date] = Field(None, description="default today")
    valid_to: Judged[dt.date] = Field(None, description="default: open-ended")
    person_id: Judged[int] = Field(None, description="the person holding the role, when it is a person's")
    by: Clipped = Field(None, description="a name to note; who assigns is the signed-in account, always")
    note: Clipped = None
    take_over: Judged[bool] = Field(
        None, description="true: take features held by another unit too (default: leave them with their holder)"
    )


class Assigned(Model):
    kind: TargetKind
    id: int
    name: str
    previous: Holder | None = Field(description="the period this one closed")


class Unchanged(Model):
    kind: TargetKind
    id: int
    name: str
    assignment_id: int


class AssignCounts(Model):
    assigned: int
    unchanged: int
    closed: int
    held_by_others: int


class HeldByOther(Model):
    kind: TargetKind
    id: int
    name: str
    current: Holder


class AssignAnswer(Model):
    unit: UnitRef
    role: Role
    valid_from: dt.date
    valid_to: dt.date | None
    assigned: list[Assigned]
    unchanged: list[Unchanged] = Field(description="already held by this unit: left as they were")
    held_by_others: list[HeldByOther] = Field(description="held by another unit and not taken (no take_over)")
    counts: AssignCounts


class EndIn(Model):
    on: Judged[dt.date] = Field(None, description="the first day it no longer holds (default today)")
    by: Clipped = Field(None, description="a name to note; who ends it is the signed-in account, always")


class EndAnswer(Model):
    assignment_id: int
    kind: TargetKind
    target_id: int
    unit_id: int | None
    role: Role
    valid_from: dt.date
    valid_to: dt.date


class GapsQuery(Model):
    format: Annotated[GapsFormat, BeforeValidator(lowered)] = GapsFormat.JSON
    at: Judged[dt.date] = Field(None, description="as of this day (default today)")
    kind: Judged[str] = Field(None, description=f"comma list of {', '.join(KINDS)} (default all)")
    kinds: Judged[str] = Field(None, description="the same as kind")
    street: Judged[str] = Field(None, description="a 街道 code or name")
    community: Judged[str] = Field(None, description="a 社区 code or name")
    nearest_m: Judged[float] = Field(None, ge=0, le=5000, description=f"suggest units within (default {NEAREST_M:g})")
    download: Flag = Field(None, description="geojson: as a file to save")


class Nearest(Model):
    unit_id: int
    unit_name: str | None
    distance_m: float


class GapTotal(Model):
    count: int
    length_m: float | None = Field(None, description="segments")
    area_m2: float | None = Field(None, description="compounds, grids")


if TYPE_CHECKING:  # a model whose fields are built from gridmap's vocabulary at run time
    GapTotals = Model
else:
    GapTotals = create_model(
        "GapTotals", __base__=Model, __doc__="Per kind asked for.", **{k: (GapTotal | None, None) for k in KINDS}
    )


class Gap(Model):
    kind: TargetKind
    id: int
    code: str | None
    name: str
    street: AreaName | None
    community: AreaName | None
    default_unit: UnitRef | None = Field(description="属地兜底: the unit of its 社区, else of its 街道")
    nearest: list[Nearest] = Field(description="units holding the nearest same-kind features")
    length_m: float | None = Field(None, description="segments")
    area_m2: float | None = Field(None, description="compounds, grids")


class GapFilters(Model):
    kinds: list[TargetKind]
    street: str | None
    community: str | None
    nearest_m: float


class Gaps(Model):
    """The segments, compounds and grids nobody is responsible for on the day."""

    as_of: dt.date
    filters: GapFilters
    totals: GapTotals
    count: int
    items: list[Gap]


class GapProperties(Model):
    """A gap's fields, flattened for GIS tools (the CSV's columns, and ``nearest``)."""

    kind: TargetKind
    id: int
    code: str | None
    name: str
    length_m: float | None = None
    area_m2: float | None = None
    street_code: str | None
    street: str | None
    community_code: str | None
    community: str | None
    default_unit: str | None
    nearest_unit: str | None
    nearest_distance_m: float | None
    other_nearby_units: str | None
    nearest: list[Nearest]


class GapFeature(Model):
    type: Literal["Feature"]
    id: str = Field(description="kind.id")
    geometry: Geometry | None
    properties: GapProperties


class GapsGeoJSON(Model):
    """The gaps as a GeoJSON FeatureCollection (EPSG:4326)."""

    type: Literal["FeatureCollection"]
    as_of: dt.date
    totals: GapTotals
    numberMatched: int
    numberReturned: int
    features: list[GapFeature]


GAPS_CSV = {
    "type": "string",
    "description": f"UTF-8 with a BOM (Excel), one row per gap; columns: {', '.join(CSV_COLUMNS)}",
}


class Coverage(Model):
    """Totals and coverage rates (null when there is nothing of the kind)."""

    segments: int
    segments_unassigned: int
    segments_km: float
    segments_unassigned_km: float
    segments_coverage: float | None
    compounds: int
    compounds_unassigned: int
    compounds_coverage: float | None
    grids: int
    grids_unassigned: int
    grids_km2: float
    grids_unassigned_km2: float
    grids_coverage: float | None


class CommunityCoverage(Coverage):
    id: int = Field(description="the 社区's area id (its features' id in the communities collection and tiles)")
    code: str
    name: str


class StreetCoverage(Coverage):
    code: str
    name: str
    communities: list[CommunityCoverage]


class GapsSummary(Model):
    as_of: dt.date
    district: Coverage
    streets: list[StreetCoverage]
    outside: Coverage | None = Field(description="features outside every 社区 (null: none)")
