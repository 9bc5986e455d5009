"""The ORM: administrative areas, unit grids, road segments, compounds, units, people and assignments.

Geometry is stored in EPSG:4326; ``length_m`` / ``area_m2`` are computed in the local UTM zone when a feature
is written (see :mod:`gridmap.geo.crs`), so nothing downstream measures in degrees. The schema itself is
created by the Alembic migrations in ``gridmap/migrations``; keep both in step.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from flask_security import UserMixin
from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    or_,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SRID = 4326


class Base(DeclarativeBase):
    if TYPE_CHECKING:
        # Every model names its ``__tablename__``, so its ``__table__`` is a Table (DeclarativeBase types it as
        # any FromClause, which insert() and update() refuse).
        __table__: ClassVar[Table]


class AreaLevel(enum.StrEnum):
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"


class SegmentLevel(enum.StrEnum):
    MAIN = "main"  # 主干道
    SECONDARY = "secondary"  # 次干道
    BACK = "back"  # 背街小巷


SEGMENT_LEVEL_WORDS: dict[str, SegmentLevel] = {
    "主干道": SegmentLevel.MAIN, "主干路": SegmentLevel.MAIN, "快速路": SegmentLevel.MAIN,
    "次干道": SegmentLevel.SECONDARY, "次干路": SegmentLevel.SECONDARY, "支路": SegmentLevel.SECONDARY,
    "背街小巷": SegmentLevel.BACK, "小巷": SegmentLevel.BACK, "街巷": SegmentLevel.BACK,
}  # fmt: skip
"""The Chinese road-level words a file may use besides main/secondary/back (one list for every importer)."""
SEGMENT_LEVEL_HELP = "主干道 (主干路, 快速路), 次干道 (次干路, 支路), 背街小巷 (小巷, 街巷)"


class UnitKind(enum.StrEnum):
    CITY_OFFICE = "city_office"  # 市直单位
    DISTRICT_OFFICE = "district_office"  # 区直单位
    ENTERPRISE = "enterprise"  # 企业
    COMMUNITY = "community"  # 街道/社区
    OTHER = "other"  # 其他 (schools, hospitals, associations…)


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


def _one_of(column: str, values: Iterable[str], nullable: bool = False) -> str:
    """``column = 'a' OR column = 'b' …``: the same rule as ``IN (…)``, but SQLite evaluates a constant IN list of
    three or more values through a temporary B-tree built on every statement run — on every row of an
    ``executemany`` (migration 0005)."""
    rule = " OR ".join(f"{column} = '{v}'" for v in values)
    return f"{column} IS NULL OR {rule}" if nullable else rule


def _enum_check(column: str, values: type[enum.StrEnum]) -> CheckConstraint:
    return CheckConstraint(_one_of(column, [v.value for v in values]), name=f"ck_{column}_allowed")


_DEADLINE_UNITS = ("urgent_hours", "work_hours", "work_days")


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


class Component(Base):
    """A public component 部件 (manhole cover, street lamp, bin...): a point of a component class (the standard's
    4-digit code, ``0101`` 井盖 = category ``BJ0101``) with its owner 权属单位, who answers for reports about it."""

    __tablename__ = "components"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    class_code: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    source: Mapped[str | None] = mapped_column(String(200))
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=False)


class PlaceKind(enum.StrEnum):
    """Field points 考察点位 beyond roads and compounds: the kinds the civilised-city assessment samples."""

    MARKET = "market"  # 农贸市场
    PARK = "park"  # 公园广场
    SITE = "site"  # 建筑工地
    SCHOOL = "school"  # 学校周边
    COMMERCIAL = "commercial"  # 商业大街
    HOSPITAL = "hospital"  # 医院
    STATION = "station"  # 车站（公交、客运站场）
    HALL = "hall"  # 政务服务大厅


PLACE_KIND_WORDS: dict[str, PlaceKind] = {
    "农贸市场": PlaceKind.MARKET, "集贸市场": PlaceKind.MARKET, "菜市场": PlaceKind.MARKET,
    "公园广场": PlaceKind.PARK, "公园": PlaceKind.PARK, "广场": PlaceKind.PARK,
    "建筑工地": PlaceKind.SITE, "工地": PlaceKind.SITE,
    "学校周边": PlaceKind.SCHOOL, "学校": PlaceKind.SCHOOL,
    "商业大街": PlaceKind.COMMERCIAL, "商业街": PlaceKind.COMMERCIAL, "商业街区": PlaceKind.COMMERCIAL,
    "医院": PlaceKind.HOSPITAL, "医院周边": PlaceKind.HOSPITAL,
    "车站": PlaceKind.STATION, "客运站": PlaceKind.STATION, "火车站": PlaceKind.STATION, "公交场站": PlaceKind.STATION,
    "政务服务大厅": PlaceKind.HALL, "政务大厅": PlaceKind.HALL, "服务大厅": PlaceKind.HALL,
}  # fmt: skip
"""The Chinese words a file or a command may use for a place kind besides the English value."""


class Place(Base):
    """A field point 考察点位 of a kind beyond roads and compounds (农贸市场, 公园广场, 建筑工地…): a point, or a
    polygon kept as ``outline`` with its point on surface as ``geom``. Its 街道/社区 are derived from where it
    lies when it is written, so a mock assessment can spread its draw across 街道."""

    __tablename__ = "places"
    __table_args__ = (_enum_check("kind", PlaceKind),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ext_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    area_m2: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(200))
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=False)
    outline = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=True)


FeatureModel: TypeAlias = type[Area] | type[Grid] | type[Segment] | type[Compound] | type[Component] | type[Place]
"""A table of spatial features (an ``id``, a ``geom``): what the layers, the importers and the targets name."""


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
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)  # its scope (街道/社区…)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # the body it answers to
    retired_on: Mapped[dt.date | None] = mapped_column(Date)  # from this day it takes no new assignment
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # a merged unit's successor

    people: Mapped[list[Person]] = relationship(back_populates="unit")


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    retired_on: Mapped[dt.date | None] = mapped_column(Date)  # left: kept for the history, takes nothing new

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


def in_force(source: Any, on: dt.date) -> ColumnElement[bool]:
    """The period ``[valid_from, valid_to)`` of ``source`` (a model such as Assignment or Grid, or a table/alias
    with ``.c``) covers day ``on``: the one definition of "in force" every query shares."""
    cols = getattr(source, "c", source)
    valid_from, valid_to = cols.valid_from, cols.valid_to
    return and_(valid_from <= on, or_(valid_to.is_(None), valid_to > on))


# -- categories, the working calendar, cases and their events (the closed loop 闭环) ---------------------------


class CategoryFamily(enum.StrEnum):
    EVENT = "event"  # 事件
    COMPONENT = "component"  # 部件
    INSPECTION = "inspection"  # 创城 inspection item 测评/督查项目


class DeadlineUnit(enum.StrEnum):
    URGENT_HOURS = "urgent_hours"  # continuous hours 紧急小时
    WORK_HOURS = "work_hours"  # 工作时
    WORK_DAYS = "work_days"  # 工作日


class Urgency(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class CaseSource(enum.StrEnum):
    PATROL = "patrol"  # 网格员巡查
    INSPECTION = "inspection"  # 督查 (明查暗访)
    PUBLIC = "public"  # 市民随手拍
    OPEN311 = "open311"
    IMPORT = "import"


class CaseStatus(enum.StrEnum):
    PENDING = "pending"  # 待核实: a public report waiting for on-site verification
    OPEN = "open"  # 已立案, waiting for dispatch
    DISPATCHED = "dispatched"  # 已派遣, waiting for the unit to accept
    IN_PROGRESS = "in_progress"  # 处置中
    REPORTED_BACK = "reported_back"  # 已反馈, waiting for the re-check 核查
    CLOSED = "closed"  # 已结案 / 销号
    VOID = "void"  # 已作废
    PARKED = "parked"  # 挂账: unsolvable for now, the clock is stopped


class Category(Base):
    """A problem category: a class (``parent_code`` NULL) or a sub-class with its deadline and default urgency.

    Codes: events are the 4 digits of DOMAIN.md (class 2 + sub-class 2, e.g. ``0102`` 暴露垃圾); components carry the
    prefix ``BJ`` (部件, e.g. ``BJ0101`` 井盖) and 创城 inspection items the prefix ``CC``, so the three trees never
    collide.
    """

    __tablename__ = "categories"
    __table_args__ = (
        _enum_check("family", CategoryFamily),
        CheckConstraint(_one_of("deadline_unit", _DEADLINE_UNITS, nullable=True), name="ck_deadline_unit_allowed"),
        CheckConstraint(_one_of("urgent_unit", _DEADLINE_UNITS, nullable=True), name="ck_urgent_unit_allowed"),
        _enum_check("default_urgency", Urgency),
    )

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"), index=True)
    family: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    deadline_amount: Mapped[float | None] = mapped_column(Float)
    deadline_unit: Mapped[str | None] = mapped_column(String(16))
    urgent_amount: Mapped[float | None] = mapped_column(Float)
    urgent_unit: Mapped[str | None] = mapped_column(String(16))
    default_urgency: Mapped[str] = mapped_column(String(16), default=Urgency.NORMAL)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Holiday(Base):
    """A day that breaks the Monday–Friday rule: a public holiday (``is_workday`` false) or a make-up working day."""

    __tablename__ = "holidays"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(50))


_CASE_LIST_COLUMNS = ("status", "created_at", "street_id", "community_id", "unit_id", "category", "lon", "lat")
"""The case list's common filters and the heatmap's points, in one index (migration 0019)."""
_DUE_COLUMNS = ("deadline_at", "status", "closed_at", "rework_count", "extension_count", "unit_id", "street_id",
                "community_id", "matched_kind", "matched_id")  # fmt: skip


class Case(Base):
    """A case 案件: a routed report living through the closed loop.

    State changes never go through the ORM: :mod:`gridmap.cases` applies them with a conditional UPDATE on
    ``version`` and ``status`` and appends a :class:`CaseEvent` with ``seq`` = the new version.
    """

    __tablename__ = "cases"
    __table_args__ = (
        _enum_check("source", CaseSource),
        _enum_check("status", CaseStatus),
        _enum_check("urgency", Urgency),
        CheckConstraint(_one_of("deadline_unit", _DEADLINE_UNITS, nullable=True), name="ck_case_deadline_unit_allowed"),
        Index("ix_cases_status_deadline", "status", "deadline_at"),
        # the scorecards' cohort of cases due in a period, counted from the index alone (migration 0028)
        Index("ix_cases_due", *_DUE_COLUMNS),
        # the open cases (a few per cent) filtered and drawn from the index alone (migration 0019)
        Index("ix_cases_status_created", *_CASE_LIST_COLUMNS),
        Index(  # the queue's extension requests: few (migration 0024)
            "ix_cases_extension_asked",
            "status",
            sqlite_where=text("extension_requested_seconds IS NOT NULL"),
            postgresql_where=text("extension_requested_seconds IS NOT NULL"),
        ),
        Index("ix_cases_supervision_level", "supervision_level"),  # the queue's supervised cases: few
        # a category, of the open cases or in a period (migration 0029)
        Index("ix_cases_category_status_created", "category", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    receipt: Mapped[str | None] = mapped_column(String(16), unique=True, index=True)  # the public's 查询码
    source: Mapped[str] = mapped_column(String(16))
    reporter: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(ForeignKey("categories.code"))  # indexed with created_at
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    urgency: Mapped[str] = mapped_column(String(16))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=False)
    observed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    matched_kind: Mapped[str | None] = mapped_column(String(16))
    matched_id: Mapped[int | None] = mapped_column(Integer)
    matched_name: Mapped[str | None] = mapped_column(String(200))
    rule: Mapped[str | None] = mapped_column(String(32))
    distance_m: Mapped[float | None] = mapped_column(Float)
    ambiguous: Mapped[bool] = mapped_column(Boolean, default=False)
    routing: Mapped[dict | None] = mapped_column(JSON)  # the routing answer (candidates, explanation) as given
    street_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    deadline_unit: Mapped[str | None] = mapped_column(String(16))
    limit_seconds: Mapped[float | None] = mapped_column(Float)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    paused_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    parked_from: Mapped[str | None] = mapped_column(String(16))
    extension_requested_seconds: Mapped[float | None] = mapped_column(Float)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    supervision_level: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    flags: Mapped[list | None] = mapped_column(JSON)  # for the verifier: photos taken far away or long before
    # a covert inspection's (暗访) case: unit clerks do not see it until a commander publishes the inspection
    withheld: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class CaseEvent(Base):
    """One step of a case (append-only): who did what, when, with which opinion and photos."""

    __tablename__ = "case_events"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_case_events_seq"),
        # the scorecards count a period's events from this index alone (covering: the event rows carry notes, photos
        # and data, and a month's events lie scattered over the table)
        Index("ix_case_events_at", "at", "action", "case_id", "seq", "to_status", "actor"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))  # uq_case_events_seq indexes it
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list | None] = mapped_column(JSON)
    data: Mapped[dict | None] = mapped_column(JSON)


# -- maintained aggregates (issue 16): whole-city answers without scanning every feature --------------------------


class AggregateState(Base):
    """The day a maintained aggregate was brought up to (NULL: never built, build it whole). One row per aggregate;
    its row lock serialises the processes bringing it up to date."""

    __tablename__ = "aggregate_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[dt.date | None] = mapped_column(Date)


class AggregateDirty(Base):
    """Features whose maintained figures may be stale: written by triggers (migration 0018) on every write to
    segments, compounds, grids and assignments, whichever code path made it; ``kind`` ``*`` (areas edited):
    rebuild everything. Consumed, up to an ``id``, by :mod:`gridmap.responsibility.gap_totals`."""

    __tablename__ = "aggregate_dirty"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)


class GapFeature(Base):
    """Each segment, compound and grid existing on the aggregate's day: its 社区 (0: outside every community), its
    size in thousandths (mm, or m²/1000: integer sums stay exact whatever order they are added in) and whether
    nobody is responsible for it."""

    __tablename__ = "gap_features"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    feature_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer)
    measure_milli: Mapped[int] = mapped_column(BigInteger)
    gap: Mapped[bool] = mapped_column(Boolean)


class GapTotal(Base):
    """:class:`GapFeature` summed per kind and 社区: what ``/api/v1/gaps/summary`` reads for today."""

    __tablename__ = "gap_totals"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    features: Mapped[int] = mapped_column(Integer)
    gaps: Mapped[int] = mapped_column(Integer)
    measure_milli: Mapped[int] = mapped_column(BigInteger)
    gap_milli: Mapped[int] = mapped_column(BigInteger)


# -- unit grid generation runs and lineage (issue 5) ------------------------------------------------------------


class GridGeneration(Base):
    """One run of ``gridmap grids generate`` that wrote a new version of the grids of some communities."""

    __tablename__ = "grid_generations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(100))  # "all", "street:141102001", "community:141102001001"
    target_m2: Mapped[float] = mapped_column(Float)
    seq_width: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(100))
    report: Mapped[dict | None] = mapped_column(JSON)  # the quality report, as printed


class GridLineage(Base):
    """An old grid (closed by a generation) overlapping a new one: how much of each lies in the other.

    ``share_of_old``: the part of the old grid that went to the new one; ``share_of_new``: the part of the new
    grid that was the old one. Cases and assignments of old grids are read through these rows.
    """

    __tablename__ = "grid_lineage"
    __table_args__ = (UniqueConstraint("old_grid_id", "new_grid_id", name="uq_grid_lineage_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation_id: Mapped[int] = mapped_column(ForeignKey("grid_generations.id"), index=True)
    old_grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    new_grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    overlap_m2: Mapped[float] = mapped_column(Float)
    share_of_old: Mapped[float] = mapped_column(Float)
    share_of_new: Mapped[float] = mapped_column(Float)


# -- accounts, API tokens and the audit trail (issue 11) ----------------------------------------------------------


class AccountRole(enum.StrEnum):
    """What a signed-in person may do (one role per account); the public needs no account."""

    ADMIN = "admin"  # accounts, categories, the working calendar
    COMMANDER = "commander"  # 指挥长: everything in their scope — assign, dispatch, void, approve extensions
    DISPATCHER = "dispatcher"  # 派遣员: verify, open, dispatch, re-check, close
    UNIT_CLERK = "unit_clerk"  # 包联单位联络员: the cases of their own unit
    GRID_WORKER = "grid_worker"  # 网格员: reports, re-checks in their grids
    INSPECTOR = "inspector"  # 督查员: reports and inspections, re-checks
    VIEWER = "viewer"  # read-only


class Account(Base, UserMixin):
    """A person who signs in (Flask-Security's user: its UserMixin is the interface the sign-in needs): one role, an
    optional scope (an area or, for a unit clerk, a unit) and optionally the person of the registry it is."""

    __tablename__ = "accounts"
    __table_args__ = (_enum_check("role", AccountRole),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password: Mapped[str] = mapped_column(String(255))  # argon2 hash (never the password)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    fs_uniquifier: Mapped[str] = mapped_column(String(64), unique=True)  # changing it ends every session
    role: Mapped[str] = mapped_column(String(32))
    scope_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Flask-Security's login tracking
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # type: ignore[assignment]  # None until the first sign-in: the mixin types it as set
    current_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # type: ignore[assignment]  # as above
    last_login_ip: Mapped[str | None] = mapped_column(String(64))
    current_login_ip: Mapped[str | None] = mapped_column(String(64))
    login_count: Mapped[int | None] = mapped_column(Integer)  # type: ignore[assignment]  # as above

    def has_role(self, role: object) -> bool:  # one role per account, in ``role`` (not Flask-Security's role table)
        return self.role == getattr(role, "name", role)


class ApiToken(Base):
    """A bearer token for API clients: only its SHA-256 is stored; it is shown once, when made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a token in a list
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """One change or sign-in, append-only: who (the account, as it was named then), when, from which address, by
    which means (session, token, cli), what, and the object before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_object", "object_kind", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    object_kind: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


# -- inspections 明查暗访: checklist templates, inspections, findings (issue 14) ------------------------------------


class InspectionKind(enum.StrEnum):
    OPEN = "open"  # 明查
    COVERT = "covert"  # 暗访


class ChecklistTemplate(Base):
    """One edition of a point type's checklist (主次干道, 小区…). An edition an inspection used is frozen: editing
    the point type's checklist then writes the next edition, so a past inspection keeps the items it was scored on."""

    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("point_type", "edition", name="uq_checklist_edition"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_type: Mapped[str] = mapped_column(String(32), index=True)
    edition: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(200))
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))


