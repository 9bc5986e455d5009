"""The register of units and people: what a client sends to create, change, retire and merge them, and what it
reads back."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from gridmap.inputs import parse_int
from gridmap.store.models import Role, UnitKind
from gridmap.web.api.schemas.common import Flag, Judged, Model, checked

Page = Annotated[int | None, checked(lambda v, f, p: parse_int(v, f, p, lo=1, hi=1_000_000), int)]
PerPage = Annotated[int | None, checked(lambda v, f, p: parse_int(v, f, p, lo=1, hi=10_000), int)]
Id = Annotated[int | None, checked(lambda v, f, p: parse_int(v, f, p, lo=1), int)]


class Unit(Model):
    """A unit of the register (``contact_phone`` null for those who may not see contacts)."""

    id: int
    code: str | None
    name: str
    kind: UnitKind
    kind_label: str = Field(description="the kind in the reader's language")
    parent_id: int | None = Field(description="the body it answers to")
    contact_name: str | None
    contact_phone: str | None
    area_id: int | None = Field(description="its scope: the district, 街道 or 社区 it serves")
    retired_on: dt.date | None = Field(description="from this day it takes no new assignment")
    merged_into_id: int | None = Field(description="the unit it was merged into")


class UnitIn(Model):
    """A new unit, or the fields to change (only those sent change). A unit is named by id, code or name."""

    name: Judged[str] = Field(None, description="required for a new unit; unique")
    code: Judged[str | None] = None
    kind: Judged[UnitKind] = Field(None, description="required for a new unit; its Chinese name too (市直单位…)")
    parent_id: Judged[int | str | None] = Field(None, description="the body it answers to: an id, code or name")
    contact_name: Judged[str | None] = None
    contact_phone: Judged[str | None] = None
    area_id: Judged[int | str | None] = Field(None, description="its scope: an area's id, code or name")


class RetireIn(Model):
    on: Judged[dt.date] = Field(None, description="the first day it is retired (default today)")
    note: Judged[str | None] = None


class MergeIn(Model):
    required_in_document = ("into",)

    into: Judged[int | str] = Field(None, description="the successor: a unit's id, code or name, in service")
    on: Judged[dt.date] = Field(None, description="the merge day (default today)")
    note: Judged[str | None] = None


class MergeAnswer(Model):
    unit_id: int
    into: int
    on: dt.date
    assignments_moved: int = Field(description="open periods ended the day before and reopened with the successor")
    people_moved: int


class Person(Model):
    """A person (``phone`` null for those who may not see contacts)."""

    id: int
    code: str | None
    name: str
    phone: str | None
    unit_id: int | None
    roles: list[Role]
    retired_on: dt.date | None


class PersonIn(Model):
    """A new person, or the fields to change (``roles`` replaces the list)."""

    name: Judged[str] = Field(None, description="required for a new person")
    code: Judged[str | None] = None
    phone: Judged[str | None] = None
    unit_id: Judged[int | str | None] = Field(None, description="a unit's id, code or name, in service")
    roles: Judged[list[str]] = Field(
        None,
        description="road_chief (路长/街长/巷长), grid_worker (网格员), inspector, unit_leader, compound_lead, "
        "community_liaison, civ_supervisor — or their Chinese names",
    )


class PersonRetireIn(Model):
    on: Judged[dt.date] = Field(None, description="the first day they are gone (default today)")


class PeopleQuery(Model):
    q: str | None = Field(None, description="part of a name or code")
    unit_id: Id = None
    role: Role | None = None
    retired: Flag = Field(None, description="true: only those who left; default: only those in service")
    page: Page = None
    per_page: PerPage = Field(None, description="default 1000, at most 10000")


class PeopleList(Model):
    total: int
    page: int
    per_page: int
    items: list[Person]
