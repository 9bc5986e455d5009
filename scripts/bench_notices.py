"""Benchmark: the notice 通报 as a printable PDF and as an XLSX export, at several sizes.

A synthetic notice (the shape :func:`gridmap.notices.build` returns, no database) is rendered:

* PDF — WeasyPrint with the Noto CJK fonts subset and embedded, for notices of about 5, 20 and 40 A4 pages (a
  ranking table of N units and an overdue list), rendered live (a draft, the preview) and, for a published notice,
  served as stored when it was published (:func:`gridmap.notices.archive.frozen_pdf` reading the row from a SQLite
  database with the ETag stored beside it). Baselines in the same process: the HTML alone (Jinja), and WeasyPrint laying
  out a plain-text document of as many pages (one paragraph of lines, no table, no chart, same fonts embedded).
  Target (issue 15): a 20-page notice < 2 s.
* XLSX — :func:`gridmap.notices.render_xlsx` (XlsxWriter, constant-memory mode) with an overdue list of 10,000,
  50,000 and 100,000 rows, against openpyxl's write-only mode writing the same rows (the baseline). Each run is
  made in a forked child (before WeasyPrint is loaded) so its peak RSS (ru_maxrss) is the export's and the
  interpreter's. Target: 100,000 rows < 10 s and < 500 MB.

    .venv/bin/python scripts/bench_notices.py
    .venv/bin/python scripts/bench_notices.py --pages 20 --rows 100000
    .venv/bin/python scripts/bench_notices.py --rows ''   # the PDF only
"""

from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import resource
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from gridmap.notices import render_html, render_xlsx
from gridmap.notices.html import PRINT_CSS

INDICATORS = ["办件量", "结案率", "按期结案率", "返工率", "延期率", "超期未结"]


