"""Road-chief patrols 路长巡查: tracks in (GPX, GeoJSON, the phone), refused when bad with a sentence in Chinese and
nothing stored; map matching proved on synthetic walks over the demo city with known truth; what a person
patrolled, coverage per road chief/unit/街道, the monthly rule, the map layer and missed detections 漏报 — on both
databases."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import gpxpy.gpx
import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import cli_actor
from gridmap.cases import open_report
from gridmap.cli import main
from gridmap.config import PatrolSettings, Settings
from gridmap.errors import InvalidInput
from gridmap.geo.crs import transformer, wgs84_to_gcj02
from gridmap.geo.walks import Walker
from gridmap.patrols.matching import match_track
from gridmap.patrols.network import road_network
from gridmap.patrols.tracks import Track, check_inside, read_geojson, read_gpx
from gridmap.store.engine import session_scope
from gridmap.store.models import Assignment, Patrol, PatrolVisit, Person, Segment
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.accounts import client_as
from tests.case_helpers import LAT, build_city, case_settings

TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=TZ)  # a Tuesday morning


def _gpx(points: list[tuple[float, float, dt.datetime | None]]) -> str:
    doc = gpxpy.gpx.GPX()
    track = gpxpy.gpx.GPXTrack()
    seg = gpxpy.gpx.GPXTrackSegment()
    doc.tracks.append(track)
    track.segments.append(seg)
    for lon, lat, t in points:
        seg.points.append(gpxpy.gpx.GPXTrackPoint(lat, lon, time=t))
    return doc.to_xml()


def _along_road(start: dt.datetime = T0, lon0: float = 111.131, lon1: float = 111.149, step_s: float = 10.0):
    """A walk along the small city's main road (和平街, 111.13–111.15 at LAT), one fix every ``step_s`` at ~1.4 m/s."""
    n = int(abs(lon1 - lon0) / 0.0000159 / step_s) + 1  # 1.4 m/s ≈ 0.0000159° of longitude a second here
    lons = np.linspace(lon0, lon1, n)
    rng = np.random.default_rng(5)
    lats = LAT + rng.normal(0, 0.00004, n)  # ~4 m
    at = [start + dt.timedelta(seconds=step_s * i) for i in range(n)]
    return [(float(x), float(y), t) for x, y, t in zip(lons, lats, at, strict=True)]


def _feature(points, accuracy: list[float] | None = None) -> dict:
    props: dict = {"times": [t.isoformat() for _, _, t in points]}
    if accuracy is not None:
        props["accuracy"] = accuracy
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[x, y] for x, y, _ in points]},
            "properties": props}  # fmt: skip


# -- reading tracks: what is refused, and why ---------------------------------------------------------------------


def test_a_file_that_is_not_gpx_is_refused_in_chinese() -> None:
    for text in ("hello, not xml", "<html><body>no</body></html>", ""):
        with pytest.raises(InvalidInput) as err:
            read_gpx(text, name="walk.gpx")
        assert "不是有效的 GPX 文件" in (err.value.zh or ""), text


def test_a_track_without_times_is_refused_naming_the_point() -> None:
    points = _along_road()[:5]
    points[2] = (points[2][0], points[2][1], None)
    with pytest.raises(InvalidInput) as err:
        read_gpx(_gpx(points), name="walk.gpx")
    assert "第 3 个轨迹点没有时间" in (err.value.zh or "")
    feature = _feature(_along_road()[:5])
    feature["properties"]["times"][1] = None
    with pytest.raises(InvalidInput) as err:
        read_geojson(feature, "wgs84", TZ)
    assert "第 2 个轨迹点没有时间" in (err.value.zh or "")
    del feature["properties"]["times"]
    with pytest.raises(InvalidInput, match="one time per fix"):
        read_geojson(feature, "wgs84", TZ)


