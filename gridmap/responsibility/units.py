"""The units a commander picks from (the assign page's unit picker, ``GET /api/v1/units``): the register's list
(:func:`gridmap.units.register.list_units`) with what each unit holds now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.store.models import Assignment, Role
from gridmap.store.targets import KINDS
from gridmap.units import register


def list_units(session: Session, filters: Mapping[str, Any], actor: Actor, lang: str = "zh_CN") -> dict[str, Any]:
    """A page of units (the register's filters), each with how many segments/compounds/grids it holds (open
    ``responsible`` rows)."""
    page = register.list_units(session, filters, actor, lang)
    ids = [u["id"] for u in page["items"]]
    counts: dict[int, dict[str, int]] = {}
    if ids:
        stmt = (
            select(Assignment.unit_id, Assignment.target_kind, func.count())
            .where(Assignment.role == Role.RESPONSIBLE.value, Assignment.valid_to.is_(None),
                   Assignment.unit_id.in_(ids))
            .group_by(Assignment.unit_id, Assignment.target_kind)
        )  # fmt: skip
        for uid, k, n in session.execute(stmt):
            assert uid is not None  # the query names its units
            counts.setdefault(uid, {})[k] = n
    for u in page["items"]:
        u["holds"] = {k: counts.get(u["id"], {}).get(k, 0) for k in KINDS}
    return page
