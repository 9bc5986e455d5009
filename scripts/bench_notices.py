"""Benchmark: the notice 通报 as a printable PDF and as an XLSX export, at several sizes.

A synthetic notice (the shape :func:`gridmap.notices.build` returns, no database) is rendered:

* PDF — WeasyPrint with the Noto CJK fonts subset and embedded, for notices of about 6, 17 and 20 A4 pages (ranking
  tables of N units and an overdue list), rendered live (a draft, the preview, the publish step) by
  :func:`gridmap.notices.render_pdf`'s renderer and, for a published notice, served as stored when it was published
  (:func:`gridmap.notices.archive.frozen_pdf` reading the row and its stored ETag from a SQLite database).
  Wall and CPU (``time.process_time``) seconds, the fastest of ``--repeat`` renders: on a shared machine the CPU
  time is the fair figure. Baselines in the same process: the same notice laid out with WeasyPrint's own user-agent
  stylesheet (what the notice renderer trims), and WeasyPrint laying out a plain-text document of as many pages (one
  paragraph of lines, no table, no chart, same fonts embedded). Target (issue 15): a 20-page notice < 2 s.
* XLSX — :func:`gridmap.notices.render_xlsx` (XlsxWriter, constant-memory mode) with an overdue list of 10,000,
  50,000 and 100,000 rows, against openpyxl's write-only mode writing the same rows (the baseline). Each run is
  made in a forked child (before WeasyPrint is loaded) so its peak RSS (ru_maxrss) is the export's and the
  interpreter's. Target: 100,000 rows < 10 s and < 500 MB.

    .venv/bin/python scripts/bench_notices.py
    .venv/bin/python scripts/bench_notices.py --pages 20 --rows 100000
    .venv/bin/python scripts/bench_notices.py --rows '' --pages 6,17,20   # the PDF only
"""

from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import os
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


def _timed(make: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result): the CPU time stays fair when the machine is shared."""
    w, c = time.perf_counter(), time.process_time()
    got = make()
    return time.perf_counter() - w, time.process_time() - c, got


def _pdf(n: dict[str, Any], html_class: Any) -> tuple[float, float, int, bytes]:
    """Wall and CPU seconds for the notice's PDF (the HTML made, laid out, written), its pages and bytes."""

    def make() -> tuple[int, bytes]:
        doc = html_class(string=render_html(n, document=True)).render()
        return len(doc.pages), doc.write_pdf() or b""

    wall, cpu, (pages, pdf) = _timed(make)
    return wall, cpu, pages, pdf


def _plain(pages: int) -> tuple[float, float, int]:
    """Wall and CPU seconds and pages for a plain-text document of ``pages`` A4 pages (the same print CSS and
    fonts, no table)."""
    from weasyprint import HTML

    lines = "<br>".join(f"第{i + 1}行　滨河北路{i % 300}号附近　第{i % 97 + 1}责任单位　2026-11-20 17:00" for i in
                        range(pages * 52))  # fmt: skip
    html = f"<html lang='zh-CN'><head><style>{PRINT_CSS}</style></head><body><h1>通报</h1><p>{lines}</p></body></html>"

    def make() -> int:
        doc = HTML(string=html).render()
        doc.write_pdf()
        return len(doc.pages)

    wall, cpu, got = _timed(make)
    return wall, cpu, got


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
    ap.add_argument("--pages", default="6,17,20", help="PDF sizes, in approximate A4 pages")
    ap.add_argument("--rows", default="10000,50000,100000", help="XLSX sizes, overdue rows")
    ap.add_argument("--repeat", type=int, default=2, help="PDF renders of each kind (alternating): the fastest kept")
    args = ap.parse_args()
    print("XLSX overdue rows   XlsxWriter constant_memory: s / peak MB    openpyxl write-only: s / peak MB   ratio")
    for rows in (int(x) for x in args.rows.split(",") if x):
        xs, xpeak, xbase = _forked("xlsx", rows)
        os_, opeak, obase = _forked("openpyxl", rows)
        print(f"  {rows:>9,}         {xs:>7.2f} s / {xpeak:>5.0f} MB (+{xpeak - xbase:>4.0f})         "
              f"{os_:>7.2f} s / {opeak:>5.0f} MB (+{opeak - obase:>4.0f})    {os_ / xs:>5.2f}×")  # fmt: skip
    from weasyprint import HTML

    from gridmap.notices.pdf import notice_html_class

    notice_html = notice_html_class()
    _pdf(notice(5, 5), notice_html)  # warm-up: Pango, fontconfig and the font files
    _pdf(notice(5, 5), HTML)
    print("PDF (WeasyPrint, Noto CJK embedded); wall s / CPU s of this process; load average when measured")
    print("  pages asked  got  units+cases   live render (notice)   stock UA sheet   cpu ratio   plain text (pages)"
          "    live/plain cpu   bytes      published: served   live/served   load")  # fmt: skip
    for pages in (int(x) for x in args.pages.split(",") if x):
        units, cases = 13 * pages, 19 * pages  # ≈ 25 table rows and a share of the headings and charts a page
        n = notice(units, cases)
        live, stock = [], []  # alternating, so a burst of load on the shared machine falls on both
        for _ in range(max(args.repeat, 1)):
            live.append(_pdf(n, notice_html))
            stock.append(_pdf(n, HTML))  # the same notice with WeasyPrint's own stylesheet: the change's baseline
        wall, cpu = min(r[0] for r in live), min(r[1] for r in live)
        got, pdf = live[0][2], live[0][3]
        s_wall, s_cpu = min(r[0] for r in stock), min(r[1] for r in stock)
        p_wall, p_cpu, p_pages = _plain(got)
        served = _served(pdf)
        print(f"  {pages:>11}  {got:>3}  {units:>5}+{cases:<6} {wall:>8.2f} / {cpu:>5.2f} s  {s_wall:>7.2f} / "
              f"{s_cpu:>5.2f} s  {s_cpu / cpu:>7.2f}×  {p_wall:>6.2f} / {p_cpu:>5.2f} s ({p_pages:>3})  "
              f"{cpu / p_cpu:>10.1f}×  {len(pdf):>10,}  {served * 1000:>12.2f} ms  {wall / served:>10,.0f}×"
              f"  {os.getloadavg()[0]:>5.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
