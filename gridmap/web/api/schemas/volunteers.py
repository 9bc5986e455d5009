"""Party members and volunteers 在职党员进社区: posts 岗位, a member's sign-ups and services (check-in/out), the
community's confirmation list, the points scheme 积分制 and the quarterly ranking."""

from __future__ import annotations

from pydantic import Field

from gridmap.volunteers.scheme import PointsScheme
from gridmap.web.api.schemas.common import Judged, Model


class VolunteerPostOut(Model):
    """A post a community published (契约化选岗)."""

    id: int
    title: str
    duty: str = Field(description="building_lead 楼栋长, civility 文明劝导, environment 环境监督, safety, mediation…")
    duty_name: str
    community_id: int
    community: str | None
    compound_id: int | None
    compound: str | None
    slots: int
    taken: int
    tolerance_m: float = Field(description="how far outside the area a check-in is still accepted")
    open: bool


class VolunteerPostList(Model):
    items: list[VolunteerPostOut]


class VolunteerPostIn(Model):
    required_in_document = ("community_id", "duty", "title")
    community_id: Judged[int] = None
    compound_id: Judged[int] = Field(None, description="a compound of the community; null: the whole community")
    duty: Judged[str] = None
    title: Judged[str] = None
    slots: Judged[int] = Field(None, description="places, default 1")
    tolerance_m: Judged[float] = Field(None, description="metres, default 50")


class MyPost(VolunteerPostOut):
    signup_id: int
    open_shift: int | None = Field(description="the service checked in and not yet out, if any")


class Standing(Model):
    """A member's line of a period's ranking."""

    volunteer_id: int
    name: str
    kind: str = Field(description="party_member or volunteer")
    kind_name: str
    party_org: str | None
    team: str | None
    services: int
    hours: float
    reports: int = Field(description="随手拍 reports the member's account opened")
    findings: int = Field(description="inspection findings the member's account recorded")
    evaluation: float | None = Field(description="self, peer and organisation scores combined (0…100)")
    points: float
    rank: int
    praised: bool
    scheme_version: int


class MyService(Model):
    """The signed-in member's posts and their standing this quarter."""

    period: str
    member: bool = Field(description="false: the account's person is not a registered member (nothing else given)")
    posts: list[MyPost]
    standing: Standing | None


class SignupOut(Model):
    signup_id: int
    post_id: int


class PositionIn(Model):
    required_in_document = ("lon", "lat")
    lon: Judged[float] = Field(None, description="WGS 84, from the phone's geolocation")
    lat: Judged[float] = None


class ShiftOut(Model):
    id: int
    signup_id: int
    started_at: str
    ended_at: str | None
    confirmed: bool


class PendingShift(Model):
    id: int
    member: str
    post: str
    started_at: str
    ended_at: str
    hours: float


class PendingList(Model):
    items: list[PendingShift]


class VolunteerRanking(Model):
    period: str
    scheme_version: int = Field(description="0: the built-in default scheme")
    scheme_name: str
    praise_top: int
    totals: dict[str, float]
    items: list[Standing]


class RankingQuery(Model):
    period: Judged[str] = Field(None, description="a quarter (2026-Q4) or any period key; default this quarter")


class PointsSchemeOut(Model):
    version: int
    document: PointsScheme


class PointsSchemeIn(Model):
    required_in_document = ("document",)
    document: Judged[PointsScheme] = Field(None, description="the scheme (see gridmap/volunteers/scheme.py)")


class VolunteerReviewIn(Model):
    required_in_document = ("volunteer_id", "source", "score")
    volunteer_id: Judged[int] = Field(None, description="the member rated (yourself for a self-rating)")
    source: Judged[str] = Field(None, description="self 自评, peer 互评 (same party organisation, team or post) or "
                                "org 组织评价 (the community's commander)")  # fmt: skip
    score: Judged[float] = Field(None, description="0…100; a second rating by the same account replaces the first")
    period: Judged[str] = Field(None, description="a quarter (2026-Q4); default this quarter")


class VolunteerReviewOut(Model):
    volunteer_id: int
    period: str
    source: str
    score: float
    evaluation: float | None = Field(description="the member's combined score now (the scheme's weights)")


class ConfirmShiftsIn(Model):
    required_in_document = ("shift_ids",)
    shift_ids: Judged[list[int]] = Field(None, description="the services to confirm, all or none")


class ConfirmedShifts(Model):
    items: list[ShiftOut]
