"""A notice as a file: the period read from what was typed, the notice built, rendered as PDF or XLSX, with the
name and media type it is served under (the CLI and the API both come here). A published notice's PDF is the one
stored when it was published (frozen: the same bytes on every reading)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from gridmap.errors import InvalidInput, Problem
from gridmap.evaluation import parse_period
from gridmap.notices.archive import frozen_pdf, notice_of
from gridmap.notices.pdf import render_pdf
from gridmap.notices.xlsx import render_xlsx

MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def check_format(fmt: str) -> str:
    fmt = fmt.lower().lstrip(".")
    if fmt not in MEDIA:
        raise InvalidInput(Problem(f"a notice is made as .pdf or .xlsx, not {fmt[:20]!r}", field="format",
                                   zh=f"通报只能生成 .pdf 或 .xlsx 文件，不支持“{fmt[:20]}”"))  # fmt: skip
    return fmt


def make(session: Session, raw_period: str, fmt: str, tz: dt.tzinfo, now: dt.datetime) -> tuple[bytes, str, str | None]:
    """The notice of the period typed (as published, else the draft) as ``fmt`` bytes, its file name, and the
    fingerprint of frozen bytes (the PDF stored when published: the same on every reading; None for bytes made
    now)."""
    fmt = check_format(fmt)
    period = parse_period(raw_period, tz)
    name = f"通报-{period.key}.{fmt}"
    if fmt == "pdf" and (stored := frozen_pdf(session, period)) is not None:
        return stored[0], name, stored[1]
    notice = notice_of(session, period, now)
    data = render_pdf(notice) if fmt == "pdf" else render_xlsx(notice)
    assert data is not None
    return data, name, None


def preview(session: Session, raw_period: str, tz: dt.tzinfo, now: dt.datetime) -> dict[str, Any]:
    """The notice's content for the preview page: as published, else the draft."""
    return notice_of(session, parse_period(raw_period, tz), now)
