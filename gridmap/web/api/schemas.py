"""The typed models of the JSON API: what each ``/api/v1`` request may carry and what each answer holds.

:mod:`~gridmap.web.api.openapi` validates every request against its models before the handler runs and generates
the OpenAPI document from them. The vocabulary (statuses, actions, kinds, roles, rules…) is imported from the
use-cases and the store, never typed again here.

A value that its use-case checks itself, with a message naming the field, is :data:`Judged`: the document shows its
type and range, the model passes it on as sent, and the use-case judges it together with everything else in the
request (one answer lists every problem). The models themselves refuse what no use-case looks at: a body that is not
an object, a list that is too long, a flag or a date that a handler would have read itself.

Response models are the document of what the use-cases answer; they are not applied at run time (the contract test,
tests/test_openapi.py, checks real answers against the document on both databases).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    SkipValidation,
    StrictBool,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError

from gridmap.cases import ACTIONS, MAX_DESCRIPTION
from gridmap.cases.photos import MAX_PHOTOS
from gridmap.cases.queries import CASE_FILTERS
from gridmap.errors import Problem
from gridmap.inputs import parse_day, parse_flag, parse_int
from gridmap.maps.heat import MODES as HEAT_MODES
from gridmap.responsibility.drawing import MAX_VERTICES
from gridmap.responsibility.gaps import CSV_COLUMNS, NEAREST_M
from gridmap.responsibility.preview import DEFAULT_BUFFER_M, MAX_BUFFER_M
from gridmap.routing import CRS_NAMES, MATCH_KINDS, RULES
from gridmap.store.models import (
    CaseSource,
    CaseStatus,
    CategoryFamily,
    DeadlineUnit,
    Role,
    SegmentLevel,
    TargetKind,
    UnitKind,
    Urgency,
)
from gridmap.store.targets import KINDS, TARGETS

T = TypeVar("T")

Judged = Annotated[T, SkipValidation]
"""A value its use-case checks (with its own message naming the field): documented as ``T``, passed on as sent."""


IsoTime = Annotated[str, Field(examples=["2026-03-02T09:30:00+08:00"])]
"""An ISO-8601 time (without an offset: the city's local time) or day, read by the use-case."""


def vocabulary(name: str, values: Iterable[str], doc: str) -> type[enum.StrEnum]:
    """An enum (one schema in the document) of words gridmap defines as a tuple elsewhere."""
    words = enum.StrEnum(name, {v.upper(): v for v in values})  # type: ignore[misc]
    words.__doc__ = doc
    return words


Crs = vocabulary("Crs", CRS_NAMES, "The coordinate system of a point: WGS-84 (GPS) or GCJ-02 (Amap, Tencent maps).")
Rule = vocabulary("Rule", RULES, "The routing rule that found the responsible unit (the default party: 属地兜底).")
MatchKind = vocabulary("MatchKind", MATCH_KINDS, "What a report matched: a feature, or for the default party an area.")
ActionName = vocabulary("ActionName", ACTIONS, "A step of the closed loop (闭环).")
HeatMode = vocabulary("HeatMode", HEAT_MODES, "Case points, or counts per unit grid, or per road km.")


class GapsFormat(enum.StrEnum):
    """What ``GET /api/v1/gaps`` answers with."""

    JSON = "json"
    CSV = "csv"
    GEOJSON = "geojson"


class HealthStatus(enum.StrEnum):
    OK = "ok"
    UNINITIALISED = "uninitialised"  # the database has no schema yet (``gridmap db upgrade``)


class Model(BaseModel):
    """The base of the API's models: a value left out is documented without a default of null, and the
    :data:`Judged` fields named in ``required_in_document`` are listed as required although a missing one gets
    through (its use-case names it with its own message, together with every other problem of the request)."""

    model_config = ConfigDict(json_schema_extra=lambda schema, model: _document(schema, model))
    required_in_document: ClassVar[tuple[str, ...]] = ()

    def sent(self, **kwargs: Any) -> dict[str, Any]:
        """The fields the client sent, as sent (a :data:`Judged` value is not converted), for the use-case."""
        return self.model_dump(exclude_unset=True, warnings=False, **kwargs)


def _document(schema: dict[str, Any], model: type[Model]) -> None:
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]
    wanted = [n for n in model.required_in_document if n not in schema.get("required", [])]
    if wanted:
        schema["required"] = [*schema.get("required", []), *wanted]


