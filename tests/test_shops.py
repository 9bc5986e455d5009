"""门前五包 on both databases: shops placed on their street with a frontage, moved (the neighbours' frontages
follow), imported all or nothing, letters with a scan, and monthly scores where every deducted point names its
case, with ranks, red flags and the escalation ladder."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import shapely
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.cases import open_report
from gridmap.catalogue.categories import seed
from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.shops import files, letters, reads, registry, schemes, scoring
from gridmap.store.dialect import wkb
from gridmap.store.models import Shop, ShopDeduction, ShopFlag, ShopScore
from tests.accounts import TESTER
from tests.routing_city import SmallCity, build_small_city, to_lonlat

GOOD_CODE = "91330100716105852F"


@pytest.fixture
def city(session: Session) -> SmallCity:
    return build_small_city(session)


def _shop(session: Session, city: SmallCity, name: str, x: float, y: float, **kw: object) -> Shop:
    lon, lat = city.point(x, y)
    return registry.create_shop(session, {"name": name, "lon": lon, "lat": lat, **kw}, TESTER)


def _front_bounds_m(session: Session, shop_id: int) -> tuple[float, ...]:
    from gridmap.geo.crs import transform
    from tests.routing_city import UTM, X0, Y0

    raw = session.scalar(select(wkb(Shop.frontage)).where(Shop.id == shop_id))
    poly = transform([shapely.from_wkb(bytes(raw))], 4326, UTM)[0]
    x0, y0, x1, y1 = shapely.bounds(poly)
    return tuple(round(float(v), 1) for v in (x0 - X0, y0 - Y0, x1 - X0, y1 - Y0))


def test_a_shop_is_placed_on_its_segment_grid_and_street_with_a_frontage_to_the_kerb(
    session: Session, city: SmallCity
) -> None:
    shop = _shop(session, city, "老王面馆", -60, -20, credit_code=GOOD_CODE.lower(), phone="0358-1234567")
    assert shop.credit_code == GOOD_CODE
    assert (shop.segment_id, shop.grid_id, shop.street_id) == (city.ids["M"], city.ids["14110200100101"],
                                                               city.ids["141102001"])  # fmt: skip
    # 滨河路 is a main road: kerb 12 m from the centre-line; no neighbour: 30 m each way
    assert _front_bounds_m(session, shop.id) == (-90.0, -20.0, -30.0, -12.0)
    assert shop.frontage_m2 == pytest.approx(60 * 8, rel=1e-3)
    far = _shop(session, city, "远处小店", -1000, -1000)
    assert far.segment_id is None and far.frontage is None and far.street_id == city.ids["141102001"]


def test_moving_a_shop_redraws_its_own_and_its_neighbours_frontages(session: Session, city: SmallCity) -> None:
    a = _shop(session, city, "甲店", -60, -20)
    b = _shop(session, city, "乙店", -40, -20)
    assert _front_bounds_m(session, a.id)[:3:2] == (-90.0, -50.0)
    assert _front_bounds_m(session, b.id)[:3:2] == (-50.0, -10.0)
    lon, lat = city.point(-160, -20)
    registry.edit_shop(session, b.id, {"lon": lon, "lat": lat}, TESTER)
    assert _front_bounds_m(session, a.id)[:3:2] == (-90.0, -30.0)  # no neighbour nearer than 30 m any more
    assert _front_bounds_m(session, b.id)[:3:2] == (-190.0, -130.0)
    registry.edit_shop(session, a.id, {"closed_on": "2026-12-01"}, TESTER)
    assert session.get(Shop, a.id).frontage is None  # type: ignore[union-attr]


def test_bad_shop_input_names_every_problem_in_chinese(session: Session, city: SmallCity) -> None:
    _shop(session, city, "甲店", -60, -20, credit_code=GOOD_CODE)
    with pytest.raises(InvalidInput) as exc:
        registry.create_shop(session, {"name": "", "lon": "东经", "lat": 37.5, "credit_code": GOOD_CODE,
                                       "phone": "电话"}, TESTER)  # fmt: skip
    fields = {p.field for p in exc.value.problems}
    assert fields == {"name", "lon", "credit_code", "phone"}
    assert exc.value.zh is not None and "已登记在" in exc.value.zh and "缺少店名" in exc.value.zh


def _csv(tmp_path: Path, city: SmallCity, rows: list[list[object]]) -> Path:
    path = tmp_path / "shops.csv"
    lines = ["店名,统一社会信用代码,类型,联系电话,经度,纬度"]
    for name, code, x, y in rows:
        lon, lat = to_lonlat(x, y)
        lines.append(f"{name},{code},餐饮,13800000000,{float(lon):.7f},{float(lat):.7f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_import_is_all_or_nothing_with_row_numbers_then_places_every_shop(
    session: Session, city: SmallCity, tmp_path: Path
) -> None:
    bad = _csv(tmp_path, city, [["甲店", GOOD_CODE, -60, -20], ["乙店", "91330100716105852G", -40, -20],
                                 ["丙店", GOOD_CODE, -20, -20]])  # fmt: skip
    with pytest.raises(InvalidInput) as exc:
        files.import_shops(session, bad, TESTER)
    text = exc.value.zh or ""
    assert "第 3 行" in text and "校验位不符" in text and "第 4 行" in text and "与第 2 行重复" in text
    assert session.scalar(select(func.count()).select_from(Shop)) == 0
    good = _csv(tmp_path, city, [["甲店", GOOD_CODE, -60, -20], ["乙店", "", -40, -20], ["丙店", "", 20, 20]])
    assert files.import_shops(session, good, TESTER) == {"file": "shops.csv", "created": 3, "on_a_street": 3}
    ids = {s.name: s.id for s in session.scalars(select(Shop))}
    assert _front_bounds_m(session, ids["甲店"])[:3:2] == (-90.0, -50.0)  # the neighbour of the same file
    assert _front_bounds_m(session, ids["丙店"]) == (-10.0, 12.0, 50.0, 20.0)  # north side: its own kerb


def test_the_xlsx_template_imports_back(session: Session, city: SmallCity, tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "shops.xlsx"
    files.template(path)
    book = openpyxl.load_workbook(path)
    lon, lat = city.point(-60, -20)
    book["商铺"]["G2"], book["商铺"]["H2"] = lon, lat
    book.save(path)
    assert files.import_shops(session, path, TESTER)["created"] == 1
    assert session.scalar(select(Shop.credit_code)) == GOOD_CODE


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 60), (250, 250, 240)).save(out, "PNG")
    return out.getvalue()


def test_a_letter_keeps_its_scheme_signer_and_a_checked_scan(session: Session, city: SmallCity,
                                                             tmp_path: Path) -> None:  # fmt: skip
    shop = _shop(session, city, "甲店", -60, -20)
    with pytest.raises(InvalidInput) as exc:
        letters.add_letter(session, shop.id, {"signer": "王五", "signed_on": "2026-01-05"}, TESTER,
                           instance_dir=tmp_path, scan=("scan.png", b"not an image"))  # fmt: skip
    assert "不是 JPEG、PNG 或 WebP 图片" in (exc.value.zh or "")
    letter = letters.add_letter(session, shop.id, {"signer": "王五", "signed_on": "2026-01-05",
                                                   "valid_to": "2027-01-01"}, TESTER,
                                instance_dir=tmp_path, scan=("scan.png", _png()))  # fmt: skip
    assert letter.scan and (tmp_path / "photos" / letter.scan[:2] / letter.scan).is_file()
    listed = letters.letters_of(session, shop.id)
    assert listed[0]["valid_from"] == dt.date(2026, 1, 5) and listed[0]["scheme"] == "门前五包（默认） v1"


def _case(session: Session, settings: Settings, city: SmallCity, x: float, y: float, category: str,
          when: str) -> int:  # fmt: skip
    lon, lat = city.point(x, y)
    t = dt.datetime.fromisoformat(when)
    opened = open_report(session, {"lon": lon, "lat": lat, "category": category, "observed_at": when},
                         settings, actor=TESTER, now=t)  # fmt: skip
    return int(opened["id"])  # type: ignore[call-overload]


def test_a_month_scores_100_minus_deductions_each_traced_to_its_case(
    session: Session, settings: Settings, city: SmallCity
) -> None:
    seed(session)
    a = _shop(session, city, "甲店", -60, -20)
    b = _shop(session, city, "乙店", -140, -20)
    c = _shop(session, city, "丙店", 150, -20)  # the other 街道, the same road
    t = "2026-11-10T10:00:00+08:00"
    dirty = _case(session, settings, city, -60, -15, "0102", t)  # 暴露垃圾 → 卫生, in 甲店's frontage
    parked = _case(session, settings, city, -55, -14, "0505", t)  # 机动车乱停放 → 秩序
    _case(session, settings, city, -60, -50, "0104", t)  # 道路不洁, but behind the shop: nobody's frontage
    _case(session, settings, city, -140, -15, "0401", t)  # 路面塌陷: not in the scheme
    _case(session, settings, city, -140, -15, "0102", "2026-10-31T23:00:00+08:00")  # October, local time
    summary = scoring.score_month(session, "2026-11")
    assert summary["shops"] == 3 and summary["deductions"] == 2 and summary["points_deducted"] == 10.0
    got = reads.shop_month(session, a.id, "2026-11")
    assert got is not None and got["points"] == 90.0 and got["passed"]
    assert sorted((d["case_id"], d["item_name"], d["points"]) for d in got["deductions"]) == [
        (dirty, "卫生", 5.0), (parked, "秩序", 5.0)]  # fmt: skip
    assert {i["name"]: i["score"] for i in got["items"]}["卫生"] == 15.0
    assert reads.shop_month(session, b.id, "2026-11")["rank_street"] == 1  # type: ignore[index]
    assert got["rank_street"] == 2 and got["rank_road"] == 3
    flags = dict(session.execute(select(ShopFlag.shop_id, ShopFlag.color)).all())
    assert flags == {a.id: "red", b.id: "red", c.id: "red"}  # top 3 of each 街道, all passing
    again = scoring.score_month(session, "2026-11")  # scoring again replaces, never doubles
    assert again["deductions"] == 2 and session.scalar(select(func.count()).select_from(ShopDeduction)) == 2


def test_an_item_never_loses_more_than_its_points_and_failing_months_climb_the_ladder(
    session: Session, settings: Settings, city: SmallCity
) -> None:
    seed(session)
    rules = {**schemes.DEFAULT_RULES, "per_case": 15.0, "pass_mark": 90.0, "red_top_n": 1}
    scheme = schemes.save_scheme(session, "strict", "严格方案", rules)
    shop = _shop(session, city, "甲店", -60, -20)
    good = _shop(session, city, "乙店", -140, -20)
    letters.add_letter(session, shop.id, {"signer": "王五", "signed_on": "2026-01-01", "scheme_id": scheme.id},
                       TESTER, instance_dir=Path("."))  # fmt: skip
    colors = []
    for month in ("2026-08", "2026-09", "2026-10", "2026-11"):
        for k, cat in enumerate(("0102", "0103")):  # two 卫生 cases: 15 + 5 (the item's 20 points, no more)
            _case(session, settings, city, -62 + 4 * k, -16, cat, f"{month}-0{3 + k}T09:00:00+08:00")
        scoring.score_month(session, month)
        got = reads.shop_month(session, shop.id, month)
        assert got is not None and got["points"] == 80.0 and [d["points"] for d in got["deductions"]] == [15.0, 5.0]
        colors.append((got["fail_streak"], got["flag"] and (got["flag"]["color"], got["flag"]["step_name"])))
    assert colors == [
        (1, None),
        (2, ("yellow", "批评教育")),
        (3, ("yellow", "限期整改")),
        (4, ("black", "曝光 红黑榜")),
    ]
    ranked = reads.ranking(session, "2026-11")
    assert [e["shop_id"] for e in ranked["red"]] == [good.id] and [e["shop_id"] for e in ranked["black"]] == [shop.id]
    history = reads.shop_history(session, shop.id)
    assert [f["color"] for f in history["flags"]] == ["black", "yellow", "yellow"]
    assert session.scalar(select(func.count()).select_from(ShopScore)) == 8


def test_bad_scheme_rules_and_a_bad_month_are_refused(session: Session) -> None:
    with pytest.raises(InvalidInput) as exc:
        schemes.save_scheme(
            session,
            "x",
            "x",
            {
                **schemes.DEFAULT_RULES,
                "categories": {"0102": "nothing"},
                "ladder": [{"after": 3, "color": "pink", "step": "a", "zh": "甲"}],
            },
        )
    assert {p.field for p in exc.value.problems} == {"categories", "ladder[1]"}
    with pytest.raises(InvalidInput) as bad:
        scoring.parse_month("2026-13")
    assert "不是月份" in (bad.value.zh or "")


def test_the_shops_commands_import_score_and_refuse_a_bad_file_with_row_numbers(
    session: Session, settings: Settings, city: SmallCity, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from gridmap.cli import main

    seed(session)
    session.commit()
    url = ["--database-url", settings.database_url]
    bad = _csv(tmp_path, city, [["甲店", GOOD_CODE, -60, -20], ["乙店", "ABC", -40, -20]])
    refused = CliRunner().invoke(main, [*url, "shops", "import", str(bad)])
    assert refused.exit_code == 1 and "第 3 行" in refused.output and "18 位" in refused.output
    good = _csv(tmp_path, city, [["甲店", GOOD_CODE, -60, -20], ["乙店", "", -40, -20]])
    done = CliRunner().invoke(main, [*url, "shops", "import", str(good)])
    assert done.exit_code == 0 and "imported 2 shops" in done.output, done.output
    lon, lat = city.point(-60, -15)
    open_report(session, {"lon": lon, "lat": lat, "category": "0102", "observed_at": "2026-11-03T10:00:00+08:00"},
                settings, actor=TESTER, now=dt.datetime(2026, 11, 3, 2, tzinfo=dt.UTC))  # fmt: skip
    session.commit()
    scored = CliRunner().invoke(main, [*url, "shops", "score", "--month", "2026-11"])
    assert scored.exit_code == 0 and "2 家商铺评分" in scored.output and "1 项扣分" in scored.output, scored.output
    assert CliRunner().invoke(main, [*url, "shops", "score", "--month", "11/2026"]).exit_code != 0
    printed = CliRunner().invoke(main, [*url, "shops", "scheme"])
    rules = __import__("json").loads(printed.output)
    rules["per_case"] = 4.0
    (tmp_path / "city.json").write_text(__import__("json").dumps(rules, ensure_ascii=False), encoding="utf-8")
    stored = CliRunner().invoke(main, [*url, "shops", "scheme", str(tmp_path / "city.json"), "--code", "lishi"])
    assert stored.exit_code == 0 and "lishi v1" in stored.output


def test_the_shop_page_speaks_english_when_asked_and_chinese_by_default(
    session: Session, settings: Settings, city: SmallCity
) -> None:
    from gridmap.web import create_app
    from tests.accounts import client_as

    shop = _shop(session, city, "甲店", -60, -20)
    scoring.score_month(session, "2026-11")
    session.commit()
    client = client_as(create_app(settings), "viewer")
    zh = client.get(f"/shops/{shop.id}?month=2026-11").get_data(as_text=True)
    assert "2026-11 月度得分" in zh and "门前责任区" in zh and "Score for" not in zh
    en = client.get(f"/shops/{shop.id}?month=2026-11&lang=en").get_data(as_text=True)
    assert "Score for 2026-11" in en and "Frontage" in en and "月度得分" not in en and "门前责任区" not in en
    ranking = client.get("/shops/ranking?month=2026-11&lang=en").get_data(as_text=True)
    assert "Red list" in ranking and "Red flag" in ranking and "流动红旗" not in ranking
