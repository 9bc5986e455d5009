"""Every page and endpoint on a new city's database: empty, and after each single import step (issue 13).

A city starts from nothing and imports its layers one at a time; between two steps every page must still answer
(with "nothing yet" and what to import next), never with a 5xx. One app per database state; every GET route of the
app is called as a role allowed on it (the role × route matrix of ``test_roles``), with its arguments filled from
what the state holds (or an id that does not exist: a 404 is an answer, a 500 is not).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import shapely
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.store.bulk_writes import write_features
from gridmap.store.engine import session_scope
from gridmap.store.models import Assignment, Compound, Grid, Person, Segment, Unit
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.accounts import client_as
from tests.routing_city import box, gdf
from tests.test_roles import MATRIX, PUBLIC


def _boundaries(session: Session) -> None:
    write_features(session, "districts", gdf([box(-2000, -2000, 2000, 2000)], code=["141102"], name=["离石区"]))
    write_features(
        session,
        "streets",
        gdf([box(-2000, -2000, 2000, 2000)], code=["141102001"], name=["一街道"], district_code=["141102"]),
    )
    write_features(
        session,
        "communities",
        gdf([box(-2000, -2000, 2000, 2000)], code=["141102001001"], name=["社区一"], street_code=["141102001"]),
    )


def _roads(session: Session) -> None:
    lines = [shapely.LineString([(-300, 0), (300, 0)]), shapely.LineString([(50, 0), (50, -300)])]
    write_features(session, "segments", gdf(lines, ext_id=["M", "B"], name=["滨河路", "小巷"], level=["main", "back"]))


def _grids_and_compounds(session: Session) -> None:
    write_features(
        session,
        "grids",
        gdf([box(-100, -100, 0, 0)], code=["14110200100101"], community_code=["141102001001"],
             valid_from=["2020-01-01"]),
    )  # fmt: skip
    write_features(
        session, "compounds", gdf([box(-80, -80, -20, -20)], ext_id=["K1"], name=["滨河小区"],
                                   community_code=["141102001001"])
    )  # fmt: skip


def _units(session: Session) -> None:
    session.add(Unit(name="离石区住建局", kind="district_office"))


def _assign(model: type[Segment] | type[Compound] | type[Grid], kind: str) -> Callable[[Session], None]:
    def step(session: Session) -> None:
        session.flush()
        unit = session.scalar(select(Unit.id).order_by(Unit.id))
        target = session.scalar(select(model.id).order_by(model.id))
        session.add(Assignment(target_kind=kind, target_id=target, unit_id=unit, role="responsible",
                               valid_from=dt.date(2020, 1, 1), assigned_at=dt.datetime.now(dt.UTC)))  # fmt: skip

    return step


LAYERS = [_boundaries, _roads, _grids_and_compounds, _units]
STATES: dict[str, list[Callable[[Session], None]]] = {
    "empty": [],
    "only-boundaries": [_boundaries],
    "only-roads": [_roads],
    "layers-no-assignments": LAYERS,
    "only-segment-assignments": [*LAYERS, _assign(Segment, "segment")],
    "only-grid-assignments": [*LAYERS, _assign(Grid, "grid")],
    "every-kind-assigned": [
        *LAYERS,
        *(_assign(m, k) for m, k in ((Segment, "segment"), (Compound, "compound"), (Grid, "grid"))),
    ],
}
# What each state's pages say to import next (None: nothing, the city is set up).
NEXT = {"empty": "gridmap import streets", "only-boundaries": "gridmap import-osm",
        "only-roads": "gridmap import streets", "layers-no-assignments": "/assign",
        "only-segment-assignments": None, "only-grid-assignments": None,
        "every-kind-assigned": None}  # fmt: skip
PAGES = ("/", "/map", "/assign", "/gaps", "/heatmap", "/mygrid")

# Extra calls beyond each route's plain one: the arguments a page or API is most often opened with.
EXTRA = [
    "/gaps?at=2021-06-01",
    "/gaps?at=2019-01-01",
    "/gaps?kind=segment",
    "/api/v1/gaps?kind=segment",
    "/api/v1/gaps?kind=compound",
    "/api/v1/gaps?format=geojson",
    "/api/v1/gaps?format=csv",
    "/api/v1/gaps/summary?at=2019-01-01",
    "/api/v1/heat?by=grid",
    "/api/v1/heat?by=segment",
    "/map-script.js?zoom=17",
    "/api/v1/snap?lon=111.0&lat=37.52&category=0102",
    "/api/v1/search?q=%E6%BB%A8%E6%B2%B3",
    "/heatmap/cases?page=1",
    "/report/places.json?lon=111.0&lat=37.52",
    *(f"/ogc/collections/{c}/items?limit=5" for c in ("districts", "streets", "communities", "grids", "compounds")),
    *(f"/ogc/collections/{c}/items?bbox=110.9,37.4,111.1,37.6" for c in ("segments", "grids")),
]


def _role(allowed: frozenset[str] | str) -> str:
    if allowed == PUBLIC:
        return "commander"
    for role in ("commander", "admin", "grid_worker", "viewer"):
        if role in allowed:
            return role
    return sorted(allowed)[0]


def _ids(app: Flask) -> dict[str, object]:
    with session_scope(app_state(app).session_factory) as s:
        segment = s.scalar(select(Segment.id).order_by(Segment.id)) or 1
        unit = s.scalar(select(Unit.id).order_by(Unit.id)) or 1
        assignment = s.scalar(select(Assignment.id).order_by(Assignment.id)) or 1
        person = s.scalar(select(Person.id).order_by(Person.id)) or 1
    return {"segment": segment, "unit": unit, "assignment": assignment, "case": 1, "photo": "none.jpg",
            "other": "nobody", "person": person, "inspection": 1, "shop": 1, "month": "2026-11",
            "assessment": 1, "apoint": 1}  # fmt: skip


@pytest.mark.parametrize("state", list(STATES))
def test_every_page_answers_on_an_empty_or_partial_city(settings: Settings, engine, session, state: str) -> None:
    seed(session)  # `gridmap init` seeds the categories and holidays
    for step in STATES[state]:
        step(session)
    session.commit()
    app = create_app(settings)
    clients = {}
    served = {r.endpoint for r in app.url_map.iter_rules() if "GET" in (r.methods or ())}
    ids = _ids(app)
    calls: list[tuple[str, str]] = []
    for endpoint in sorted(served):
        for route in MATRIX[endpoint]:
            if route.method == "GET":
                calls.append((_role(route.allowed), route.url.format(**ids)))
    calls += [("commander", url) for url in EXTRA]
    failed = []
    for role, url in calls:
        if role not in clients:
            clients[role] = client_as(app, role)
        resp = clients[role].get(url)
        if resp.status_code >= 500:
            failed.append(f"{url} as {role}: {resp.status_code} {resp.get_data(as_text=True)[:300]}")
    assert not failed, f"{state}: " + "\n".join(failed)
    for path in PAGES:  # the pages a commander opens first say what is missing, or nothing when nothing is
        who = clients["grid_worker"] if path == "/mygrid" else clients["commander"]
        page = who.get(path).get_data(as_text=True)
        if NEXT[state] is None:
            assert 'id="next-step"' not in page, (state, path)
        else:
            assert "暂无数据" in page and NEXT[state] in page, (state, path)
    health = clients["commander"].get("/api/v1/health").get_json()  # and so does the health check, for scripts
    assert (NEXT[state] is None) == ("next_step" not in health), state
    if NEXT[state] is not None:
        assert NEXT[state] in health["next_step"]["message"], health
    if state == "empty":  # in English too, when asked
        english = clients["commander"].get("/map?lang=en").get_data(as_text=True)
        assert "Nothing yet" in english and "`gridmap import streets …`" in english and "暂无数据" not in english