def _checked(
    parse: Callable[[object, str, list[Problem]], object], schema_type: Any, *, required: bool = False
) -> PlainValidator:
    """A validator from one of :mod:`gridmap.inputs`' parsers: its value (None when empty) and its message."""

    def validate(value: object) -> object:
        problems: list[Problem] = []
        out = parse(value, "", problems)
        if problems:
            raise PydanticCustomError("gridmap", "{message}", {"message": problems[0].message})
        if out is None and required:
            raise PydanticCustomError("gridmap", "is required")
        return out

    return PlainValidator(validate, json_schema_input_type=schema_type)


def _clipped(limit: int) -> BeforeValidator:
    """Free text of a write's author or note: numbers taken as text, empty as none, cut at ``limit`` characters."""
    return BeforeValidator(lambda value: None if value in (None, "") else str(value)[:limit])


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _json_object_text(value: object) -> object:
    """A form field holding a JSON object as text (``data`` of a step sent as a form) → the object."""
    if isinstance(value, str):
        import json

        try:
            return json.loads(value) if value.strip() else None
        except ValueError:
            raise PydanticCustomError("gridmap", "is not a JSON object") from None
    return value


Flag = Annotated[bool, _checked(parse_flag, bool)]
"""true/false, 1/0, yes/no (any case), as every flag of gridmap's query strings."""

Day = Annotated[dt.date, _checked(parse_day, dt.date, required=True)]


def _year(value: object, field: str, problems: list[Problem]) -> int | None:
    return parse_int(value, field, problems, lo=1, hi=9998)


# ------------------------------------------------------------------------------------------------------------------
# shared pieces


class Error(Model):
    """Every error answer of the API (never a traceback)."""

    error: str = Field(description="what is wrong, for a person to read")
    status: int = Field(description="the HTTP status again")
    details: list[str] = Field(
        default_factory=list, description="one line per problem, naming the field: `field 'lon': is required`"
    )


Position = Annotated[list[float], Field(min_length=2, max_length=3, description="[lon, lat] in WGS-84")]


class Geometry(Model):
    """A GeoJSON geometry (RFC 7946), EPSG:4326."""

    type: Literal["Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"]
    coordinates: Position | list[Position] | list[list[Position]] | list[list[list[Position]]]


class UnitRef(Model):
    id: int
    name: str | None


class AreaName(Model):
    code: str
    name: str


class Responsible(Model):
    unit_id: int
    unit_name: str | None


class Matched(Model):
    kind: MatchKind  # type: ignore[valid-type]
    id: int = Field(description="the id the map layers give the feature")
    name: str | None


class Candidate(Model):
    """A feature a routing rule found within its tolerance (``unit_id`` null: nobody is responsible for it)."""

    kind: MatchKind  # type: ignore[valid-type]
    id: int
    name: str | None
    unit_id: int | None
    unit_name: str | None
    distance_m: float


class AreaRef(Model):
    id: int
    code: str
    name: str


class Holder(Model):
    """Who holds a feature now: its open assignment (``assignment_id`` is what ``expected`` wants back)."""

    assignment_id: int
    unit_id: int | None
    unit_name: str | None
    person_id: int | None
    person_name: str | None
    valid_from: dt.date


class AtQuery(Model):
    at: Judged[dt.date] = Field(None, description="as of this day (YYYY-MM-DD; default today)")


OnDay = Annotated[dt.date, _checked(parse_day, dt.date)]
"""A day (YYYY-MM-DD, or the day of an ISO time) that the handler hands on as a date; empty: none."""


class DayQuery(Model):
    at: OnDay = Field(None, description="as of this day (YYYY-MM-DD; default today)")


# ------------------------------------------------------------------------------------------------------------------
# health and the document


class StoreSummary(Model):
    """What the store holds, and how much of it has a responsible unit today."""

    as_of: dt.date
    districts: int
    streets: int
    communities: int
    segments: int
    segments_km: float
    segments_assigned: int
    segments_unassigned_km: float
    compounds: int
    compounds_assigned: int
    grids: int
    grids_assigned: int
    units: int
    people: int


