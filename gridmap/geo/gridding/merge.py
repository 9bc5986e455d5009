"""Pieces merged: slivers into the neighbour sharing the longest edge, pieces a compound straddles into one."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
import shapely.errors
from shapely import STRtree

from gridmap.geo.gridding.parts import UnionFind, robust_intersection


def merge_groups(
    faces: np.ndarray,
    faces_m: np.ndarray,
    compounds: np.ndarray,
    compounds_m: np.ndarray,
    sliver_m2: float,
    initial: np.ndarray,
    block: np.ndarray,
    counts: dict[str, Any] | None = None,
) -> np.ndarray:
    """Group labels per face: initial pieces, joined over compounds, then slivers into neighbours.

    ``counts`` (if given) receives ``compound_joins`` (merges of two groups over a compound),
    ``slivers_merged`` (groups smaller than ``sliver_m2`` merged into a neighbour) and ``joined_compounds`` (the
    indices of the compounds that joined groups).

    A sliver goes to the neighbour sharing the longest edge inside its own road block if there is one (a
    strip left beside a compound joins the grid next to it, not the block across the road), else to the
    neighbour sharing the longest edge.
    """
    n = len(faces)
    uf = UnionFind(n)
    joins = slivers = 0

    def done(labels: np.ndarray) -> np.ndarray:
        if counts is not None:
            counts["compound_joins"] = counts.get("compound_joins", 0) + joins
            counts["slivers_merged"] = counts.get("slivers_merged", 0) + slivers
        return labels

    # faces that came from one piece stay together
    first: dict[int, int] = {}
    for i, piece in enumerate(initial.tolist()):
        if piece in first:
            uf.union(first[piece], i)
        else:
            first[piece] = i
    tree = STRtree(faces)

    # a compound overlapping several faces pulls them into one grid
    if compounds.size:
        ci, fj = tree.query(compounds, predicate="intersects")
        if ci.size:
            inter = shapely.area(robust_intersection(compounds_m[ci], faces_m[fj]))
            real = inter > 1e-6 * shapely.area(compounds_m[ci]) + 1e-6
            ci, fj = ci[real], fj[real]
            for c in np.unique(ci):
                members = fj[ci == c]
                joined = False
                for m in members[1:]:
                    if uf.find(int(members[0])) != uf.find(int(m)):
                        joins += 1
                        joined = True
                    uf.union(int(members[0]), int(m))
                if joined and counts is not None:
                    counts.setdefault("joined_compounds", []).append(int(c))

    # shared edge lengths between touching faces (metres); faces of one polygonize share edges exactly, so
    # the intersection of two boundaries is their common edge (a point where they only touch at a corner)
    a, b = tree.query(faces, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if a.size:
        rings = shapely.boundary(faces_m)
        shared = shapely.length(robust_intersection(rings[a], rings[b]))
        touch = shared > 0  # float crumbs of the polygonize share edges of ~1e-12 m: they merge too
        a, b, shared = a[touch], b[touch], shared[touch]
    else:
        shared = np.zeros(0)
    same_block = block[a] == block[b]
    area = shapely.area(faces_m)

    while True:
        labels = uf.labels()
        gl, inverse = np.unique(labels, return_inverse=True)
        if len(gl) <= 1:
            return done(labels)
        garea = np.bincount(inverse, weights=area, minlength=len(gl))
        ga, gb = inverse[a], inverse[b]
        cross = ga != gb
        if not cross.any():
            return done(labels)
        small = np.flatnonzero(garea < sliver_m2)
        has_nb = np.zeros(len(gl), bool)
        has_nb[ga[cross]] = True
        has_nb[gb[cross]] = True
        small = small[has_nb[small]]
        if small.size == 0:
            return done(labels)
        g = small[np.lexsort((gl[small], garea[small]))[0]]
        # total shared length from group g to each neighbouring group
        sel = cross & ((ga == g) | (gb == g))
        other = np.where(ga[sel] == g, gb[sel], ga[sel])
        inside = same_block[sel]
        lengths = np.bincount(other[inside], weights=shared[sel][inside], minlength=len(gl))
        if not lengths.any():
            lengths = np.bincount(other, weights=shared[sel], minlength=len(gl))
        best = int(np.argmax(lengths))
        uf.union(int(gl[g]), int(gl[best]))
        slivers += 1
