"""The notice as a workbook: a summary sheet (with each scheme's averages per peer group, charted), one sheet per
scheme (all peer groups, rank order), the trends (this period and the three before, charted), the overdue and rework
lists and the month's flags. XlsxWriter in constant-memory mode writes row by row (a 100,000-row list stays
flat in memory), so every sheet is written top to bottom in one pass."""

from __future__ import annotations

import io
import re
from typing import Any, BinaryIO

import xlsxwriter

from gridmap.notices.charts import group_averages, trend_groups, trend_title

_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(text: str, used: set[str]) -> str:
    base = _BAD.sub(" ", text)[:28] or "sheet"
    name, i = base, 2
    while name.lower() in used:
        name, i = f"{base[:25]}({i})", i + 1
    used.add(name.lower())
    return name


def _charts(wb: Any, ws: Any, notice: dict[str, Any], row: int) -> None:
    """Each scheme's average score per peer group: the figures under the summary, a native bar chart beside them
    (constant-memory mode writes rows in order, so the figures go below everything else on the sheet)."""
    for sec in notice["sections"]:
        data = group_averages(sec)
        if not data:
            continue
        ws.write_row(row, 0, [f"{sec['name_zh']}：各分组平均得分", "平均得分"])
        for i, (name, avg) in enumerate(data, start=1):
            ws.write_row(row + i, 0, [name, avg])
        chart = wb.add_chart({"type": "column"})
        last = row + len(data)
        chart.add_series({"name": "平均得分", "categories": [ws.name, row + 1, 0, last, 0],
                          "values": [ws.name, row + 1, 1, last, 1], "data_labels": {"value": True}})  # fmt: skip
        chart.set_title({"name": f"{sec['name_zh']}：各分组平均得分"})
        chart.set_y_axis({"min": 0, "max": 100})
        chart.set_legend({"none": True})
        ws.insert_chart(row, 3, chart)
        row += max(len(data) + 2, 16)


def _trends(wb: Any, ws: Any, sections: list[dict[str, Any]]) -> None:
    """Each scheme's trend — its peer groups' average score in the last three periods and this one, as in the PDF
    (:func:`gridmap.notices.charts.trend_svg`) — as a table on this sheet (the periods across, a row per group; a
    blank cell where a group had no score) and a native line chart beside it whose series read that table."""
    row = 0
    for sec in sections:
        groups, labels = trend_groups(sec), sec["trend"]["labels_zh"]
        ws.write_row(row, 0, [trend_title(sec)])
        ws.write_row(row + 1, 0, ["分组", *labels])
        for i, g in enumerate(groups, start=row + 2):
            ws.write(i, 0, g["name_zh"])
            for j, v in enumerate(g["averages"], start=1):
                ws.write_number(i, j, v) if v is not None else ws.write_blank(i, j, None)
        chart = wb.add_chart({"type": "line"})
        for i in range(row + 2, row + 2 + len(groups)):
            chart.add_series({"name": [ws.name, i, 0], "categories": [ws.name, row + 1, 1, row + 1, len(labels)],
                              "values": [ws.name, i, 1, i, len(labels)], "marker": {"type": "circle"}})  # fmt: skip
        chart.set_title({"name": trend_title(sec)})
        chart.set_y_axis({"min": 0, "max": 100})
        chart.set_legend({"position": "bottom"})
        chart.show_blanks_as("gap")  # a period without a score breaks the line, as in the PDF
        ws.insert_chart(row, len(labels) + 2, chart)
        row += max(len(groups) + 3, 16)


def render_xlsx(notice: dict[str, Any], out: BinaryIO | None = None) -> bytes | None:
    """Write the workbook to ``out`` (returns None), or return its bytes."""
    target: Any = out if out is not None else io.BytesIO()
    wb = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": out is None})
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#DDE3F0", "border": 1})
    num = wb.add_format({"num_format": "0.00"})
    used: set[str] = set()

    ws = wb.add_worksheet(_sheet_name("总体情况", used))
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 40)
    ws.write_row(0, 0, [notice["title_zh"]], bold)
    ws.write_row(1, 0, ["考核周期", notice["period"]["key"]])
    ws.write_row(2, 0, ["结果发布", notice["published_at"]])
    ws.write_row(3, 0, ["通报生成", notice["made_at"]])
    s = notice["summary"]
    labels = [("schemes", "考核方案"), ("subjects", "考核对象"), ("ranked", "参与排名"), ("overdue", "超期案件"),
              ("rework", "返工案件"), ("red_flags", "红旗"), ("black_flags", "黄旗/黑旗")]  # fmt: skip
    for i, (k, zh) in enumerate(labels, start=5):
        ws.write_row(i, 0, [zh, s[k]])
    row = 5 + len(labels) + 1
    ws.write_row(row, 0, ["方案", "分组", "第一名", "末位"], head)
    for sec in notice["sections"]:
        for g in sec["groups"]:
            row += 1
            ws.write_row(row, 0, [sec["name_zh"], g["name_zh"], "、".join(g["first"]), "、".join(g["last"])])
    _charts(wb, ws, notice, row + 2)

    for sec in notice["sections"]:
        ws = wb.add_worksheet(_sheet_name(sec["name_zh"], used))
        ws.set_column(1, 2, 24)
        ws.write_row(0, 0, ["分组", "排名", "名称", *sec["indicators"], "得分", "等级"], head)
        r = 0
        for g in sec["groups"]:
            for line in g["rows"]:
                r += 1
                ws.write(r, 0, g["name_zh"])
                ws.write(r, 1, line["rank"]) if line["rank"] is not None else ws.write_blank(r, 1, None)
                ws.write(r, 2, line["name"])
                for j, v in enumerate([*line["values"], line["score"]], start=3):
                    ws.write_number(r, j, v, num) if v is not None else ws.write_blank(r, j, None)
                ws.write(r, 3 + len(line["values"]) + 1, line["grade"] or "")

    trending = [sec for sec in notice["sections"] if trend_groups(sec)]
    if trending:
        ws = wb.add_worksheet(_sheet_name("得分走势", used))
        ws.set_column(0, 0, 16)
        ws.set_column(1, 4, 14)
        _trends(wb, ws, trending)

    for title, rows in (("超期案件", notice["overdue"]), ("返工案件", notice["rework"])):
        ws = wb.add_worksheet(_sheet_name(title, used))
        ws.set_column(2, 3, 30)
        ws.write_row(0, 0, ["案件号", "类别", "地址", "责任单位", "状态", "处置时限", "结案时间", "返工次数"], head)
        for i, c in enumerate(rows, start=1):
            ws.write_row(i, 0, [c["id"], c["category"], c["address"] or "", c["unit"] or "", c["status"],
                                c["deadline"] or "", c["closed"] or "", c["rework"]])  # fmt: skip

    if notice["flags"]["month"]:
        ws = wb.add_worksheet(_sheet_name("门前五包授旗", used))
        ws.write_row(0, 0, ["商铺", "街道", "道路", "得分", "旗", "阶段"], head)
        for i, f in enumerate([*notice["flags"]["red"], *notice["flags"]["black"]], start=1):
            ws.write_row(i, 0, [f["name"], f["street"], f["road"] or "", f["points"], f["flag"], f["step"] or ""])
    wb.close()
    return None if out is not None else target.getvalue()