class Health(Model):
    status: HealthStatus
    version: str
    database: str = Field(description="the database's SQLAlchemy dialect")
    schema_revision: str | None = Field(description="the Alembic revision of the schema (null: not initialised)")
    store: StoreSummary | None = Field(None, description="only when the schema exists")


class DocumentInfo(Model):
    title: str
    version: str
    description: str | None = None


class DocumentServer(Model):
    url: str


class DocumentTag(Model):
    name: str


class DocumentSchema(Model):
    """A JSON Schema (draft 2020-12) of a value."""

    model_config = ConfigDict(extra="allow")

    ref: str | None = Field(None, alias="$ref")
    type: str | list[str] | None = None
    description: str | None = None


class DocumentContent(Model):
    schema_: DocumentSchema = Field(alias="schema")


class DocumentResponse(Model):
    description: str
    content: dict[str, DocumentContent] = Field(default_factory=dict, description="per media type")


class DocumentParameter(Model):
    name: str
    in_: str = Field(alias="in")
    required: bool
    schema_: DocumentSchema = Field(alias="schema")
    description: str | None = None


class DocumentBody(Model):
    required: bool
    content: dict[str, DocumentContent]


class DocumentOperation(Model):
    operationId: str
    summary: str
    description: str | None = None
    tags: list[str]
    parameters: list[DocumentParameter]
    requestBody: DocumentBody | None = None
    responses: dict[str, DocumentResponse] = Field(description="per status")


class DocumentComponents(Model):
    schemas: dict[str, DocumentSchema]


class OpenAPIDocument(Model):
    """This document (OpenAPI 3.1)."""

    openapi: str
    info: DocumentInfo
    servers: list[DocumentServer]
    tags: list[DocumentTag]
    paths: dict[str, dict[str, DocumentOperation]] = Field(description="per path, per method")
    components: DocumentComponents


# ------------------------------------------------------------------------------------------------------------------
# routing


class SnapQuery(Model):
    required_in_document = ("lon", "lat")

    lon: Judged[float] = Field(None, ge=-180, le=180, description="longitude")
    lat: Judged[float] = Field(None, ge=-90, le=90, description="latitude")
    crs: Judged[Crs] = Field(None, description="default wgs84")  # type: ignore[valid-type]
    category: Judged[str] = Field(None, description="a category code (some categories route in their own order)")
    observed_at: Judged[IsoTime] = Field(
        None, description="responsibility as of this time (ISO-8601, local time without an offset; default now)"
    )


class SnapPoint(Model):
    required_in_document = ("lon", "lat")

    lon: Judged[float] = Field(None, ge=-180, le=180)
    lat: Judged[float] = Field(None, ge=-90, le=90)
    crs: Judged[Crs] = Field(None, description="default: the request's crs")  # type: ignore[valid-type]
    category: Judged[str] = Field(None, description="default: the request's category")
    observed_at: Judged[IsoTime] = Field(None, description="default: the request's observed_at, else now")
    id: Judged[str | int] = Field(None, description="the client's own id, given back with the result")


MAX_SNAP_POINTS = 10_000


class SnapRequest(Model):
    """Points to route without storing anything; a bad point is answered with its errors, never hides the others."""

    points: list[Judged[SnapPoint]] = Field(max_length=MAX_SNAP_POINTS)
    crs: Judged[Crs] = Field(None, description="default of every point (wgs84)")  # type: ignore[valid-type]
    category: Judged[str] = Field(None, description="default of every point")
    observed_at: Judged[IsoTime] = Field(None, description="default of every point (now)")


class LonLat(Model):
    lon: float
    lat: float


class RoutedPoint(Model):
    lon: float
    lat: float
    crs: Crs  # type: ignore[valid-type]
    wgs84: LonLat


class RoutingAnswer(Model):
    """Who is responsible for a point on the observed day, which rule found it, and why (a Chinese sentence)."""

    point: RoutedPoint
    observed_on: dt.date
    category: str | None
    responsible: Responsible | None
    matched: Matched | None
    rule: Rule | None  # type: ignore[valid-type]
    distance_m: float | None
    candidates: list[Candidate]
    ambiguous: bool = Field(description="another unit's feature is almost as near: a commander should confirm")
    explanation: str
    community: AreaRef | None
    street: AreaRef | None


