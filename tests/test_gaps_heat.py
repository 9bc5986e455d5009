"""Gaps (what nobody is responsible for) and the problem heatmap — on SpatiaLite and PostGIS."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json

import pytest
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.maps import heat
from gridmap.responsibility import gaps
from gridmap.responsibility.overview import store_summary
from gridmap.store.models import Area, Case, Grid, Segment, Unit
from gridmap.web import create_app
from tests.accounts import client_as

NOW = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.demo_city


@pytest.fixture
def demo(session: Session) -> Session:
    """A session on the test's own copy of the demo city (the module's ``demo_city`` mark)."""
    return session


def test_gap_totals_add_up_and_match_the_overview(demo: Session) -> None:
    s = gaps.summary(demo)
    d = s["district"]
    overview = store_summary(demo)
    assert d["segments"] == overview["segments"]
    assert d["segments_unassigned"] == overview["segments"] - overview["segments_assigned"]
    assert d["segments_unassigned_km"] == pytest.approx(overview["segments_unassigned_km"], abs=0.002)
    assert d["compounds_unassigned"] == overview["compounds"] - overview["compounds_assigned"]
    assert d["grids_unassigned"] == overview["grids"] - overview["grids_assigned"]
    parts = [*s["streets"], *([s["outside"]] if s["outside"] else [])]
    for key in ("segments", "segments_unassigned", "compounds", "compounds_unassigned", "grids", "grids_unassigned"):
        assert sum(p[key] for p in parts) == d[key], key
    for key in ("segments_km", "segments_unassigned_km", "grids_km2", "grids_unassigned_km2"):
        assert sum(p[key] for p in parts) == pytest.approx(d[key], abs=0.01), key
    for st in s["streets"]:  # communities add up to their street
        for key in ("segments_unassigned", "compounds_unassigned", "grids_unassigned", "grids"):
            assert sum(c[key] for c in st["communities"]) == st[key], (st["name"], key)
        assert 0 <= st["segments_coverage"] <= 1
    assert len(s["streets"]) == 7 and sum(len(st["communities"]) for st in s["streets"]) == 84
    # The list agrees with the totals, and every gap is located with a default party.
    found = gaps.find_gaps(demo, with_geometry=False)
    assert found["totals"]["segment"]["count"] == d["segments_unassigned"]
    assert found["totals"]["grid"]["count"] == d["grids_unassigned"]
    assert all(it["community"] and it["default_unit"] for it in found["items"] if it["kind"] != "segment")
    with_near = [it for it in found["items"] if it["nearest"]]
    assert len(with_near) > 0.5 * len(found["items"])
    assert all(n["distance_m"] <= 300 for it in with_near for n in it["nearest"])
    # Filtered to one 街道: its own totals.
    st = s["streets"][0]
    one = gaps.find_gaps(demo, street=st["code"], kinds="segment,compound", with_geometry=False)
    assert one["totals"]["segment"]["count"] == st["segments_unassigned"]
    assert one["totals"]["compound"]["count"] == st["compounds_unassigned"]
    assert {it["street"]["code"] for it in one["items"]} == {st["code"]}
    for bad in ({"street": "nowhere"}, {"kinds": "roads"}, {"at": "yesterday"}, {"nearest_m": "-1"}):
        with pytest.raises(InvalidInput):
            gaps.find_gaps(demo, **bad)


def test_nearest_suggestion_is_the_nearest_unit(demo: Session) -> None:
    found = gaps.find_gaps(demo, kinds="grid")
    it = next(i for i in found["items"] if i["nearest"])
    # Independent check: the distance to the nearest assigned grid of the suggested unit.
    grids = demo.execute(select(Grid.id, func.ST_AsBinary(Grid.geom))).all()
    geoms = {i: shapely.from_wkb(bytes(b)) for i, b in grids}
    from gridmap.geo.crs import transform
    from gridmap.responsibility.history import responsible_at

    owners = responsible_at(demo, "grid", None, dt.date.today())
    best: dict[int, float] = {}
    me = transform([it["geometry"]], 4326, 32649)[0]
    ids = list(owners)
    others = transform([geoms[i] for i in ids], 4326, 32649)
    for i, g in zip(ids, others, strict=True):
        d = me.distance(g)
        u = owners[i][0]
        best[u] = min(best.get(u, 1e18), d)
    nearest_unit = min(best, key=lambda u: (best[u], u))
    assert it["nearest"][0]["distance_m"] == pytest.approx(best[nearest_unit], abs=0.2)


def test_gap_exports_parse(settings: Settings, demo: Session) -> None:
    client = client_as(create_app(settings))
    r = client.get("/api/v1/gaps?format=csv&lang=en")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    total = client.get("/api/v1/gaps").json
    assert len(rows) == total["count"] > 0
    assert set(gaps.CSV_COLUMNS) == set(rows[0])
    assert {r["kind"] for r in rows} == {"segment", "compound", "grid"}
    # A zh-CN reader (the default) gets Chinese headers and kinds.
    zh = list(csv.DictReader(io.StringIO(client.get("/api/v1/gaps?format=csv").data.decode("utf-8-sig"))))
    assert len(zh) == len(rows) and {"类型", "名称", "街道", "社区", "就近单位"} <= set(zh[0])
    assert {r["类型"] for r in zh} == {"路段", "小区", "网格"}
    g = client.get("/api/v1/gaps?format=geojson&kind=compound&download=1")
    assert g.status_code == 200 and "attachment" in g.headers["Content-Disposition"]
    fc = json.loads(g.data)
    assert fc["type"] == "FeatureCollection" and fc["numberMatched"] == len(fc["features"]) > 0
    geoms = [shapely.geometry.shape(f["geometry"]) for f in fc["features"]]
    assert all(g.is_valid and g.geom_type in ("Polygon", "MultiPolygon") for g in geoms)
    assert all("community" in f["properties"] and "nearest" in f["properties"] for f in fc["features"])
    summary = client.get("/api/v1/gaps/summary").json
    assert summary["district"]["compounds_unassigned"] == len(fc["features"])
    assert client.get("/api/v1/gaps?format=xml").status_code == 400
    assert client.get("/api/v1/gaps?street=nowhere").status_code == 400
    assert client.get("/api/v1/gaps/summary?at=2026-02-30").status_code == 400


def test_gaps_summary_is_not_sent_again_until_something_changes(settings: Settings, demo: Session) -> None:
    """Today's summary carries an ETag: asked again unchanged it is a 304 without a body; after an assignment it is
    the new answer with a new tag."""
    client = client_as(create_app(settings))
    first = client.get("/api/v1/gaps/summary")
    tag = first.headers["ETag"]
    assert first.status_code == 200 and tag.startswith('W/"')
    again = client.get("/api/v1/gaps/summary", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    grid = demo.scalar(select(Grid.id).order_by(Grid.id))
    unit = demo.scalar(select(Unit.id).order_by(Unit.id))
    r = client.post("/api/v1/assignments", json={"unit_id": unit, "targets": [{"kind": "grid", "id": grid}],
                                                 "role": "responsible", "take_over": True})  # fmt: skip
    assert r.status_code in (200, 201), r.json
    changed = client.get("/api/v1/gaps/summary", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    demo.commit()  # (a new snapshot: the assignment and the refreshed totals)
    assert changed.json == gaps.summary(demo)
    assert client.get("/api/v1/gaps/summary?at=2026-01-01", headers={"If-None-Match": tag}).status_code == 200


# -- heat ------------------------------------------------------------------------------------------------------------


def _add_cases(session: Session) -> dict[str, object]:
    """Cases inserted directly (the workflow is not under test): 40 on one segment's midpoint, 10 elsewhere."""
    seed(session)
    seg = session.execute(
        select(Segment.id, Segment.length_m, func.ST_AsBinary(Segment.geom)).order_by(Segment.id).limit(1)
    ).one()
    mid = shapely.line_interpolate_point(shapely.from_wkb(bytes(seg[2])), 0.5, normalized=True)
    street = session.scalar(select(Area.id).where(Area.level == "street").order_by(Area.code))
    unit = session.scalar(select(Unit.id).order_by(Unit.id))
    rows = []
    for k in range(50):
        on_seg = k < 40
        lon, lat = (mid.x, mid.y) if on_seg else (111.14 + 0.001 * k, 37.52)
        rows.append(
            {
                "source": "patrol",
                "category": "0102" if on_seg else "0501",
                "urgency": "normal",
                "lon": lon,
                "lat": lat,
                "geom": f"SRID=4326;POINT({lon} {lat})",
                "observed_at": NOW - dt.timedelta(days=k),
                "created_at": NOW - dt.timedelta(days=k),
                "updated_at": NOW,
                "status": "closed" if k % 10 == 9 else "dispatched",
                "unit_id": unit if on_seg else None,
                "street_id": street if on_seg else None,
                "deadline_at": NOW - dt.timedelta(hours=1) if k < 5 else NOW + dt.timedelta(days=1),
                "closed_at": NOW if k % 10 == 9 else None,
            }
        )
    for r in rows:
        session.add(Case(**{k: v for k, v in r.items()}))
    session.commit()
    return {"segment": seg[0], "length_m": seg[1], "unit": unit}