class ChecklistItem(Base):
    """One item of a template edition: what is checked, its points, how many observations it needs, and the case
    category a failed item becomes. ``code`` is stable across editions (a look-back matches items by it)."""

    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("template_id", "code", name="uq_checklist_item_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    standard: Mapped[str | None] = mapped_column(Text)  # 测评标准: what passes
    points: Mapped[float] = mapped_column(Float)
    observations: Mapped[int] = mapped_column(Integer, default=1)
    category: Mapped[str] = mapped_column(ForeignKey("categories.code"))


class Inspection(Base):
    """An inspection 督查 (明查 open or 暗访 covert) by a team on a day in an area, scored on one template edition.
    A covert inspection's findings and cases stay hidden from unit clerks until ``published_at``."""

    __tablename__ = "inspections"
    __table_args__ = (_enum_check("kind", InspectionKind),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(200))


class InspectionFinding(Base):
    """One finding: an item passed or failed at a place, with photos and a note; a failed one opened ``case_id``.
    ``recheck_of`` names the earlier failed finding this one re-inspects (回头看); failing again is a ``repeat``
    (反弹) against ``unit_id``, the unit the failure was routed to."""

    __tablename__ = "inspection_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"))
    passed: Mapped[bool] = mapped_column(Boolean)
    points_deducted: Mapped[float] = mapped_column(Float, default=0.0)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list | None] = mapped_column(JSON)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    recheck_of: Mapped[int | None] = mapped_column(ForeignKey("inspection_findings.id"), index=True)
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    recorded_by: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str | None] = mapped_column(String(100), unique=True)