class PointError(Model):
    field: str
    message: str


class SnapRouted(RoutingAnswer):
    index: int = Field(description="the point's place in the request (from 0)")
    id: str | int | None = Field(description="the client's id of the point")


class SnapFailed(Model):
    index: int
    id: str | int | None
    errors: list[PointError]


class SnapResults(Model):
    count: int
    routed: int
    bad: int
    results: list[SnapRouted | SnapFailed] = Field(description="one per point, in order")


# ------------------------------------------------------------------------------------------------------------------
# reports and cases


class ReportIn(Model):
    """A report (上报): where, what, when; routed to the responsible unit and opened as a case."""

    required_in_document = ("lon", "lat", "category")

    lon: Judged[float] = Field(None, ge=-180, le=180)
    lat: Judged[float] = Field(None, ge=-90, le=90)
    crs: Judged[Crs] = Field(None, description="default wgs84")  # type: ignore[valid-type]
    category: Judged[str] = Field(None, description="a sub-class code, e.g. 0102 暴露垃圾, BJ0101 井盖")
    observed_at: Judged[IsoTime] = Field(None, description="ISO-8601 (local time without an offset); default now")
    description: Judged[str] = Field(None, max_length=MAX_DESCRIPTION)
    address: Judged[str] = None
    urgency: Judged[Urgency] = Field(None, description="default: the category's")
    client_id: Judged[str] = Field(None, description="the client's idempotency key: the same key again answers 200")
    reporter: Judged[str] = None
    source: Judged[CaseSource] = Field(None, description="default patrol; public reports wait for verification")


Upload = Annotated[Any, WithJsonSchema({"contentMediaType": "application/octet-stream", "description": "a file"})]
"""A file of a multipart form (read by the handler: photos are judged by their bytes)."""

Photos = Judged[list[Upload]]

NumberText = Judged[str]
"""A number in a form, where every field is text."""


class ReportForm(ReportIn):
    """A report as a multipart form, with photos (JPEG, PNG or WebP, judged by their bytes)."""

    lon: NumberText = Field(None, description="longitude: a number, as text")
    lat: NumberText = Field(None, description="latitude: a number, as text")
    photos: Photos = Field(None, max_length=MAX_PHOTOS)


class Progress(Model):
    """The traffic light: green below 80 % of the limit used, yellow to 100 %, red when overdue."""

    limit_seconds: float
    used_seconds: float
    remaining_seconds: float
    used_fraction: float
    light: str = Field(description="green, yellow or red")
    overdue: bool
    frozen: bool = Field(description="parked (the clock is stopped) or finished")


class Duplicate(Model):
    id: int = Field(description="the case this report duplicates (the first of its chain)")
    nearest_id: int
    distance_m: float


class ReportAnswer(Model):
    id: int
    created: bool = Field(description="false: this client_id was seen before, and this is the first case")
    client_id: str | None
    status: CaseStatus
    status_zh: str
    category: str
    urgency: Urgency
    lon: float
    lat: float
    responsible: Responsible | None
    matched: Matched | None
    rule: Rule | None  # type: ignore[valid-type]
    distance_m: float | None
    candidates: list[Candidate]
    ambiguous: bool
    explanation: str | None
    deadline: dt.datetime | None = Field(description="local time; null while a public report waits")
    deadline_unit: DeadlineUnit | None
    duplicate_of: int | None = Field(description="the open case this report duplicates")
    duplicate: Duplicate | None = Field(description="the duplicate found now (null when the case is replayed)")
    version: int = Field(description="send it back with the next step (optimistic locking)")
    progress: Progress | None


