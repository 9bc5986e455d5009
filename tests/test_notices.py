"""The notice 通报: built from a published scorecard only (a zh refusal otherwise), the same figures in the PDF
(Noto CJK fonts embedded) and in the XLSX (read back with openpyxl), first and last named per peer group, and the
overdue and rework lists counting the period's cases."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from openpyxl.chart import LineChart
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import Conflict, NotFound
from gridmap.evaluation import ensure_default_schemes, latest_scheme, parse_period, publish, scorecard
from gridmap.notices import build, prepare, published_periods, render_html, render_pdf, render_xlsx
from gridmap.notices import publish as publish_notice
from gridmap.store.dialect import dialect_of
from gridmap.store.engine import downgrade, make_session_factory, upgrade
from gridmap.store.models import Case, Notice
from gridmap.web import create_app
from tests.accounts import client_as
from tests.test_evaluation import ADMIN, NOW, TZ, golden_city


def _published(session: Session) -> dict:
    ids = golden_city(session)
    ensure_default_schemes(session, ADMIN, NOW)
    nov = parse_period("2026-11", TZ)
    publish(session, latest_scheme(session, "unit_composite"), nov, ADMIN, NOW)
    return ids


def test_a_notice_needs_a_published_scorecard(session: Session) -> None:
    golden_city(session)
    ensure_default_schemes(session, ADMIN, NOW)
    with pytest.raises(NotFound) as e:
        build(session, parse_period("2026-11", TZ), NOW)
    assert e.value.zh and "尚无已发布的考核结果" in e.value.zh


def test_the_notice_names_first_and_last_and_lists_overdue_and_rework(session: Session) -> None:
    _published(session)
    n = build(session, parse_period("2026-11", TZ), NOW)
    assert n["title_zh"] == "2026年11月城市管理考核通报"
    (sec,) = n["sections"]
    (group,) = sec["groups"]
    assert group["name_zh"] == "市直单位"
    assert group["first"] == ["单位甲"] and group["last"] == ["单位乙"]
    assert [r["name"] for r in group["rows"]] == ["单位甲", "单位乙", "单位丙"]  # unranked 丙 last
    # overdue: a7 (closed late), a10 (still open), a12 (closed after the period, late), b3 (closed late)
    assert n["summary"]["overdue"] == 4 and len(n["overdue"]) == 4
    # rework: a7, a8 and b3 were sent back at least once
    assert n["summary"]["rework"] == 3 and n["rework"][0]["rework"] == 3
    assert {c["status"] for c in n["overdue"]} == {"已结案", "处置中"}  # in Chinese, as the whole notice
    assert n["flags"] == {"month": "2026-11", "red": [], "black": []}
    assert [p["period"] for p in published_periods(session)] == ["2026-11"]
    html = render_html(n)
    assert "单位甲" in html and 'class="first"' in html and "<script" not in html


def test_the_pdf_embeds_noto_cjk_fonts(session: Session) -> None:
    _published(session)
    pdf = render_pdf(build(session, parse_period("2026-11", TZ), NOW))
    assert pdf.startswith(b"%PDF-")
    _assert_noto_embedded(pdf)


def test_the_pdf_is_laid_out_as_weasyprint_lays_it_out(session: Session) -> None:
    """The notice is rendered with WeasyPrint's user-agent stylesheet minus the pseudo-element rules it does not
    use (the speed-up): the PDF is the one WeasyPrint's own stylesheet gives, byte for byte."""
    from weasyprint import HTML

    from gridmap.notices.pdf import notice_html_class

    _published(session)
    n = build(session, parse_period("2026-11", TZ), NOW)
    assert notice_html_class() is not HTML  # the trimmed stylesheet is in use with this WeasyPrint
    doc = render_html(n, document=True)  # once: pygal gives each chart a random id
    assert notice_html_class()(string=doc).write_pdf() == HTML(string=doc).write_pdf()


