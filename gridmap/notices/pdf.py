"""The notice as a printable PDF: WeasyPrint lays out :func:`~gridmap.notices.html.render_html`'s document; the
Noto CJK fonts (Debian's fonts-noto-cjk, found through fontconfig) are subset and embedded, so the PDF reads the
same on a machine without them."""

from __future__ import annotations

from typing import Any

from gridmap.notices.html import render_html


def render_pdf(notice: dict[str, Any]) -> bytes:
    """PDF bytes of the notice (A4, page numbers, fonts embedded)."""
    from weasyprint import HTML  # imported when used: it loads Pango

    pdf = HTML(string=render_html(notice, document=True)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