def test_an_empty_track_or_a_single_fix_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        read_gpx(_gpx([]))
    assert "轨迹为空" in (err.value.zh or "")
    with pytest.raises(InvalidInput) as err:
        read_geojson(_feature(_along_road()[:1]), "wgs84", TZ)
    assert "只有一个点" in (err.value.zh or "")


def test_gcj02_fixes_are_converted_to_wgs84_and_fixes_are_put_in_time_order() -> None:
    points = _along_road()[:4]
    glon, glat = wgs84_to_gcj02(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
    shifted = [(float(x), float(y), p[2]) for x, y, p in zip(glon, glat, points, strict=True)][::-1]
    track = read_geojson(_feature(shifted), "gcj02", TZ)
    assert track.crs == "gcj02"
    assert np.allclose(track.lon, [p[0] for p in points], atol=1e-6)
    assert np.allclose(track.lat, [p[1] for p in points], atol=1e-6)
    assert (np.diff(track.t) > 0).all()


def test_fixes_outside_the_city_are_refused_naming_the_first() -> None:
    points = _along_road()[:4]
    points[1] = (points[1][1], points[1][0], points[1][2])  # lon and lat swapped: far away
    track = read_gpx(_gpx(points))
    with pytest.raises(InvalidInput) as err:
        check_inside(track, (111.10, 37.49, 111.20, 37.56))
    assert "1 个轨迹点在本市范围之外（第一个：第 2 个点" in (err.value.zh or "")


def test_gpx_times_without_a_zone_are_utc_and_hdop_becomes_metres() -> None:
    text = _gpx([(111.131, LAT, dt.datetime(2026, 12, 1, 1, 0)), (111.1312, LAT, dt.datetime(2026, 12, 1, 1, 0, 10))])
    text = text.replace("</time>", "</time><hdop>2.0</hdop>")
    track = read_gpx(text)
    assert track.time(0) == dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
    assert track.accuracy.tolist() == [10.0, 10.0]


# -- matching: synthetic walks over the demo city with known truth ------------------------------------------------


@pytest.mark.demo_city
def test_synthetic_walks_over_the_demo_city_are_matched_with_precision_and_recall_of_095(session: Session) -> None:
    """Fixes every 10 s at walking pace, GPS noise σ = 10 m: the segments the rule calls patrolled against those
    walked end to end."""
    network = road_network(session)
    assert len(network.ids) > 3000
    walker = Walker(network.metric)
    back = transformer(network.epsg, 4326)
    rng = np.random.default_rng(2026)
    rules = PatrolSettings()
    tp = fp = fn = 0
    for _ in range(12):
        walk = walker.walk(rng, 2500.0, sigma_m=10.0, interval_s=10.0)
        lon, lat = back.transform(walk.x, walk.y)
        n = len(walk.t)
        track = Track(np.asarray(lon), np.asarray(lat), walk.t + T0.timestamp(), np.full(n, np.nan), "gpx", "wgs84", "")
        found = match_track(network, track, rules, TZ).patrolled_rows()
        tp, fp, fn = tp + len(found & walk.rows), fp + len(found - walk.rows), fn + len(walk.rows - found)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall, tp)


# -- the API on a small city --------------------------------------------------------------------------------------


def _small_city(settings: Settings, session: Session, tmp_path):
    ids = build_city(session)
    chief = Person(name="路长甲", code="P-CHIEF", unit_id=ids["a"])
    worker = Person(name="网格员乙", code="P-GRID", unit_id=ids["c"])
    session.add_all([chief, worker])
    session.flush()
    segment = session.scalar(select(Segment.id))
    grid = session.scalar(select(func.min(Assignment.target_id)).where(Assignment.target_kind == "grid"))
    from gridmap.store.models import Grid

    grid = session.scalar(select(Grid.id))
    now = dt.datetime.now(dt.UTC)
    session.add_all([
        Assignment(target_kind="segment", target_id=segment, person_id=chief.id, unit_id=ids["a"], role="road_chief",
                   valid_from=dt.date(2026, 1, 1), assigned_at=now),
        Assignment(target_kind="grid", target_id=grid, person_id=worker.id, unit_id=ids["c"], role="grid_worker",
                   valid_from=dt.date(2026, 1, 1), assigned_at=now),
    ])  # fmt: skip
    session.commit()
    app = create_app(case_settings(settings, tmp_path))
    return app, {**ids, "segment": segment, "grid": grid, "chief": chief.id, "worker": worker.id}


