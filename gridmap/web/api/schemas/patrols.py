"""Road-chief patrols 路长巡查: a track sent in, what it patrolled, coverage, the monthly rule and missed detections."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from gridmap.inputs import parse_day, parse_int
from gridmap.web.api.schemas.common import Crs, IsoTime, Judged, Model, checked

if TYPE_CHECKING:
    OptDay = dt.date | None
    OptId = int | None
    OptDays = int | None
else:
    OptDay = Annotated[dt.date, checked(parse_day, dt.date)]
    OptId = Annotated[int, checked(lambda v, f, p: parse_int(v, f, p, lo=1), int)]
    OptDays = Annotated[int, checked(lambda v, f, p: parse_int(v, f, p, lo=1, hi=366), int)]


class TrackLine(Model):
    """A GeoJSON TrackLine in WGS-84 (or GCJ-02 where the request says so)."""

    type: Literal["LineString"]
    coordinates: list[list[float]] = Field(description="[lon, lat] per fix")


class TrackProperties(Model):
    times: list[str | float] = Field(
        description="each fix's time: ISO-8601 (no offset: local time) or seconds since 1970"
    )
    accuracy: list[float | None] | None = Field(None, description="each fix's accuracy in metres (optional)")


class TrackFeature(Model):
    """The fixes of a patrol, in time order or not (they are sorted)."""

    type: Literal["Feature"]
    geometry: TrackLine
    properties: TrackProperties


class PatrolIn(Model):
    """A patrol track: a GeoJSON Feature whose TrackLine holds the fixes ``[lon, lat]`` and whose
    ``properties.times`` gives each fix's time (ISO-8601; without an offset, the city's local time; or seconds since
    1970), with optional ``properties.accuracy`` (metres per fix)."""

    track: Judged[TrackFeature] = Field(None, description="GeoJSON Feature (LineString) with properties.times")
    gpx: Judged[str] = Field(None, description="or a GPX document as text (its track points, with times)")
    person_id: Judged[int] = Field(None, description="whose patrol (default: the account's own person)")
    crs: Crs | None = Field(None, description="the fixes' coordinates (default wgs84; gcj02 converted)")
    source: Literal["geojson", "phone"] | None = Field(None, description="phone: recorded on the /patrol page")


class PatrolledSegment(Model):
    segment_id: int
    name: str | None
    fixes: int = Field(description="matched fixes on it")
    covered_share: float = Field(description="share of its length the matched path covered, 0..1")


class PatrolAnswer(Model):
    """A stored patrol: the rule is ≥ 2 matched fixes and ≥ 50 % of a segment's length covered on a day."""

    id: int
    person_id: int
    started_at: IsoTime
    ended_at: IsoTime
    source: str
    crs: str
    fixes: int = Field(description="fixes sent")
    kept: int = Field(description="fixes kept after the accuracy and speed filters")
    length_m: float
    segments_patrolled: list[PatrolledSegment]


class PatrolSegmentsQuery(Model):
    person: OptId = Field(None, description="a person's id (required)")
    from_: OptDay = Field(None, alias="from", description="first local day (default: 30 days before `to`)")
    to: OptDay = Field(None, description="last local day, included (default: today)")


class PatrolPersonSegment(Model):
    segment_id: int
    name: str | None
    patrolled_times: int = Field(description="days on which the person patrolled it")
    last_patrolled: IsoTime
    covered_share: float = Field(description="the largest share of it covered on one day")


class PatrolPersonSegments(Model):
    person_id: int
    from_: dt.date = Field(alias="from")
    to: dt.date
    segments: list[PatrolPersonSegment]


class PatrolCoverageQuery(Model):
    as_of: OptDay = Field(None, description="the period's last day (default: today)")
    days: OptDays = Field(None, description="the period's length in days (default: the settings', 30)")


class PatrolCoverageRow(Model):
    segments: int
    patrolled_segments: int
    assigned_km: float
    patrolled_km: float
    share: float | None = Field(description="patrolled ÷ assigned road km")


class PatrolChiefRow(PatrolCoverageRow):
    person_id: int | None
    name: str


class PatrolUnitRow(PatrolCoverageRow):
    unit_id: int | None
    name: str


class PatrolStreetRow(PatrolCoverageRow):
    street_id: int | None
    name: str


class PatrolCoverage(Model):
    """Share of road km with a road chief patrolled by that chief in the period, worst first."""

    as_of: dt.date
    days: int
    from_: dt.date = Field(alias="from")
    total: PatrolCoverageRow
    by_chief: list[PatrolChiefRow]
    by_unit: list[PatrolUnitRow]
    by_street: list[PatrolStreetRow]


class PatrolMonthlyQuery(Model):
    month: Annotated[str | None, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = Field(
        None, description="YYYY-MM (default: this month)"
    )


class PatrolMissedSegment(Model):
    segment_id: int
    name: str | None
    level: str
    person_id: int
    person_name: str | None
    patrolled_times: int
    required: int


class PatrolMonthlyRule(Model):
    """Each segment with a road chief must be patrolled at least M days a month, M per road level."""

    from_: dt.date = Field(alias="from")
    to: dt.date
    per_month: dict[str, int]
    segments: int
    met: int
    missed_count: int
    missed: list[PatrolMissedSegment]


class PatrolLayerQuery(Model):
    as_of: OptDay = Field(None, description="count days up to this day (default: today)")


class PatrolMissesQuery(Model):
    from_: OptDay = Field(None, alias="from", description="first local day of the reports (default: 7 days ago)")
    to: OptDay = Field(None, description="last local day, included (default: today)")
    person: OptId = Field(None, description="only this person's misses")


class PatrolMiss(Model):
    case_id: int
    category: str
    observed_at: IsoTime
    lon: float
    lat: float
    person_id: int
    person_name: str | None
    role: Literal["road_chief", "grid_worker"]
    target_kind: Literal["segment", "grid"]
    target_id: int
    target_name: str
    patrol_id: int
    patrol_started_at: IsoTime
    passed_at: IsoTime = Field(description="when the patrol was last on the segment (or left the grid's patrol)")
    hours_before: float
    track: TrackLine = Field(description="the patrol's kept fixes")


class PatrolPersonMisses(Model):
    person_id: int
    person_name: str | None
    misses: int
    own_reports: int = Field(description="reports the person opened in the period")
    miss_rate: float = Field(description="misses ÷ (misses + own reports)")


class PatrolMisses(Model):
    """Public reports of a patrol category where a patrol passed in the hours before, unreported by the patroller."""

    from_: dt.date = Field(alias="from")
    to: dt.date
    misses: list[PatrolMiss]
    by_person: list[PatrolPersonMisses]
