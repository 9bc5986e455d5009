"""The weekly/monthly notice 通报, built from published (frozen) scorecards and rendered for print and for Excel.

The modules, each using only those listed before it: :mod:`~gridmap.notices.content` (what the notice says, built
once: period, summary figures, ranking tables per peer group with first and last named, overdue and rework lists,
the month's shop flags), :mod:`~gridmap.notices.html` (the same content as HTML: the preview and the PDF's source),
:mod:`~gridmap.notices.pdf` (WeasyPrint, Noto CJK fonts embedded), :mod:`~gridmap.notices.xlsx` (XlsxWriter in
constant-memory mode), :mod:`~gridmap.notices.archive` (publishing freezes the content; the archive) and
:mod:`~gridmap.notices.files` (a period typed → the file and its name).
"""

from gridmap.notices.archive import Prepared, archive, notice_of, prepare, publish
from gridmap.notices.content import LIST_LIMIT, build, published_periods
from gridmap.notices.files import MEDIA, check_format, make, preview
from gridmap.notices.html import render_html
from gridmap.notices.pdf import render_pdf
from gridmap.notices.xlsx import render_xlsx

__all__ = [
    "LIST_LIMIT", "MEDIA", "Prepared", "archive", "build", "check_format", "make", "notice_of", "prepare", "preview",
    "publish", "published_periods", "render_html", "render_pdf", "render_xlsx",
]  # fmt: skip
