"""Work queues (我的待办) as the API answers them, and their filters."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from gridmap.web.api.schemas.cases import CaseSummary
from gridmap.web.api.schemas.common import Judged, Model


class TaskQuery(Model):
    group: str | None = Field(None, description="one group's key: only its cases are listed (every count is given)")
    category: str | None = Field(None, description="comma list of category codes; a class includes its sub-classes")
    urgency: str | None = Field(None, description="normal or urgent (comma list)")
    street: str | None = Field(None, description="街道 code(s)")
    page: Judged[int] = Field(None, ge=1, description="from 1")
    per_page: Judged[int] = Field(None, ge=1, le=200, description="default 20")

    def filters(self) -> dict[str, object]:
        return self.sent(include={"category", "urgency", "street"})


class TaskGroup(Model):
    key: str = Field(description="e.g. to_dispatch, dispatched, to_recheck, overdue")
    zh: str = Field(description="the group's name in Chinese")
    en: str = Field(description="the group's name in English")
    count: int = Field(description="how many cases the group holds (with the filters)")
    items: list[CaseSummary] = Field(description="a page of its cases, nearest deadline first (empty for groups "
                                     "not asked for)")  # fmt: skip


class TaskList(Model):
    role: str = Field(description="the signed-in person's role, whose queue this is")
    page: int
    per_page: int
    groups: list[TaskGroup]
    as_of: dt.datetime = Field(description="when the lights were computed (local time)")
