"""The ORM: administrative areas, unit grids, road segments, compounds, units, people and assignments.

Geometry is stored in EPSG:4326; ``length_m`` / ``area_m2`` are computed in the local UTM zone when a feature
is written (see :mod:`gridmap.geo.crs`), so nothing downstream measures in degrees. The schema itself is
created by the Alembic migrations in ``gridmap/migrations``; keep both in step.
"""

from __future__ import annotations

import datetime as dt
import enum

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SRID = 4326


class Base(DeclarativeBase):
    pass


class AreaLevel(enum.StrEnum):
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"


class SegmentLevel(enum.StrEnum):
    MAIN = "main"  # 主干道
    SECONDARY = "secondary"  # 次干道
    BACK = "back"  # 背街小巷


class UnitKind(enum.StrEnum):
    CITY_OFFICE = "city_office"  # 市直单位
    DISTRICT_OFFICE = "district_office"  # 区直单位
    ENTERPRISE = "enterprise"  # 企业
    COMMUNITY = "community"  # 街道/社区


class TargetKind(enum.StrEnum):
    SEGMENT = "segment"
    COMPOUND = "compound"
    GRID = "grid"


class Role(enum.StrEnum):
    """Roles of DOMAIN.md. ``responsible`` is the unit's 包联 responsibility (one per target at any instant)."""

    RESPONSIBLE = "responsible"  # 包联单位 / 责任单位
    ROAD_CHIEF = "road_chief"  # 路长
    GRID_WORKER = "grid_worker"  # 网格员
    INSPECTOR = "inspector"  # 督查员
    UNIT_LEADER = "unit_leader"  # 包联单位责任人
    COMPOUND_LEAD = "compound_lead"  # 包联小区负责人
    COMMUNITY_LIAISON = "community_liaison"  # 社区联络人
    CIV_SUPERVISOR = "civ_supervisor"  # 创文督导人


def _enum_check(column: str, values: type[enum.StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{column}_allowed")


class Area(Base):
    """An administrative area: district 区, sub-district 街道 or community 社区 (GB/T 2260-style codes)."""

    __tablename__ = "areas"
    __table_args__ = (_enum_check("level", AreaLevel),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    area_m2: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False)

    parent: Mapped[Area | None] = relationship(remote_side=[id])


class Grid(Base):
    """A unit grid 单元网格. Re-drawing creates a new version; old ones keep their validity period."""

    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_grids_code_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    area_m2: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False)

    community: Mapped[Area] = relationship()


class Segment(Base):
    """A road segment 路段: a named stretch of centre-line between two intersections."""

    __tablename__ = "segments"
    __table_args__ = (_enum_check("level", SegmentLevel),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ext_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100), index=True)
    level: Mapped[str] = mapped_column(String(16))
    from_desc: Mapped[str | None] = mapped_column(String(100))
    to_desc: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(300))
    length_m: Mapped[float] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(200))
    geom = mapped_column(Geometry("LINESTRING", srid=SRID, spatial_index=True), nullable=False)


class Compound(Base):
    """A residential compound 小区 (gated estate, work-unit compound 单位大院)."""

    __tablename__ = "compounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ext_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    households: Mapped[int | None] = mapped_column(Integer)
    area_m2: Mapped[float] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(200))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False)

    community: Mapped[Area | None] = relationship()


class Unit(Base):
    """A responsible unit 包联单位: government office, enterprise, school, street office or community."""

    __tablename__ = "units"
    __table_args__ = (_enum_check("kind", UnitKind),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))

    people: Mapped[list[Person]] = relationship(back_populates="unit")


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)

    unit: Mapped[Unit | None] = relationship(back_populates="people")
    roles: Mapped[list[PersonRole]] = relationship(cascade="all, delete-orphan")


class PersonRole(Base):
    """The roles a person holds in general (road chief, grid worker...); target-specific duties are assignments."""

    __tablename__ = "person_roles"
    __table_args__ = (_enum_check("role", Role),)

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class Assignment(Base):
    """Who is responsible for a segment, compound or grid, in which role, over which period.

    Periods are half-open ``[valid_from, valid_to)``; ``valid_to`` NULL means "still in force". Rows are never
    overwritten: a re-assignment closes the old row and adds a new one. The partial unique index makes it
    impossible to hold two open rows for the same target and role (one responsible party at any instant), even
    when two commanders act at once.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        _enum_check("target_kind", TargetKind),
        _enum_check("role", Role),
        CheckConstraint("unit_id IS NOT NULL OR person_id IS NOT NULL", name="ck_assignment_has_holder"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="ck_assignment_period"),
        Index(
            "uq_assignments_open",
            "target_kind",
            "target_id",
            "role",
            unique=True,
            sqlite_where=text("valid_to IS NULL"),
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index("ix_assignments_target", "target_kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    assigned_by: Mapped[str | None] = mapped_column(String(100))
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[Unit | None] = relationship()
    person: Mapped[Person | None] = relationship()


TARGET_MODELS: dict[str, type[Base]] = {
    TargetKind.SEGMENT: Segment,
    TargetKind.COMPOUND: Compound,
    TargetKind.GRID: Grid,
}