# -- 门前五包: shops, their frontages, letters, monthly scores and flags (issue 15) --------------------------------


class ShopScheme(Base):
    """A 门前三包/五包 scheme, one version of it: the items and their points (5 × 20 by default), which case
    categories deduct from which item and how much, the pass mark, and the flag rules with their escalation
    ladder — a city's rules as data (:mod:`gridmap.shops.schemes`)."""

    __tablename__ = "shop_schemes"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_shop_schemes_code_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(100))
    rules: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Shop(Base):
    """A shop along a street 沿街商铺: who it is, where it stands, and its frontage 门前责任区 (derived from its
    position, its road segment and its neighbours: :mod:`gridmap.shops.frontage`)."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    kind: Mapped[str | None] = mapped_column(String(50))  # 餐饮, 零售… as the city writes it
    owner: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(300))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=False)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)  # its 街道
    frontage = mapped_column(Geometry("POLYGON", srid=SRID, spatial_index=False), nullable=True)
    frontage_m2: Mapped[float | None] = mapped_column(Float)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)  # closed down: kept for its history, scored no more
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ShopLetter(Base):
    """A signed responsibility letter 责任书: which scheme version the shop signed, who signed and when, the scan,
    and the period it is in force ``[valid_from, valid_to)``."""

    __tablename__ = "shop_letters"
    __table_args__ = (CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="ck_shop_letter_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("shop_schemes.id"), index=True)
    signer: Mapped[str] = mapped_column(String(100))
    signed_on: Mapped[dt.date] = mapped_column(Date)
    scan: Mapped[str | None] = mapped_column(String(100))  # the stored file's name (photos' store)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ShopScore(Base):
    """A shop's score for one month: the scheme's full marks minus the deductions (each one a
    :class:`ShopDeduction` naming its case), its rank in its road and its 街道, and the failing-month streak."""

    __tablename__ = "shop_scores"
    __table_args__ = (UniqueConstraint("shop_id", "month", name="uq_shop_scores_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM, the city's local month
    scheme_id: Mapped[int] = mapped_column(ForeignKey("shop_schemes.id"))
    full: Mapped[float] = mapped_column(Float)
    points: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    fail_streak: Mapped[int] = mapped_column(Integer, default=0)  # failing months in a row, this one included
    street_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"))
    rank_street: Mapped[int | None] = mapped_column(Integer)  # rank among the shops of its 街道
    rank_road: Mapped[int | None] = mapped_column(Integer)  # rank among the shops of its road (segment name)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ShopDeduction(Base):
    """Points taken off one monthly score, and why: a case inside the frontage (``case_id``) or, later, an
    inspection finding (``source`` = ``inspection``, ``source_id`` its id)."""

    __tablename__ = "shop_deductions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("shop_scores.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(32))
    points: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))  # case | inspection
    source_id: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    category: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(300))


class ShopFlag(Base):
    """A flag a shop was given for a month: red 流动红旗 (top of its 街道), or yellow/black with the escalation
    ladder's step (批评教育 → 限期整改 → 曝光 红黑榜) — the shop's flag history."""

    __tablename__ = "shop_flags"
    __table_args__ = (UniqueConstraint("shop_id", "month", name="uq_shop_flags_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    color: Mapped[str] = mapped_column(String(8))  # red | yellow | black
    step: Mapped[str | None] = mapped_column(String(32))  # the ladder step's code
    reason: Mapped[str | None] = mapped_column(String(300))
    awarded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# -- mock assessments 模拟测评 (issue 14) --------------------------------------------------------------------------


FIELD_POINT_SOURCES = ("segment", "compound", "place")
"""The tables a field point of an assessment is drawn from."""


class Assessment(Base):
    """A mock assessment 模拟测评: one stratified random draw of field points, repeatable from ``seed`` and
    ``params`` (points, quotas, excluded weeks, teams, the candidates' counts), then scored point by point."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    drawn_on: Mapped[dt.date] = mapped_column(Date, index=True)  # the day the K excluded weeks count back from
    seed: Mapped[int] = mapped_column(BigInteger)
    params: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # scores final: no more changes
    closed_by: Mapped[str | None] = mapped_column(String(200))


class AssessmentPoint(Base):
    """One drawn point of an assessment: what it is (a segment, compound or place, as it was named when drawn),
    the team that walks it and its stop on that team's route, and its score out of ``possible``.

    Item-level scores from checklists go in a child table (one row per point × checklist item) whose sums are
    written into ``score``/``possible`` here, so the score rates read this table alone."""

    __tablename__ = "assessment_points"
    __table_args__ = (
        CheckConstraint(_one_of("target_kind", FIELD_POINT_SOURCES), name="ck_assessment_points_kind"),
        UniqueConstraint("assessment_id", "target_kind", "target_id", name="uq_assessment_points_target"),
        Index("ix_assessment_points_target", "target_kind", "target_id"),
        CheckConstraint("possible IS NULL OR possible > 0", name="ck_assessment_points_possible"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= possible)", name="ck_assessment_points_score"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1.. in the order drawn (type, 街道)
    point_type: Mapped[str] = mapped_column(String(32))
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(200))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    team: Mapped[int] = mapped_column(Integer)  # 1..T
    stop: Mapped[int] = mapped_column(Integer)  # 1.. along the team's route
    score: Mapped[float | None] = mapped_column(Float)
    possible: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    scored_by: Mapped[str | None] = mapped_column(String(200))
    scored_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# -- road-chief patrols 路长巡查 (gridmap.patrols) --------------------------------------------------------------------


class Patrol(Base):
    """One patrol track of one person: the upload as it came (``raw``, GPX text or GeoJSON) and the fixes kept after
    filtering, as a line in EPSG:4326 (WGS-84: GCJ-02 input is converted on the way in)."""

    __tablename__ = "patrols"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    ended_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    source: Mapped[str] = mapped_column(String(16))  # gpx | geojson | phone
    crs: Mapped[str] = mapped_column(String(8))  # the input's: wgs84 | gcj02
    raw: Mapped[str] = mapped_column(Text)  # the upload, unchanged
    fixes: Mapped[int] = mapped_column(Integer)  # in the upload
    kept: Mapped[int] = mapped_column(Integer)  # after the accuracy and speed filters
    length_m: Mapped[float] = mapped_column(Float)  # of the kept fixes' line
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    geom = mapped_column(Geometry("LINESTRING", srid=SRID, spatial_index=True), nullable=False)


class PatrolVisit(Base):
    """What one patrol covered of one road segment on one (local) day: matched fixes, the covered share along the
    segment (linear referencing of the matched path) and whether that passes the rule (gridmap.patrols.matching)."""

    __tablename__ = "patrol_visits"
    __table_args__ = (Index("ix_patrol_visits_segment_day", "segment_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id"))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    fixes: Mapped[int] = mapped_column(Integer)
    covered_share: Mapped[float] = mapped_column(Float)
    patrolled: Mapped[bool] = mapped_column(Boolean)
    first_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# -- evaluation: schemes as data, published scorecards (issue 15) ------------------------------------------------


class EvaluationScheme(Base):
    """One version of an evaluation scheme 考核方案: its indicators, scoring rules and grades as a validated JSON
    document (:mod:`gridmap.evaluation.scheme`). Editing adds a version; a version is never changed, so a published
    scorecard always names the rules it was scored by."""

    __tablename__ = "evaluation_schemes"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_evaluation_schemes_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(16))
    document: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class Scorecard(Base):
    """A published (frozen) scorecard: one scheme version over one period; its rows never change."""

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("scheme_code", "period", name="uq_scorecards_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("evaluation_schemes.id"), index=True)
    scheme_code: Mapped[str] = mapped_column(String(64))
    scheme_version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(40))  # 2026-11, 2026-W47, 2026-Q4, 2026, 2026-11-03..2026-11-20
    period_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    period_end: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class ScorecardRow(Base):
    """One subject's line of a published scorecard: its counts, indicator values, points, score, grade and rank."""

    __tablename__ = "scorecard_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[str] = mapped_column(String(200))  # a unit/area/grid id, or an account's name
    name: Mapped[str] = mapped_column(String(200))
    peer_group: Mapped[str | None] = mapped_column(String(32))
    counts: Mapped[dict] = mapped_column(JSON)
    values: Mapped[dict] = mapped_column(JSON)
    points: Mapped[dict] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(4))
    rank: Mapped[int | None] = mapped_column(Integer)  # within its peer group; None: too few cases to rank


