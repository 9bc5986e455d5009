"""Load the demo city (离石区: real 街道/社区 names and codes, synthetic geometry) from ``data/boundaries``.

The files are produced by ``scripts/make_demo_city.py`` and committed; this loader goes through the same store
functions as every importer, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import cli_actor
from gridmap.accounts.registry import create_account
from gridmap.cases.bulk_import.importer import import_cases_csv
from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.errors import InvalidInput, Problem
from gridmap.imports.registry import load_assignments, load_people, load_units
from gridmap.store.bulk_writes import write_features
from gridmap.store.models import Area, Compound, Segment

# Layer name → file, in the order references require (parents before children).
DEMO_LAYERS = (
    ("districts", "district.geojson"),
    ("streets", "streets.geojson"),
    ("communities", "communities.geojson"),
    ("segments", "segments.geojson"),
    ("compounds", "compounds.geojson"),
    ("grids", "grids.geojson"),
)
DEMO_TABLES = ("units.csv", "people.csv", "assignments.csv")
DEMO_REPORTS = "reports.csv"  # three months of patrol, inspection and public reports, opened as cases
DEMO_SOURCE = "demo:离石区"


def database_is_empty(session: Session) -> bool:
    return not any(session.scalar(select(func.count()).select_from(m)) for m in (Area, Segment, Compound))


def _read_layer(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        raise InvalidInput(Problem("demo file missing: run `make demo-data`", str(path)))
    gdf = gpd.read_file(path, engine="pyogrio")
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise InvalidInput(Problem(f"expected EPSG:4326, found {gdf.crs}", str(path)))
    return gdf


DEMO_PASSWORD = "gridmap-demo"
"""The password of every demo account (README, and the sign-in page of the demo): disable them before real use."""

DEMO_ACCOUNTS: tuple[tuple[str, str, str, str | None, str | None, str | None], ...] = (
    # username, name, role, scope (area code), unit (a clerk's), person (code)
    ("demo-admin", "系统管理员（示范）", "admin", None, None, None),
    ("demo-commander", "指挥长（示范）", "commander", None, None, None),
    ("demo-binhe", "滨河街道指挥长（示范）", "commander", "141102001", None, None),
    ("demo-dispatcher", "派遣员（示范）", "dispatcher", None, None, None),
    ("demo-clerk", "市政府办联络员（示范）", "unit_clerk", None, "U001", None),
    ("demo-gridworker", "网格员牛晓超（示范）", "grid_worker", "141102001001", None, "P0333"),
    ("demo-inspector", "督查员（示范）", "inspector", None, None, None),
    ("demo-viewer", "只读用户（示范）", "viewer", None, None, None),
)
"""One account per role (and a commander of one 街道, to show a scope)."""


def load_demo(
    session: Session,
    data_dir: Path,
    settings: Settings | None = None,
    *,
    with_reports: bool = False,
    hash_password: Callable[[str], str] | None = None,
) -> dict[str, int]:
    """Load every demo layer and table and, with ``with_reports`` (as ``gridmap demo`` does), open the demo
    reports as cases, routed to their units like any report; with ``hash_password`` (the sign-in's), make the demo
    accounts (:data:`DEMO_ACCOUNTS`, password :data:`DEMO_PASSWORD`). Returns counts per layer. The caller
    commits."""
    counts: dict[str, int] = {}
    for layer, filename in DEMO_LAYERS:
        gdf = _read_layer(data_dir / filename)
        if layer == "streets" and "district_code" not in gdf.columns:
            gdf["district_code"] = gdf["code"].str[:6]
        counts[layer] = write_features(session, layer, gdf, source=DEMO_SOURCE).created
    tables = {name: pd.read_csv(data_dir / name, dtype=str, keep_default_na=False) for name in DEMO_TABLES}
    actor = cli_actor()
    counts["units"] = len(load_units(session, tables["units.csv"], "units.csv", actor=actor))
    counts["people"] = len(load_people(session, tables["people.csv"], "people.csv", actor=actor))
    counts["assignments"] = load_assignments(session, tables["assignments.csv"], "assignments.csv", actor=actor)
    reports = data_dir / DEMO_REPORTS
    if with_reports:
        seed(session)  # the categories and holidays the cases' deadlines need
        summary = import_cases_csv(
            session, reports, settings or Settings.from_env(), actor=cli_actor(), note="示范城区的上报"
        )
        if summary.bad:
            raise InvalidInput(Problem(f"{summary.bad} demo reports could not be opened as cases", str(reports)))
        counts["cases"] = summary.imported
    if hash_password is not None:
        actor = cli_actor()
        for username, name, role, scope, unit, person in DEMO_ACCOUNTS:
            create_account(session, actor, username=username, name=name, role=role, password=DEMO_PASSWORD,
                           hash_password=hash_password, scope=scope, unit=unit, person=person)  # fmt: skip
        counts["accounts"] = len(DEMO_ACCOUNTS)
    return counts
