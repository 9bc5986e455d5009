"""The notice's charts: each scheme's average score per peer group, and its trend (each group's average in this
period and the last three), as SVG for the PDF (pygal — a maintained,
pure-Python SVG charting library that WeasyPrint lays out like an image) and as XlsxWriter's native bar and line
charts in the workbook (:mod:`gridmap.notices.xlsx`). Both read the same figures from the notice's content."""

from __future__ import annotations

import re
from typing import Any

import pygal
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_STYLE = Style(
    font_family="Noto Sans CJK SC, sans-serif", background="white", plot_background="white",
    colors=("#3b6fb6",), label_font_size=11, major_label_font_size=11, title_font_size=13, value_font_size=10,
)  # fmt: skip
_TREND_STYLE = Style(
    font_family="Noto Sans CJK SC, sans-serif", background="white", plot_background="white",
    colors=("#3b6fb6", "#d9822b", "#2e8b57", "#8e44ad", "#c0392b", "#7f8c8d"), label_font_size=11,
    major_label_font_size=11, title_font_size=13, legend_font_size=11,
)  # fmt: skip


def group_averages(section: dict[str, Any]) -> list[tuple[str, float]]:
    """(peer group, average score of its ranked subjects), for the groups with any score."""
    out = []
    for g in section["groups"]:
        scores = [r["score"] for r in g["rows"] if r["score"] is not None]
        if scores:
            out.append((g["name_zh"], round(sum(scores) / len(scores), 2)))
    return out


def section_svg(section: dict[str, Any]) -> str | None:
    """A bar chart of the section's averages per peer group (no scripts: the PDF is static), or None when empty."""
    data = group_averages(section)
    if not data:
        return None
    chart = pygal.Bar(
        style=_STYLE, width=720, height=240, show_legend=False, js=[], range=(0, 100), print_values=True,
        title=f"{section['name_zh']}：各分组平均得分", x_labels=[name for name, _ in data], margin=8,
        disable_xml_declaration=True,
    )  # fmt: skip
    chart.add("平均得分", [v for _, v in data])
    # pygal still writes its tooltip config as an inline <script> with js=[]; the PDF is static, so it goes
    return _SCRIPT.sub("", str(chart.render(is_unicode=True)))


def trend_groups(section: dict[str, Any]) -> list[dict[str, Any]]:
    """The peer groups the trend charts draw: those with a score in any of the periods (a group none of whose
    subjects scored gets no line and no legend entry); none when the section has no trend (a notice published
    before trends were kept)."""
    return [g for g in (section.get("trend") or {}).get("groups", []) if any(v is not None for v in g["averages"])]


def trend_title(section: dict[str, Any]) -> str:
    return f"{section['name_zh']}：各分组平均得分走势（本期与前三期）"


def trend_svg(section: dict[str, Any]) -> str | None:
    """A line chart of each peer group's average score in the last three periods and this one, or None when no
    group has a score in any of them (:func:`trend_groups`)."""
    groups = trend_groups(section)
    if not groups:
        return None
    trend = section["trend"]
    chart = pygal.Line(
        style=_TREND_STYLE, width=720, height=240, js=[], range=(0, 100), print_values=False, legend_at_bottom=True,
        title=trend_title(section), x_labels=trend["labels_zh"], margin=8,
        disable_xml_declaration=True, allow_interruptions=True, dots_size=3, margin_right=40,  # the last label whole
    )  # fmt: skip
    for g in groups:
        chart.add(g["name_zh"], g["averages"])
    return _SCRIPT.sub("", str(chart.render(is_unicode=True)))


def charts(notice: dict[str, Any]) -> dict[str, str]:
    """Each section's chart SVGs by scheme code, the averages' bars then the trend (sections without a score have
    none)."""
    out = {}
    for s in notice["sections"]:
        svgs = [svg for svg in (section_svg(s), trend_svg(s)) if svg]
        if svgs:
            out[s["code"]] = "".join(svgs)
    return out
