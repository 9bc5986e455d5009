"""The notice as HTML: one Jinja template for the page's preview (a fragment inside the site's layout) and the
PDF's source (a whole document with print CSS: A4, running header, page numbers, Noto CJK fonts by name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                   lstrip_blocks=True)  # fmt: skip

# compiled once per process (13 ms each time otherwise)
_TEMPLATE = _ENV.from_string((Path(__file__).parent / "templates" / "notice.html").read_text(encoding="utf-8"))

PRINT_CSS = """
@page { size: A4; margin: 18mm 14mm 16mm;
  @top-center { content: string(title); font-size: 8pt; color: #666; }
  @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size: 8pt; color: #666; } }
body { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif; font-size: 9.5pt; color: #111; }
h1 { string-set: title content(); font-family: "Noto Serif CJK SC", serif; text-align: center; font-size: 18pt; }
h2 { font-size: 12.5pt; border-bottom: 1px solid #999; margin-top: 14pt; }
h3 { font-size: 11pt; } h4 { font-size: 10pt; margin: 8pt 0 3pt; }
.meta { text-align: center; color: #444; }
table { border-collapse: collapse; width: 100%; margin-bottom: 6pt; }
th, td { border: 0.5pt solid #888; padding: 2pt 4pt; }
thead { display: table-header-group; } tr { page-break-inside: avoid; }
th { background: #eef; } td.num { text-align: right; }
tr.first td { background: #e6f4e6; } tr.last td { background: #fbe5e5; }
p.unranked { color: #555; font-size: 8.5pt; }
table.rank, table.cases, table.flags { table-layout: fixed; }
table.rank th:nth-child(1) { width: 7%; } table.rank th:nth-child(2) { width: 22%; }
table.cases th:nth-child(1) { width: 9%; } table.cases th:nth-child(2) { width: 9%; }
table.cases th:nth-child(3) { width: 20%; } table.cases th:nth-child(4) { width: 14%; }
table.cases th:nth-child(5) { width: 8%; } table.cases th:nth-child(6), table.cases th:nth-child(7) { width: 15%; }
.chart { page-break-inside: avoid; margin: 4pt 0 8pt; } .chart svg { width: 100%; height: auto; }
"""

_PAGE = _ENV.from_string(
    "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{{ n.title_zh }}</title>"
    "<style>{{ css }}</style></head><body>{{ body }}</body></html>"
)


def render_html(notice: dict[str, Any], *, document: bool = False) -> str:
    """The notice's HTML: a fragment for the preview page, or (``document``) a whole page with print CSS."""
    from markupsafe import Markup

    from gridmap.notices.charts import charts

    # pygal's SVG carries its own <style>: the preview page lets it through the CSP with the response's nonce
    svgs = {k: Markup(v) for k, v in charts(notice).items()}
    body = _TEMPLATE.render(n=notice, charts=svgs)
    if not document:
        return body
    return _PAGE.render(n=notice, css=Markup(PRINT_CSS), body=Markup(body))
