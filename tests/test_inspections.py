"""Inspections 明查暗访: checklist editions, findings that become routed cases, the problem list and its 销号, the
weekly look-back and repeats, covert inspections hidden from unit clerks until published, and bad input refused
whole — on both databases."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import shapely
from sqlalchemy import func, select

from gridmap.accounts.actor import Actor, cli_actor
from gridmap.cases import list_cases, transition
from gridmap.cases.values import as_utc
from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.errors import InvalidInput, NotFound
from gridmap.inspections import current_edition, seed_templates
from gridmap.inspections.lookback import look_back
from gridmap.inspections.problems import problem_list, problem_list_xlsx
from gridmap.inspections.records import get_inspection, open_inspection, publish, record_findings
from gridmap.inspections.templates import SEED, list_templates, save_template
from gridmap.inspections.vocabulary import POINT_TYPES
from gridmap.store.dialect import wkb
from gridmap.store.models import (
    Assignment,
    Case,
    CaseSource,
    Category,
    ChecklistTemplate,
    InspectionFinding,
    Segment,
)
from tests.case_helpers import JPEG, TZ

INSPECTOR = Actor(name="督查员甲", role="inspector", via="session")
COMMANDER = Actor(name="指挥长", role="commander", via="session")
ADMIN = Actor(name="admin", role="admin", via="session")


def _settings(settings: Settings, tmp_path) -> Settings:
    return Settings(database_url=settings.database_url, instance_dir=tmp_path, cases=settings.cases)


def test_the_seeded_checklists_cover_every_point_type_with_existing_sub_categories(session) -> None:
    assert seed_templates(session) == len(POINT_TYPES)
    assert seed_templates(session) == 0  # never twice
    subs = {c.code for c in session.scalars(select(Category).where(Category.parent_code.is_not(None)))}
    for point_type, items in SEED.items():
        edition = current_edition(session, point_type)
        assert edition["edition"] == 1 and not edition["frozen"]
        assert [i["code"] for i in edition["items"]] == [row[0] for row in items]
        assert all(i["category"] in subs for i in edition["items"])
        assert edition["total_points"] == pytest.approx(100.0), point_type
    main = current_edition(session, "main_road")
    assert {"道路破损", "乱堆乱放", "占道经营", "乱停乱放", "公益广告"} <= {i["name_zh"] for i in main["items"]}
    assert [t["point_type"] for t in list_templates(session)] == list(POINT_TYPES)
    with pytest.raises(NotFound) as exc:
        current_edition(session, "airport")
    assert exc.value.zh and "点位类型" in exc.value.zh


def test_editing_a_used_checklist_makes_a_new_edition_and_the_inspection_keeps_its_own(session) -> None:
    seed_templates(session)
    first = current_edition(session, "market")
    items = [
        {"code": i["code"], "name_zh": i["name_zh"], "points": i["points"], "category": i["category"]}
        for i in first["items"]
    ]
    # unused: edited in place
    same = save_template(session, "market", {"items": items[:-1]}, actor=ADMIN)
    assert (same["id"], same["edition"], len(same["items"])) == (first["id"], 1, len(items) - 1)
    inspection = open_inspection(
        session, {"kind": "open", "point_type": "market", "team": "第一组"}, actor=INSPECTOR, tz=TZ
    )
    assert inspection["edition"] == 1 and current_edition(session, "market")["frozen"]
    second = save_template(
        session, "market", {"items": [*items, {"name_zh": "新增项目", "points": 5, "category": "0102"}]}, actor=ADMIN
    )
    assert second["edition"] == 2 and second["id"] != first["id"] and len(second["items"]) == len(items) + 1
    assert current_edition(session, "market")["id"] == second["id"]
    kept = get_inspection(session, inspection["id"], actor=INSPECTOR)
    assert kept["edition"] == 1 and len(kept["checklist"]["items"]) == len(items) - 1
    # a bad edit is refused whole, every item named, nothing written
    with pytest.raises(InvalidInput) as exc:
        save_template(
            session,
            "market",
            {
                "items": [
                    {"name_zh": "", "points": 0, "category": "01"},
                    {"name_zh": "x", "points": 5, "category": "nope"},
                ]
            },
            actor=ADMIN,
        )
    zh = exc.value.zh or ""
    assert "第 1 项" in zh and "第 2 项" in zh and "大类" in zh and "不存在" in zh
    assert (
        session.scalar(
            select(func.count()).select_from(ChecklistTemplate).where(ChecklistTemplate.point_type == "market")
        )
        == 2
    )


def test_bad_findings_are_refused_with_a_clear_message_and_nothing_half_stored(session, settings, tmp_path) -> None:
    seed_templates(session)
    s = _settings(settings, tmp_path)
    inspection = open_inspection(session, {"point_type": "main_road"}, actor=INSPECTOR, tz=TZ)
    other = current_edition(session, "market")["items"][0]
    good = {"item": "ZG02", "passed": False, "lon": 111.14, "lat": 37.52, "note": "堆物"}
    bad = [
        good,
        {"item": "ZG03", "passed": False, "note": "no place"},
        {"item_id": other["id"], "passed": False, "lon": 111.14, "lat": 37.52},
        {"item": "ZG04", "passed": True, "lon": 111.14, "lat": 37.52, "points_deducted": 3},
    ]
    with pytest.raises(InvalidInput) as exc:
        record_findings(session, inspection["id"], bad, s, actor=INSPECTOR, photos={0: [("x.jpg", b"not an image")]})
    zh = exc.value.zh or ""
    assert "第 2 项" in zh and "缺少位置" in zh
    assert "第 3 项" in zh and "不属于本次督查的测评细则" in zh
    assert "第 4 项" in zh and "合格项目不扣分" in zh
    assert "第 1 项" in zh  # the photo that is not an image
    assert session.scalar(select(func.count()).select_from(InspectionFinding)) == 0
    assert session.scalar(select(func.count()).select_from(Case)) == 0
    with pytest.raises(NotFound) as missing:
        record_findings(session, 999999, [good], s, actor=INSPECTOR)
    assert missing.value.zh == "督查 999999 不存在"
    with pytest.raises(InvalidInput) as bad_open:
        open_inspection(
            session, {"point_type": "airport", "kind": "sneaky", "day": "yesterday"}, actor=INSPECTOR, tz=TZ
        )
    assert {p.field for p in bad_open.value.problems} == {"point_type", "kind", "day"}


def _segment_points(session, n: int) -> list[tuple[float, float, int]]:
    """Mid-points of ``n`` segments with a responsible unit today, and that unit."""
    rows = session.execute(
        select(wkb(Segment.geom), Assignment.unit_id)
        .join(Assignment, (Assignment.target_id == Segment.id) & (Assignment.target_kind == "segment"))
        .where(Assignment.role == "responsible", Assignment.valid_to.is_(None))
        .order_by(Segment.id)
        .limit(n * 7)
    ).all()
    out = []
    for raw, unit in rows[::7][:n]:
        mid = shapely.line_interpolate_point(shapely.from_wkb(bytes(raw)), 0.5, normalized=True)
        out.append((mid.x, mid.y, unit))
    return out


def _close(session, case_id: int, s: Settings) -> None:
    for action in ("dispatch", "accept", "report_back", "recheck_pass"):
        version = session.scalar(select(Case.version).where(Case.id == case_id))
        transition(session, case_id, action, s, version=version, actor=cli_actor(), note="整改")


@pytest.mark.demo_city
def test_failed_findings_become_routed_cases_and_the_problem_list_is_ticked_off(session, settings, tmp_path) -> None:
    seed(session)
    seed_templates(session)
    s = _settings(settings, tmp_path)
    (x1, y1, u1), (x2, y2, u2), (x3, y3, _) = _segment_points(session, 3)
    inspection = open_inspection(
        session, {"point_type": "main_road", "team": "督查一组", "kind": "open"}, actor=INSPECTOR, tz=TZ
    )
    found = record_findings(
        session,
        inspection["id"],
        [
            {"item": "ZG03", "passed": False, "lon": x1, "lat": y1, "note": "店外经营"},
            {"item": "ZG04", "passed": False, "lon": x2, "lat": y2, "points_deducted": 5},
            {"item": "ZG05", "passed": True, "lon": x3, "lat": y3},
        ],
        s,
        actor=INSPECTOR,
        photos={0: [("a.jpg", JPEG)]},
    )
    failed = [f for f in found["findings"] if not f["passed"]]
    assert len(found["findings"]) == 3 and len(failed) == 2
    assert [f["points_deducted"] for f in failed] == [15.0, 5.0]  # the item's points unless told
    assert failed[0]["photos"] and found["findings"][2]["case_id"] is None
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_([f["case_id"] for f in failed])))}
    assert {c.source for c in cases.values()} == {CaseSource.INSPECTION}
    assert [cases[f["case_id"]].unit_id for f in failed] == [u1, u2]  # routed by the usual rules
    assert [cases[f["case_id"]].category for f in failed] == ["0504", "0505"]
    assert all(c.deadline_at is not None and c.status == "open" for c in cases.values())
    pl = problem_list(session, inspection["id"], s, actor=COMMANDER)
    assert pl["totals"]["total"] == 2 and pl["totals"]["rectified"] == 0 and not pl["ticked_off"]
    assert {g["unit_id"] for g in pl["units"]} == {u1, u2}
    book = problem_list_xlsx(pl)
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(book))
    assert wb.sheetnames == ["问题清单", "销号统计"] and wb["问题清单"].max_row == 4 + 2
    for f in failed:
        _close(session, f["case_id"], s)
    pl = problem_list(session, inspection["id"], s, actor=COMMANDER)
    assert pl["ticked_off"] and pl["totals"]["rectified"] == 2 and all(g["ticked_off"] for g in pl["units"])

    # 回头看 the week after: the failed points are listed; one fails again → a repeat against its unit
    later = inspection["day"] + dt.timedelta(days=7)
    back = look_back(session, later, actor=COMMANDER)
    assert [p["id"] for p in back["points"]] == [f["id"] for f in failed] and back["rechecked"] == 0
    again = open_inspection(session, {"point_type": "main_road", "day": later.isoformat()}, actor=INSPECTOR, tz=TZ)
    record_findings(
        session,
        again["id"],
        [
            {"item": "ZG03", "passed": False, "lon": x1, "lat": y1, "recheck_of": failed[0]["id"]},
            {"item": "ZG04", "passed": True, "lon": x2, "lat": y2, "recheck_of": failed[1]["id"]},
        ],
        s,
        actor=INSPECTOR,
    )
    back = look_back(session, later, actor=COMMANDER)
    assert [p["recheck"] for p in back["points"]] == ["repeat", "passed"]
    assert back["repeats"] == [{"unit_id": u1, "unit_name": back["points"][0]["unit_name"], "repeats": 1}]
    with pytest.raises(InvalidInput) as exc:  # a re-check of another item, or of a passed finding
        record_findings(
            session,
            again["id"],
            [{"item": "ZG05", "passed": True, "lon": x1, "lat": y1, "recheck_of": failed[0]["id"]}],
            s,
            actor=INSPECTOR,
        )
    assert "复查的项目须与原检查项目一致" in (exc.value.zh or "")


@pytest.mark.demo_city
def test_a_covert_inspection_stays_hidden_from_the_unit_clerk_until_published(session, settings, tmp_path) -> None:
    seed(session)
    seed_templates(session)
    s = _settings(settings, tmp_path)
    ((x, y, unit),) = _segment_points(session, 1)
    clerk = Actor(name="clerk", role="unit_clerk", via="session", scope_unit_id=unit)
    covert = open_inspection(session, {"point_type": "main_road", "kind": "covert"}, actor=INSPECTOR, tz=TZ)
    record_findings(session, covert["id"], [{"item": "ZG06", "passed": False, "lon": x, "lat": y}], s, actor=INSPECTOR)
    case_id = session.scalar(select(InspectionFinding.case_id))
    assert session.get(Case, case_id).unit_id == unit

    def clerk_sees() -> bool:
        listed = list_cases(session, {}, s, actor=clerk)
        return any(c["id"] == case_id for c in listed["items"])

    assert not clerk_sees()
    with pytest.raises(NotFound):
        get_inspection(session, covert["id"], actor=clerk)
    assert any(c["id"] == case_id for c in list_cases(session, {}, s, actor=COMMANDER)["items"])
    publish(session, covert["id"], actor=COMMANDER)
    session.expire_all()
    assert clerk_sees()
    seen = get_inspection(session, covert["id"], actor=clerk)
    assert seen["published_by"] == "指挥长" and [f["case_id"] for f in seen["findings"]] == [case_id]


@pytest.mark.demo_city
def test_many_failures_routed_at_once_reach_the_same_units_as_one_by_one(session, settings, tmp_path) -> None:
    from gridmap.inspections.findings import BULK_ROUTING_FROM
    from gridmap.routing import route_point

    seed(session)
    seed_templates(session)
    s = _settings(settings, tmp_path)
    points = _segment_points(session, BULK_ROUTING_FROM + 5)
    inspection = open_inspection(session, {"point_type": "main_road"}, actor=INSPECTOR, tz=TZ)
    findings = [{"item": "ZG02", "passed": False, "lon": x, "lat": y} for x, y, _ in points]
    done = record_findings(session, inspection["id"], findings, s, actor=INSPECTOR)["findings"]
    assert len(done) == len(points)
    for f, (x, y, unit) in zip(done, points, strict=True):
        one = route_point(session, x, y, category="0507").to_dict()
        case = session.get(Case, f["case_id"])
        assert case.unit_id == unit == (one["responsible"] or {}).get("unit_id") and case.rule == one["rule"]
    far = [*findings[:BULK_ROUTING_FROM], {"item": "ZG02", "passed": False, "lon": 100.0, "lat": 30.0}]
    before = session.scalar(select(func.count()).select_from(Case))
    # a point far outside the city: the finding is named, and the request's transaction keeps nothing
    with pytest.raises(InvalidInput) as exc, session.begin_nested():
        record_findings(session, inspection["id"], far, s, actor=INSPECTOR)
    assert exc.value.problems[0].feature == BULK_ROUTING_FROM + 1
    assert session.scalar(select(func.count()).select_from(Case)) == before


@pytest.mark.demo_city
def test_publishing_a_covert_inspection_starts_its_cases_deadlines_from_the_publication(
    session, settings, tmp_path
) -> None:
    """A unit cannot act on what it could not see: a covert finding's case, withheld for days, gets its category's
    full limit from the moment it is published, counted on the working calendar; an open inspection's case keeps
    the deadline it had."""
    from gridmap.cases.deadlines import deadline_fields
    from gridmap.catalogue.categories import load_calendar

    seed(session)
    seed_templates(session)
    s = _settings(settings, tmp_path)
    (x, y, _), (x2, y2, _) = _segment_points(session, 2)
    seen = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in the city
    published = dt.datetime(2026, 12, 4, 8, 30, tzinfo=dt.UTC)  # Friday 16:30: the limit runs over the weekend
    covert = open_inspection(session, {"point_type": "main_road", "kind": "covert"}, actor=INSPECTOR, tz=TZ, now=seen)
    shown = open_inspection(session, {"point_type": "main_road"}, actor=INSPECTOR, tz=TZ, now=seen)
    finding = [{"item": "ZG06", "passed": False, "lon": x, "lat": y}]
    record_findings(session, covert["id"], finding, s, actor=INSPECTOR, now=seen)
    record_findings(session, shown["id"], [{**finding[0], "lon": x2, "lat": y2}], s, actor=INSPECTOR, now=seen)
    hidden_id, open_id = (
        session.scalar(select(InspectionFinding.case_id).where(InspectionFinding.inspection_id == i))
        for i in (covert["id"], shown["id"])
    )
    hidden, visible = session.get(Case, hidden_id), session.get(Case, open_id)
    before_open = visible.deadline_at
    cal = load_calendar(session, s.cases)
    category = session.get(Category, hidden.category)
    assert as_utc(hidden.deadline_at) == deadline_fields(cal, category, hidden.urgency, seen)["deadline_at"]

    publish(session, covert["id"], actor=COMMANDER, settings=s, now=published)
    publish(session, shown["id"], actor=COMMANDER, settings=s, now=published)
    session.expire_all()
    hidden, visible = session.get(Case, hidden_id), session.get(Case, open_id)
    expected = deadline_fields(cal, category, hidden.urgency, published)
    assert as_utc(hidden.deadline_at) == expected["deadline_at"] > published
    assert hidden.limit_seconds == expected["limit_seconds"] and not hidden.withheld
    assert visible.deadline_at == before_open  # an open inspection's case was visible all along
    publish(session, covert["id"], actor=COMMANDER, settings=s, now=published + dt.timedelta(days=2))
    session.expire_all()
    assert as_utc(session.get(Case, hidden_id).deadline_at) == expected["deadline_at"]  # publishing twice: no change
