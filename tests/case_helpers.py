"""Shared pieces for the case tests: a seeded database, units, a stand-in router, and small images."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.catalogue.categories import seed
from gridmap.config import CaseSettings, Settings
from gridmap.store.models import Case, CaseEvent, Unit

TZ = dt.timezone(dt.timedelta(hours=8))
# A Monday morning in an ordinary week (no holiday near): 2026-03-02 09:00 +08:00
MONDAY_9 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
LON, LAT = 111.1400, 37.5200


def image_bytes(fmt: str, size: tuple[int, int] = (8, 6), **save: Any) -> bytes:
    """A real tiny image made by Pillow (the server decodes every photo)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(buf, fmt, **save)
    return buf.getvalue()


JPEG = image_bytes("JPEG")
PNG = image_bytes("PNG")
GIF = image_bytes("GIF")
WEBP = image_bytes("WEBP")


def case_settings(settings: Settings, tmp_path, **overrides: object) -> Settings:
    cases = CaseSettings(**overrides)  # type: ignore[arg-type]
    return Settings(database_url=settings.database_url, instance_dir=tmp_path, cases=cases)


def seed_city(session: Session) -> dict[str, int]:
    """Categories, holidays and two units; returns unit ids by short name."""
    seed(session)
    a = Unit(name="市城管局", kind="city_office", code="U-A")
    b = Unit(name="凤山街道办", kind="community", code="U-B")
    session.add_all([a, b])
    session.flush()
    return {"a": a.id, "b": b.id}


@dataclass
class FakeAnswer:
    body: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.body


@dataclass
class FakeRouter:
    """Stands in for gridmap.routing.route_point where only the workflow is under test."""

    unit_id: int | None
    calls: list[tuple[float, float, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, session: Session, lon: float, lat: float, **kw: Any) -> FakeAnswer:
        self.calls.append((lon, lat, kw))
        return FakeAnswer(
            {
                "responsible": {"unit_id": self.unit_id, "unit_name": "x"} if self.unit_id else None,
                "matched": {"kind": "segment", "id": 7, "name": "和平街"},
                "rule": "segment",
                "distance_m": 4.2,
                "candidates": [],
                "ambiguous": False,
                "explanation": "nearest road segment within 30 m",
            }
        )


def counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Case)) or 0,
        session.scalar(select(func.count()).select_from(CaseEvent)) or 0,
    )


def report(**kw: object) -> dict[str, object]:
    body: dict[str, object] = {
        "lon": LON,
        "lat": LAT,
        "category": "0102",
        "observed_at": "2026-03-02T08:50:00+08:00",
        "description": "路边暴露垃圾",
        "reporter": "网格员张三",
    }
    body.update(kw)
    return {k: v for k, v in body.items() if v is not None}


def build_city(session: Session) -> dict[str, int]:
    """A tiny city to route real reports in: one district/street/community, a main road assigned to unit A,
    a compound assigned to unit B, and the community's own unit C as the default party (属地兜底)."""
    import geopandas as gpd
    import shapely

    from gridmap.store.bulk_writes import write_features
    from gridmap.store.models import Area, Assignment, Compound, Segment

    units = seed_city(session)
    box = shapely.box(111.10, 37.49, 111.20, 37.56)
    write_features(
        session, "districts", gpd.GeoDataFrame({"code": ["141102"], "name": ["离石区"]}, geometry=[box], crs=4326)
    )
    write_features(
        session,
        "streets",
        gpd.GeoDataFrame(
            {"code": ["141102001"], "name": ["凤山街道"], "district_code": ["141102"]}, geometry=[box], crs=4326
        ),
    )
    write_features(
        session,
        "communities",
        gpd.GeoDataFrame(
            {"code": ["141102001001"], "name": ["龙凤社区"], "street_code": ["141102001"]}, geometry=[box], crs=4326
        ),
    )
    write_features(
        session,
        "segments",
        gpd.GeoDataFrame(
            {"name": ["和平街"], "level": ["main"], "ext_id": ["seg-1"]},
            geometry=[shapely.LineString([(111.13, LAT), (111.15, LAT)])],
            crs=4326,
        ),
    )
    write_features(
        session,
        "compounds",
        gpd.GeoDataFrame(
            {"name": ["幸福小区"], "ext_id": ["cmp-1"], "community_code": ["141102001001"]},
            geometry=[shapely.box(111.160, 37.530, 111.165, 37.535)],
            crs=4326,
        ),
    )
    write_features(
        session,
        "grids",
        gpd.GeoDataFrame(
            {"code": ["14110200100101"], "community_code": ["141102001001"], "valid_from": ["2025-01-01"]},
            geometry=[box],
            crs=4326,
        ),
    )
    community_id = session.scalar(select(Area.id).where(Area.code == "141102001001"))
    c = Unit(name="龙凤社区居委会", kind="community", code="U-C", area_id=community_id)
    session.add(c)
    session.flush()
    seg_id = session.scalar(select(Segment.id))
    cmp_id = session.scalar(select(Compound.id))
    now = dt.datetime.now(dt.UTC)
    for kind, target, unit in (("segment", seg_id, units["a"]), ("compound", cmp_id, units["b"])):
        session.add(
            Assignment(
                target_kind=kind, target_id=target, unit_id=unit, role="responsible",
                valid_from=dt.date(2025, 1, 1), assigned_at=now,
            )
        )  # fmt: skip
    session.flush()
    return {**units, "c": c.id, "segment": seg_id, "compound": cmp_id, "community": community_id}


COMPOUND_POINT = (111.1625, 37.5325)
FAR_POINT = (112.5, 38.5)
