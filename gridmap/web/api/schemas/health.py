"""The health answer and the shape of the OpenAPI document itself."""

from __future__ import annotations

import datetime as dt

from pydantic import (
    ConfigDict,
    Field,
)

from gridmap.web.api.schemas.common import HealthStatus, Model


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


class HealthWarning(Model):
    """Something an administrator must do before it bites (e.g. load next year's holidays)."""

    code: str = Field(description="holidays_missing: the coming year has no holiday rows (warned from 1 December)")
    year: int
    message: str = Field(description="what to do, in the reader's language (zh-CN by default)")


class NextStep(Model):
    """What a city being set up imports next (absent once it has boundaries, roads, grids, units and assignments)."""

    step: str = Field(description="boundaries, segments, grids, units or assignments")
    message: str = Field(description="what to run, in the reader's language (zh-CN by default)")


class Health(Model):
    status: HealthStatus
    version: str
    database: str = Field(description="the database's SQLAlchemy dialect")
    schema_revision: str | None = Field(description="the Alembic revision of the schema (null: not initialised)")
    store: StoreSummary | None = Field(None, description="only when the schema exists")
    next_step: NextStep | None = Field(None, description="only while the city is being set up")
    warnings: list[HealthWarning] = Field(default_factory=list, description="what to do soon (none: nothing)")


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
