"""The points scheme 积分制 as data: a JSON document, validated here, versioned in ``volunteer_schemes`` (a new
version per change, the old ones kept — as evaluation schemes are). What each thing earns:

- ``per_service``: points per confirmed service (a check-in and its check-out) of at least ``min_minutes``;
- ``per_hour``: points per hour served, each service counted up to ``max_hours`` hours;
- ``per_report`` / ``per_finding``: points per 随手拍 report the member's account opened and per inspection finding
  it recorded (their reports and inspections count as theirs);
- ``evaluation``: the weights of the self, peer and organisation scores (0…100 each; a missing one leaves its weight
  to the others), and ``evaluation_points``, the points a combined 100 earns;
- ``praise_top``: how many of a quarter's ranking are praised (表扬).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import InvalidInput, Problem
from gridmap.store.models import VolunteerScheme

CODE = "volunteer_points"


class PointsWeights(BaseModel):
    model_config = ConfigDict(extra="forbid")
    self_: float = Field(alias="self", ge=0, le=1)
    peer: float = Field(ge=0, le=1)
    org: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _sum_one(self) -> PointsWeights:
        if abs(self.self_ + self.peer + self.org - 1.0) > 1e-6:
            raise ValueError("the self, peer and org weights must add up to 1")
        return self


class PointsScheme(BaseModel):
    """One version of the scheme's document."""

    model_config = ConfigDict(extra="forbid")
    name_zh: str = Field(min_length=1, max_length=200)
    per_service: float = Field(ge=0, le=100)
    per_hour: float = Field(ge=0, le=100)
    per_report: float = Field(ge=0, le=100)
    per_finding: float = Field(ge=0, le=100)
    min_minutes: int = Field(ge=0, le=600, description="a shorter service earns nothing")
    max_hours: float = Field(gt=0, le=24, description="hours counted per service at most")
    confirmed_only: bool = Field(True, description="only services the community confirmed count")
    evaluation: PointsWeights
    evaluation_points: float = Field(ge=0, le=1000)
    praise_top: int = Field(ge=1, le=1000)


DEFAULT: dict[str, Any] = {
    "name_zh": "在职党员进社区积分办法",
    "per_service": 2.0,
    "per_hour": 1.0,
    "per_report": 1.0,
    "per_finding": 0.5,
    "min_minutes": 15,
    "max_hours": 8.0,
    "confirmed_only": True,
    "evaluation": {"self": 0.2, "peer": 0.3, "org": 0.5},
    "evaluation_points": 20.0,
    "praise_top": 10,
}
"""The demo's scheme: 2 points a service, 1 an hour, 1 a report; evaluation (20 % self, 30 % peers, 50 % the
organisation) worth up to 20 points."""


def validate(document: object) -> PointsScheme:
    """The document as a scheme, or InvalidInput naming each bad field (zh and en)."""
    try:
        return PointsScheme.model_validate(document)
    except ValidationError as e:
        problems = [
            Problem(str(err["msg"]), field=".".join(str(p) for p in err["loc"]) or "document",
                    zh=f"积分办法有误：{err['msg']}")
            for err in e.errors()
        ]  # fmt: skip
        raise InvalidInput(problems) from None


def save_scheme(session: Session, document: object, actor: Actor, now: dt.datetime) -> VolunteerScheme:
    """Store ``document`` as the scheme's next version (earlier versions stay as they were)."""
    scheme = validate(document)
    last = session.scalar(select(func.max(VolunteerScheme.version)).where(VolunteerScheme.code == CODE)) or 0
    row = VolunteerScheme(code=CODE, version=last + 1, name_zh=scheme.name_zh,
                          document=scheme.model_dump(by_alias=True), created_at=now, created_by=actor.name)  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(session, actor, "volunteer.scheme", object_kind="volunteer_scheme", object_id=row.version, at=now,
                 after=row.document)  # fmt: skip
    return row


def current_scheme(session: Session) -> tuple[int, PointsScheme]:
    """The latest version and its scheme (the default, as version 0, before any was saved)."""
    row = session.scalars(
        select(VolunteerScheme).where(VolunteerScheme.code == CODE).order_by(VolunteerScheme.version.desc()).limit(1)
    ).first()
    if row is None:
        return 0, PointsScheme.model_validate(DEFAULT)
    return row.version, PointsScheme.model_validate(row.document)
