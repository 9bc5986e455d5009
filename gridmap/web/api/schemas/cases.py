"""Reports and cases: a report in (JSON or a form with photos), its answer, the case list and one case with its events,
a step of the closed loop."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)

from gridmap.cases import MAX_DESCRIPTION
from gridmap.cases.photos import MAX_PHOTOS
from gridmap.store.models import (
    CaseSource,
    CaseStatus,
    DeadlineUnit,
    Urgency,
)
from gridmap.web.api.schemas.common import (
    ActionName,
    Candidate,
    Crs,
    IsoTime,
    Judged,
    Matched,
    Model,
    Responsible,
    Rule,
    UnitRef,
    json_object_text,
)


class ReportIn(Model):
    """A report (上报): where, what, when; routed to the responsible unit and opened as a case."""

    required_in_document = ("lon", "lat", "category")

    lon: Judged[float] = Field(None, ge=-180, le=180)
    lat: Judged[float] = Field(None, ge=-90, le=90)
    crs: Judged[Crs] = Field(None, description="default wgs84")
    category: Judged[str] = Field(None, description="a sub-class code, e.g. 0102 暴露垃圾, BJ0101 井盖")
    observed_at: Judged[IsoTime] = Field(None, description="ISO-8601 (local time without an offset); default now")
    description: Judged[str] = Field(None, max_length=MAX_DESCRIPTION)
    address: Judged[str] = None
    urgency: Judged[Urgency] = Field(None, description="default: the category's")
    client_id: Judged[str] = Field(None, description="the client's idempotency key: the same key again answers 200")
    reporter: Judged[str] = None
    source: Judged[CaseSource] = Field(None, description="default patrol; public reports wait for verification")
    photo_meta: Judged[list[PhotoMetaIn]] = Field(
        None, description="each photo's EXIF time/position as the client read it (in the photos' order)"
    )


Upload = Annotated[Any, WithJsonSchema({"contentMediaType": "application/octet-stream", "description": "a file"})]


Photos = Judged[list[Upload]]


NumberText = Judged[str]


class ReportForm(ReportIn):
    """A report as a multipart form, with photos (JPEG, PNG or WebP, judged by their bytes)."""

    # a form field is text: the JSON body's numbers arrive as their text (the use-case reads both)
    lon: NumberText = Field(None, description="longitude: a number, as text")  # type: ignore[assignment]  # as above
    lat: NumberText = Field(None, description="latitude: a number, as text")  # type: ignore[assignment]  # as above
    photos: Photos = Field(None, max_length=MAX_PHOTOS)
    photo_meta: Judged[str] = Field(None, description="the same list as JSON text")  # type: ignore[assignment]  # as above


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
    rule: Rule | None
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
    event: Judged[str] = Field(None, description="cases with a step of this kind (opened, dispatched, reworked, "
                               "closed …: gridmap/cases/milestones.py), as counted by the scorecards")  # fmt: skip
    event_from: Judged[IsoTime] = Field(None, description="the step taken at or after (ISO-8601, local time)")
    event_to: Judged[IsoTime] = Field(None, description="the step taken before")
    event_by: Judged[str] = Field(None, description="the step taken by this account (user name)")
    due: Judged[str] = Field(None, description="cases due in [due_from, due_to) of this kind (due, due_closed, "
                             "due_on_time, due_parked, due_overdue …), as counted by the scorecards")  # fmt: skip
    due_from: Judged[IsoTime] = Field(None, description="deadline at or after")
    due_to: Judged[IsoTime] = Field(None, description="deadline before")
    sort: Judged[str] = Field(None, description="newest (default), oldest or deadline")
    page: Judged[int] = Field(None, ge=1, description="from 1")
    per_page: Judged[int] = Field(None, ge=1, le=500, description="default 50")
    after: Judged[int] = Field(
        None,
        ge=1,
        description="keyset paging (sort newest or oldest): the cases after this id — the last answer's "
        "next_after; fast at any depth, where page is an offset",
    )

    def filters(self) -> dict[str, object]:
        """The query as the use-case's filters (the names as sent)."""
        return self.sent(by_alias=True)


class CaseFlag(Model):
    """Something the verifier should look at (never a reason to refuse the report)."""

    model_config = ConfigDict(extra="allow")

    kind: str = Field(description="photo_far (taken far from the reported point) or photo_old (taken long before)")
    photo: int | None = Field(None, description="the photo's number, from 1")
    zh: str = Field(description="the flag as the verifier reads it")
    distance_m: float | None = None
    hours: float | None = None


class PhotoMetaIn(Model):
    """What the client read from a photo's EXIF before resizing it (resizing drops EXIF)."""

    taken_at: str | None = Field(None, description="ISO-8601 time the photo was taken")
    lon: float | None = None
    lat: float | None = None


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
    rule: Rule | None
    distance_m: float | None
    ambiguous: bool
    street_id: int | None
    community_id: int | None
    deadline: dt.datetime | None = Field(description="local time")
    deadline_unit: DeadlineUnit | None
    duplicate_of: int | None
    verified: bool
    flags: list[CaseFlag] = Field(default_factory=list, description="for the verifier: photos far away or old")
    closed_at: dt.datetime | None
    rework_count: int
    extension_count: int
    extension_requested_seconds: float | None = Field(description="an extension waiting for a decision")
    supervision_level: int
    paused_seconds: float
    version: int = Field(description="send it back with the next step (optimistic locking)")
    progress: Progress | None


class CaseList(Model):
    total: int = Field(description="cases matching, counted up to 10 000")
    total_exact: bool = Field(description="false: more than 10 000 match (total is then 10 000)")
    next_after: int | None = Field(description="the next page: send it as after (none: this was the last)")
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
    rule: Rule | None = None
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
    actor: str | None = Field(description="who took the step: an account's username, cli:<user>, public")
    actor_name: str | None = Field(None, description="the account's full name (None: not an account)")
    actor_role: str | None = Field(None, description="the account's role (None: not an account)")
    at: dt.datetime
    note: str | None
    photos: list[Photo]
    data: EventData | None


class StoredRouting(Model):
    """The routing answer as it was given when the case was opened."""

    model_config = ConfigDict(extra="allow")

    responsible: Responsible | None = None
    matched: Matched | None = None
    rule: Rule | None = None
    distance_m: float | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    ambiguous: bool | None = None
    explanation: str | None = None


class Case(CaseSummary):
    allowed_actions: list[ActionName]
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

    action: Judged[ActionName] = None
    version: Judged[int] = Field(None, description="the version you read; 409 when the case moved on")
    actor: Judged[str] = Field(
        None, description="a name to note beside the step; who took it is the signed-in account, always"
    )
    note: Judged[str] = Field(None, description="required by recheck_fail, send_back, park, supervise and void")
    data: StepData | None = None


class StepForm(StepIn):
    """A step as a multipart form, with photos; ``unit_id`` and ``amount`` may stand beside ``data``."""

    data: Annotated[
        StepData | None,
        BeforeValidator(json_object_text),
        WithJsonSchema({"type": "string", "description": 'a JSON object, e.g. {"unit_id": 3}'}),
    ] = None
    version: NumberText = Field(None, description="the version you read (a whole number, as text)")  # type: ignore[assignment]  # a form field is text
    unit_id: NumberText = Field(None, description="as data.unit_id (a whole number, as text)")
    amount: NumberText = Field(None, description="as data.amount (a number, as text)")
    photos: Photos = Field(None, max_length=MAX_PHOTOS)
