"""The category catalogue and the holidays as this process last read them, per database: every report, case view
and transition needs both, and they are edited a few times a year. The copy is read again when the ``catalogue``
change counter moves (an edit from any process; see :mod:`gridmap.store.change_counters`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.store.change_counters import CountedCopy
from gridmap.store.models import Category, Holiday

_COLUMNS = tuple(c.key for c in Category.__table__.columns)


@dataclass(frozen=True)
class Catalogue:
    holidays: tuple[tuple[dt.date, bool], ...]  # (day, is a make-up working day), by day
    categories: dict[str, SimpleNamespace]  # code → the category's columns (read-only)


def _read(session: Session) -> Catalogue:
    holidays = tuple(sorted((d, bool(w)) for d, w in session.execute(select(Holiday.day, Holiday.is_workday))))
    rows = session.execute(select(*(getattr(Category, k) for k in _COLUMNS))).all()
    return Catalogue(holidays, {r.code: SimpleNamespace(**dict(zip(_COLUMNS, r, strict=True))) for r in rows})


_CATALOGUE: CountedCopy[Catalogue] = CountedCopy("catalogue", _read)


def catalogue(session: Session) -> Catalogue:
    """The catalogue as the session's database holds it (this process's copy, or read now)."""
    return _CATALOGUE.get(session)