def test_a_posted_patrol_counts_for_its_road_chief_in_segments_coverage_and_the_layer(
    settings: Settings, session: Session, tmp_path
) -> None:
    app, ids = _small_city(settings, session, tmp_path)
    commander = client_as(app, "commander")
    body = {"person_id": ids["chief"], "track": _feature(_along_road())}
    resp = commander.post("/api/v1/patrols", json=body)
    assert resp.status_code == 201, resp.get_json()
    answer = resp.get_json()
    assert [s["segment_id"] for s in answer["segments_patrolled"]] == [ids["segment"]]
    assert answer["segments_patrolled"][0]["covered_share"] >= 0.85
    assert answer["kept"] == answer["fixes"]
    got = commander.get(f"/api/v1/patrols/segments?person={ids['chief']}&from=2026-12-01&to=2026-12-31").get_json()
    assert got["segments"] == [{"segment_id": ids["segment"], "name": "和平街", "patrolled_times": 1,
                                "last_patrolled": got["segments"][0]["last_patrolled"],
                                "covered_share": answer["segments_patrolled"][0]["covered_share"]}]  # fmt: skip
    last = dt.datetime.fromisoformat(got["segments"][0]["last_patrolled"])
    assert T0 + dt.timedelta(minutes=10) < last <= T0 + dt.timedelta(minutes=20)
    # a second walk the same day is the same day's patrol; one the next day is another
    commander.post("/api/v1/patrols", json={**body, "track": _feature(_along_road(T0 + dt.timedelta(hours=3)))})
    commander.post("/api/v1/patrols", json={**body, "track": _feature(_along_road(T0 + dt.timedelta(days=1)))})
    got = commander.get(f"/api/v1/patrols/segments?person={ids['chief']}&from=2026-12-01&to=2026-12-31").get_json()
    assert got["segments"][0]["patrolled_times"] == 2
    cov = commander.get("/api/v1/patrols/coverage?as_of=2026-12-05&days=7").get_json()
    assert cov["total"]["share"] == 1.0 and cov["total"]["segments"] == 1
    assert [(r["name"], r["share"]) for r in cov["by_chief"]] == [("路长甲", 1.0)]
    assert [r["name"] for r in cov["by_street"]] == ["凤山街道"] and cov["by_unit"][0]["name"] == "市城管局"
    old = commander.get("/api/v1/patrols/coverage?as_of=2026-11-30&days=7").get_json()
    assert old["total"]["share"] == 0.0  # before the walks
    monthly = commander.get("/api/v1/patrols/monthly?month=2026-12").get_json()
    assert monthly["per_month"]["main"] == 4
    assert [(m["segment_id"], m["patrolled_times"], m["required"]) for m in monthly["missed"]] == [
        (ids["segment"], 2, 4)
    ]
    layer = commander.get("/api/v1/patrols/layer?as_of=2026-12-05")
    assert layer.mimetype == "application/geo+json"
    props = {f["id"]: f["properties"] for f in layer.get_json()["features"]}
    assert props[ids["segment"]]["days"] == 3 and props[ids["segment"]]["has_chief"]
    # someone else's walk of the road is no patrol of its road chief's
    other = commander.post("/api/v1/patrols", json={"person_id": ids["worker"], "track": _feature(
        _along_road(T0 + dt.timedelta(days=2)))})  # fmt: skip
    assert other.status_code == 201
    monthly = commander.get("/api/v1/patrols/monthly?month=2026-12").get_json()
    assert monthly["missed"][0]["patrolled_times"] == 2
    with session_scope(app_state(app).session_factory) as s:
        raw = s.scalar(select(Patrol.raw).order_by(Patrol.id))
        assert raw is not None and '"times"' in raw  # the upload is kept as sent