def test_publishing_renders_before_taking_the_write_lock_and_stores_what_it_rendered(
    engine: Engine, session: Session
) -> None:
    _published(session)
    session.commit()
    nov = parse_period("2026-11", TZ)
    ready = prepare(session, nov, NOW)  # built and rendered: seconds for a long notice
    assert ready.pdf.startswith(b"%PDF-") and ready.content["summary"]["overdue"] == 4
    # meanwhile another writer gets the database at once (SQLite has a single write lock: waiting 0 s, it would
    # be refused if the render held it) and closes the stuck case
    with make_session_factory(engine)() as other:
        dialect_of(other).begin_writing(other, 0.0)
        stuck = other.query(Case).filter(Case.status == "in_progress").one()
        stuck.status, stuck.closed_at, stuck.deadline_at = "closed", stuck.deadline_at, stuck.deadline_at
        other.commit()
    dialect_of(session).begin_writing(session, 5.0)
    got = publish_notice(session, ready, ADMIN, NOW)
    session.commit()
    assert got["summary"]["overdue"] == 4 and got["notice"]["by"] == "admin"  # what was prepared, not rebuilt
    assert session.scalars(select(Notice.pdf).where(Notice.period == "2026-11")).one() == ready.pdf
    with pytest.raises(Conflict) as e:  # published: a second one is refused before anything is rendered
        prepare(session, nov, NOW)
    assert e.value.zh and "已发布" in e.value.zh
    with pytest.raises(Conflict):  # and one prepared before the first was stored is refused when storing
        publish_notice(session, ready, ADMIN, NOW)


def _assert_noto_embedded(pdf: bytes) -> None:
    """The font descriptors point at embedded font programs, and the fonts are subsets of Noto CJK."""
    text = _objects(pdf)
    assert re.search(rb"/FontFile[23]?\s", text)
    bases = set(re.findall(rb"/BaseFont\s*/([A-Z]{6}\+[^\s/]+)", text))
    assert any(re.search(rb"\+Noto-?(Sans|Serif)-?CJK", b) for b in bases), bases