class CaseQuery(Model):
    status: Judged[str] = Field(
        None, description=f"comma list of {', '.join(CaseStatus)}; or active (every status still in the loop) or all"
    )
    category: Judged[str] = Field(None, description="comma list of codes; a class includes its sub-classes")
    unit: Judged[str] = Field(None, description="comma list of unit ids or codes")
    street: Judged[str] = Field(None, description="街道 code(s)")
    community: Judged[str] = Field(None, description="社区 code(s)")
    from_: Judged[IsoTime] = Field(None, alias="from", description="opened at or after (ISO-8601, local time)")
    to: Judged[IsoTime] = Field(None, description="opened before")
    overdue: Judged[bool] = None
    duplicate: Judged[bool] = Field(None, description="true: only reports linked as duplicates")
    source: Judged[str] = Field(None, description=f"comma list of {', '.join(CaseSource)}")
    sort: Judged[str] = Field(None, description="newest (default), oldest or deadline")
    page: Judged[int] = Field(None, ge=1, description="from 1")
    per_page: Judged[int] = Field(None, ge=1, le=500, description="default 50")

    def filters(self) -> dict[str, object]:
        """The query as the use-case's filters (the names as sent)."""
        return self.sent(by_alias=True)


class CaseSummary(Model):
    id: int
    client_id: str | None
    status: CaseStatus
    status_zh: str
    source: CaseSource
    category: str
    category_name: str | None
    urgency: Urgency
    description: str | None
    address: str | None
    lon: float
    lat: float
    reporter: str | None
    observed_at: dt.datetime | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    unit: UnitRef | None
    matched: Matched | None
    rule: Rule | None  # type: ignore[valid-type]
    distance_m: float | None
    ambiguous: bool
    street_id: int | None
    community_id: int | None
    deadline: dt.datetime | None = Field(description="local time")
    deadline_unit: DeadlineUnit | None
    duplicate_of: int | None
    verified: bool
    closed_at: dt.datetime | None
    rework_count: int
    extension_count: int
    extension_requested_seconds: float | None = Field(description="an extension waiting for a decision")
    supervision_level: int
    paused_seconds: float
    version: int = Field(description="send it back with the next step (optimistic locking)")
    progress: Progress | None


class CaseList(Model):
    total: int
    page: int
    per_page: int
    items: list[CaseSummary]


class Photo(Model):
    file: str = Field(description="the stored name (its SHA-256)")
    name: str = Field(description="the name it was sent with")
    type: str = Field(description="image/jpeg, image/png or image/webp")
    bytes: int
    url: str


class EventData(Model):
    """What a step recorded besides its note (which keys depends on the action)."""

    model_config = ConfigDict(extra="allow")

    source: CaseSource | None = None
    rule: Rule | None = None  # type: ignore[valid-type]
    duplicate_of: int | None = None
    unit_id: int | None = None
    unit_name: str | None = None
    routed_unit_id: int | None = None
    amount: float | None = None
    unit: DeadlineUnit | None = None
    seconds: float | None = None
    old_deadline: dt.datetime | None = None
    deadline: dt.datetime | None = None
    paused_seconds: float | None = None
    level: int | None = None
    row: int | None = Field(None, description="an imported case: its row in the file")


class Event(Model):
    seq: int
    action: str = Field(description="report or import (the case was opened), or an action of the loop")
    action_zh: str
    from_status: CaseStatus | None
    to_status: CaseStatus
    actor: str | None
    at: dt.datetime
    note: str | None
    photos: list[Photo]
    data: EventData | None


class StoredRouting(Model):
    """The routing answer as it was given when the case was opened."""

    model_config = ConfigDict(extra="allow")

    responsible: Responsible | None = None
    matched: Matched | None = None
    rule: Rule | None = None  # type: ignore[valid-type]
    distance_m: float | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    ambiguous: bool | None = None
    explanation: str | None = None


class Case(CaseSummary):
    allowed_actions: list[ActionName]  # type: ignore[valid-type]
    routing: StoredRouting | None
    duplicates: list[int] = Field(description="the reports linked to this case as duplicates")
    events: list[Event]


class StepData(Model):
    """Data of a step: ``unit_id`` (dispatch to another unit than the routed one), ``amount`` (an extension, in
    the case's deadline unit)."""

    model_config = ConfigDict(extra="allow")

    unit_id: Judged[int] = None
    amount: Judged[float] = Field(None, gt=0, le=1000)


class StepIn(Model):
    """One step of the closed loop, as the holder of the case's ``version``."""

    required_in_document = ("action", "version")

    action: Judged[ActionName] = None  # type: ignore[valid-type]
    version: Judged[int] = Field(None, description="the version you read; 409 when the case moved on")
    actor: Judged[str] = None
    note: Judged[str] = Field(None, description="required by recheck_fail, send_back, park, supervise and void")
    data: StepData | None = None


