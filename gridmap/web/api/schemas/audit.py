"""The audit trail as the API answers it, and its filters."""

from __future__ import annotations

from pydantic import Field, JsonValue

from gridmap.web.api.schemas.common import IsoTime, Judged, Model


class AuditQuery(Model):
    object_kind: str | None = Field(None, description="account, token, case, assignment, category, holiday…")
    object_id: str | None = None
    actor: str | None = Field(None, description="an account's user name (or cli:<user>)")
    action: str | None = Field(None, description="an action or its prefix: `case` matches `case.dispatch`")
    from_: Judged[str] = Field(None, alias="from", description="first day (local time)")
    to: Judged[str] = Field(None, description="last day (inclusive)")
    page: Judged[int] = Field(None, ge=1)
    per_page: Judged[int] = Field(None, ge=1, le=10_000)
    format: str | None = Field(None, description="csv: the page as a CSV file (UTF-8 with BOM)")


class AuditItem(Model):
    id: int
    at: IsoTime
    actor: str
    via: str = Field(description="session, token, cli or public")
    address: str | None
    action: str
    object_kind: str | None
    object_id: str | None
    before: dict[str, JsonValue] | None = Field(description="the object's fields before the change")
    after: dict[str, JsonValue] | None = Field(description="the object's fields after the change")
    note: str | None


class AuditList(Model):
    total: int
    page: int
    per_page: int
    items: list[AuditItem]
