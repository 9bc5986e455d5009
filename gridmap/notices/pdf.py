"""The notice as a printable PDF: WeasyPrint lays out :func:`~gridmap.notices.html.render_html`'s document; the
Noto CJK fonts (Debian's fonts-noto-cjk, found through fontconfig) are subset and embedded, so the PDF reads the
same on a machine without them.

Speed: WeasyPrint's own user-agent stylesheet gives *every* element six pseudo-elements (``::marker`` and the
footnote/note calls and markers, from universal rules), and it computes a style for each — six per table cell, the
larger part of the CSS cascade of a notice whose ≈ 4,000 cells are its bulk. The notice has no list item, footnote
or note, so it is laid out with the same stylesheet minus those universal rules (``li::marker`` kept): the same
PDF byte for byte, the cascade 0.9 s → 0.2–0.4 s of CPU at 15 pages (scripts/bench_notices.py compares both)."""

from __future__ import annotations

import functools
import re
from typing import Any

from gridmap.notices.html import render_html

# the UA rules styling a pseudo-element of any element: markers (lists: li::marker is kept), footnotes and notes
_UNIVERSAL_PSEUDO = re.compile(
    r"^::(marker|footnote-call|footnote-marker|note-call|note-marker|note-callback)\b[^\n]*$", re.M
)


@functools.cache
def notice_html_class() -> Any:
    """WeasyPrint's HTML with its user-agent stylesheet minus the universal pseudo-element rules (parsed once per
    process). Built when first used: importing WeasyPrint loads Pango."""
    from weasyprint import CSS, HTML
    from weasyprint.html import UA, UA_COUNTER_STYLE

    text, found = _UNIVERSAL_PSEUDO.subn("", UA)
    if found == 0:  # a WeasyPrint whose stylesheet reads otherwise: lay out with its own, unchanged
        return HTML
    sheet = CSS(string=text + "\nli::marker { font-variant-numeric: tabular-nums; white-space: pre; "
                "text-transform: none }\n", counter_style=UA_COUNTER_STYLE)  # fmt: skip

    class NoticeHTML(HTML):
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [sheet]

    return NoticeHTML


def render_pdf(notice: dict[str, Any]) -> bytes:
    """PDF bytes of the notice (A4, page numbers, fonts embedded)."""
    pdf = notice_html_class()(string=render_html(notice, document=True)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