class StepForm(StepIn):
    """A step as a multipart form, with photos; ``unit_id`` and ``amount`` may stand beside ``data``."""

    data: Annotated[
        StepData | None,
        BeforeValidator(_json_object_text),
        WithJsonSchema({"type": "string", "description": 'a JSON object, e.g. {"unit_id": 3}'}),
    ] = None
    version: NumberText = Field(None, description="the version you read (a whole number, as text)")
    unit_id: NumberText = Field(None, description="as data.unit_id (a whole number, as text)")
    amount: NumberText = Field(None, description="as data.amount (a number, as text)")
    photos: Photos = Field(None, max_length=MAX_PHOTOS)


# ------------------------------------------------------------------------------------------------------------------
# categories and holidays


class Deadline(Model):
    amount: float
    unit: DeadlineUnit


class Category(Model):
    code: str = Field(description="events 0102; components BJ0101; inspection items CC0201")
    parent_code: str | None
    family: CategoryFamily
    level: str = Field(description="class or subclass")
    name_zh: str
    name_en: str | None
    description: str | None
    deadline: Deadline | None
    urgent_deadline: Deadline | None
    default_urgency: Urgency
    active: bool


class CategoryQuery(Model):
    family: Judged[CategoryFamily] = None
    active: Flag = None
    parent: str | None = Field(None, description="a class code: its sub-classes")


class DeadlineIn(Model):
    amount: Judged[float] = Field(None, gt=0)
    unit: Judged[DeadlineUnit] = Field(None, description="default: the category's unit")


class CategoryIn(Model):
    """A new category or changes to one (only the fields sent are changed)."""

    required_in_document = ("code",)

    code: Judged[str] = None
    family: Judged[CategoryFamily] = Field(None, description="classes only: sub-classes take their class's")
    name_zh: Judged[str | None] = Field(None, description="required for a new category")
    name_en: Judged[str | None] = None
    description: Judged[str | None] = None
    deadline: Judged[DeadlineIn] = Field(None, description="sub-classes only (required for a new one)")
    urgent_deadline: Judged[DeadlineIn] = Field(None, description="the limit of urgent cases")
    deadline_amount: Judged[float] = Field(None, description="instead of deadline.amount")
    deadline_unit: Judged[DeadlineUnit] = Field(None, description="instead of deadline.unit")
    urgent_amount: Judged[float] = None
    urgent_unit: Judged[DeadlineUnit] = None
    default_urgency: Judged[Urgency] = None
    active: Judged[bool] = None

    def changes(self) -> dict[str, object]:
        return self.sent()


class Holiday(Model):
    day: dt.date
    is_workday: bool = Field(description="true: a make-up working day (调休); false: a day off")
    name: str | None


class HolidayIn(Model):
    day: Day
    is_workday: Annotated[
        StrictBool,
        Field(description="true: a make-up working day (调休); false: a day off"),
    ]
    name: str | None = None


class HolidayQuery(Model):
    year: Annotated[int, _checked(_year, int)] = Field(None, json_schema_extra={"minimum": 1, "maximum": 9998})


# ------------------------------------------------------------------------------------------------------------------
# the map: search, a feature, a unit, the heatmap


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
    totals: UnitTotals  # type: ignore[valid-type]
    bbox: list[float] | None = Field(min_length=4, max_length=4, description="around everything it is responsible for")
    people: list[PersonRef]
    open_cases: list[UnitOpenCase]


HeatFilters = create_model(
    "HeatFilters",
    __base__=Model,
    __doc__="The filters applied, as /api/v1/cases parameters.",
    **{(f"{k}_" if k == "from" else k): (str, Field(None, alias=k)) for k in CASE_FILTERS},
)


class HeatQuery(Model):
    mode: Judged[HeatMode] = Field(None, description="default points")  # type: ignore[valid-type]
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
    snap_m: Judged[float] = Field(None, ge=1, le=200, description="segments mode: how near a road a case counts")

    def filters(self) -> dict[str, object]:
        return self.sent(by_alias=True)


