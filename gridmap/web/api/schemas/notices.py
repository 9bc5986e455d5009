"""The notice 通报: the archive (periods with a published scorecard, each with its notice if published) and what
publishing answers."""

from __future__ import annotations

from pydantic import Field

from gridmap.web.api.schemas.common import Model


class NoticeHead(Model):
    """A published notice: when (local time, to the minute) and by whom."""

    published_at: str
    by: str | None


class ArchiveEntry(Model):
    period: str = Field(description="2026-11, 2026-W48 …")
    schemes: list[str] = Field(description="the names (zh) of the schemes whose scorecard of the period is published")
    published_at: str | None = Field(description="when the latest of those scorecards was published")
    published_by: str | None
    notice: NoticeHead | None = Field(description="null: not published yet (a draft is made on each reading)")


class Archive(Model):
    items: list[ArchiveEntry]


class PublishedNotice(Model):
    """The notice just published: its period, title and summary figures."""

    period: str
    title_zh: str
    summary: dict[str, int]
    notice: NoticeHead
