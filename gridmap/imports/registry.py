"""Units, people and assignments loaded in bulk from tables (the demo city, a clerk's spreadsheet).

Validation is done on the whole table first (every bad row reported with its number and field), then rows are
inserted with one executemany per table. Assignment periods are half-open ``[valid_from, valid_to)`` and must
never overlap for the same target and role: one responsible party at any instant, history kept.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import InvalidInput, Problem
from gridmap.imports.attribute_checks import cell_date, cell_text
from gridmap.store.bulk_writes import area_ids_by_code
from gridmap.store.models import (
    Assignment,
    Compound,
    Grid,
    Person,
    PersonRole,
    Role,
    Segment,
    TargetKind,
    Unit,
    UnitKind,
)


def _date(value: object, row: int, field: str, source: str, problems: list[Problem]) -> dt.date | None:
    s = cell_text(value)
    if s is None:
        return None
    try:
        return cell_date(s)
    except ValueError:
        problems.append(Problem(f"{s!r} is not a date (YYYY-MM-DD)", source, row, field))
        return None


def load_units(session: Session, table: pd.DataFrame, source: str = "units", *, actor: Actor) -> dict[str, int]:
    """Insert units; returns code → id. Columns: code, name, kind, contact_name, contact_phone, and area_code
    for a 街道/社区 office (the default responsible party 属地兜底 of its area)."""
    problems: list[Problem] = []
    area_codes = {str(c) for c in table.get("area_code", pd.Series(dtype=str)).dropna() if str(c).strip()}
    areas = area_ids_by_code(session, area_codes) if area_codes else {}
    kinds = {k.value for k in UnitKind}
    rows = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(table.to_dict("records"), start=1):
        name, kind, code = cell_text(rec.get("name")), cell_text(rec.get("kind")), cell_text(rec.get("code"))
        if not name:
            problems.append(Problem("a unit needs a name", source, i, "name"))
        if kind not in kinds:
            problems.append(Problem(f"{kind!r} is not one of {sorted(kinds)}", source, i, "kind"))
        if name in seen:
            problems.append(Problem(f"{name!r} already given in row {seen[name]}", source, i, "name"))
        seen.setdefault(name or "", i)
        area_code = cell_text(rec.get("area_code"))
        if area_code and area_code not in areas:
            problems.append(Problem(f"no 街道/社区 with code {area_code!r}", source, i, "area_code"))
        rows.append(
            {
                "code": code,
                "name": name,
                "kind": kind,
                "contact_name": cell_text(rec.get("contact_name")),
                "contact_phone": cell_text(rec.get("contact_phone")),
                "area_id": areas.get(area_code) if area_code else None,
            }
        )
    if problems:
        raise InvalidInput(problems)
    if rows:
        session.connection().execute(insert(Unit.__table__), rows)
    audit.record(session, actor, "units.import", object_kind="units", after={"file": source, "rows": len(table)})
    return _codes(session, Unit)


def _codes(session: Session, model: type[Unit] | type[Person]) -> dict[str, int]:
    return {c: i for c, i in session.execute(select(model.code, model.id)).all() if c}


def load_people(session: Session, table: pd.DataFrame, source: str = "people", *, actor: Actor) -> dict[str, int]:
    """Insert people and their roles; returns code → id. Columns: code, name, phone, unit_code, roles (a;b)."""
    units = _codes(session, Unit)
    roles_allowed = {r.value for r in Role}
    problems: list[Problem] = []
    rows, role_rows = [], []
    for i, rec in enumerate(table.to_dict("records"), start=1):
        unit_code = cell_text(rec.get("unit_code"))
        if unit_code and unit_code not in units:
            problems.append(Problem(f"no unit with code {unit_code!r}", source, i, "unit_code"))
        if not cell_text(rec.get("name")):
            problems.append(Problem("a person needs a name", source, i, "name"))
        roles = [r.strip() for r in (cell_text(rec.get("roles")) or "").split(";") if r.strip()]
        for r in roles:
            if r not in roles_allowed:
                problems.append(Problem(f"{r!r} is not one of {sorted(roles_allowed)}", source, i, "roles"))
        rows.append(
            {
                "code": cell_text(rec.get("code")),
                "name": cell_text(rec.get("name")),
                "phone": cell_text(rec.get("phone")),
                "unit_id": units.get(unit_code) if unit_code else None,
            }
        )
        role_rows.append(roles)
    if problems:
        raise InvalidInput(problems)
    if rows:
        ids = session.connection().execute(insert(Person.__table__).returning(Person.__table__.c.id), rows)
        pairs = [
            {"person_id": pid, "role": r}
            for pid, roles in zip(ids.scalars().all(), role_rows, strict=True)
            for r in roles
        ]
        if pairs:
            session.connection().execute(insert(PersonRole.__table__), pairs)
    audit.record(session, actor, "people.import", object_kind="people", after={"file": source, "rows": len(table)})
    return _codes(session, Person)


def _target_lookup(session: Session) -> dict[str, dict[str, int]]:
    today = dt.date.today()
    grids = session.execute(select(Grid.code, Grid.id).where((Grid.valid_to.is_(None)) | (Grid.valid_to > today))).all()
    return {
        TargetKind.SEGMENT: {c: i for c, i in session.execute(select(Segment.ext_id, Segment.id)).all() if c},
        TargetKind.COMPOUND: {c: i for c, i in session.execute(select(Compound.ext_id, Compound.id)).all() if c},
        TargetKind.GRID: dict(grids),
    }


def load_assignments(session: Session, table: pd.DataFrame, source: str = "assignments", *, actor: Actor) -> int:
    """Insert assignment history rows. Columns: target_kind, target_ref, unit_code, person_code, role,
    valid_from, valid_to. Overlapping periods for one target and role are refused (all rows, or none)."""
    units, people = _codes(session, Unit), _codes(session, Person)
    targets = _target_lookup(session)
    roles_allowed = {r.value for r in Role}
    problems: list[Problem] = []
    rows: list[dict[str, object]] = []
    now = dt.datetime.now(dt.UTC)
    for i, rec in enumerate(table.to_dict("records"), start=1):
        kind, ref, role = (
            cell_text(rec.get("target_kind")),
            cell_text(rec.get("target_ref")),
            cell_text(rec.get("role")),
        )
        unit_code, person_code = cell_text(rec.get("unit_code")), cell_text(rec.get("person_code"))
        if kind not in targets:
            problems.append(Problem(f"{kind!r} is not one of segment/compound/grid", source, i, "target_kind"))
        elif ref not in targets[kind]:
            problems.append(Problem(f"no {kind} {ref!r}", source, i, "target_ref"))
        if role not in roles_allowed:
            problems.append(Problem(f"{role!r} is not one of {sorted(roles_allowed)}", source, i, "role"))
        if unit_code and unit_code not in units:
            problems.append(Problem(f"no unit with code {unit_code!r}", source, i, "unit_code"))
        if person_code and person_code not in people:
            problems.append(Problem(f"no person with code {person_code!r}", source, i, "person_code"))
        if not unit_code and not person_code:
            problems.append(Problem("an assignment needs a unit or a person", source, i, "unit_code"))
        valid_from = _date(rec.get("valid_from"), i, "valid_from", source, problems)
        valid_to = _date(rec.get("valid_to"), i, "valid_to", source, problems)
        if valid_from is None and cell_text(rec.get("valid_from")) is None:
            problems.append(Problem("a start date is required", source, i, "valid_from"))
        if valid_from and valid_to and valid_to <= valid_from:
            problems.append(Problem(f"ends ({valid_to}) before it starts ({valid_from})", source, i, "valid_to"))
        rows.append(
            {
                "_row": i,
                "target_kind": kind,
                "target_id": targets.get(kind or "", {}).get(ref or ""),
                "unit_id": units.get(unit_code or ""),
                "person_id": people.get(person_code or ""),
                "role": role,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "assigned_by": actor.name,
                "assigned_at": now,
            }
        )
    if not problems:
        problems.extend(_overlaps(rows, source))
    if problems:
        raise InvalidInput(problems)
    for r in rows:
        r.pop("_row")
    if rows:
        session.connection().execute(insert(Assignment.__table__), rows)
    audit.record(session, actor, "assignments.import", object_kind="assignment",
                 after={"file": source, "rows": len(rows)})  # fmt: skip
    return len(rows)


def _overlaps(rows: list[dict[str, object]], source: str) -> list[Problem]:
    """Rows whose period overlaps an earlier one for the same target and role (vectorised with pandas)."""
    if not rows:
        return []
    df = pd.DataFrame(rows)[["_row", "target_kind", "target_id", "role", "valid_from", "valid_to"]]
    df["start"] = [d.toordinal() for d in df["valid_from"]]
    df["end"] = [d.toordinal() if d is not None else dt.date.max.toordinal() for d in df["valid_to"]]
    df = df.sort_values(["target_kind", "target_id", "role", "start"])
    same = (
        (df["target_kind"] == df["target_kind"].shift())
        & (df["target_id"] == df["target_id"].shift())
        & (df["role"] == df["role"].shift())
    )
    clash = same & (df["start"] < df["end"].shift())
    prev_row = df["_row"].shift()
    return [
        Problem(f"period overlaps row {int(prev)} for the same target and role", source, int(r), "valid_from")
        for prev, r in zip(prev_row.loc[clash], df.loc[clash, "_row"], strict=True)
    ]
