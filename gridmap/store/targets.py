"""The kinds of feature a unit can be responsible for — road segments, residential compounds, unit grids — defined
once: each kind's model, its name/code/measure columns, whether it has versions, its OGC collection, its labels and
the people's roles it takes. Everything else (assignment checks, gaps, popups, the map script's config) derives
from :data:`TARGETS`.

>>> [t.kind for t in TARGETS.values()]
['segment', 'compound', 'grid']
>>> TARGETS["segment"].collection, TARGETS["grid"].measure
('segments', 'area_m2')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import true

from gridmap.errors import Problem
from gridmap.store.dialect import wkb
from gridmap.store.models import Compound, Grid, Role, Segment, TargetKind, in_force


@dataclass(frozen=True)
class TargetType:
    """One kind of assignable feature."""

    kind: str  # the value stored in assignments.target_kind
    model: type[Segment] | type[Compound] | type[Grid]
    name_column: str  # what a person calls it: a road's name, a compound's name, a grid's code
    code_column: str  # the identifier from the source data (ext_id; a grid's code)
    measure: str  # the size column: length_m for lines, area_m2 for polygons
    total_unit: str  # how totals of the measure are shown: km of road, hectares of area
    geometry: str  # "line" | "polygon"
    versioned: bool  # grids are redrawn as versions with valid_from/valid_to; the others are edited in place
    community_column: str | None  # the 社区 a feature belongs to, where the table stores it
    collection: str  # the OGC API – Features collection (and map layer) showing this kind
    label_zh: str
    label_en: str
    title_zh: str  # the layer's title
    title_en: str
    roles: tuple[Role, ...]  # the people's roles a feature of this kind takes (DOMAIN.md: a compound names four)

    def column(self, name: str) -> Any:
        return getattr(self.model, name)

    def columns(self) -> tuple[Any, ...]:
        """``id, name, code, measure, wkb`` as labelled columns: one row shape for every kind."""
        return (
            self.column("id").label("id"),
            self.column(self.name_column).label("name"),
            self.column(self.code_column).label("code"),
            self.column(self.measure).label("measure"),
            wkb(self.column("geom")).label("wkb"),
        )

    def current_on(self, day: dt.date) -> Any:
        """WHERE clause: the features that exist on ``day`` (the grid version in force; any segment or compound)."""
        return in_force(self.model, day) if self.versioned else true()

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


TARGETS: dict[str, TargetType] = {
    t.kind: t
    for t in (
        TargetType(TargetKind.SEGMENT.value, Segment, "name", "ext_id", "length_m", "km", "line", False, None,
                   "segments", "路段", "Road segment", "路段", "Road segments", (Role.ROAD_CHIEF,)),
        TargetType(TargetKind.COMPOUND.value, Compound, "name", "ext_id", "area_m2", "ha", "polygon", False,
                   "community_id", "compounds", "小区", "Compound", "小区", "Residential compounds",
                   (Role.UNIT_LEADER, Role.COMPOUND_LEAD, Role.COMMUNITY_LIAISON, Role.CIV_SUPERVISOR)),
        TargetType(TargetKind.GRID.value, Grid, "code", "code", "area_m2", "ha", "polygon", True, "community_id",
                   "grids", "网格", "Grid", "单元网格", "Unit grids", (Role.GRID_WORKER,)),
    )
}  # fmt: skip
KINDS: tuple[str, ...] = tuple(TARGETS)

ROLE_LABELS: dict[str, tuple[str, str]] = {
    Role.RESPONSIBLE: ("包联单位", "Responsible unit"),
    Role.ROAD_CHIEF: ("路长", "Road chief"),
    Role.GRID_WORKER: ("网格员", "Grid worker"),
    Role.INSPECTOR: ("督查员", "Inspector"),
    Role.UNIT_LEADER: ("包联单位责任人", "Unit leader"),
    Role.COMPOUND_LEAD: ("包联小区负责人", "Compound lead"),
    Role.COMMUNITY_LIAISON: ("社区联络人", "Community liaison"),
    Role.CIV_SUPERVISOR: ("创文督导人", "Civilisation supervisor"),
}
"""Each role's name in Chinese and English."""

assert set(KINDS) == {k.value for k in TargetKind} and set(ROLE_LABELS) == set(Role)


def parse_kinds(value: object, problems: list[Problem], field: str = "kinds") -> tuple[str, ...]:
    """``"segment,grid"`` / ``["segment"]`` / ``"segments"`` / None (all kinds) → a tuple of kinds."""
    if value in (None, ""):
        return KINDS
    if value == []:
        problems.append(Problem(f"choose at least one of {', '.join(KINDS)}", field=field))
        return ()
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    kinds: list[str] = []
    for k in items:
        k = str(k).strip()
        if k.endswith("s") and k[:-1] in KINDS:  # "segments" is fine too
            k = k[:-1]
        if k not in KINDS:
            problems.append(Problem(f"{k!r} is not one of {', '.join(KINDS)}", field=field))
        elif k not in kinds:
            kinds.append(k)
    return tuple(kinds)


def role_fits(kind: str, role: str) -> bool:
    """May a feature of ``kind`` take ``role``? The unit's 包联 (``responsible``) fits every kind; an inspector
    (督查员) patrols areas (grids); the people's roles fit the kinds that name them (路长 a road, not a 小区)."""
    if role == Role.RESPONSIBLE.value:
        return True
    if role == Role.INSPECTOR.value:
        return kind == TargetKind.GRID.value
    return role in {r.value for r in TARGETS[kind].roles}


def role_label(role: str, lang: str = "zh_CN") -> str:
    zh, en = ROLE_LABELS.get(role, (role, role))
    return en if lang == "en" else zh


def parse_role(role: object, problems: list[Problem]) -> str:
    """A role name (``road_chief``…); empty → ``responsible``, the unit's 包联 responsibility."""
    if role in (None, ""):
        return Role.RESPONSIBLE.value
    allowed = {r.value for r in Role}
    if str(role) not in allowed:
        problems.append(
            Problem(f"{role!r} is not one of {', '.join(sorted(allowed))}", field="role", zh=f"没有“{role}”这个角色")
        )
        return Role.RESPONSIBLE.value
    return str(role)


def kinds_config(lang: str) -> list[dict[str, str]]:
    """The kinds as the page scripts need them: kind, collection (map layer) and label in the page's language."""
    return [{"kind": t.kind, "collection": t.collection, "label": t.label(lang)} for t in TARGETS.values()]
