"""Publishing a notice and its archive: publishing stores the content built at that moment (lists of overdue and
reworked cases included) and its PDF rendered once, so the notice handed out is the one read back afterwards, byte
for byte, and a 20-page PDF is not laid out again on every download; before publishing, a period with a published
scorecard has a draft, built and rendered afresh on each reading."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import Conflict
from gridmap.evaluation import Period
from gridmap.notices.content import build, published_periods
from gridmap.notices.pdf import render_pdf
from gridmap.store.models import Notice


def _stored(session: Session, period: Period) -> Notice | None:
    return session.scalars(select(Notice).where(Notice.period == period.key)).first()


def notice_of(session: Session, period: Period, now: dt.datetime) -> dict[str, Any]:
    """The published notice of the period as frozen, else its draft (NotFound without a published scorecard)."""
    row = _stored(session, period)
    if row is not None:
        return {**row.content, "notice": _head(row, period.tz)}
    return {**build(session, period, now), "notice": None}


def frozen_pdf(session: Session, period: Period) -> tuple[bytes, str] | None:
    """The PDF stored when the period's notice was published and its SHA-256 (hex, taken then: the PDF's ETag);
    None: a draft, or published before PDFs were kept."""
    row = session.execute(
        select(Notice.pdf, Notice.pdf_sha256).where(
            Notice.period == period.key, Notice.pdf.is_not(None), Notice.pdf_sha256.is_not(None)
        )
    ).first()
    return None if row is None else (row.pdf, row.pdf_sha256)


def fingerprint(pdf: bytes) -> str:
    """A stored PDF's fingerprint (its ETag): SHA-256, hex."""
    return hashlib.sha256(pdf).hexdigest()


def _head(row: Notice, tz: dt.tzinfo) -> dict[str, Any]:
    at = row.published_at if row.published_at.tzinfo else row.published_at.replace(tzinfo=dt.UTC)  # SQLite: UTC
    return {"published_at": at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), "by": row.published_by}


@dataclass(frozen=True)
class Prepared:
    """A notice ready to publish: the period's content as built, and its PDF rendered from that content."""

    period: Period
    content: dict[str, Any]
    pdf: bytes


def _refuse_published(session: Session, period: Period) -> None:
    if _stored(session, period) is not None:
        raise Conflict(f"the notice of {period.key} is already published (a published notice never changes)",
                       zh=f"{period.label()}的通报已发布，发布后不可更改")  # fmt: skip


def prepare(session: Session, period: Period, now: dt.datetime) -> Prepared:
    """Build the period's notice and render its PDF, reading only: call it before the write transaction (Conflict
    when already published, NotFound without a published scorecard)."""
    _refuse_published(session, period)
    content = build(session, period, now)
    return Prepared(period, content, render_pdf(content))


def publish(session: Session, ready: Prepared, actor: Actor, now: dt.datetime) -> dict[str, Any]:
    """Freeze the prepared notice (once: Conflict after, in Chinese too), in the caller's write transaction."""
    period, content = ready.period, ready.content
    _refuse_published(session, period)  # published by someone else while this one was being rendered
    row = Notice(period=period.key, period_start=period.start_utc, title_zh=content["title_zh"], content=content,
                 published_at=now.astimezone(dt.UTC), published_by=actor.name, pdf=ready.pdf,
                 pdf_sha256=fingerprint(ready.pdf))  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as e:
        raise Conflict(f"the notice of {period.key} was published meanwhile", zh="该周期的通报刚被他人发布") from e
    audit.record(session, actor, "notice.publish", object_kind="notice", object_id=period.key,
                 after={"title": content["title_zh"], "overdue": content["summary"]["overdue"]})  # fmt: skip
    return {**content, "notice": _head(row, period.tz)}


def archive(session: Session, tz: dt.tzinfo) -> list[dict[str, Any]]:
    """Every period with a published scorecard (newest first): its notice if published, else a draft to preview."""
    notices = {n.period: n for n in session.scalars(select(Notice))}
    out = []
    for p in published_periods(session):
        n = notices.pop(p["period"], None)
        out.append({**p, "notice": _head(n, tz) if n is not None else None})
    for n in notices.values():  # a notice whose scorecards were since removed stays in the archive
        out.append({"period": n.period, "schemes": [], "published_at": None, "published_by": None,
                    "notice": _head(n, tz)})  # fmt: skip
    return out
