"""The candidate field points of every point type, read from the store: road segments by level (a segment's point
is its midpoint along the line), compounds (a point on their surface) and places (their stored point). The 街道
of a segment or compound is the one its point lies in (one STRtree query for all); a place's was derived when it
was imported."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.assessments.vocabulary import ORDER, POINT_TYPES
from gridmap.store.dialect import wkb
from gridmap.store.models import Area, AreaLevel, Compound, Place, Segment

NO_STREET = -1  # a point outside every 街道: its own stratum


@dataclass
class Candidates:
    """Candidate points, sorted by (type, 街道, source, id): the order the draw's random keys follow."""

    types: np.ndarray  # point type codes (str)
    streets: np.ndarray  # 街道 area ids (int64), NO_STREET where none
    sources: np.ndarray  # "segment" | "compound" | "place"
    ids: np.ndarray  # ids in the source table (int64)
    lon: np.ndarray
    lat: np.ndarray
    names: np.ndarray  # object: the name shown (a road's name, or its description when unnamed)

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, index: np.ndarray) -> Candidates:
        return Candidates(*(getattr(self, f)[index] for f in self.__dataclass_fields__))

    def sorted(self) -> Candidates:
        rank = np.array([ORDER[t] for t in self.types], dtype=np.int64)
        return self.take(np.lexsort((self.ids, self.sources, self.streets, rank)))

    def counts(self) -> dict[str, int]:
        codes, n = np.unique(self.types, return_counts=True)
        found = dict(zip(codes.tolist(), n.tolist(), strict=True))
        return {t.code: int(found.get(t.code, 0)) for t in POINT_TYPES}


def _streets_of(session: Session, points: np.ndarray) -> np.ndarray:
    out = np.full(len(points), NO_STREET, dtype=np.int64)
    rows = session.execute(select(Area.id, wkb(Area.geom).label("wkb")).where(Area.level == AreaLevel.STREET)).all()
    if not rows or len(points) == 0:
        return out
    tree = shapely.STRtree(shapely.from_wkb([bytes(r.wkb) for r in rows]))
    ids = np.array([r.id for r in rows], dtype=np.int64)
    hit_point, hit_area = tree.query(points, predicate="intersects")
    out[hit_point[::-1]] = ids[hit_area[::-1]]  # on a shared border, the first 街道 found wins
    return out


def load_candidates(session: Session) -> Candidates:
    """Every candidate point of every type in the store, sorted for the draw."""
    parts: list[Candidates] = []
    level_type = {lv: t.code for t in POINT_TYPES for lv in t.levels}
    segs = session.execute(
        select(Segment.id, Segment.name, Segment.description, Segment.level, wkb(Segment.geom).label("wkb"))
    ).all()
    comps = session.execute(select(Compound.id, Compound.name, wkb(Compound.geom).label("wkb"))).all()
    if segs or comps:
        lines = shapely.from_wkb([bytes(r.wkb) for r in segs])
        polygons = shapely.from_wkb([bytes(r.wkb) for r in comps])
        points = np.concatenate(
            [
                shapely.line_interpolate_point(lines, 0.5, normalized=True) if segs else np.zeros(0, dtype=object),
                shapely.point_on_surface(polygons) if comps else np.zeros(0, dtype=object),
            ]
        )
        xy = shapely.get_coordinates(points)
        parts.append(
            Candidates(
                types=np.array([level_type[r.level] for r in segs] + ["compound"] * len(comps), dtype="U16"),
                streets=_streets_of(session, points),
                sources=np.array(["segment"] * len(segs) + ["compound"] * len(comps), dtype="U8"),
                ids=np.array([r.id for r in segs] + [r.id for r in comps], dtype=np.int64),
                lon=xy[:, 0],
                lat=xy[:, 1],
                names=np.array([r.name or r.description for r in segs] + [r.name for r in comps], dtype=object),
            )
        )
    places = session.execute(
        select(Place.id, Place.name, Place.kind, Place.street_id, wkb(Place.geom).label("wkb"))
    ).all()
    if places:
        xy = shapely.get_coordinates(shapely.from_wkb([bytes(r.wkb) for r in places]))
        parts.append(
            Candidates(
                types=np.array([r.kind for r in places], dtype="U16"),
                streets=np.array([NO_STREET if r.street_id is None else r.street_id for r in places], dtype=np.int64),
                sources=np.array(["place"] * len(places), dtype="U8"),
                ids=np.array([r.id for r in places], dtype=np.int64),
                lon=xy[:, 0],
                lat=xy[:, 1],
                names=np.array([r.name for r in places], dtype=object),
            )
        )
    if not parts:
        text, ints, floats = np.zeros(0, dtype="U16"), np.zeros(0, np.int64), np.zeros(0)
        return Candidates(text, ints, text, ints, floats, floats, np.zeros(0, dtype=object))
    whole = Candidates(*(np.concatenate([getattr(p, f) for p in parts]) for f in Candidates.__dataclass_fields__))
    return whole.sorted()
