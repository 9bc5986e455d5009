"""Step 5, compounds: block interiors set back from every road by the road's half width, in some blocks only, large
ones sometimes split in two; outside the river belt."""

from __future__ import annotations

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import LineString, Polygon

from .config import rng_for
from .roads import Road, river_belt

HALF_WIDTH = {"main": 16.0, "secondary": 11.0, "back": 5.0}  # kerb-to-centre + pavement, metres


def design_compounds(blocks_m: np.ndarray, roads: list[Road]) -> tuple[list[Polygon], list[int]]:
    """Compound polygons (local metres) inside blocks, set back from every road; and the block of each."""
    rng = rng_for("compounds")
    lines = np.array([r.line for r in roads], dtype=object)
    buffers = shapely.buffer(lines, np.array([HALF_WIDTH[r.level] for r in roads]), quad_segs=2)
    tree = STRtree(buffers)
    belt = river_belt(blocks_m)
    inner = shapely.buffer(blocks_m, -3.0, quad_segs=2)
    bi, rj = tree.query(blocks_m, predicate="intersects")
    out: list[Polygon] = []
    out_block: list[int] = []
    for k in range(len(blocks_m)):
        if belt[k] or inner[k].is_empty:
            continue
        near = rj[bi == k]
        space = inner[k].difference(shapely.union_all(buffers[near])) if near.size else inner[k]
        for part in shapely.get_parts(space):
            if part.geom_type != "Polygon" or part.area < 1500:
                continue
            env = shapely.oriented_envelope(part)
            if part.area / max(env.area, 1.0) < 0.55:
                continue
            if rng.random() > 0.30:  # not every block is a gated compound: shops, schools, old houses, sites
                continue
            pieces = [part]
            if part.area > 11_000 and rng.random() < 0.6:
                pieces = _split_part(part, rng)
            for p in pieces:
                p = shapely.simplify(p, 0.8)
                if p.geom_type == "Polygon" and p.is_valid and p.area >= 1200:
                    out.append(p)
                    out_block.append(k)
    return out, out_block


def _split_part(part: Polygon, rng: np.random.Generator) -> list[Polygon]:
    ring = np.asarray(shapely.oriented_envelope(part).exterior.coords)
    e0, e1 = ring[1] - ring[0], ring[2] - ring[1]
    ax = e0 if np.hypot(*e0) >= np.hypot(*e1) else e1
    ux = ax / np.hypot(*ax)
    uy = np.array([-ux[1], ux[0]])
    c = ring[:4].mean(axis=0) + ux * rng.uniform(-0.12, 0.12) * np.hypot(*ax)
    cut = LineString([c - uy * 2000, c + uy * 2000]).buffer(4.0, cap_style="flat")
    return [p for p in shapely.get_parts(part.difference(cut)) if p.geom_type == "Polygon"]