class HeatProperties(Model):
    id: int
    count: int
    code: str | None = Field(None, description="grids")
    per_km2: float | None = Field(None, description="grids")
    name: str | None = Field(None, description="segments")
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

    mode: HeatMode  # type: ignore[valid-type]
    count: int = Field(description="cases found (at most 200 000)")
    truncated: bool
    filters: HeatFilters  # type: ignore[valid-type]
    cases_url: str = Field(description="the same cases as a list")
    points: list[tuple[float, float, float]] | None = Field(None, description="points: [lat, lon, weight] triples")
    counted: int | None = Field(None, description="grids, segments: cases that fell in a grid / near a road")
    max: int | None = Field(None, description="grids: the largest count")
    max_per_km: float | None = Field(None, description="segments: the largest count per km")
    features: HeatFeatures | None = Field(None, description="grids, segments")


# ------------------------------------------------------------------------------------------------------------------
# units, assignments and gaps


class UnitsQuery(Model):
    q: str | None = Field(None, description="part of a name or code")
    kind: UnitKind | None = None


Holds = create_model(
    "Holds",
    __base__=Model,
    __doc__="How many features of each kind the unit is responsible for now.",
    **{k: (int, ...) for k in KINDS},
)


class UnitItem(Model):
    id: int
    code: str | None
    name: str
    kind: UnitKind
    area_id: int | None = Field(description="the 街道/社区 a community unit serves")
    holds: Holds  # type: ignore[valid-type]


class UnitList(Model):
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


class CaughtFeature(Model):
    model_config = ConfigDict(extra="allow")

    kind: TargetKind
    id: int
    name: str
    code: str | None
    share: float = Field(description="the share of its length or area inside the drawn shape")
    current: Holder | None
    length_m: float | None = Field(None, description="segments")
    area_m2: float | None = Field(None, description="compounds, grids")


class PreviewTotal(Model):
    count: int
    owned: int
    free: int
    length_m: float | None = Field(None, description="segments")
    area_m2: float | None = Field(None, description="compounds, grids")


PreviewTotals = create_model(
    "PreviewTotals", __base__=Model, __doc__="Per kind asked for.", **{k: (PreviewTotal | None, None) for k in KINDS}
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


class PreviewAnswer(Model):
    as_of: dt.date
    role: Role
    shape: DrawnShapeSummary
    features: list[CaughtFeature]
    totals: PreviewTotals  # type: ignore[valid-type]
    owners: list[Owner] = Field(description="who holds the caught features now, most first")


class TargetIn(Model):
    kind: Judged[TargetKind]
    id: Judged[int]
    expected: Judged[int | None] = Field(
        None, description="the assignment_id the preview showed (null: none); a different holder now is a 409"
    )


Clipped = Annotated[str | None, _clipped(200), Field(description="at most 200 characters are kept")]


class AssignIn(Model):
    """Make a unit responsible (in a role) for features, all or nothing."""

    required_in_document = ("targets", "unit_id")

    targets: Judged[list[TargetIn]] = None
    unit_id: Judged[int] = None
    role: Judged[Role] = Field(None, description=f"default {Role.RESPONSIBLE}")
    valid_from: Judged[dt.date] = Field(None, description="default today")
    valid_to: Judged[dt.date] = Field(None, description="default: open-ended")
    person_id: Judged[int] = Field(None, description="the person holding the role, when it is a person's")
    by: Clipped = None
    note: Clipped = None


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


class AssignAnswer(Model):
    unit: UnitRef
    role: Role
    valid_from: dt.date
    valid_to: dt.date | None
    assigned: list[Assigned]
    unchanged: list[Unchanged] = Field(description="already held by this unit: left as they were")
    counts: AssignCounts


class EndIn(Model):
    on: Judged[dt.date] = Field(None, description="the first day it no longer holds (default today)")
    by: Clipped = None


class EndAnswer(Model):
    assignment_id: int
    kind: TargetKind
    target_id: int
    unit_id: int | None
    role: Role
    valid_from: dt.date
    valid_to: dt.date


class GapsQuery(Model):
    format: Annotated[GapsFormat, BeforeValidator(_lower)] = GapsFormat.JSON
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
    totals: GapTotals  # type: ignore[valid-type]
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
    totals: GapTotals  # type: ignore[valid-type]
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
