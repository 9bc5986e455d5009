"""Mock assessments 模拟测评: places imported as field points, the stratified draw (repeatable from its seed,
spread across 街道 by largest remainder, excluding recent points, refusing impossible quotas whole), the teams'
routes, scoring and the score rates compared with the previous assessment — on both databases."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import shapely
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.assessments.drawing import draw, get_assessment, parse_request, repeat
from gridmap.assessments.scoring import results, score_point
from gridmap.cli import main
from gridmap.errors import InvalidInput
from gridmap.imports.layer_import import import_file
from gridmap.store.bulk_writes import write_features
from gridmap.store.models import Assessment, AssessmentPoint, Place
from tests.accounts import TESTER
from tests.routing_city import SmallCity, build_small_city, gdf, to_lonlat

DAY = dt.date(2026, 12, 1)


def _places(session: Session, west: int, east: int, kind: str = "market", prefix: str = "M") -> None:
    """``west`` places in 一街道 (x < 0) and ``east`` in 二街道 (x > 0), in a row 10 m apart."""
    pts = [shapely.Point(-1500 + 10 * k, 500) for k in range(west)] + [
        shapely.Point(500 + 10 * k, 500) for k in range(east)
    ]
    n = west + east
    write_features(session, "places", gdf(pts, ext_id=[f"{prefix}{k}" for k in range(n)],
                                          name=[f"{prefix}市场{k}" for k in range(n)], kind=[kind] * n))  # fmt: skip


@pytest.fixture
def city(session: Session) -> SmallCity:
    c = build_small_city(session)
    _places(session, 30, 10)
    session.flush()
    return c


def _request(**kw: object) -> object:
    return parse_request({"points": 10, "quotas": {"market": 10}, "drawn_on": DAY.isoformat(), **kw}, DAY)


def _drawn(answer: dict) -> list[tuple[str, int]]:
    return sorted((p["source"], p["target_id"]) for p in answer["points"])


def test_places_import_points_and_polygons_with_their_street_and_type_words(session: Session, tmp_path: Path) -> None:
    c = build_small_city(session)
    square = [
        [float(v) for v in to_lonlat(x, y)] for x, y in ((100, 100), (200, 100), (200, 200), (100, 200), (100, 100))
    ]
    lon, lat = to_lonlat(-500, 300)
    features = [
        {"type": "Feature", "properties": {"id": "P1", "name": "人民公园", "类型": "公园"},
         "geometry": {"type": "Polygon", "coordinates": [square]}},
        {"type": "Feature", "properties": {"id": "P2", "name": "东关农贸市场", "类型": None},
         "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]}},
    ]  # fmt: skip
    path = tmp_path / "places.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    summary = import_file(session, path, "places", mapping={"ext_id": "id"}, actor=TESTER, place_kind="农贸市场")
    assert summary.created == 2
    rows = {r.ext_id: r for r in session.scalars(select(Place))}
    assert rows["P1"].kind == "park" and rows["P2"].kind == "market"  # the column wins; --type fills the blank
    assert rows["P1"].street_id == c.ids["141102002"] and rows["P2"].street_id == c.ids["141102001"]
    assert rows["P1"].community_id == c.ids["141102002001"] and rows["P1"].area_m2 == pytest.approx(10_000, rel=0.01)
    assert rows["P1"].outline is not None and rows["P2"].outline is None


def test_a_place_of_an_unknown_type_refuses_the_file_in_chinese(session: Session, tmp_path: Path) -> None:
    build_small_city(session)
    lon, lat = to_lonlat(-500, 300)
    feats = [{"type": "Feature", "properties": {"name": n, "type": t},
              "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]}}
             for n, t in (("菜场", "market"), ("某地", "菜地"))]  # fmt: skip
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), "utf-8")
    with pytest.raises(InvalidInput) as exc:
        import_file(session, path, "places", actor=TESTER)
    assert exc.value.zh is not None and "第 2 项" in exc.value.zh and "“菜地”不是考察点位类型" in exc.value.zh
    assert session.scalar(select(func.count()).select_from(Place)) == 0


def test_the_same_seed_on_the_same_store_draws_the_same_points(session: Session, city: SmallCity) -> None:
    first = draw(session, _request(seed=42), TESTER)
    again = draw(session, _request(seed=42), TESTER)
    other = draw(session, _request(seed=43), TESTER)
    assert _drawn(first) == _drawn(again) and len(_drawn(first)) == 10
    assert _drawn(other) != _drawn(first)
    assert sorted(repeat(session, first["id"])) == _drawn(first)  # repeated from what was stored
    assert first["seed"] == 42 and first["params"]["method"] == "pcg64-keys-v1"


def test_a_quota_is_spread_across_streets_by_largest_remainder(session: Session, city: SmallCity) -> None:
    answer = draw(session, _request(seed=5), TESTER)
    per_street = {}
    for p in answer["points"]:
        per_street[p["street_id"]] = per_street.get(p["street_id"], 0) + 1
    # 30 and 10 candidates, 10 points: 7.5 and 2.5 → the tie on the remainder goes to the larger 街道
    assert per_street == {city.ids["141102001"]: 8, city.ids["141102002"]: 2}


def test_unquoted_types_share_the_rest_and_points_drawn_lately_are_left_out(session: Session, city: SmallCity) -> None:
    first = draw(session, parse_request({"points": 6, "quotas": ["农贸市场=3"], "seed": 1}, DAY), TESTER)
    types = sorted(p["type"] for p in first["points"])
    assert types.count("market") == 3 and len(types) == 6  # the other 3: roads and compounds, by their candidates
    second = draw(session, _request(seed=1, exclude_weeks=2, points=30, quotas={"market": 30}), TESTER)
    assert not set(_drawn(first)) & set(_drawn(second))
    assert second["params"]["excluded"]["market"] == 3


def test_asking_for_more_points_of_a_type_than_exist_names_the_type_and_stores_nothing(
    session: Session, city: SmallCity
) -> None:
    draw(session, _request(seed=1), TESTER)
    before = session.scalar(select(func.count()).select_from(AssessmentPoint))
    with pytest.raises(InvalidInput) as exc:
        draw(session, _request(seed=2, points=40, quotas={"market": 35, "小区": 3}, exclude_weeks=4), TESTER)
    zh = exc.value.zh or ""
    assert "农贸市场”要抽 35 个，但只有 30 个可抽（共 40 个，其中 10 个在近 4 周内已抽过）" in zh
    assert "“小区”要抽 3 个，但库中只有 2 个" in zh
    assert "only 30 can be drawn" in str(exc.value)
    assert session.scalar(select(func.count()).select_from(Assessment)) == 1
    assert session.scalar(select(func.count()).select_from(AssessmentPoint)) == before


def test_bad_requests_are_refused_with_every_problem(session: Session, city: SmallCity) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_request({"points": "x", "quotas": ["菜地=2", "market"], "teams": 0, "exclude_weeks": -1}, DAY)
    fields = {p.field for p in exc.value.problems}
    assert fields == {"points", "quotas.菜地", "quotas.market", "teams", "exclude_weeks"}
    with pytest.raises(InvalidInput) as exc:
        parse_request({"points": 3, "quotas": {"market": 2, "compound": 2}}, DAY)
    assert "配额合计 4 个，超过抽取总数 3 个" in (exc.value.zh or "")


def test_teams_walk_their_points_in_order(session: Session, city: SmallCity) -> None:
    answer = draw(session, _request(seed=9, points=12, quotas={"market": 12}, teams=3), TESTER)
    teams: dict[int, list[int]] = {}
    for p in answer["points"]:
        teams.setdefault(p["team"], []).append(p["stop"])
    assert sorted(teams) == [1, 2, 3] and all(stops == list(range(1, len(stops) + 1)) for stops in teams.values())
    assert all(3 <= len(stops) <= 5 for stops in teams.values())  # even runs, a cut moved to a 街道 border at most
    streets_per_team = {t: {p["street_id"] for p in answer["points"] if p["team"] == t} for t in teams}
    assert sum(len(s) for s in streets_per_team.values()) <= 4  # a 街道 is split at most once


def test_score_rates_per_type_street_and_overall_compared_with_the_previous(session: Session, city: SmallCity) -> None:
    old = draw(session, parse_request({"points": 4, "quotas": {"market": 4}, "seed": 3}, DAY - dt.timedelta(days=7)),
               TESTER)  # fmt: skip
    for p in old["points"]:
        score_point(session, old["id"], p["id"], {"score": 50, "possible": 100}, TESTER)
    new = draw(session, parse_request({"points": 4, "quotas": {"market": 3, "main_road": 1}, "seed": 4}, DAY), TESTER)
    scores = iter([(80, 100), (60, 100), (9, 10)])
    for p in new["points"][:3]:
        s, full = next(scores)
        score_point(session, new["id"], p["id"], {"score": s, "possible": full, "note": "ok"}, TESTER)
    r = results(session, new["id"])
    assert r["previous"]["id"] == old["id"]
    overall = r["overall"]
    assert (overall["points"], overall["scored"]) == (4, 3)
    assert overall["rate"] == pytest.approx(149 / 210) and overall["change_pp"] == pytest.approx(20.95, abs=0.06)
    market = next(t for t in r["by_type"] if t["type"] == "market")
    assert market["previous_rate"] == pytest.approx(0.5) and market["type_name"] == "农贸市场"
    assert sum(s["points"] for s in r["by_street"]) == 4
    stored = get_assessment(session, new["id"])["points"]
    assert sum(1 for p in stored if p["score"] is not None) == 3


def test_a_score_above_the_full_mark_is_refused(session: Session, city: SmallCity) -> None:
    a = draw(session, _request(seed=1), TESTER)
    pid = a["points"][0]["id"]
    with pytest.raises(InvalidInput) as exc:
        score_point(session, a["id"], pid, {"score": 12, "possible": 10}, TESTER)
    assert "得分 12 超过满分 10" in (exc.value.zh or "")
    with pytest.raises(InvalidInput):
        score_point(session, a["id"], pid, {"score": 1, "possible": 0}, TESTER)
    assert get_assessment(session, a["id"])["points"][0]["score"] is None


def test_cli_draws_and_repeats(settings, session: Session, city: SmallCity) -> None:
    session.commit()
    url = ["--database-url", settings.database_url]
    result = CliRunner().invoke(main, [*url, "assessments", "draw", "--points", "5", "--quota", "农贸市场=5",
                                       "--seed", "11", "--teams", "2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "seed 11" in result.output and "第 2 组" in result.output
    aid = session.scalar(select(Assessment.id))
    again = CliRunner().invoke(main, [*url, "assessments", "repeat", str(aid)])
    assert again.exit_code == 0 and "same 5 points" in again.output
    bad = CliRunner().invoke(main, [*url, "assessments", "draw", "--points", "50", "--quota", "market=50"])
    assert bad.exit_code != 0 and "库中只有 40 个" in bad.output


def test_places_are_an_ogc_collection(settings, session: Session, city: SmallCity) -> None:
    from gridmap.web import create_app
    from tests.accounts import client_as

    session.commit()
    client = client_as(create_app(settings), "viewer")
    doc = client.get("/ogc/collections/places").get_json()
    assert doc["title"] == "考察点位"
    items = client.get("/ogc/collections/places/items?limit=5").get_json()
    assert "numberMatched" not in items and len(items["features"]) == 5  # a page of many: no count per page
    seen, page = [], items
    while True:  # follow the keyset ``next`` links to the end: every place once
        seen += [f["id"] for f in page["features"]]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not nxt:
            break
        page = client.get(nxt[0].removeprefix("http://localhost")).get_json()
    assert len(seen) == len(set(seen)) == 40
    first = items["features"][0]
    assert first["geometry"]["type"] == "Point" and first["properties"]["kind"] == "market"
    assert first["properties"]["street_id"] == city.ids["141102001"]


def test_cli_imports_places_of_one_type(settings, session: Session, tmp_path: Path) -> None:
    build_small_city(session)
    session.commit()
    lon, lat = to_lonlat(-500, 300)
    feats = [{"type": "Feature", "properties": {"name": "城东工地"},
              "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]}}]  # fmt: skip
    path = tmp_path / "sites.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), "utf-8")
    url = ["--database-url", settings.database_url]
    wrong = CliRunner().invoke(main, [*url, "import", "segments", str(path), "--type", "工地"])
    assert wrong.exit_code != 0 and "--type is for places" in wrong.output
    result = CliRunner().invoke(main, [*url, "import", "places", str(path), "--type", "建筑工地"])
    assert result.exit_code == 0, result.output
    assert session.scalars(select(Place.kind)).all() == ["site"]


# -- scored item by item against the checklist ------------------------------------------------------------------


def _checklists(session: Session) -> None:
    from gridmap.catalogue.categories import seed
    from gridmap.inspections import seed_templates

    seed(session)
    seed_templates(session)


def _settings(settings, tmp_path: Path):
    from gridmap.config import Settings

    return Settings(database_url=settings.database_url, instance_dir=tmp_path, cases=settings.cases)


def test_a_point_scored_item_by_item_gets_total_less_deductions_and_failed_items_open_routed_cases(
    session: Session, city: SmallCity, settings, tmp_path: Path
) -> None:
    from gridmap.assessments.items import point_sheet, record_items
    from gridmap.routing import route_point
    from gridmap.store.models import AssessmentItemScore, Case

    _checklists(session)
    s = _settings(settings, tmp_path)
    old = draw(session, _request(seed=1), TESTER)
    for p in old["points"]:
        score_point(session, old["id"], p["id"], {"score": 50, "possible": 100}, TESTER)  # the previous one: 50 %
    a = draw(session, _request(seed=2), TESTER)
    p = a["points"][0]
    here = {"lon": p["lon"], "lat": p["lat"]}
    sheet = record_items(
        session,
        a["id"],
        p["id"],
        [
            {"item": "NM01", "passed": True, **here, "client_id": "phone-1"},
            {"item": "NM02", "passed": False, "points_deducted": 10, **here, "note": "出店经营"},
            {"item": "NM03", "passed": False, **here},  # failed with no deduction given: the item's points (20)
        ],
        s,
        actor=TESTER,
    )
    assert sheet["checklist"]["point_type"] == "market" and sheet["checklist"]["total_points"] == 100
    assert sheet["point"]["possible"] == 100 and sheet["point"]["score"] == 100 - 10 - 20
    failed = {i["item_code"]: i for i in sheet["items"] if not i["passed"]}
    assert set(failed) == {"NM02", "NM03"} and all(i["case_id"] for i in failed.values())
    case = session.get(Case, failed["NM02"]["case_id"])
    routed = route_point(session, p["lon"], p["lat"], category="CC0302").to_dict()
    assert case.category == "CC0302" and case.source == "inspection" and case.deadline_at is not None
    assert case.unit_id == (routed.get("responsible") or {}).get("unit_id") == failed["NM02"]["unit_id"]
    assert "模拟测评" in case.description and "出店经营" in case.description
    # a retry of the phone's first item stores nothing twice; the rest of the checklist deducts nothing more
    again = record_items(session, a["id"], p["id"], [{"item": "NM01", "passed": True, **here, "client_id": "phone-1"}],
                         s, actor=TESTER)  # fmt: skip
    assert len(again["items"]) == 3 and again["point"]["score"] == 70
    assert point_sheet(session, a["id"], p["id"])["point"]["rate"] == pytest.approx(0.7)
    r = results(session, a["id"])
    assert r["previous"]["id"] == old["id"]
    assert r["overall"]["scored"] == 1 and r["overall"]["rate"] == pytest.approx(0.7)
    assert r["overall"]["change_pp"] == pytest.approx(20.0) and r["by_type"][0]["change_pp"] == pytest.approx(20.0)
    # the whole-point score is refused for a point scored item by item
    with pytest.raises(InvalidInput) as exc:
        score_point(session, a["id"], p["id"], {"score": 90, "possible": 100}, TESTER)
    assert "逐项评分" in (exc.value.zh or "")
    assert session.scalar(select(func.count()).select_from(AssessmentItemScore)) == 3


def test_bad_items_are_refused_whole_with_the_item_number_and_nothing_is_stored(
    session: Session, city: SmallCity, settings, tmp_path: Path
) -> None:
    from gridmap.assessments.items import record_items
    from gridmap.store.models import AssessmentItemScore, Case

    _checklists(session)
    s = _settings(settings, tmp_path)
    a = draw(session, _request(seed=3), TESTER)
    p = a["points"][0]
    here = {"lon": p["lon"], "lat": p["lat"]}
    bad = [
        {"item": "NM02", "passed": False, **here},  # fine alone: would open a case
        {"item": "ZG01", "passed": False, **here},  # an item of the main roads' checklist
        {"item": "NM04", "passed": False},  # no location
        {"item": "NM05", "passed": False, "points_deducted": 99, **here},  # more than the item's 15 points
    ]
    with pytest.raises(InvalidInput) as exc:
        record_items(session, a["id"], p["id"], bad, s, actor=TESTER)
    by_item = {q.feature: q for q in exc.value.problems}
    assert set(by_item) == {2, 3, 4}
    assert "不属于该点位所用的测评细则（农贸市场第 1 版）" in (by_item[2].zh or "")
    assert by_item[3].field == "location" and "缺少位置" in (by_item[3].zh or "")
    assert "扣分 99 须在 0 到 15 之间" in (by_item[4].zh or "")
    assert "not an item" in by_item[2].message
    assert session.scalar(select(func.count()).select_from(AssessmentItemScore)) == 0
    assert session.scalar(select(func.count()).select_from(Case)) == 0
    assert session.get(AssessmentPoint, p["id"]).score is None
    record_items(session, a["id"], p["id"], [{"item": "NM02", "passed": True, **here}], s, actor=TESTER)
    with pytest.raises(InvalidInput) as exc:
        record_items(session, a["id"], p["id"], [{"item": "NM02", "passed": True, **here}], s, actor=TESTER)
    assert "已评分" in (exc.value.zh or "")


def test_a_point_type_without_a_checklist_is_scored_whole(
    session: Session, city: SmallCity, settings, tmp_path: Path
) -> None:
    from gridmap.assessments.items import record_items

    _checklists(session)
    _places(session, 3, 0, kind="hospital", prefix="H")
    a = draw(session, parse_request({"points": 2, "quotas": {"hospital": 2}, "drawn_on": DAY.isoformat()}, DAY),
             TESTER)  # fmt: skip
    p = a["points"][0]
    with pytest.raises(InvalidInput) as exc:
        record_items(session, a["id"], p["id"], [{"item": "X", "passed": True, "lon": p["lon"], "lat": p["lat"]}],
                     _settings(settings, tmp_path), actor=TESTER)  # fmt: skip
    assert "没有测评细则" in (exc.value.zh or "") and "whole point" in exc.value.problems[0].message
    assert score_point(session, a["id"], p["id"], {"score": 8, "possible": 10}, TESTER)["rate"] == pytest.approx(0.8)


def test_a_scored_item_is_corrected_or_deleted_until_the_assessment_is_closed(
    session: Session, city: SmallCity, settings, tmp_path: Path
) -> None:
    from gridmap.assessments.items import correct_item, delete_item, record_items
    from gridmap.assessments.scoring import close_assessment
    from gridmap.errors import Conflict
    from gridmap.store.models import AssessmentItemScore, AuditEntry, Case, CaseEvent

    _checklists(session)
    s = _settings(settings, tmp_path)
    a = draw(session, _request(seed=4), TESTER)
    p = a["points"][0]
    here = {"lon": p["lon"], "lat": p["lat"]}
    two = [{"item": "NM02", "passed": False, **here}, {"item": "NM03", "passed": True, **here}]
    sheet = record_items(session, a["id"], p["id"], two, s, actor=TESTER)
    nm02, nm03 = (next(i for i in sheet["items"] if i["item_code"] == c) for c in ("NM02", "NM03"))
    case_id = nm02["case_id"]
    assert sheet["point"]["score"] == 100 - 25  # NM02 is worth 25
    opening = session.scalar(select(CaseEvent.data).where(CaseEvent.case_id == case_id, CaseEvent.seq == 1))
    assert opening["origin"] == "assessment" and opening["assessment_id"] == a["id"] and opening["item"] == "NM02"
    # a failure corrected to a pass: the score comes back, its case is voided with the reason
    fixed = correct_item(session, a["id"], p["id"], nm02["id"], {"passed": True}, s, actor=TESTER)
    assert fixed["point"]["score"] == 100 and results(session, a["id"])["overall"]["rate"] == pytest.approx(1.0)
    row = next(i for i in fixed["items"] if i["item_code"] == "NM02")
    assert row["passed"] is True and row["case_id"] == case_id and row["case_status"] == "void"
    void = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == "void"))
    assert void.actor == TESTER.name and "更正为合格" in void.note
    # a pass corrected to a failure opens a case; a smaller deduction is taken as given
    worse = correct_item(session, a["id"], p["id"], nm03["id"], {"passed": False, "points_deducted": 5, "note": "占道"},
                         s, actor=TESTER)  # fmt: skip
    row = next(i for i in worse["items"] if i["item_code"] == "NM03")
    assert row["case_id"] and row["case_status"] != "void" and worse["point"]["score"] == 95
    assert session.get(Case, row["case_id"]).source == "inspection"
    # bad input: a clear message, nothing changed
    with pytest.raises(InvalidInput) as exc:
        correct_item(session, a["id"], p["id"], nm03["id"], {"passed": True, "points_deducted": 3}, s, actor=TESTER)
    assert "合格项目不扣分" in (exc.value.problems[0].zh or "")
    assert session.get(AssessmentItemScore, nm03["id"]).points_deducted == 5
    # deleted: its case voided, the point rescored; the last item deleted leaves the point unscored
    left = delete_item(session, a["id"], p["id"], nm03["id"], s, actor=TESTER)
    assert [i["item_code"] for i in left["items"]] == ["NM02"] and left["point"]["score"] == 100
    assert session.get(Case, row["case_id"]).status == "void"
    empty = delete_item(session, a["id"], p["id"], nm02["id"], s, actor=TESTER)
    assert empty["items"] == [] and empty["point"]["score"] is None and empty["point"]["possible"] is None
    assert session.scalar(select(func.count()).where(AuditEntry.action == "assessment.item.delete")) == 2
    # closed: the scores are final
    again = record_items(session, a["id"], p["id"], [{"item": "NM02", "passed": False, **here}], s, actor=TESTER)
    closed = close_assessment(session, a["id"], TESTER)
    assert closed["closed_by"] == TESTER.name and closed["closed_at"]
    for change in (
        lambda: correct_item(session, a["id"], p["id"], again["items"][0]["id"], {"passed": True}, s, actor=TESTER),
        lambda: delete_item(session, a["id"], p["id"], again["items"][0]["id"], s, actor=TESTER),
        lambda: record_items(session, a["id"], p["id"], [{"item": "NM05", "passed": True, **here}], s, actor=TESTER),
        lambda: close_assessment(session, a["id"], TESTER),
    ):
        with pytest.raises(Conflict) as refused:
            change()
        assert "已结束" in (refused.value.zh or "")
    assert session.get(Case, again["items"][0]["case_id"]).status != "void"