class Notice(Base):
    """A published notice 通报: the content built from the period's published scorecards, frozen (never changed)."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(40), unique=True)
    period_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    title_zh: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(200))
    # the PDF rendered when published (0024); deferred: the archive lists notices without reading their PDFs
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # the PDF's SHA-256 (hex), taken when it was stored (0027): its ETag, without reading and hashing the PDF again
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))


# -- mock assessments scored item by item (gridmap.assessments.items) -----------------------------------------------


class AssessmentItemScore(Base):
    """One checklist item scored at a drawn point: passed or failed, points deducted, where, photos, note; a failed
    one opened ``case_id`` (routed to ``unit_id``). The point's edition is its items' (one edition per point), and
    the point's ``score`` is that edition's total less the deductions here."""

    __tablename__ = "assessment_item_scores"
    __table_args__ = (UniqueConstraint("point_id", "item_id", name="uq_assessment_item_scores_point_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("assessment_points.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"))
    passed: Mapped[bool] = mapped_column(Boolean)
    points_deducted: Mapped[float] = mapped_column(Float, default=0.0)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list | None] = mapped_column(JSON)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str | None] = mapped_column(String(100), unique=True)


# -- party members and volunteers in the community 在职党员进社区 / 志愿服务 (issue 15) ------------------------------


class VolunteerScheme(Base):
    """A points scheme 积分制 as data (versioned like the evaluation schemes): what a service, an hour, a report
    and an inspection finding earn, and how self, peer and organisation scores are weighted."""

    __tablename__ = "volunteer_schemes"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_volunteer_schemes_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(200))


class Volunteer(Base):
    """A registered member: a person of the register, an in-service party member 在职党员 of a party organisation
    (named here: a 党组织 is a branch inside a unit, not a unit of its own) or a volunteer of a team."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # party_member, volunteer
    party_org: Mapped[str | None] = mapped_column(String(200), index=True)  # 党组织 (党支部) the member belongs to
    team: Mapped[str | None] = mapped_column(String(200))  # 志愿服务队
    community_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)  # 报到社区
    joined_on: Mapped[dt.date] = mapped_column(Date)

    person: Mapped[Person] = relationship()


