"""The store: migrations on both databases, spatial indexes, metric measures, the one-responsible rule."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmap.store.bulk_writes import write_features
from gridmap.store.engine import current_revision, downgrade, head_revision, upgrade
from gridmap.store.models import Assignment, Unit


def test_migrated_to_head_with_spatial_indexes(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert {"areas", "grids", "segments", "compounds", "units", "people", "assignments"} <= tables
        if engine.dialect.name == "sqlite":
            rtrees = {
                r[0]
                for r in conn.execute(text("SELECT f_table_name FROM geometry_columns WHERE spatial_index_enabled = 1"))
            }
            assert rtrees == {
                "areas",
                "grids",
                "segments",
                "compounds",
                "cases",
                "components",
                "shops",
                "places",
                "patrols",
            }
        else:
            gist = {r[0] for r in conn.execute(text("SELECT tablename FROM pg_indexes WHERE indexdef ILIKE '%gist%'"))}
            assert {
                "areas",
                "grids",
                "segments",
                "compounds",
                "cases",
                "components",
                "shops",
                "places",
                "patrols",
            } <= gist


def test_upgrade_is_idempotent_and_reversible(engine: Engine) -> None:
    upgrade(engine)
    downgrade(engine, "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_allowed_value_checks_survive_their_rewrite_both_ways(engine: Engine) -> None:
    """Migration 0005 rewrites the allowed-value CHECKs as comparisons (and back): stored rows stay, a bad value
    is still refused, a good one still accepted, and SQLite's integrity check passes."""

    def check_sql() -> str:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                return conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'cases'").scalar()
            return " ".join(
                conn.exec_driver_sql(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'cases'::regclass "
                    "AND conname = 'ck_status_allowed'"
                ).scalars()
            )

    def refuses(kind: str) -> bool:
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO units (name, kind) VALUES (:n, :k)"), {"n": f"单位-{kind}", "k": kind})
        except IntegrityError:
            return True
        return False

    assert "'parked'" in check_sql() and " IN (" not in check_sql() and "ANY" not in check_sql()
    assert not refuses("enterprise")
    downgrade(engine, "0004")
    assert " IN (" in check_sql() or "ANY" in check_sql()
    assert refuses("shop") and not refuses("community")
    upgrade(engine)
    assert " IN (" not in check_sql() and "ANY" not in check_sql()
    assert refuses("shop") and not refuses("city_office")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM units")).scalar() == 3


def test_lengths_and_areas_are_metric(session: Session) -> None:
    # 0.01° of longitude at 37.5°N is ~883 m; a 0.01° × 0.01° box is ~0.98 km².
    line = shapely.LineString([(111.14, 37.52), (111.15, 37.52)])
    segs = gpd.GeoDataFrame({"name": ["和平街"], "level": ["main"]}, geometry=[line], crs=4326)
    write_features(session, "segments", segs)
    box = shapely.box(111.14, 37.52, 111.15, 37.53)
    dist = gpd.GeoDataFrame({"code": ["141102"], "name": ["离石区"]}, geometry=[box], crs=4326)
    write_features(session, "districts", dist)
    length = session.execute(text("SELECT length_m FROM segments")).scalar()
    area = session.execute(text("SELECT area_m2 FROM areas")).scalar()
    assert length == pytest.approx(883.5, abs=2)
    assert area == pytest.approx(0.98e6, rel=0.01)


