"""The audit trail: every change to assignments, grids, segments, compounds, units, people, categories, holidays,
accounts and cases, and every sign-in, recorded append-only with who, when, from where, what, before and after.

Use-cases call :func:`record` inside their own unit of work, so a change and its record are committed together (or
neither is). Nothing here updates or deletes a row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.errors import InvalidInput, Problem
from gridmap.inputs import parse_day, parse_int
from gridmap.store.models import AuditEntry

CSV_COLUMNS = ("id", "at", "actor", "via", "address", "action", "object_kind", "object_id", "before", "after", "note")


def _plain(value: Any) -> Any:
    """JSON-safe: dates and times as ISO text, anything else unknown as its text."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str)) if value is not None else None


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_kind: str | None = None,
    object_id: object = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Append one entry (in the caller's transaction)."""
    session.execute(
        insert(AuditEntry),
        {
            "at": at or dt.datetime.now(dt.UTC),
            "account_id": actor.account_id,
            "actor": actor.name[:200],
            "address": (actor.address or None) and actor.address[:64],
            "via": actor.via,
            "action": action,
            "object_kind": object_kind,
            "object_id": None if object_id is None else str(object_id)[:64],
            "before": _plain(before),
            "after": _plain(after),
            "note": note,
        },
    )


def entries(session: Session, filters: dict[str, Any], tz: dt.tzinfo) -> dict[str, Any]:
    """The trail, newest first, filtered by ``object_kind``/``object_id``, ``actor`` (a username), ``action``
    (a prefix: ``case`` matches ``case.dispatch``), and a period ``from``/``to`` (days, local time, ``to``
    inclusive); ``page``/``per_page``."""
    problems: list[Problem] = []
    conds = []
    if filters.get("object_kind"):
        conds.append(AuditEntry.object_kind == str(filters["object_kind"]))
    if filters.get("object_id"):
        conds.append(AuditEntry.object_id == str(filters["object_id"]))
    if filters.get("actor"):
        conds.append(AuditEntry.actor == str(filters["actor"]))
    if filters.get("action"):
        conds.append(AuditEntry.action.startswith(str(filters["action"]), autoescape=True))
    start = parse_day(filters.get("from"), "from", problems)
    end = parse_day(filters.get("to"), "to", problems)
    if start:
        conds.append(AuditEntry.at >= dt.datetime.combine(start, dt.time(), tz))
    if end:
        conds.append(AuditEntry.at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz))
    page = parse_int(filters.get("page"), "page", problems, lo=1, hi=1_000_000, default=1) or 1
    per_page = parse_int(filters.get("per_page"), "per_page", problems, lo=1, hi=10_000, default=100) or 100
    if problems:
        raise InvalidInput(problems)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conds)) or 0
    rows = session.scalars(
        select(AuditEntry).where(*conds).order_by(AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "items": [
            {
                "id": r.id,
                "at": (r.at if r.at.tzinfo else r.at.replace(tzinfo=dt.UTC)).astimezone(tz).isoformat(),
                "actor": r.actor,
                "via": r.via,
                "address": r.address,
                "action": r.action,
                "object_kind": r.object_kind,
                "object_id": r.object_id,
                "before": r.before,
                "after": r.after,
                "note": r.note,
            }
            for r in rows
        ],
    }


def csv_rows(items: list[dict[str, Any]]) -> list[list[object]]:
    """Entries as CSV rows (before/after as JSON text)."""
    out = []
    for e in items:
        row = dict(e)
        for k in ("before", "after"):
            row[k] = "" if e[k] is None else json.dumps(e[k], ensure_ascii=False)
        out.append([row[c] if row[c] is not None else "" for c in CSV_COLUMNS])
    return out