class VolunteerPost(Base):
    """A post 岗位 published by a community (契约化选岗): a duty in the community or one of its compounds."""

    __tablename__ = "volunteer_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compounds.id"), index=True)
    duty: Mapped[str] = mapped_column(String(32))  # 楼栋长, 文明劝导, 环境监督…
    title: Mapped[str] = mapped_column(String(200))
    slots: Mapped[int] = mapped_column(Integer)
    tolerance_m: Mapped[float] = mapped_column(Float)  # how far outside the area a check-in is still accepted
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class VolunteerSignup(Base):
    """A member's sign-up for a post (选岗)."""

    __tablename__ = "volunteer_signups"
    __table_args__ = (UniqueConstraint("post_id", "volunteer_id", name="uq_volunteer_signups"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("volunteer_posts.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class VolunteerShift(Base):
    """One service: checked in and out at the post's place (positions kept), confirmed by the community."""

    __tablename__ = "volunteer_shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signup_id: Mapped[int] = mapped_column(ForeignKey("volunteer_signups.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    start_lon: Mapped[float] = mapped_column(Float)
    start_lat: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    end_lon: Mapped[float | None] = mapped_column(Float)
    end_lat: Mapped[float | None] = mapped_column(Float)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by: Mapped[str | None] = mapped_column(String(200))


class VolunteerReview(Base):
    """One evaluation score of a member for a quarter: by themself, a peer or their organisation."""

    __tablename__ = "volunteer_reviews"
    __table_args__ = (UniqueConstraint("volunteer_id", "period", "source", "by", name="uq_volunteer_reviews"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    period: Mapped[str] = mapped_column(String(10))  # 2026-Q4
    source: Mapped[str] = mapped_column(String(8))  # self, peer, org
    score: Mapped[float] = mapped_column(Float)  # 0…100
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# -- maintained heat counts (issue 16) ------------------------------------------------------------------------------


class HeatDirty(Base):
    """Cases whose heat counts may be stale: written by triggers (migration 0021) on every case written, whichever
    code path; ``kind`` ``*`` (grids or segments edited): rebuild everything. Consumed by
    :mod:`gridmap.maps.heat_totals`."""

    __tablename__ = "heat_dirty"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)


class HeatPlace(Base):
    """Each case's grid in force and nearest road segment (0: none), with what the heat filters read: the old
    state a refresh subtracts."""

    __tablename__ = "heat_places"

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(Integer)
    segment_id: Mapped[int] = mapped_column(Integer)
    street_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))


class HeatTotal(Base):
    """:class:`HeatPlace` counted per grid / segment / 街道 (``kind``), status and category."""

    __tablename__ = "heat_totals"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
