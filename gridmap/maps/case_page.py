"""What the case page (/cases/<id>) shows a person: the case as they may see it, the steps open to them now, the
matched feature and its 社区/街道 as outlines for a small map (no tile server), the people responsible (phones for
those who may see them) and, when they may dispatch, the units to pick from."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.accounts.roles import sees_contacts
from gridmap.cases.queries import get_case
from gridmap.cases.transitions import steps_open_to
from gridmap.config import Settings
from gridmap.errors import Forbidden, NotFound
from gridmap.maps.features import feature_details
from gridmap.maps.layers import get_item
from gridmap.store.models import Person, Unit
from gridmap.store.targets import TARGETS

_AREA_COLLECTIONS = {"community": "communities", "street": "streets"}


def case_page(
    session: Session, case_id: int, settings: Settings, actor: Actor, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The case page's content for ``actor``; NotFound for no such case, Forbidden outside their scope."""
    case: dict[str, Any] = get_case(session, case_id, settings, now=now, actor=actor)
    steps = steps_open_to(actor, case)
    matched: dict[str, Any] = case.get("matched") or {}
    shapes: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    kind, fid = matched.get("kind"), matched.get("id")
    if kind in TARGETS and fid is not None:
        shapes += _shape(session, TARGETS[kind].collection, fid, "matched")
        try:
            details = feature_details(session, kind, fid, ZoneInfo(settings.cases.timezone), actor=actor)
            roles = [r for r in details["roles"] if r["people"]]
        except (Forbidden, NotFound):  # a case sent to a unit outside whose area it lies: no roles shown
            roles = []
    elif kind in _AREA_COLLECTIONS and fid is not None:
        shapes += _shape(session, _AREA_COLLECTIONS[kind], fid, "matched")
    for level, key in (("community", "community_id"), ("street", "street_id")):
        if case.get(key) is not None and not (kind == level and fid == case[key]):
            shapes += _shape(session, _AREA_COLLECTIONS[level], case[key], "context")
    unit: dict[str, Any] = case.get("unit") or {}
    people = []
    if unit.get("id") is not None:
        rows = session.execute(
            select(Person.name, Person.phone).where(Person.unit_id == unit["id"]).order_by(Person.id)
        )
        shown = sees_contacts(actor, unit["id"])
        people = [{"name": n, "phone": p if shown else None, "has_phone": bool(p)} for n, p in rows]
    units: list[dict[str, Any]] = []
    if any(s.name == "dispatch" for s in steps):
        units = [
            {"id": i, "name": n, "kind": k}
            for i, n, k in session.execute(select(Unit.id, Unit.name, Unit.kind).order_by(Unit.kind, Unit.name))
        ]
    return {"case": case, "steps": steps, "shapes": shapes, "roles": roles, "people": people, "units": units}


def _shape(session: Session, collection: str, fid: int, role: str) -> list[dict[str, Any]]:
    """One feature as GeoJSON tagged with what it is on the page's map (the matched one or the context)."""
    try:
        feature = get_item(session, collection, fid)
    except NotFound:
        return []
    props = feature.get("properties") or {}
    name = props.get("name") or props.get("code")
    return [
        {"type": "Feature", "geometry": feature["geometry"],
         "properties": {"role": role, "collection": collection, "name": name}}
    ]  # fmt: skip