def test_heat_points_grids_and_segments(demo: Session) -> None:
    info = _add_cases(demo)
    pts = heat.heat(demo, {}, now=NOW)
    assert pts["count"] == 45  # open (active) cases by default: 5 are closed
    assert len(pts["points"]) == 45 and all(len(p) == 3 for p in pts["points"])
    assert heat.heat(demo, {"status": "all"}, now=NOW)["count"] == 50
    assert heat.heat(demo, {"category": "01"}, now=NOW)["count"] == 36  # class 01 includes 0102
    assert heat.heat(demo, {"category": "0501", "status": "all"}, now=NOW)["count"] == 10
    assert heat.heat(demo, {"overdue": "true"}, now=NOW)["count"] == 5
    assert heat.heat(demo, {"unit": str(info["unit"])}, now=NOW)["count"] == 36
    street = demo.scalar(select(Area.code).where(Area.level == "street").order_by(Area.code))
    assert heat.heat(demo, {"street": street}, now=NOW)["count"] == 36
    since = heat.heat(demo, {"from": "2026-11-20", "status": "all"}, now=NOW)
    assert since["count"] == 7 and "from=2026-11-20" in since["cases_url"]
    seg = heat.heat(demo, {"mode": "segments", "status": "all"}, now=NOW)
    top = max(seg["features"]["features"], key=lambda f: f["properties"]["count"])
    assert top["properties"]["id"] == info["segment"] and top["properties"]["count"] == 40
    assert top["properties"]["per_km"] == pytest.approx(40 / (info["length_m"] / 1000), rel=1e-3)
    grids = heat.heat(demo, {"mode": "grids", "status": "all"}, now=NOW)
    assert sum(f["properties"]["count"] for f in grids["features"]["features"]) == grids["counted"] <= 50
    assert grids["max"] >= 40
    for bad in ({"mode": "3d"}, {"status": "sleeping"}, {"category": "9999"}, {"overdue": "maybe"},
                {"from": "2026-11-20", "to": "2026-11-01"}, {"bbox": "112,38,111,37"}):  # fmt: skip
        with pytest.raises(InvalidInput):
            heat.heat(demo, bad, now=NOW)


