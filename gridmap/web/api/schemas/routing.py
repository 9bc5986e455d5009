"""Routing without storing: one point or many (``/snap``), and the routing answer every report carries."""

from __future__ import annotations

import datetime as dt

from pydantic import (
    Field,
)

from gridmap.web.api.schemas.common import AreaRef, Candidate, Crs, IsoTime, Judged, Matched, Model, Responsible, Rule


class SnapQuery(Model):
    required_in_document = ("lon", "lat")

    lon: Judged[float] = Field(None, ge=-180, le=180, description="longitude")
    lat: Judged[float] = Field(None, ge=-90, le=90, description="latitude")
    crs: Judged[Crs] = Field(None, description="default wgs84")
    category: Judged[str] = Field(None, description="a category code (some categories route in their own order)")
    observed_at: Judged[IsoTime] = Field(
        None, description="responsibility as of this time (ISO-8601, local time without an offset; default now)"
    )


class SnapPoint(Model):
    required_in_document = ("lon", "lat")

    lon: Judged[float] = Field(None, ge=-180, le=180)
    lat: Judged[float] = Field(None, ge=-90, le=90)
    crs: Judged[Crs] = Field(None, description="default: the request's crs")
    category: Judged[str] = Field(None, description="default: the request's category")
    observed_at: Judged[IsoTime] = Field(None, description="default: the request's observed_at, else now")
    id: Judged[str | int] = Field(None, description="the client's own id, given back with the result")


MAX_SNAP_POINTS = 10_000


class SnapRequest(Model):
    """Points to route without storing anything; a bad point is answered with its errors, never hides the others."""

    points: list[Judged[SnapPoint]] = Field(max_length=MAX_SNAP_POINTS)
    crs: Judged[Crs] = Field(None, description="default of every point (wgs84)")
    category: Judged[str] = Field(None, description="default of every point")
    observed_at: Judged[IsoTime] = Field(None, description="default of every point (now)")


class LonLat(Model):
    lon: float
    lat: float


class RoutedPoint(Model):
    lon: float
    lat: float
    crs: Crs
    wgs84: LonLat


class RoutingAnswer(Model):
    """Who is responsible for a point on the observed day, which rule found it, and why (a Chinese sentence)."""

    point: RoutedPoint
    observed_on: dt.date
    category: str | None
    responsible: Responsible | None
    matched: Matched | None
    rule: Rule | None
    distance_m: float | None
    candidates: list[Candidate]
    ambiguous: bool = Field(description="another unit's feature is almost as near: a commander should confirm")
    explanation: str
    community: AreaRef | None
    street: AreaRef | None


class PointError(Model):
    field: str
    message: str


class SnapRouted(RoutingAnswer):
    index: int = Field(description="the point's place in the request (from 0)")
    id: str | int | None = Field(description="the client's id of the point")


class SnapFailed(Model):
    index: int
    id: str | int | None
    errors: list[PointError]


class SnapResults(Model):
    count: int
    routed: int
    bad: int
    results: list[SnapRouted | SnapFailed] = Field(description="one per point, in order")
