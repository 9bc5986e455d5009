"""Load the demo city (离石区: real 街道/社区 names and codes, synthetic geometry) from ``data/boundaries``.

The files are produced by ``scripts/make_demo_city.py`` and committed; this loader goes through the same store
functions as every importer, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor, cli_actor
from gridmap.accounts.registry import create_account
from gridmap.cases.bulk_import.importer import import_cases_csv
from gridmap.cases.replay import replay
from gridmap.cases.values import as_utc
from gridmap.catalogue.categories import load_calendar, seed
from gridmap.components.demo import place_demo_components
from gridmap.config import Settings
from gridmap.errors import InvalidInput, Problem
from gridmap.evaluation import ensure_default_schemes, latest_scheme, parse_period, publish
from gridmap.imports.demo_history import (
    DAYS,
    SEED,
    DemoCase,
    clerk_username,
    history_end,
    make_cast,
    plan_history,
    spread_reports,
)
from gridmap.imports.registry import load_assignments, load_people, load_units
from gridmap.inspections.templates import seed_templates
from gridmap.shops import demo as shops_demo
from gridmap.store.bulk_writes import write_features
from gridmap.store.models import Area, Case, Category, Compound, Segment, Unit
from gridmap.volunteers.demo import seed_volunteers

# Layer name → file, in the order references require (parents before children).
DEMO_LAYERS = (
    ("districts", "district.geojson"),
    ("streets", "streets.geojson"),
    ("communities", "communities.geojson"),
    ("segments", "segments.geojson"),
    ("compounds", "compounds.geojson"),
    ("grids", "grids.geojson"),
    ("places", "places.geojson"),  # field points 考察点位 (after the 社区: their 街道/社区 are derived from them)
)
DEMO_TABLES = ("units.csv", "people.csv", "assignments.csv")
DEMO_REPORTS = "reports.csv"  # patrol, inspection and public reports, spread over the past year, opened as cases
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
    as_of: dt.date | None = None,
) -> dict[str, int]:
    """Load every demo layer and table and, with ``with_reports`` (as ``gridmap demo`` does), open the demo
    reports as cases, routed to their units like any report, and give them a year of history ending at the start
    of ``as_of`` (default: the city's today; :mod:`gridmap.imports.demo_history`); with ``hash_password`` (the
    sign-in's), make the demo accounts (:data:`DEMO_ACCOUNTS`, password :data:`DEMO_PASSWORD`, one hash shared by
    all: one argon2 run, not one per account) and, with the reports, a disabled clerk account per unit the history
    names.
    Returns counts per layer. The caller commits."""
    counts: dict[str, int] = {}
    for layer, filename in DEMO_LAYERS:
        gdf = _read_layer(data_dir / filename)
        if layer == "streets" and "district_code" not in gdf.columns:
            gdf["district_code"] = gdf["code"].str[:6]
        if layer == "places":
            gdf = gdf.rename(columns={"type": "kind"})  # the file speaks as `gridmap import places` reads it
        counts[layer] = write_features(session, layer, gdf, source=DEMO_SOURCE).created
    tables = {name: pd.read_csv(data_dir / name, dtype=str, keep_default_na=False) for name in DEMO_TABLES}
    actor = cli_actor()
    counts["units"] = len(load_units(session, tables["units.csv"], "units.csv", actor=actor))
    counts["people"] = len(load_people(session, tables["people.csv"], "people.csv", actor=actor))
    counts["assignments"] = load_assignments(session, tables["assignments.csv"], "assignments.csv", actor=actor)
    shared: Callable[[str], str] | None = None
    if hash_password is not None:
        hashed = hash_password(DEMO_PASSWORD)
        shared = lambda _password: hashed  # noqa: E731
        for username, name, role, scope, unit, person in DEMO_ACCOUNTS:
            create_account(session, actor, username=username, name=name, role=role, password=DEMO_PASSWORD,
                           hash_password=shared, scope=scope, unit=unit, person=person)  # fmt: skip
        counts["accounts"] = len(DEMO_ACCOUNTS)
    counts["checklists"] = seed_templates(session, actor)  # the inspections' checklists (and the categories they name)
    if with_reports:
        seed(session)  # the categories and holidays the cases' deadlines need
        settings = settings or Settings.from_env()
        counts.update(_load_reports(session, data_dir / DEMO_REPORTS, settings, as_of, shared))
        counts["scorecards"] = _publish_year(session, settings, as_of)
        tz = ZoneInfo(settings.cases.timezone)
        end = history_end(as_of or dt.datetime.now(tz).date(), load_calendar(session, settings.cases))
        counts.update(seed_volunteers(session, end, actor, tz, shared, DEMO_PASSWORD))  # 在职党员进社区
    else:
        ensure_default_schemes(session, actor, dt.datetime.now(dt.UTC))
    # the components inventory 部件普查 of the load day (after the year of reports, which it would re-route)
    counts["components"] = place_demo_components(session, DEMO_SOURCE)
    return counts


DEMO_PUBLISHED = ("unit_composite", "street_composite")  # the demo's rankings: a year of published months


def _publish_year(session: Session, settings: Settings, as_of: dt.date | None) -> int:
    """The default evaluation schemes, and the twelve whole months before ``as_of`` published as a city would."""
    tz = ZoneInfo(settings.cases.timezone)
    as_of = as_of or dt.datetime.now(tz).date()
    end = history_end(as_of, load_calendar(session, settings.cases))
    actor = cli_actor()
    ensure_default_schemes(session, actor, end)
    month = parse_period(f"{as_of.year}-{as_of.month:02d}", tz)
    published = 0
    for p in month.previous(12):
        for code in DEMO_PUBLISHED:
            publish(session, latest_scheme(session, code), p, actor, p.end.astimezone(dt.UTC), "示范城区的月度考核")
            published += 1
    return published


def _load_reports(
    session: Session,
    reports: Path,
    settings: Settings,
    as_of: dt.date | None,
    hash_password: Callable[[str], str] | None,
) -> dict[str, int]:
    """The demo reports opened as cases when observed (over the year before ``as_of``, default the city's today),
    then their history."""
    actor = cli_actor()
    cal = load_calendar(session, settings.cases)
    as_of = as_of or dt.datetime.now(cal.tz).date()
    end = history_end(as_of, cal)
    table = spread_reports(pd.read_csv(reports, dtype=str, keep_default_na=False), end, cal)
    # 门前五包: shops along the commercial streets, and reports inside their frontages over the same year
    start = end - dt.timedelta(days=DAYS)
    shops = shops_demo.place_demo_shops(session, signed_on=start.astimezone(cal.tz).date())
    months = shops_demo.months_between(start, end - dt.timedelta(seconds=1), cal.tz)
    fronts = shops_demo.shop_front_reports(session, months, cal.tz, len(table) + 1, (start, end))
    table = pd.concat([table, fronts.astype(str)], ignore_index=True)
    with tempfile.TemporaryDirectory(prefix="gridmap-demo-") as tmp:
        spread = Path(tmp) / reports.name
        table.to_csv(spread, index=False)
        summary = import_cases_csv(session, spread, settings, actor=actor, note="示范城区的上报", now=end,
                                   opened_when_observed=True)  # fmt: skip
    if summary.bad:
        raise InvalidInput(Problem(f"{summary.bad} demo reports could not be opened as cases", str(reports)))
    rows = session.execute(
        select(Case.id, Case.client_id, Case.source, Case.created_at, Case.unit_id, Case.category, Case.urgency)
        .where(Case.client_id.like("demo-%"), Case.version == 1)
        .order_by(Case.id)
    ).all()
    public = set(settings.cases.public_sources)
    cases = [
        DemoCase(
            r.id,
            int(r.client_id.rsplit("-", 1)[1]),
            r.source in public,
            as_utc(r.created_at),
            r.unit_id,
            r.category,
            r.urgency,
        )
        for r in rows
        if r.unit_id is not None
    ]
    units = {u.id: (u.code, u.name) for u in session.execute(select(Unit.id, Unit.code, Unit.name))}
    used = {c.unit_id for c in cases}
    if hash_password is not None:  # the clerks the history names, as real (disabled) accounts
        for uid in sorted(used):
            code, name = units[uid]
            if clerk_username(code) != "demo-clerk":
                create_account(session, actor, username=clerk_username(code), name=f"{name}联络员（示范）",
                               role="unit_clerk", password=DEMO_PASSWORD, hash_password=hash_password, unit=code,
                               active=False)  # fmt: skip

    def cast_actor(username: str, role: str, unit_id: int | None = None) -> Actor:
        return Actor(name=username, role=role, via="demo", scope_unit_id=unit_id)

    cast = make_cast({uid: units[uid] for uid in used}, cast_actor)
    categories = {c.code: c for c in session.scalars(select(Category))}
    steps = plan_history(cases, categories, cal, cast, end, SEED)
    done = replay(session, steps, settings, actor=actor, note="示范城区一年的办理经过")
    scored = shops_demo.score_months(session, months, settings.cases.timezone)
    return {"cases": summary.imported, "case_events": summary.imported + done.events, "shops": shops,
            "shop_reports": len(fronts), "shop_scores": scored}  # fmt: skip
