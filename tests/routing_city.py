"""Hand-made cities for the routing tests, drawn in metres (UTM 49N, around 离石) and stored in EPSG:4326.

``build_small_city`` — a few features placed so that every rule fires at a known point (see the map below);
``build_lattice_city`` — a seeded random street lattice with grids, compounds and assignment history, for the
bulk-equals-one-off property test.

Small city (metres from the origin; y grows north)::

    y=0    ══════════ 滨河路 (main, x -300..300) ══════════╗ 小巷 (back, x=50, y 0..-300)
           ┌─G_B──────┬─G_A──────┬─G_C──────┐              ║
           │ ┌K2┐     │ ┌K1┐     │          │              ║
           │ └──┘     │ └──┘     │          │              ║
    y=-100 └──────────┴──────────┴──────────┘              ║
    y=-150 ─────────── 次干道 (secondary, x -300..300) ───────
       x:  -200      -100        0         100

Communities: C1 = x<0, y<0 (unit 社区一居委会); C2 = x<0, y>0 (no unit); C3 = x>0 (unit 社区三居委会).
Streets: S1 = x<0 (unit 一街道办), S2 = x>0 (no unit).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from shapely import affinity
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.geo import crs
from gridmap.store.bulk_writes import write_features
from gridmap.store.models import Area, Assignment, Compound, Grid, Segment, Unit

UTM = 32649
X0, Y0 = 500_000.0, 4_153_000.0  # ≈ 111.0 E, 37.52 N


def to_lonlat(x: float | np.ndarray, y: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = crs.transformer(UTM, 4326).transform(np.asarray(x) + X0, np.asarray(y) + Y0)
    return np.asarray(lon), np.asarray(lat)


def _geoms(metric: list[shapely.Geometry]) -> np.ndarray:
    shifted = shapely.transform(np.asarray(metric, dtype=object), lambda xy: xy + np.array([X0, Y0]))
    return crs.transform(shifted, UTM, 4326)


def box(x0: float, y0: float, x1: float, y1: float, mid: tuple[float, float] | None = None) -> shapely.Polygon:
    """A box; ``mid`` adds a vertex on its west edge (so a neighbour can share it exactly)."""
    ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    if mid is not None:
        ring.append(mid)
    return shapely.Polygon(ring)


def gdf(geoms: list[shapely.Geometry], **cols: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=_geoms(geoms), crs=4326)


def _assign(session: Session, kind: str, target_id: int, unit_id: int, start: str, end: str | None = None) -> None:
    session.add(
        Assignment(
            target_kind=kind,
            target_id=target_id,
            unit_id=unit_id,
            role="responsible",
            valid_from=dt.date.fromisoformat(start),
            valid_to=dt.date.fromisoformat(end) if end else None,
            assigned_at=dt.datetime.now(dt.UTC),
        )
    )


@dataclass
class SmallCity:
    ids: dict[str, int] = field(default_factory=dict)  # feature / area / unit name → database id

    def point(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = to_lonlat(x, y)
        return float(lon), float(lat)


def build_small_city(session: Session) -> SmallCity:
    city = SmallCity()
    ids = city.ids
    write_features(session, "districts", gdf([box(-2000, -2000, 2000, 2000)], code=["141102"], name=["离石区"]))
    write_features(
        session,
        "streets",
        gdf(
            [box(-2000, -2000, 0, 2000), box(0, -2000, 2000, 2000)],
            code=["141102001", "141102002"],
            name=["一街道", "二街道"],
            district_code=["141102", "141102"],
        ),
    )
    write_features(
        session,
        "communities",
        gdf(
            [box(-2000, -2000, 0, 0), box(-2000, 0, 0, 2000), box(0, -2000, 2000, 2000)],
            code=["141102001001", "141102001002", "141102002001"],
            name=["社区一", "社区二", "社区三"],
            street_code=["141102001", "141102001", "141102002"],
        ),
    )
    # G_A and G_B share the vertex (-100, -50) on their common edge x = -100.
    write_features(
        session,
        "grids",
        gdf(
            [
                shapely.Polygon([(-100, -100), (0, -100), (0, 0), (-100, 0), (-100, -50)]),
                shapely.Polygon([(-200, -100), (-100, -100), (-100, -50), (-100, 0), (-200, 0)]),
                box(0, -100, 100, 0),
            ],
            code=["14110200100101", "14110200100102", "14110200200101"],
            community_code=["141102001001", "141102001001", "141102002001"],
            valid_from=["2020-01-01"] * 3,
        ),
    )
    write_features(
        session,
        "compounds",
        gdf(
            [box(-80, -80, -20, -20), box(-180, -80, -120, -20)],
            ext_id=["K1", "K2"],
            name=["滨河小区", "无主小区"],
            community_code=["141102001001", "141102001001"],
        ),
    )
    write_features(
        session,
        "segments",
        gdf(
            [
                shapely.LineString([(-300, 0), (300, 0)]),
                shapely.LineString([(50, 0), (50, -300)]),
                shapely.LineString([(-300, -150), (300, -150)]),
            ],
            ext_id=["M", "B", "S"],
            name=["滨河路", "小巷", "次干道"],
            level=["main", "back", "secondary"],
        ),
    )
    session.flush()
    for model, key in ((Segment, Segment.ext_id), (Compound, Compound.ext_id), (Grid, Grid.code), (Area, Area.code)):
        for k, i in session.execute(select(key, model.id)).all():
            ids[k] = i
    units = {
        "edu": ("离石区教育局", "city_office", None),
        "health": ("离石区卫健局", "city_office", None),
        "roads": ("离石区住建局", "district_office", None),
        "alley": ("小巷物业公司", "enterprise", None),
        "gridA": ("网格甲单位", "district_office", None),
        "gridB": ("网格乙单位", "district_office", None),
        "gridC": ("网格丙单位", "district_office", None),
        "c1": ("社区一居委会", "community", ids["141102001001"]),
        "c3": ("社区三居委会", "community", ids["141102002001"]),
        "s1": ("一街道办", "community", ids["141102001"]),
    }
    for key, (name, kind, area_id) in units.items():
        u = Unit(name=name, kind=kind, area_id=area_id)
        session.add(u)
        session.flush()
        ids[key] = u.id
    # K1: 教育局 in 2025, 卫健局 from 2026-01-01 on (half-open: 2026-01-01 belongs to 卫健局). K2: nobody.
    _assign(session, "compound", ids["K1"], ids["edu"], "2025-01-01", "2026-01-01")
    _assign(session, "compound", ids["K1"], ids["health"], "2026-01-01")
    _assign(session, "segment", ids["M"], ids["roads"], "2020-01-01")
    _assign(session, "segment", ids["B"], ids["alley"], "2020-01-01")
    _assign(session, "segment", ids["S"], ids["roads"], "2020-01-01")
    _assign(session, "grid", ids["14110200100101"], ids["gridA"], "2020-01-01")
    _assign(session, "grid", ids["14110200100102"], ids["gridB"], "2020-01-01")
    _assign(session, "grid", ids["14110200200101"], ids["gridC"], "2020-01-01")
    session.flush()
    return city


# ------------------------------------------------------------------------------------------------ lattice city


def build_lattice_city(session: Session, seed: int = 7, n: int = 8, spacing: float = 120.0) -> dict[str, object]:
    """A jittered street lattice of ``n × n`` blocks with grids (2 per block, redrawn once), compounds in some
    blocks, three communities and two streets, and a random assignment history (some features unassigned)."""
    rng = np.random.default_rng(seed)
    size = n * spacing
    half = size / 2
    lines, levels, names = [], [], []
    for axis in (0, 1):
        for i in range(n + 1):
            for j in range(n):
                t = np.linspace(j * spacing, (j + 1) * spacing, 4) - half
                off = np.full(4, i * spacing - half) + np.r_[0, rng.normal(0, 3, 2), 0]
                xy = np.column_stack([t, off]) if axis == 0 else np.column_stack([off, t])
                lines.append(shapely.LineString(xy))
                levels.append(("main", "secondary", "back")[0 if i % 4 == 0 else (1 if i % 2 == 0 else 2)])
                names.append(f"路{axis}-{i}-{j}")
    write_features(
        session,
        "districts",
        gdf([box(-half - 500, -half - 500, half + 500, half + 500)], code=["141102"], name=["离石区"]),
    )
    write_features(
        session,
        "streets",
        gdf(
            [box(-half - 500, -half - 500, 0, half + 500), box(0, -half - 500, half + 500, half + 500)],
            code=["141102001", "141102002"],
            name=["西街道", "东街道"],
            district_code=["141102", "141102"],
        ),
    )
    write_features(
        session,
        "communities",
        gdf(
            [
                box(-half - 500, -half - 500, 0, 0),
                box(-half - 500, 0, 0, half + 500),
                box(0, -half - 500, half + 500, half + 500),
            ],
            code=["141102001001", "141102001002", "141102002001"],
            name=["西南社区", "西北社区", "东社区"],
            street_code=["141102001", "141102001", "141102002"],
        ),
    )
    grids, codes, comms = [], [], []
    seq: dict[str, int] = {}
    for i in range(n):
        for j in range(n):
            x0, y0 = i * spacing - half, j * spacing - half
            comm = "141102002001" if x0 >= 0 else ("141102001001" if y0 < 0 else "141102001002")
            for k in range(2):
                seq[comm] = seq.get(comm, 0) + 1
                grids.append(box(x0, y0 + k * spacing / 2, x0 + spacing, y0 + (k + 1) * spacing / 2))
                codes.append(f"{comm}{seq[comm]:02d}")
                comms.append(comm)
    write_features(
        session,
        "grids",
        gdf(grids, code=codes, community_code=comms, valid_from=["2020-01-01"] * len(grids)),
    )
    # Redraw a few grids on 2025-07-01 (same code, new version): history must follow the observed day.
    redraw = rng.choice(len(grids), 4, replace=False)
    write_features(
        session,
        "grids",
        gdf(
            [affinity.scale(grids[k], 0.9, 0.9) for k in redraw],
            code=[codes[k] for k in redraw],
            community_code=[comms[k] for k in redraw],
            valid_from=["2025-07-01"] * len(redraw),
        ),
    )
    comp = []
    for i in range(n):
        for j in range(n):
            if rng.random() < 0.4:
                x0, y0 = i * spacing - half, j * spacing - half
                inset = rng.uniform(8, 30)
                comp.append(box(x0 + inset, y0 + inset, x0 + spacing - inset, y0 + spacing - inset))
    write_features(
        session,
        "compounds",
        gdf(comp, name=[f"小区{k}" for k in range(len(comp))], ext_id=[f"C{k}" for k in range(len(comp))]),
    )
    write_features(
        session, "segments", gdf(lines, name=names, level=levels, ext_id=[f"S{k}" for k in range(len(lines))])
    )
    session.flush()
    units = []
    for k in range(12):
        u = Unit(name=f"单位{k}", kind="city_office")
        session.add(u)
        units.append(u)
    area_ids = dict(session.execute(select(Area.code, Area.id)).all())
    for code, name in (("141102001001", "西南社区居委会"), ("141102002", "东街道办")):
        u = Unit(name=name, kind="community", area_id=area_ids[code])
        session.add(u)
    session.flush()
    unit_ids = [u.id for u in units]
    for kind, model in (("segment", Segment), ("compound", Compound), ("grid", Grid)):
        for target in session.execute(select(model.id)).scalars():
            r = rng.random()
            if r < 0.15:
                continue  # unassigned
            u1, u2 = rng.choice(unit_ids, 2, replace=False)
            if r < 0.45:  # re-assigned on 2025-03-01
                _assign(session, kind, target, int(u1), "2020-01-01", "2025-03-01")
                _assign(session, kind, target, int(u2), "2025-03-01")
            else:
                _assign(session, kind, target, int(u1), "2020-01-01")
    session.flush()
    return {"half": half}