def notice(units: int, cases: int) -> dict[str, Any]:
    """A notice with ``units`` ranked units (two peer groups) and ``cases`` overdue cases (and as many reworked/10)."""
    rows = [
        {"rank": i + 1, "name": f"第{i + 1}责任单位", "score": round(95 - i * 40 / max(units, 1), 2), "grade": "B",
         "values": [float(20 + i % 9), 91.5, 83.25, 6.5, 2.0, float(i % 4)]}
        for i in range(units)
    ]  # fmt: skip
    half = units // 2
    groups = [
        {"key": k, "name_zh": name, "rows": part, "first": [part[0]["name"]] if part else [],
         "last": [part[-1]["name"]] if len(part) > 1 else []}
        for k, name, part in (("city_office", "市直单位", rows[:half]), ("street", "街道/社区", rows[half:]))
    ]  # fmt: skip
    case_rows = [
        {"id": 100000 + i, "category": "0102", "address": f"滨河北路{i % 300}号附近", "unit": f"第{i % 97 + 1}责任单位",
         "status": "in_progress" if i % 3 else "closed", "deadline": "2026-11-20 17:00",
         "closed": None if i % 3 else "2026-11-22 09:30", "rework": i % 3}
        for i in range(cases)
    ]  # fmt: skip
    return {
        "period": {"key": "2026-11", "kind": "month", "label_zh": "2026年11月", "start": "", "end": ""},
        "title_zh": "2026年11月城市管理考核通报", "made_at": "2026-12-05 09:00", "published_at": "2026-12-01 10:00",
        "summary": {"schemes": 1, "subjects": units, "ranked": units, "overdue": cases, "rework": cases // 10,
                    "red_flags": 0, "black_flags": 0},
        "sections": [{"code": "unit_composite", "name_zh": "责任单位综合考核", "version": 1, "subject": "unit",
                      "published": None, "indicators": INDICATORS, "subjects": units, "average": 75.0,
                      "groups": groups,
                      "trend": {"labels_zh": ["2026年8月", "2026年9月", "2026年10月", "2026年11月"],
                                "groups": [{"name_zh": g["name_zh"], "averages": [71.5, 74.0, 73.25, 75.0]}
                                           for g in groups]}}],
        "overdue": case_rows, "rework": case_rows[: cases // 10], "flags": {"month": None, "red": [], "black": []},
        "list_limit": cases,
    }  # fmt: skip


def _pdf(n: dict[str, Any]) -> tuple[float, int, bytes, float]:
    """Seconds for the PDF, its pages and bytes; seconds for the HTML alone."""
    from weasyprint import HTML

    t0 = time.perf_counter()
    html = render_html(n, document=True)
    t_html = time.perf_counter() - t0
    t0 = time.perf_counter()
    doc = HTML(string=render_html(n, document=True)).render()
    pdf = doc.write_pdf() or b""
    return time.perf_counter() - t0, len(doc.pages), pdf, t_html if html else 0.0


def _plain(pages: int) -> tuple[float, int]:
    """Seconds and pages for a plain-text document of ``pages`` A4 pages (the same print CSS and fonts, no table)."""
    from weasyprint import HTML

    lines = "<br>".join(f"第{i + 1}行　滨河北路{i % 300}号附近　第{i % 97 + 1}责任单位　2026-11-20 17:00" for i in
                        range(pages * 52))  # fmt: skip
    html = f"<html lang='zh-CN'><head><style>{PRINT_CSS}</style></head><body><h1>通报</h1><p>{lines}</p></body></html>"
    t0 = time.perf_counter()
    doc = HTML(string=html).render()
    doc.write_pdf()
    return time.perf_counter() - t0, len(doc.pages)


def _served(pdf: bytes, repeat: int = 20) -> float:
    """Seconds to serve a published notice's stored PDF: the row read back from SQLite with its ETag (the SHA-256
    stored at publish)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from gridmap.evaluation import parse_period
    from gridmap.notices.archive import fingerprint, frozen_pdf
    from gridmap.store.models import Notice

    engine = create_engine("sqlite://")
    Notice.__table__.create(engine)  # type: ignore[attr-defined]  # the one table, not the spatial schema
    period = parse_period("2026-11", ZoneInfo("Asia/Shanghai"))
    with Session(engine) as session:
        session.add(Notice(period=period.key, period_start=period.start_utc, title_zh="通报", content={}, pdf=pdf,
                           pdf_sha256=fingerprint(pdf), published_at=period.start_utc))  # fmt: skip
        session.commit()
    t0 = time.perf_counter()
    for _ in range(repeat):
        with Session(engine) as session:
            got = frozen_pdf(session, period)
            assert got is not None and got[0] == pdf and got[1]
    return (time.perf_counter() - t0) / repeat


def _openpyxl(n: dict[str, Any]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("超期案件")
    ws.append(["案件号", "类别", "地址", "责任单位", "状态", "处置时限", "结案时间", "返工次数"])
    for c in n["overdue"]:
        ws.append([c["id"], c["category"], c["address"], c["unit"], c["status"], c["deadline"], c["closed"] or "",
                   c["rework"]])  # fmt: skip
    wb.save(io.BytesIO())


def _child(what: str, rows: int, out: Any) -> None:
    n = notice(50, rows)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    write: Callable[[dict[str, Any]], Any] = (lambda x: render_xlsx(x, io.BytesIO())) if what == "xlsx" else _openpyxl
    t0 = time.perf_counter()
    write(n)
    out.send((time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, base_rss))


def _forked(what: str, rows: int) -> tuple[float, float, float]:
    """(seconds, peak RSS MB, RSS MB before writing) of one export in a forked child."""
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(what, rows, send))
    p.start()
    secs, peak, before = recv.recv()
    p.join()
    return secs, peak / 1024, before / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", default="5,20,40", help="PDF sizes, in approximate A4 pages")
    ap.add_argument("--rows", default="10000,50000,100000", help="XLSX sizes, overdue rows")
    args = ap.parse_args()
    print("XLSX overdue rows   XlsxWriter constant_memory: s / peak MB    openpyxl write-only: s / peak MB   ratio")
    for rows in (int(x) for x in args.rows.split(",") if x):
        xs, xpeak, xbase = _forked("xlsx", rows)
        os_, opeak, obase = _forked("openpyxl", rows)
        print(f"  {rows:>9,}         {xs:>7.2f} s / {xpeak:>5.0f} MB (+{xpeak - xbase:>4.0f})         "
              f"{os_:>7.2f} s / {opeak:>5.0f} MB (+{opeak - obase:>4.0f})    {os_ / xs:>5.2f}×")  # fmt: skip
    _pdf(notice(5, 5))  # warm-up: Pango, fontconfig and the font files
    print("PDF (WeasyPrint, Noto CJK embedded)")
    print("  pages asked  got  units+cases   live render        bytes   HTML alone   plain text (pages)   "
          "live/plain   published: served from store   live/served")  # fmt: skip
    for pages in (int(x) for x in args.pages.split(",") if x):
        units, cases = 11 * pages, 16 * pages  # ≈ 25 table rows and a share of the headings and charts a page
        secs, got, pdf, html = _pdf(notice(units, cases))
        plain, plain_pages = _plain(got)
        served = _served(pdf)
        print(f"  {pages:>11}  {got:>3}  {units:>5}+{cases:<6} {secs:>9.2f} s  {len(pdf):>11,}  {html:>9.3f} s"
              f"  {plain:>8.2f} s ({plain_pages:>3})  {secs / plain:>9.1f}×  {served * 1000:>20.2f} ms"
              f"        {secs / served:>10,.0f}×")  # fmt: skip


if __name__ == "__main__":
    main()