def test_heat_keeps_the_newest_cases_and_bins_points_beyond_a_screen(
    demo: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_cases(demo)  # 40 on one segment's midpoint (the newest 40), 10 spread along a street
    monkeypatch.setattr(heat, "MAX_POINTS", 10)
    filters = {"mode": "grids", "status": "all", "from": "2000-01-01"}  # a period: recomputed, not maintained
    grids = heat.heat(demo, filters, now=NOW)
    assert grids["truncated"] and grids["count"] == 10 and grids["max"] == 10  # the newest: all on the midpoint
    maintained = heat.heat(demo, {"mode": "grids", "status": "all"}, now=NOW)  # maintained counts have no cap
    assert maintained["maintained"] and not maintained["truncated"] and maintained["max"] >= 40
    monkeypatch.setattr(heat, "RAW_POINTS", 10)
    binned = heat.heat(demo, {"status": "all"}, now=NOW)
    assert binned["binned"] == heat.BIN_DEG and not binned["truncated"] and binned["count"] == 50
    weights = sorted(p[2] for p in binned["points"])
    assert sum(weights) == 50 and weights[-1] == 40 and len(weights) == 11  # the midpoint's cell, and 10 cells
    midpoint = max(binned["points"], key=lambda p: p[2])
    raw = heat.heat(demo, {"status": "all", "category": "0102"}, now=NOW)  # 40 > 10: binned too, one cell
    assert raw["points"] == [midpoint]
    box = heat.heat(demo, {"status": "all", "bbox": "111,37,112,38"}, now=NOW)
    assert box["binned"] == pytest.approx(1 / heat.BIN_CELLS) and box["count"] == 50
    monkeypatch.setattr(heat, "BINNED_CAP", 30)  # more match than are binned: the newest 30, all on the midpoint
    capped = heat.heat(demo, {"status": "all"}, now=NOW)
    assert capped["truncated"] and capped["count"] == 30 and capped["points"] == [[*midpoint[:2], 30]]


def test_heat_api(settings: Settings, demo: Session) -> None:
    _add_cases(demo)
    client = client_as(create_app(settings))
    r = client.get("/api/v1/heat?mode=grids&status=all")
    assert r.status_code == 200 and r.json["features"]["type"] == "FeatureCollection"
    r = client.get("/api/v1/heat?category=01")
    assert r.status_code == 200 and r.json["count"] == 36
    listed = client.get(r.json["cases_url"]).json
    assert listed["total"] == 36  # the click-through lists the same cases
    assert client.get("/api/v1/heat?mode=nope").status_code == 400


def test_json_and_geojson_answers_are_gzipped_for_a_client_that_accepts_it(settings: Settings, demo: Session) -> None:
    _add_cases(demo)
    client = client_as(create_app(settings))
    plain = client.get("/api/v1/heat?mode=grids&status=all")
    zipped = client.get("/api/v1/heat?mode=grids&status=all", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert json.loads(gzip.decompress(zipped.data)) == plain.json
    assert len(zipped.data) < len(plain.data) / 3
    geojson = client.get("/api/v1/gaps?format=geojson", headers={"Accept-Encoding": "gzip"})
    assert geojson.mimetype == "application/geo+json" and geojson.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(geojson.data))["type"] == "FeatureCollection"
    refused = client.get("/api/v1/gaps/summary", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and refused.json["district"]["segments"] > 0
    summary = client.get("/api/v1/gaps/summary", headers={"Accept-Encoding": "*"})
    assert json.loads(gzip.decompress(summary.data)) == refused.json
