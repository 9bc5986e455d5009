"""The evaluation schemes page (/admin/schemes): versions listed, a version read in full, a commander reads but
may not edit, a save makes a new version (the used one stays as it was), and a bad value is refused with a message
naming the field in the reader's language — on SpatiaLite and PostGIS."""

from __future__ import annotations

import copy

from flask import Flask
from sqlalchemy.orm import Session

from gridmap.config import Settings
from gridmap.evaluation import ensure_default_schemes, latest_scheme, parse_period, publish, scheme_versions
from gridmap.web import create_app
from tests.accounts import client_as
from tests.test_evaluation import ADMIN, NOW, TZ


def _app(settings: Settings, session: Session) -> Flask:
    ensure_default_schemes(session, ADMIN, NOW)
    session.commit()
    return create_app(settings)


def test_a_commander_reads_the_schemes_and_a_version_in_full(settings: Settings, session: Session) -> None:
    app = _app(settings, session)
    client = client_as(app, "commander")
    listing = client.get("/admin/schemes").get_data(as_text=True)
    assert "责任单位综合考核（综合指标值）" in listing and 'data-code="unit_threshold"' in listing
    page = client.get("/admin/schemes/unit_threshold").get_data(as_text=True)
    assert "达到 70% 得 50 分，每低 1 个百分点扣 1 分" in page  # threshold with per-point deduction
    assert "每次 -0.2 分" in page  # a penalty per event
    assert '<span class="excluded" data-count="due_parked"> − 扣除' in page  # 应结案 less the parked ones
    assert "第 1 版" in page and 'id="scheme-form"' not in page and 'id="view-only"' in page
    composite = client.get("/admin/schemes/unit_composite?lang=en").get_data(as_text=True)
    assert "Weighted linear: points = 100 − rate (%)" in composite and "Tiers: ≥ 60 → 100" in composite
    assert "责任单位" not in composite.split("<footer")[0].split("</nav>")[-1]  # English page, English words
    assert client.get("/admin/schemes/nope").status_code == 404


def test_an_admin_saves_a_new_version_and_the_published_one_stays(settings: Settings, session: Session) -> None:
    app = _app(settings, session)
    v1 = latest_scheme(session, "unit_composite")
    publish(session, v1, parse_period("2026-11", TZ), ADMIN, NOW)
    session.commit()
    admin = client_as(app, "admin")
    doc = copy.deepcopy(v1.document)
    doc["components"][1]["weight"] = 0.4
    saved = admin.post("/api/v1/schemes", json={"document": doc, "note": "结案率权重 0.4"})
    assert saved.status_code == 201 and saved.get_json()["version"] == 2
    page = admin.get("/admin/schemes/unit_composite").get_data(as_text=True)
    assert "第 2 版 · 当前版本" in page and 'id="scheme-form"' in page and "已用于发布：2026-11" in page
    old = admin.get("/admin/schemes/unit_composite?version=1").get_data(as_text=True)
    assert 'data-component="1"><td>结案率</td><td>加权线性：得分 = 比率（%）</td><td class="num weight">0.3<' in old
    session.expire_all()
    versions = scheme_versions(session, "unit_composite")
    assert [v["version"] for v in versions] == [2, 1] and versions[1]["document"]["components"][1]["weight"] == 0.3


def test_a_bad_value_is_refused_naming_the_field(settings: Settings, session: Session) -> None:
    app = _app(settings, session)
    admin = client_as(app, "admin")
    doc = copy.deepcopy(latest_scheme(session, "unit_threshold").document)
    doc["components"][1]["weight"] = -5
    doc["components"][0]["rule"]["at"] = "七十"
    zh = admin.post("/api/v1/schemes", json={"document": doc})
    assert zh.status_code == 400
    said = zh.get_json()["message"]
    assert "第 2 项计分规则（结案率）的权重：-5 太小，最小为 0" in said
    assert "第 1 项计分规则（按期处置率）的规则的达标线（%）：“七十” 不是数字" in said
    en = admin.post("/api/v1/schemes?lang=en", json={"document": doc}).get_json()["message"]
    assert "components[2] (closure rate) weight" in en and "components.1.weight" in en
    doc["components"][1]["weight"] = 1
    doc["components"][0]["rule"]["at"] = 70
    doc["indicators"][0]["numerator"] = ["due_on_time", "-nothing"]
    said = admin.post("/api/v1/schemes", json={"document": doc}).get_json()["message"]
    assert "指标“按期处置率”的分子：“nothing”不是基础计数" in said
    assert [v["version"] for v in scheme_versions(session, "unit_threshold")] == [1]  # nothing was written