def test_two_open_responsible_assignments_are_refused_by_the_database(session: Session) -> None:
    unit_a, unit_b = Unit(name="甲单位", kind="city_office"), Unit(name="乙单位", kind="enterprise")
    session.add_all([unit_a, unit_b])
    session.flush()
    now = dt.datetime.now(dt.UTC)
    session.add(
        Assignment(
            target_kind="segment",
            target_id=1,
            unit_id=unit_a.id,
            role="responsible",
            valid_from=dt.date(2026, 1, 1),
            assigned_at=now,
        )
    )
    session.flush()
    session.add(
        Assignment(
            target_kind="segment",
            target_id=1,
            unit_id=unit_b.id,
            role="responsible",
            valid_from=dt.date(2026, 2, 1),
            assigned_at=now,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_redrawn_grid_gets_a_new_version_and_an_unchanged_one_does_not(session: Session) -> None:
    box = shapely.box(111.14, 37.52, 111.15, 37.53)
    write_features(
        session, "districts", gpd.GeoDataFrame({"code": ["141102"], "name": ["离石区"]}, geometry=[box], crs=4326)
    )
    streets = gpd.GeoDataFrame(
        {"code": ["141102001"], "name": ["滨河街道"], "district_code": ["141102"]}, geometry=[box], crs=4326
    )
    write_features(session, "streets", streets)
    comm = gpd.GeoDataFrame(
        {"code": ["141102001001"], "name": ["东关社区"], "street_code": ["141102001"]}, geometry=[box], crs=4326
    )
    write_features(session, "communities", comm)
    left, right = shapely.box(111.14, 37.52, 111.145, 37.53), shapely.box(111.145, 37.52, 111.15, 37.53)

    def grids(geoms, day):
        return gpd.GeoDataFrame(
            {
                "code": ["14110200100101", "14110200100102"],
                "community_code": ["141102001001"] * 2,
                "valid_from": [day] * 2,
            },
            geometry=geoms,
            crs=4326,
        )

    write_features(session, "grids", grids([left, right], "2026-01-01"))
    moved = shapely.box(111.145, 37.52, 111.151, 37.53)
    result = write_features(session, "grids", grids([left, moved], "2026-06-01"))
    assert (result.created, result.updated) == (0, 2)
    rows = session.execute(text("SELECT code, version, valid_from, valid_to FROM grids ORDER BY code, version")).all()
    as_text = [(c, v, str(f), None if t is None else str(t)) for c, v, f, t in rows]
    assert as_text == [
        ("14110200100101", 1, "2026-01-01", None),
        ("14110200100102", 1, "2026-01-01", "2026-06-01"),
        ("14110200100102", 2, "2026-06-01", None),
    ]


def test_change_counters_move_with_every_committed_write(session: Session) -> None:
    """Migration 0007's triggers: a committed write to a layer table moves the ``layers`` counter, a rolled-back one
    does not, a write whose savepoint was rolled back still leaves the transaction's later write counted, and a
    holiday moves ``catalogue`` only."""
    from gridmap.store.models import Unit

    def counter(name: str = "layers") -> int:
        return session.scalar(text("SELECT n FROM change_counters WHERE name = :n"), {"n": name})

    session.add(Unit(name="计数单位", kind="enterprise"))
    session.commit()
    start = counter()
    session.execute(text("UPDATE units SET name = '改名' WHERE name = '计数单位'"))
    session.commit()
    after_rename = counter()
    assert after_rename > start
    session.execute(text("UPDATE units SET name = '不作数' WHERE name = '改名'"))
    session.rollback()
    assert counter() == after_rename
    with session.begin_nested() as inner:
        session.execute(text("UPDATE units SET name = '内层' WHERE name = '改名'"))
        inner.rollback()
    session.execute(text("UPDATE units SET kind = 'city_office' WHERE name = '改名'"))
    session.commit()
    counted = counter()
    assert counted > after_rename
    catalogue = counter("catalogue")
    session.execute(text("INSERT INTO holidays (day, is_workday) VALUES ('2031-01-01', false)"))  # not a layer table
    session.commit()
    assert counter() == counted and counter("catalogue") > catalogue


def test_the_models_and_the_migrations_describe_the_same_schema(engine: Engine) -> None:
    """Every schema change has its migration: after upgrading to head, Alembic finds nothing in the ORM models that
    the database lacks or has otherwise (column types included). SpatiaLite's and PostGIS's own tables and the
    spatial indexes they name themselves are not ours to compare."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from gridmap.store.models import Base

    ours = set(Base.metadata.tables)

    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table":
            return name in ours
        return not (type_ == "index" and name and name.startswith("idx_") and name.endswith("_geom"))

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