def test_bad_tracks_are_refused_with_a_chinese_sentence_and_nothing_is_stored(
    settings: Settings, session: Session, tmp_path
) -> None:
    app, ids = _small_city(settings, session, tmp_path)
    commander = client_as(app, "commander")
    far = [(x + 1.0, y, t) for x, y, t in _along_road()]
    no_times = _feature(_along_road())
    no_times["properties"]["times"][4] = ""
    cases = [
        ({"person_id": ids["chief"], "track": _feature(far)}, "本市范围之外"),
        ({"person_id": ids["chief"], "track": no_times}, "第 5 个轨迹点没有时间"),
        ({"person_id": ids["chief"], "track": _feature([])}, "轨迹为空"),
        ({"person_id": ids["chief"], "track": {"type": "Feature", "geometry": {"type": "Point"}}}, "LineString"),
        ({"person_id": ids["chief"]}, "须给出轨迹"),
        ({"person_id": ids["chief"], "gpx": "<html></html>"}, "不是有效的 GPX 文件"),
        ({"person_id": ids["chief"], "gpx": _gpx(_along_road()), "track": _feature(_along_road())}, "之一"),
        ({"person_id": ids["chief"], "track": _feature(_along_road(), accuracy=[500.0] * len(_along_road()))},
         "可用的不足两个"),
    ]  # fmt: skip
    for body, words in cases:
        resp = commander.post("/api/v1/patrols", json=body, headers={"Accept-Language": "zh-CN"})
        assert resp.status_code == 400, (words, resp.get_json())
        said = resp.get_json()
        assert words in " ".join([said.get("message") or "", *said.get("message_details", [])]), (words, said)
    resp = commander.post("/api/v1/patrols", json={"person_id": 999999, "track": _feature(_along_road())})
    assert resp.status_code == 404
    for url in ("/api/v1/patrols/monthly?month=0000-01", "/api/v1/patrols/coverage?as_of=0001-01-01",
                "/api/v1/patrols/coverage?as_of=2000-01-05&days=30", "/api/v1/patrols/layer?as_of=9999-12-31",
                f"/api/v1/patrols/segments?person={ids['chief']}&to=0001-01-01", "/api/v1/patrols/misses?to=0001-01-01",
                f"/api/v1/patrols/segments?person={ids['chief']}&from=0001-01-01",
                "/api/v1/patrols/misses?from=2026-12-07&to=2026-12-01", "/patrols?as_of=0001-01-01"):  # fmt: skip
        assert commander.get(url).status_code == 400, url
    grid_worker = client_as(app, "grid_worker", person="P-GRID")
    resp = grid_worker.post("/api/v1/patrols", json={"person_id": ids["chief"], "track": _feature(_along_road())})
    assert resp.status_code == 403  # only one's own patrols
    with session_scope(app_state(app).session_factory) as s:
        assert s.scalar(select(func.count()).select_from(Patrol)) == 0
        assert s.scalar(select(func.count()).select_from(PatrolVisit)) == 0
    resp = grid_worker.post("/api/v1/patrols", json={"source": "phone", "track": _feature(_along_road())})
    assert resp.status_code == 201 and resp.get_json()["person_id"] == ids["worker"]
    utc = [(x, y, t.astimezone(dt.UTC)) for x, y, t in _along_road(T0 + dt.timedelta(days=1))]
    resp = grid_worker.post("/api/v1/patrols", json={"gpx": _gpx(utc)})  # a GPX document through the API
    assert resp.status_code == 201 and resp.get_json()["source"] == "gpx"
    assert len(resp.get_json()["segments_patrolled"]) == 1


