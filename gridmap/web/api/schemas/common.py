"""What every part of the API's models shares: the base model (its errors become the API's 400), vocabulary
enums built from gridmap's own, and the small pieces (units, areas, holders, days) several answers hold."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    SkipValidation,
)
from pydantic_core import PydanticCustomError

from gridmap.cases import ACTIONS
from gridmap.errors import Problem
from gridmap.inputs import parse_day, parse_flag, parse_int
from gridmap.maps.heat import MODES as HEAT_MODES
from gridmap.routing import CRS_NAMES, MATCH_KINDS, RULES

T = TypeVar("T")


if TYPE_CHECKING:
    # What the handlers hold: an optional field left out is None. The document shows the type of a value that is
    # given, so at run time the aliases below leave None out (every such field defaults to None).
    Judged = Annotated[T | None, SkipValidation]
    IsoTime = Annotated[str | None, "an ISO-8601 time"]
else:
    Judged = Annotated[T, SkipValidation]
    """A value its use-case checks (with its own message naming the field): documented as ``T``, passed on as sent."""
    IsoTime = Annotated[str, Field(examples=["2026-03-02T09:30:00+08:00"])]
    """An ISO-8601 time (without an offset: the city's local time) or day, read by the use-case."""


def vocabulary(name: str, values: Iterable[str], doc: str) -> type[enum.StrEnum]:
    """An enum (one schema in the document) of words gridmap defines as a tuple elsewhere."""
    words = enum.StrEnum(name, {v.upper(): v for v in values})  # type: ignore[misc]  # a functional enum of any words
    words.__doc__ = doc
    return words


if TYPE_CHECKING:  # enums made at run time from gridmap's own tuples; to the type checker their values are text
    Crs = str
    Rule = str
    MatchKind = str
    ActionName = str
    HeatMode = str
else:
    Crs = vocabulary("Crs", CRS_NAMES, "The coordinate system of a point: WGS-84 (GPS) or GCJ-02 (Amap, Tencent maps).")
    Rule = vocabulary("Rule", RULES, "The routing rule that found the responsible unit (the default party: 属地兜底).")
    MatchKind = vocabulary(
        "MatchKind", MATCH_KINDS, "What a report matched: a feature, or for the default party an area."
    )
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


def checked(
    parse: Callable[[object, str, list[Problem]], object], schema_type: Any, *, required: bool = False
) -> PlainValidator:
    """A validator from one of :mod:`gridmap.inputs`' parsers: its value (None when empty) and its message."""

    def validate(value: object) -> object:
        problems: list[Problem] = []
        out = parse(value, "", problems)
        if problems:
            raise PydanticCustomError(
                "gridmap", "{message}", {"message": problems[0].message, "zh": problems[0].zh or ""}
            )
        if out is None and required:
            raise PydanticCustomError("gridmap", "is required", {"zh": "必填"})
        return out

    return PlainValidator(validate, json_schema_input_type=schema_type)


def clipped(limit: int) -> BeforeValidator:
    """Free text of a write's author or note: numbers taken as text, empty as none, cut at ``limit`` characters."""
    return BeforeValidator(lambda value: None if value in (None, "") else str(value)[:limit])


def lowered(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def json_object_text(value: object) -> object:
    """A form field holding a JSON object as text (``data`` of a step sent as a form) → the object."""
    if isinstance(value, str):
        import json

        try:
            return json.loads(value) if value.strip() else None
        except ValueError:
            raise PydanticCustomError("gridmap", "is not a JSON object", {"zh": "不是 JSON 对象"}) from None
    return value


if TYPE_CHECKING:  # left out: None (see Judged)
    Flag = Annotated[bool | None, checked(parse_flag, bool)]
else:
    Flag = Annotated[bool, checked(parse_flag, bool)]
    """true/false, 1/0, yes/no (any case), as every flag of gridmap's query strings."""


Day = Annotated[dt.date, checked(parse_day, dt.date, required=True)]


def year_number(value: object, field: str, problems: list[Problem]) -> int | None:
    return parse_int(value, field, problems, lo=1, hi=9998)


class Error(Model):
    """Every error answer of the API (never a traceback)."""

    error: str = Field(description="what is wrong, for a person to read")
    status: int = Field(description="the HTTP status again")
    details: list[str] = Field(
        default_factory=list, description="one line per problem, naming the field: `field 'lon': is required`"
    )
    message: str | None = Field(None, description="the error for a person, in the request's language (zh-CN default)")
    message_details: list[str] = Field(default_factory=list, description="the details in Chinese, when zh-CN")


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
    kind: MatchKind
    id: int = Field(description="the id the map layers give the feature")
    name: str | None


class Candidate(Model):
    """A feature a routing rule found within its tolerance (``unit_id`` null: nobody is responsible for it)."""

    kind: MatchKind
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


if TYPE_CHECKING:  # left out: None (see Judged)
    OnDay = Annotated[dt.date | None, checked(parse_day, dt.date)]
else:
    OnDay = Annotated[dt.date, checked(parse_day, dt.date)]


"""A day (YYYY-MM-DD, or the day of an ISO time) that the handler hands on as a date; empty: none."""


class DayQuery(Model):
    at: OnDay = Field(None, description="as of this day (YYYY-MM-DD; default today)")


"""A file of a multipart form (read by the handler: photos are judged by their bytes)."""


"""A number in a form, where every field is text."""
