"""Problem categories with their deadlines, and the holidays of the working calendar."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import (
    Field,
    StrictBool,
)

from gridmap.store.models import (
    CategoryFamily,
    DeadlineUnit,
    Urgency,
)
from gridmap.web.api.schemas.common import Day, Flag, Judged, Model, checked, year_number


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
    year: Annotated[int | None, checked(year_number, int)] = Field(
        None, json_schema_extra={"minimum": 1, "maximum": 9998}
    )