def _objects(pdf: bytes) -> bytes:
    """The PDF's text with its compressed (object) streams inflated, so dictionaries inside them can be read."""
    parts = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(m[1]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_the_xlsx_carries_the_frozen_scorecards_figures(session: Session) -> None:
    ids = _published(session)
    nov = parse_period("2026-11", TZ)
    n = build(session, nov, NOW)
    wb = load_workbook(io.BytesIO(render_xlsx(n) or b""), read_only=True)
    assert wb.sheetnames[0] == "总体情况"
    summary = {r[0]: r[1] for r in wb["总体情况"].iter_rows(values_only=True) if r and r[0]}
    assert summary["考核周期"] == "2026-11" and summary["超期案件"] == 4 and summary["返工案件"] == 3
    sheet = wb[n["sections"][0]["name_zh"][:28]]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    score_col = header.index("得分")
    frozen = scorecard(session, latest_scheme(session, "unit_composite"), nov, NOW)
    assert frozen["published"] is not None
    want = {r["name"]: (r["rank"], r["score"]) for r in frozen["rows"]}
    got = {r[2]: (r[1], r[score_col]) for r in body}
    assert got.keys() == want.keys()
    for name, (rank, score) in want.items():
        assert got[name][0] == rank
        assert got[name][1] == (pytest.approx(score) if score is not None else None)
    assert ids["a"]


def test_the_api_serves_a_published_periods_notice_and_freezes_it_when_published(
    settings: Settings, session: Session
) -> None:
    _published(session)
    session.commit()
    app = create_app(settings)
    commander, viewer = client_as(app, "commander"), client_as(app, "viewer")
    missing = viewer.get("/api/v1/notices/2026-10.pdf")
    assert missing.status_code == 404 and "尚无已发布的考核结果" in missing.get_data(as_text=True)
    bad = viewer.get("/api/v1/notices/2026-13.xlsx")
    assert bad.status_code == 400 and "月份不存在" in bad.get_data(as_text=True)
    odd = viewer.get("/api/v1/notices/2026-11.docx")
    assert odd.status_code == 400 and "只能生成 .pdf 或 .xlsx" in odd.get_data(as_text=True)
    pdf = viewer.get("/api/v1/notices/2026-11.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert "filename*=UTF-8''%E9%80%9A%E6%8A%A5-2026-11.pdf" in pdf.headers["Content-Disposition"]
    got = viewer.get("/notices?period=2026-11")
    page = got.get_data(as_text=True)
    assert "单位甲" in page and 'id="publish"' not in page and "草稿" in page
    # the preview's chart: pygal's own <style> carries the response's CSP nonce, so the browser applies it
    nonce = re.search(r"'nonce-([^']+)'", got.headers["Content-Security-Policy"])
    chart = page[page.index('<div class="chart">') : page.index("</svg>")]
    assert nonce and f'<style nonce="{nonce[1]}"' in chart and "各分组平均得分" in chart and "<script" not in chart
    assert 'id="publish"' in commander.get("/notices?period=2026-11").get_data(as_text=True)
    assert viewer.post("/api/v1/notices/2026-11/publish").status_code == 403
    done = commander.post("/api/v1/notices/2026-11/publish")
    assert done.status_code == 201 and done.json["summary"]["overdue"] == 4
    assert commander.post("/api/v1/notices/2026-11/publish").status_code == 409
    # later the stuck case is closed: the draft would list 3 overdue, the published notice still says 4
    stuck = session.query(Case).filter(Case.status == "in_progress").one()
    stuck.status, stuck.closed_at, stuck.deadline_at = "closed", stuck.deadline_at, stuck.deadline_at
    session.commit()
    wb = load_workbook(io.BytesIO(viewer.get("/api/v1/notices/2026-11.xlsx").data), read_only=True)
    summary = {r[0]: r[1] for r in wb["总体情况"].iter_rows(values_only=True) if r and r[0]}
    assert summary["超期案件"] == 4
    listed = viewer.get("/api/v1/notices").json["items"]
    assert listed[0]["period"] == "2026-11" and listed[0]["notice"]["by"].startswith("commander")


def test_a_published_notices_pdf_is_the_one_stored_when_published_even_after_the_data_change(
    settings: Settings, session: Session
) -> None:
    _published(session)
    session.commit()
    app = create_app(settings)
    commander, viewer = client_as(app, "commander"), client_as(app, "viewer")
    draft = viewer.get("/api/v1/notices/2026-11.pdf")
    assert draft.status_code == 200 and draft.headers.get("ETag") is None  # a draft: rendered live, no ETag
    assert commander.post("/api/v1/notices/2026-11/publish").status_code == 201
    session.expire_all()
    stored = session.scalars(select(Notice.pdf).where(Notice.period == "2026-11")).one()
    assert stored is not None and stored.startswith(b"%PDF-")
    first = viewer.get("/api/v1/notices/2026-11.pdf")
    assert first.status_code == 200 and first.data == stored and first.headers["ETag"]
    kept = session.scalars(select(Notice.pdf_sha256).where(Notice.period == "2026-11")).one()
    assert first.headers["ETag"] == f'"{kept}"' and kept == hashlib.sha256(stored).hexdigest()  # taken at publish
    # the stuck case is closed and a unit renamed: the published notice's PDF stays the same bytes
    stuck = session.query(Case).filter(Case.status == "in_progress").one()
    stuck.status, stuck.closed_at, stuck.deadline_at = "closed", stuck.deadline_at, stuck.deadline_at
    session.commit()
    again = viewer.get("/api/v1/notices/2026-11.pdf")
    assert again.data == stored and again.headers["ETag"] == first.headers["ETag"]
    unchanged = viewer.get("/api/v1/notices/2026-11.pdf", headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.data == b""
    _assert_noto_embedded(stored)


def test_a_notice_published_before_fingerprints_were_kept_gets_its_own_from_the_migration(
    settings: Settings, session: Session, engine: Engine
) -> None:
    """Migration 0027 fingerprints the PDFs stored before it: a client holding such a PDF keeps its ETag (304)."""
    _published(session)
    session.commit()
    viewer = client_as(create_app(settings), "viewer")
    assert client_as(create_app(settings), "commander").post("/api/v1/notices/2026-11/publish").status_code == 201
    etag = viewer.get("/api/v1/notices/2026-11.pdf").headers["ETag"]
    session.close()
    downgrade(engine, "0026_mapfast_queue_indexes")  # as stored before 0027: the PDF without its fingerprint
    upgrade(engine)
    stored, kept = session.execute(select(Notice.pdf, Notice.pdf_sha256).where(Notice.period == "2026-11")).one()
    assert kept == hashlib.sha256(stored).hexdigest() and etag == f'"{kept}"'
    again = viewer.get("/api/v1/notices/2026-11.pdf", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_the_command_writes_the_pdf_and_the_xlsx(settings: Settings, session: Session, tmp_path: Path) -> None:
    _published(session)
    session.commit()
    url = ["--database-url", settings.database_url]
    for name in ("n.pdf", "n.xlsx"):
        out = tmp_path / name
        got = CliRunner().invoke(main, [*url, "notices", "make", "--period", "2026-11", "--out", str(out)])
        assert got.exit_code == 0, got.output
        assert out.read_bytes()[:4] in (b"%PDF", b"PK\x03\x04")
    refused = CliRunner().invoke(
        main, [*url, "notices", "make", "--period", "2026-10", "--out", str(tmp_path / "x.pdf")]
    )
    assert refused.exit_code != 0 and "尚无已发布的考核结果" in refused.output
    odd = CliRunner().invoke(main, [*url, "notices", "make", "--period", "2026-11", "--out", str(tmp_path / "x.doc")])
    assert odd.exit_code != 0 and "只能生成 .pdf 或 .xlsx" in odd.output


def test_a_weekly_notice_has_no_shop_flags_and_lists_that_weeks_cases(session: Session) -> None:
    golden_city(session)
    ensure_default_schemes(session, ADMIN, NOW)
    week = parse_period("2026-W48", TZ)  # 23–29 November
    publish(session, latest_scheme(session, "unit_composite"), week, ADMIN, NOW)
    n = build(session, week, NOW)
    assert n["title_zh"] == "2026年第48周城市管理考核通报" and n["flags"]["month"] is None
    # due that week and not closed in time: a10 (due 25th, still open) and a12 (due 28th, closed 3 Dec)
    assert n["summary"]["overdue"] == 2 and "五、门前五包" not in render_html(n)
    assert (render_xlsx(n) or b"")[:2] == b"PK"  # bytes when no stream is given


def test_the_pdf_and_the_xlsx_chart_each_groups_average_score(session: Session) -> None:
    _published(session)
    n = build(session, parse_period("2026-11", TZ), NOW)
    (sec,) = n["sections"]
    ranked = [r["score"] for r in sec["groups"][0]["rows"] if r["score"] is not None]
    average = round(sum(ranked) / len(ranked), 2)
    doc = render_html(n, document=True)
    svg = doc[doc.index('<div class="chart">') : doc.index("</svg>")]
    assert "<svg" in svg and "各分组平均得分" in svg and "市直单位" in svg and f"{average:g}" in svg
    assert "<script" not in doc  # a static chart: the PDF runs no script
    # the trend: each group's average this period and in the three before it (oldest first)
    trend = sec["trend"]
    assert trend["labels_zh"][-1] == n["period"]["label_zh"] and len(trend["labels_zh"]) == 4
    assert trend["groups"][0]["name_zh"] == "市直单位" and trend["groups"][0]["averages"][-1] == pytest.approx(average)
    assert "各分组平均得分走势" in doc and all(label in doc for label in trend["labels_zh"])
    assert 'class="chart"' in render_html(n)  # the preview shows it too (its <style> nonced by the page: CSP)
    assert render_pdf(n).startswith(b"%PDF-")
    raw = render_xlsx(n) or b""
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart and "平均得分" in chart
    rows = list(load_workbook(io.BytesIO(raw), read_only=True)["总体情况"].iter_rows(values_only=True))
    assert ("市直单位", pytest.approx(average)) in [(r[0], r[1]) for r in rows if r and r[0] == "市直单位"]
    # the trend in the workbook: a native line chart on its own sheet, each group a series reading that sheet's
    # cells — its name, the four periods' labels and the group's averages (a blank cell where it had no score)
    book = load_workbook(io.BytesIO(raw))  # (charts are read back only outside read-only mode)
    sheet = book["得分走势"]
    (line,) = sheet._charts
    assert isinstance(line, LineChart) and "各分组平均得分走势" in str(line.title.tx.rich.p[0].r[0].t)
    assert [s.tx.strRef.f for s in line.series] == ["得分走势!$A$3"]
    assert [(s.cat.strRef.f, s.val.numRef.f) for s in line.series] == [("得分走势!$B$2:$E$2", "得分走势!$B$3:$E$3")]
    (series,) = line.series
    assert _cells(book, series.tx.strRef.f) == ["市直单位"]
    assert _cells(book, series.cat.strRef.f) == trend["labels_zh"]
    assert _cells(book, series.val.numRef.f) == [pytest.approx(v) if v is not None else None
                                                  for v in trend["groups"][0]["averages"]]  # fmt: skip


def _cells(book: Workbook, ref: str) -> list[object]:
    """The values of the cells a chart's reference (``sheet!$A$1:$D$1``) names, in order."""
    sheet, cells = ref.rsplit("!", 1)
    got = book[sheet.strip("'")][cells.replace("$", "")]
    flat = [c for row in got for c in row] if isinstance(got, tuple) else [got]
    return [c.value for c in flat]
