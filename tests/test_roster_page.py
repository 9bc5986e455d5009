"""The roster page (/admin/roster): a commander uploads a file, sees each row's match and confidence (ambiguous and
unmatched rows with their candidates, never guessed), accepts the fuzzy matches or not, confirms one recorded
change and undoes it from the page; the template and the export download; an administrator sees the page but may
not import — on SpatiaLite and PostGIS."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.config import Settings
from gridmap.store.models import Area, Assignment, AuditEntry, Compound, Unit
from gridmap.web import create_app
from tests.accounts import PASSWORD, make_account, signed_in_client
from tests.test_roster import HEADER

pytestmark = pytest.mark.demo_city


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _upload(client: FlaskClient, data: bytes, name: str = "台账.csv"):
    return client.post("/admin/roster/preview", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")  # fmt: skip


def _token(html: str) -> str:
    found = re.search(r'name="token" value="([0-9a-f]{32})"', html)
    assert found, html[:2000]
    return found.group(1)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_upload_preview_confirm_and_undo_on_the_page(settings: Settings, session: Session) -> None:
    app = create_app(settings)
    make_account(app, "commander", username="roster-boss", password=PASSWORD)
    boss = signed_in_client(app, "roster-boss")
    (cid, name, community), (other, _, _) = session.execute(
        select(Compound.id, Compound.name, Area.name).join(Area, Area.id == Compound.community_id)
        .where(func.length(Compound.name) >= 9).order_by(Compound.id).limit(2)
    ).all()  # fmt: skip
    unit = session.scalar(select(Unit.name).where(Unit.retired_on.is_(None)).order_by(Unit.id.desc()))
    fuzzy_name = name[0] + "囧" + name[2:]  # one character off
    page = boss.get("/admin/roster")
    assert page.status_code == 200 and "包联台账导入" in page.get_data(as_text=True)
    # a file with an unmatched row: every row shown with its match, the unmatched one with nothing guessed
    bad = _upload(boss, _csv([
        ["小区", f"{name}小区", "", "", "", community, unit, "包联小区负责人", "赵页面", "13900000011", "2026-06-01"],
        ["小区", "根本不存在的小区", "", "", "", "", unit, "", "", "", "2026-06-01", ""],
    ]))  # fmt: skip
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "匹配率 50.0%（共 2 行）" in html
    assert 'data-row="2" data-status="normalised"' in html and 'data-row="3" data-status="unmatched"' in html
    assert "有 1 行不唯一、未匹配或有误" in html
    assert re.search(r'<button type="submit" class="primary"\s+disabled', html)
    assignments, audits = _count(session, Assignment), _count(session, AuditEntry)
    refused = boss.post("/admin/roster/import", data={"token": _token(html)})
    assert refused.status_code == 400 and "第 3 行，名称：“根本不存在的小区”未匹配" in refused.get_data(as_text=True)
    session.rollback()
    assert (_count(session, Assignment), _count(session, AuditEntry)) == (assignments, audits)
    # a fuzzy row: shown with its score and the candidates; imported only once the commander accepts it
    good = _upload(boss, _csv([
        ["小区", f"{name}小区", "", "", "", community, unit, "包联小区负责人", "赵页面", "13900000011", "2026-06-01"],
        ["小区", fuzzy_name, "", "", "", community, unit, "社区联络人", "钱页面", "13900000012", "2026-06-01", ""],
    ]))  # fmt: skip
    html = good.get_data(as_text=True)
    assert 'data-row="3" data-status="fuzzy"' in html and "接受 1 个近似匹配" in html, html[-3000:]
    token = _token(html)
    refused = boss.post("/admin/roster/import", data={"token": token})
    assert refused.status_code == 400 and "近似" in refused.get_data(as_text=True)
    done = boss.post("/admin/roster/import", data={"token": token, "accept_fuzzy": "1"})
    assert done.status_code == 302, done.get_data(as_text=True)[:3000]
    shown = boss.get(done.headers["Location"]).get_data(as_text=True)
    assert "已导入 台账.csv" in shown and "新包联 2" in shown and "新建人员 2" in shown
    session.rollback()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "roster.import")).one()
    assert entry.actor == "roster-boss" and entry.after["assigned"] == 2
    held = {a.target_id for a in session.scalars(select(Assignment).where(
        Assignment.valid_to.is_(None), Assignment.role.in_(["compound_lead", "community_liaison"]),
        Assignment.note == "roster 台账.csv"))}  # fmt: skip
    assert held == {cid}
    assert boss.post("/admin/roster/import", data={"token": token}).status_code == 400  # the upload is used up
    undone = boss.post(f"/admin/roster/undo/{entry.id}")
    assert undone.status_code == 302
    after = boss.get(undone.headers["Location"]).get_data(as_text=True)
    assert f"已撤销台账导入 {entry.id}" in after and "已撤销</td>" in after
    session.rollback()
    assert _count(session, Assignment) == assignments
    assert boss.post(f"/admin/roster/undo/{entry.id}").status_code == 400  # once
    assert other  # a second compound exists: the page never matched it
    # bad files: said what and where, nothing stored
    assert "请上传 .xlsx 或 .csv 文件" in _upload(boss, b"x", "roster.pdf").get_data(as_text=True)
    assert "不是 Excel 工作簿" in _upload(boss, b"not a workbook", "roster.xlsx").get_data(as_text=True)


def test_downloads_and_who_may_import(settings: Settings, session: Session) -> None:
    app = create_app(settings)
    make_account(app, "admin", username="roster-admin", password=PASSWORD)
    admin = signed_in_client(app, "roster-admin")
    page = admin.get("/admin/roster").get_data(as_text=True)
    assert 'id="roster-upload"' not in page and "须由指挥长账号操作" in page
    template = admin.get("/admin/roster/template.xlsx")
    assert template.status_code == 200 and "roster-template.xlsx" in template.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(template.data))
    assert [c.value for c in book["包联台账"][1]] == HEADER and "可选值" in book.sheetnames
    exported = admin.get("/admin/roster/roster.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(exported.data)).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER and len(rows) > 1000
    text = admin.get("/admin/roster/roster.csv").data.decode("utf-8-sig")
    assert [tuple(r) for r in csv.reader(io.StringIO(text))] == [
        tuple("" if v is None else str(v) for v in r) for r in rows
    ]
    assert "Roster import" in admin.get("/admin/roster?lang=en").get_data(as_text=True)