def test_a_public_report_where_a_patrol_just_passed_is_a_miss_unless_the_patroller_reported_it(
    settings: Settings, session: Session, tmp_path
) -> None:
    app, ids = _small_city(settings, session, tmp_path)
    commander = client_as(app, "commander")
    assert commander.post("/api/v1/patrols", json={"person_id": ids["chief"], "track": _feature(_along_road())}
                          ).status_code == 201  # fmt: skip
    grid_worker = client_as(app, "grid_worker", person="P-GRID", username="gw-yi")
    walked = _along_road(T0 + dt.timedelta(minutes=5), lon0=111.139, lon1=111.141)
    assert grid_worker.post("/api/v1/patrols", json={"track": _feature(walked)}).status_code == 201
    factory = app_state(app).session_factory
    cfg = app_state(app).settings
    seen = (T0 + dt.timedelta(hours=2)).isoformat()
    with session_scope(factory) as s:  # the public sees litter on the road two hours later
        missed = open_report(s, {"lon": 111.140, "lat": LAT + 0.0001, "category": "0102", "source": "public",
                                 "observed_at": seen}, cfg, actor=cli_actor())  # fmt: skip
        late = open_report(
            s,
            {
                "lon": 111.140,
                "lat": LAT + 0.0001,
                "category": "0102",
                "source": "public",
                "observed_at": (T0 + dt.timedelta(days=3)).isoformat(),
            },
            cfg,
            actor=cli_actor(),
        )
    found = commander.get("/api/v1/patrols/misses?from=2026-12-01&to=2026-12-07").get_json()
    got = sorted((m["case_id"], m["person_id"], m["role"]) for m in found["misses"])
    assert got == [(missed["id"], ids["chief"], "road_chief"), (missed["id"], ids["worker"], "grid_worker")]
    assert late["id"] not in {m["case_id"] for m in found["misses"]}  # long after the patrol
    miss = next(m for m in found["misses"] if m["role"] == "road_chief")
    assert miss["target_id"] == ids["segment"] and 1.5 < miss["hours_before"] < 2.2
    assert miss["track"]["type"] == "LineString" and len(miss["track"]["coordinates"]) > 10
    # the grid worker had reported it during the walk: not a miss of theirs
    grid_worker.post("/api/v1/reports", json={"lon": 111.1401, "lat": LAT + 0.0001, "category": "0102",
                                              "observed_at": (T0 + dt.timedelta(minutes=6)).isoformat()})  # fmt: skip
    found = commander.get("/api/v1/patrols/misses?from=2026-12-01&to=2026-12-07").get_json()
    assert {(m["case_id"], m["person_id"]) for m in found["misses"]} == {(missed["id"], ids["chief"])}
    assert found["by_person"][0]["misses"] == 1
    mine = commander.get(f"/api/v1/patrols/misses?from=2026-12-01&to=2026-12-07&person={ids['worker']}").get_json()
    assert mine["misses"] == []


def test_gridmap_patrols_import_stores_a_gpx_file_and_refuses_a_bad_one(
    settings: Settings, session: Session, tmp_path
) -> None:
    app, ids = _small_city(settings, session, tmp_path)
    good = tmp_path / "walk.gpx"
    good.write_text(_gpx([(x, y, t.astimezone(dt.UTC)) for x, y, t in _along_road()]), encoding="utf-8")
    bad = tmp_path / "bad.gpx"
    bad.write_text("not a gpx", encoding="utf-8")
    runner = CliRunner()
    url = settings.database_url
    result = runner.invoke(main, ["--database-url", url, "patrols", "import", str(bad), "--person", str(ids["chief"])])
    assert result.exit_code == 1 and "不是有效的 GPX 文件" in result.output
    result = runner.invoke(main, ["--database-url", url, "patrols", "import", str(good), "--person", str(ids["chief"])])
    assert result.exit_code == 0, result.output
    assert "巡查路段 1 条" in result.output
    with session_scope(app_state(app).session_factory) as s:
        patrol = s.scalar(select(Patrol))
        assert patrol is not None and patrol.source == "gpx" and patrol.created_by.startswith("cli:")
