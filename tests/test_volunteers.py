"""Party members and volunteers 在职党员进社区 (issue 15), on both databases: sign-up (once, within the post's
places), check-in inside the post's area and refused outside it with a Chinese sentence saying how far, points
counted per the scheme (services, hours, reports, evaluation weights), the ranking's order and praise, the scheme as
versioned data, and who may do what through the API (the role matrix rows are in tests/test_roles.py)."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from geoalchemy2 import WKTElement
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.catalogue.categories import seed
from gridmap.errors import Conflict, Forbidden, InvalidInput
from gridmap.evaluation.periods import parse_period
from gridmap.store.models import Account, Area, CaseEvent, Compound, Person, Unit, VolunteerReview
from gridmap.volunteers import (
    check_in,
    check_out,
    close_post,
    confirm,
    confirm_many,
    enrol,
    publish_post,
    ranking,
    rate,
    save_scheme,
    sign_up,
    standing,
)
from gridmap.volunteers.points import evaluation_of
from gridmap.volunteers.register import list_posts
from gridmap.volunteers.scheme import DEFAULT, current_scheme
from gridmap.volunteers.service import pending
from tests.test_evaluation import add_case

TZ = dt.timezone(dt.timedelta(hours=8))
Q4 = parse_period("2026-Q4", TZ)
T0 = dt.datetime(2026, 11, 7, 1, 0, tzinfo=dt.UTC)  # a Saturday morning, 09:00 local
INSIDE = {"lon": 111.003, "lat": 37.003}  # in the compound
NEAR = {"lon": 111.00425, "lat": 37.003}  # ~22 m east of the compound's edge: within 50 m
FAR = {"lon": 111.008, "lat": 37.008}  # in the community, ~590 m from the compound
_n = itertools.count(1)


def _square(x0: float, y0: float, d: float) -> WKTElement:
    x1, y1 = x0 + d, y0 + d
    return WKTElement(f"MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))", srid=4326)


def city(session: Session) -> dict[str, int]:
    """A street with two communities (滨河, 东关) and a compound 幸福小区 in 滨河; a unit with three people."""
    street = Area(level="street", code="141102001", name="滨河街道", area_m2=1.0, geom=_square(111.0, 37.0, 0.03))
    session.add(street)
    session.flush()
    c1 = Area(level="community", code="141102001001", name="滨河社区", area_m2=1.0, parent_id=street.id,
              geom=_square(111.0, 37.0, 0.01))  # fmt: skip
    c2 = Area(level="community", code="141102001002", name="东关社区", area_m2=1.0, parent_id=street.id,
              geom=_square(111.02, 37.0, 0.01))  # fmt: skip
    session.add_all([c1, c2])
    session.flush()
    compound = Compound(name="幸福小区", community_id=c1.id, area_m2=1.0, geom=_square(111.002, 37.002, 0.002))
    unit = Unit(name="市住建局", kind="city_office")
    session.add_all([compound, unit])
    session.flush()
    people = [Person(name=n, unit_id=unit.id) for n in ("张伟", "李娜", "王强")]
    session.add_all(people)
    session.flush()
    return {"street": street.id, "c1": c1.id, "c2": c2.id, "compound": compound.id, "unit": unit.id,
            **{f"p{i}": p.id for i, p in enumerate(people)}}  # fmt: skip


def commander(area_id: int | None) -> Actor:
    return Actor(name=f"cmd-{next(_n)}", role="commander", via="session", scope_area_id=area_id)


def member(session: Session, person_id: int, community_id: int, username: str | None = None) -> Actor:
    """A registered party member with an account of their own (any role: being a member is not a role)."""
    enrol(session, person_id, "party_member", "市住建局机关党支部", None, community_id, dt.date(2026, 3, 1))
    name = username or f"m-{person_id}"
    account = Account(username=name, name=name, password="!", fs_uniquifier=name, role="viewer", created_at=T0,
                      person_id=person_id)  # fmt: skip
    session.add(account)
    session.flush()
    return Actor(name=name, role="viewer", via="session", account_id=account.id, person_id=person_id)


def post(session: Session, ids: dict[str, int], slots: int = 3, **kw: object) -> int:
    body = {"community_id": ids["c1"], "compound_id": ids["compound"], "duty": "building_lead",
            "title": "幸福小区 3 号楼楼栋长", "slots": slots} | kw  # fmt: skip
    return publish_post(session, commander(ids["c1"]), body, T0).id


def serve(session: Session, actor: Actor, signup: int, start: dt.datetime, hours: float, ok: bool = True) -> int:
    """One service of ``hours``, confirmed by the community when ``ok``."""
    shift = check_in(session, actor, signup, INSIDE, start)
    check_out(session, actor, signup, INSIDE, start + dt.timedelta(hours=hours))
    if ok:
        confirm(session, commander(None), shift.id, start + dt.timedelta(hours=hours + 1))
    return shift.id


def test_a_member_signs_up_once_and_a_full_post_is_refused(session: Session) -> None:
    ids = city(session)
    a, b = member(session, ids["p0"], ids["c1"]), member(session, ids["p1"], ids["c1"])
    p = post(session, ids, slots=1)
    sign_up(session, a, p, T0)
    with pytest.raises(Conflict) as again:
        sign_up(session, a, p, T0)
    assert again.value.zh == "您已选过岗位“幸福小区 3 号楼楼栋长”"
    with pytest.raises(Conflict) as full:
        sign_up(session, b, p, T0)
    assert full.value.zh and "名额已满（1 人）" in full.value.zh
    stranger = Actor(name="x", role="grid_worker", via="session", person_id=ids["p2"])  # a person, not a member
    with pytest.raises(Forbidden) as no:
        sign_up(session, stranger, p, T0)
    assert no.value.zh and "未关联已登记的在职党员" in no.value.zh


def test_check_in_inside_or_near_the_area_and_refused_far_from_it(session: Session) -> None:
    ids = city(session)
    a = member(session, ids["p0"], ids["c1"])
    signup = sign_up(session, a, post(session, ids), T0).id
    shift = check_in(session, a, signup, NEAR, T0)  # outside the compound by ~22 m: within the 50 m tolerance
    assert shift.start_lon == NEAR["lon"]
    with pytest.raises(Conflict):
        check_in(session, a, signup, INSIDE, T0)  # one open service at a time
    with pytest.raises(InvalidInput) as far:
        check_out(session, a, signup, FAR, T0 + dt.timedelta(hours=2))
    zh = far.value.zh or ""
    assert "签退失败" in zh and "幸福小区" in zh and "允许 50 米" in zh
    metres = int(zh.split("范围外约 ")[1].split(" 米")[0])
    assert 560 <= metres <= 620, metres
    assert zh.startswith("请求未被接受（未作任何修改）：签退失败")  # no English field name in the sentence
    check_out(session, a, signup, INSIDE, T0 + dt.timedelta(hours=2))
    # a post of the whole community: anywhere in it is inside
    whole = sign_up(session, a, post(session, ids, compound_id=None, title="滨河社区文明劝导", duty="civility"), T0)
    check_in(session, a, whole.id, FAR, T0 + dt.timedelta(hours=3))
    with pytest.raises(InvalidInput) as bad:
        check_in(session, a, signup, {"lon": "x"}, T0)
    assert {p.field for p in bad.value.problems} == {"lon", "lat"}


def test_points_follow_the_scheme_and_the_ranking_praises_the_top(session: Session) -> None:
    ids = city(session)
    a = member(session, ids["p0"], ids["c1"], username="zhangwei")
    b = member(session, ids["p1"], ids["c1"])
    c = member(session, ids["p2"], ids["c1"])
    p = post(session, ids)
    sa, sb, sc = (sign_up(session, m, p, T0).id for m in (a, b, c))
    serve(session, a, sa, T0, 3.0)  # 2 + 3 points
    serve(session, a, sa, T0 + dt.timedelta(days=7), 10.0)  # counted as 8 hours: 2 + 8
    serve(session, a, sa, T0 + dt.timedelta(days=8), 0.1)  # 6 minutes: below min_minutes, nothing
    serve(session, b, sb, T0, 4.0)  # 2 + 4
    serve(session, b, sb, T0 + dt.timedelta(days=1), 5.0, ok=False)  # not confirmed: nothing
    serve(session, c, sc, dt.datetime(2026, 9, 20, 1, tzinfo=dt.UTC), 5.0)  # Q3: not this quarter
    seed(session)  # the categories a case needs
    unit = ids["unit"]
    for _ in range(2):  # two reports the member's account opened in November
        case = add_case(session, unit, dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
        session.query(CaseEvent).filter_by(case_id=case, seq=1).update({"actor": "zhangwei"})
    vid = _m(session, ids["p0"]).id
    for source, score in (("self", 100.0), ("peer", 80.0), ("peer", 60.0), ("org", 90.0)):
        session.add(VolunteerReview(volunteer_id=vid, period="2026-Q4", source=source, score=score,
                                    by=f"r{next(_n)}", at=T0))  # fmt: skip
    assert standing(session, _m(session, ids["p0"]), Q4)["volunteer_id"] == vid
    session.flush()
    got = ranking(session, Q4)
    rows = {r["name"]: r for r in got["items"]}
    zw = rows["张伟"]
    assert (zw["services"], zw["hours"], zw["reports"]) == (2, 11.0, 2)
    # evaluation: 0.2 × 100 + 0.3 × 70 (peers averaged) + 0.5 × 90 = 86 → 86 % of 20 points = 17.2
    assert zw["evaluation"] == pytest.approx(86.0)
    assert zw["points"] == pytest.approx(2 * 2 + 11 * 1 + 2 * 1 + 17.2)
    assert rows["李娜"]["points"] == pytest.approx(6.0) and rows["王强"]["points"] == 0
    assert [r["name"] for r in got["items"]] == ["张伟", "李娜", "王强"]
    assert [r["praised"] for r in got["items"]] == [True, True, False]  # no points, no praise
    assert got["totals"] == {"members": 3, "hours": 15.0, "services": 3}
    # the scheme is data: a new version changes the points; the old version is kept
    save_scheme(session, DEFAULT | {"per_hour": 2.0, "praise_top": 1}, commander(None), T0)
    assert current_scheme(session)[0] == 1
    again = ranking(session, Q4)
    assert again["scheme_version"] == 1 and again["items"][0]["points"] == pytest.approx(zw["points"] + 11)
    assert [r["praised"] for r in again["items"]] == [True, False, False]
    # the community's own ranking: members of 东关 only (none)
    assert ranking(session, Q4, frozenset([ids["c2"]]))["items"] == []


def test_self_peer_and_org_scores_combine_by_the_schemes_weights(session: Session) -> None:
    ids = city(session)
    a, b = member(session, ids["p0"], ids["c1"]), member(session, ids["p1"], ids["c1"])
    va, vb = _m(session, ids["p0"]).id, _m(session, ids["p1"]).id
    rate(session, a, va, Q4, "self", 100, T0)
    rate(session, b, va, Q4, "peer", "70", T0)  # a form's text
    rate(session, commander(ids["c1"]), va, Q4, "org", 90, T0)
    rate(session, a, va, Q4, "self", 80, T0)  # a second self-rating replaces the first
    # 0.2 × 80 + 0.3 × 70 + 0.5 × 90 = 82
    assert evaluation_of(session, va, Q4) == pytest.approx(82.0)
    assert ranking(session, Q4)["items"][0]["evaluation"] == pytest.approx(82.0)
    with pytest.raises(Forbidden) as own:
        rate(session, a, vb, Q4, "self", 50, T0)
    assert own.value.zh == "自评只能评自己"
    with pytest.raises(Forbidden):
        rate(session, a, va, Q4, "peer", 50, T0)  # oneself is no peer
    with pytest.raises(Forbidden) as org:
        rate(session, a, vb, Q4, "org", 50, T0)  # a member is not the organisation
    assert org.value.zh and "组织评价须由社区" in org.value.zh
    with pytest.raises(Forbidden) as out:
        rate(session, commander(ids["c2"]), va, Q4, "org", 50, T0)
    assert out.value.zh and "不在您的管辖范围（东关社区）内" in out.value.zh
    other = Person(name="赵敏", unit_id=ids["unit"])
    session.add(other)
    session.flush()
    enrol(session, other.id, "volunteer", None, "东关志愿服务队", ids["c2"], dt.date(2026, 3, 1))
    with pytest.raises(Forbidden) as stranger:
        rate(session, a, _m(session, other.id).id, Q4, "peer", 50, T0)  # another team, no shared post
    assert stranger.value.zh == "只能评同一党组织、服务队或同一岗位的成员"
    with pytest.raises(InvalidInput) as bad:
        rate(session, a, va, Q4, "self", 101, T0)
    assert bad.value.zh and "评分须为 0 至 100 的数" in bad.value.zh
    with pytest.raises(InvalidInput):
        rate(session, a, va, parse_period("2026-11", TZ), "self", 50, T0)  # a month is no quarter
    assert evaluation_of(session, va, Q4) == pytest.approx(82.0)  # nothing changed by the refusals


def test_a_closed_post_takes_no_sign_up_and_keeps_its_history(session: Session) -> None:
    ids = city(session)
    a, b = member(session, ids["p0"], ids["c1"]), member(session, ids["p1"], ids["c1"])
    p = post(session, ids)
    shift = serve(session, a, sign_up(session, a, p, T0).id, T0, 2.0)
    with pytest.raises(Forbidden):
        close_post(session, commander(ids["c2"]), p, T0)
    close_post(session, commander(ids["c1"]), p, T0 + dt.timedelta(days=1))
    with pytest.raises(Conflict) as closed:
        sign_up(session, b, p, T0 + dt.timedelta(days=2))
    assert closed.value.zh == "岗位“幸福小区 3 号楼楼栋长”已关闭"
    with pytest.raises(Conflict):
        close_post(session, commander(None), p, T0)
    assert list_posts(session, commander(None)) == []  # members see it no more
    history = list_posts(session, commander(None), include_closed=True)
    assert [(r["id"], r["open"], r["taken"]) for r in history] == [(p, False, 1)]
    assert ranking(session, Q4)["items"][0]["services"] == 1 and shift  # its service still counts


def test_confirming_several_services_is_all_or_nothing(session: Session) -> None:
    ids = city(session)
    a = member(session, ids["p0"], ids["c1"])
    signup = sign_up(session, a, post(session, ids), T0).id
    s1 = serve(session, a, signup, T0, 1.0, ok=False)
    s2 = serve(session, a, signup, T0 + dt.timedelta(days=1), 1.0, ok=False)
    s3 = serve(session, a, signup, T0 + dt.timedelta(days=2), 1.0)  # already confirmed
    nested = session.begin_nested()
    with pytest.raises(InvalidInput) as e:
        confirm_many(session, commander(ids["c1"]), [s1, s3, 999999, s2], T0 + dt.timedelta(days=3))
    nested.rollback()  # what the web's transaction does
    zh = e.value.zh or ""
    assert f"第 2 项：服务记录 {s3}：该服务已确认" in zh and "第 3 项：服务记录 999999：服务记录 999999 不存在" in zh
    assert len(e.value.problems) == 2
    assert {r["id"] for r in pending(session, commander(None), TZ)} == {s1, s2}  # none confirmed
    with pytest.raises(InvalidInput):
        confirm_many(session, commander(ids["c1"]), [], T0)
    with pytest.raises(InvalidInput):
        confirm_many(session, commander(ids["c1"]), ["x"], T0)
    done = confirm_many(session, commander(ids["c1"]), [str(s1), s2], T0 + dt.timedelta(days=3))
    assert [s.id for s in done] == [s1, s2] and pending(session, commander(None), TZ) == []


def _m(session: Session, person_id: int):  # the member record of a person
    from sqlalchemy import select

    from gridmap.store.models import Volunteer

    return session.scalars(select(Volunteer).where(Volunteer.person_id == person_id)).one()


def test_a_bad_scheme_is_refused_field_by_field(session: Session) -> None:
    with pytest.raises(InvalidInput) as e:
        save_scheme(session, DEFAULT | {"per_hour": -1, "evaluation": {"self": 0.5, "peer": 0.5, "org": 0.5}},
                    commander(None), T0)  # fmt: skip
    fields = {p.field for p in e.value.problems}
    assert "per_hour" in fields and "evaluation" in fields
    assert all(p.zh and p.zh.startswith("积分办法有误") for p in e.value.problems)
    assert current_scheme(session)[0] == 0  # nothing stored


def test_posts_are_published_in_scope_only(session: Session) -> None:
    ids = city(session)
    with pytest.raises(Forbidden) as e:
        publish_post(session, commander(ids["c2"]), {"community_id": ids["c1"], "duty": "civility", "title": "劝导"},
                     T0)  # fmt: skip
    assert e.value.zh == "“滨河社区”不在您的管辖范围（东关社区）内"
    with pytest.raises(InvalidInput) as bad:
        publish_post(session, commander(None), {"community_id": ids["c1"], "duty": "dance", "slots": 0}, T0)
    assert {p.field for p in bad.value.problems} == {"duty", "title", "slots"}
    street_commander = commander(ids["street"])  # a 街道's commander publishes in its communities
    assert publish_post(session, street_commander, {"community_id": ids["c2"], "duty": "civility", "title": "劝导"}, T0)


# -- `gridmap volunteers import FILE`: all or nothing, row-numbered problems ------------------------------------------


def _cli(settings, *args: str):
    from click.testing import CliRunner

    from gridmap.cli import main

    return CliRunner().invoke(main, ["--database-url", settings.database_url, *args])


def test_members_import_all_or_nothing_with_row_numbers(settings, session: Session, tmp_path) -> None:
    from sqlalchemy import func, select

    from gridmap.store.models import Volunteer

    ids = city(session)
    session.get(Person, ids["p0"]).code = "P001"  # type: ignore[union-attr]
    session.commit()
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,人员编号,联系电话,所属单位,类别,党组织,报到社区\n"
                   "张伟,P001,,,在职党员,市住建局机关党支部,滨河社区\n"
                   "赵敏,,13900000001,市住建局,在职党员,,滨河社区\n"
                   "钱进,,13900000002,不存在的局,志愿者,,月亮社区\n"
                   "张伟,P001,,,在职党员,市住建局机关党支部,滨河社区\n", encoding="utf-8")  # fmt: skip
    result = _cli(settings, "volunteers", "import", str(bad))
    assert result.exit_code == 1
    err = result.stderr
    assert "未导入任何数据（4 处问题）" in err
    assert "第 3 行，党组织：在职党员须填写党组织" in err
    assert "第 4 行，所属单位：单位“不存在的局”不存在" in err and "第 4 行，报到社区：社区“月亮社区”不存在" in err
    assert "第 5 行：与第 2 行是同一人" in err
    assert session.scalar(select(func.count(Volunteer.id))) == 0  # nothing half-stored
    good = tmp_path / "good.csv"
    good.write_text("姓名,人员编号,联系电话,所属单位,类别,党组织,服务队,报到社区\n"
                    "张伟,P001,,,在职党员,市住建局机关党支部,,141102001001\n"
                    "赵敏,,13900000001,市住建局,志愿者,,滨河志愿服务队,东关社区\n", encoding="utf-8")  # fmt: skip
    result = _cli(settings, "volunteers", "import", str(good))
    assert result.exit_code == 0, result.output
    assert "已登记 2 名成员" in result.output
    session.commit()  # a new snapshot: the command wrote through its own connection
    rows = session.execute(select(Person.name, Volunteer.kind, Volunteer.community_id)
                           .join(Volunteer, Volunteer.person_id == Person.id).order_by(Person.name)).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [("张伟", "party_member", ids["c1"]), ("赵敏", "volunteer", ids["c2"])]


def test_the_pages_speak_chinese_by_default_and_english_when_asked(settings, session: Session) -> None:
    from gridmap.web import create_app
    from tests.accounts import client_as

    ids = city(session)
    post(session, ids)
    session.commit()
    app = create_app(settings)
    client = client_as(app, "commander")

    def text(url: str) -> str:  # the page without its scripts' JSON config (keyed by the words' names)
        return re.sub(
            r'<script type="application/json".*?</script>', "", client.get(url).get_data(as_text=True), flags=re.S
        )

    for url, zh, en in (("/volunteers/community", "发布岗位", "Publish a post"),
                        ("/volunteers/ranking", "志愿服务积分排名", "Volunteer points ranking"),
                        ("/volunteers/me", "未关联已登记的在职党员", "not linked to a registered")):  # fmt: skip
        page = text(url)
        assert zh in page and en not in page and "vol_" not in page, url  # no word left untranslated
        page = text(url + "?lang=en")
        assert en in page and zh not in page and "vol_" not in page, url
    assert "幸福小区 3 号楼楼栋长" in client.get("/volunteers/community").get_data(as_text=True)
