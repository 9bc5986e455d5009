"""Steps 3–4, road blocks → areas: the district polygonized with all roads on the output grid (EPSG:4326), the blocks
grouped into area-balanced, contiguous 街道 around designed seeds, and the blocks of each 街道 clustered into as
many contiguous, area-balanced groups as it has 社区."""

from __future__ import annotations

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Polygon

from .config import GRID, rng_for


def block_faces(district_ll: Polygon, roads_ll: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Road blocks in EPSG:4326, snap-rounded to the output grid: the district boundary noded with the roads.

    Also returns the noded edges: grids are cut along these (not the raw roads), so that roads lying on a
    community boundary coincide with it exactly.
    """
    lines = np.concatenate([[district_ll.exterior], shapely.get_parts(roads_ll)])
    edges = shapely.get_parts(shapely.union_all(lines, grid_size=GRID))
    faces = shapely.get_parts(shapely.polygonize(edges))
    faces = faces[shapely.intersects(district_ll, shapely.point_on_surface(faces))]
    order = np.lexsort((shapely.get_x(shapely.centroid(faces)), -shapely.get_y(shapely.centroid(faces))))
    return faces[order], edges


def adjacency(faces_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i < j) of faces sharing an edge, with the shared length in metres."""
    tree = STRtree(faces_m)
    a, b = tree.query(faces_m, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    rings = shapely.boundary(faces_m)
    shared = shapely.length(shapely.intersection(rings[a], rings[b]))
    keep = shared > 0.5
    return a[keep], b[keep], shared[keep]


def balanced_assign(
    xy: np.ndarray, area: np.ndarray, seeds: np.ndarray, seed_group: np.ndarray, share: np.ndarray, iters: int = 200
) -> np.ndarray:
    """Nearest-seed assignment with additive weights per group tuned until group areas match ``share``."""
    d2 = ((xy[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2)
    ngroups = len(share)
    w = np.zeros(ngroups)
    total = area.sum()
    scale = float(np.median(d2))
    best, best_err = None, np.inf
    for _ in range(iters):
        cost = d2 - w[seed_group][None, :]
        label = seed_group[np.argmin(cost, axis=1)]
        got = np.bincount(label, weights=area, minlength=ngroups) / total
        err = np.abs(got - share).max()
        if err < best_err:
            best, best_err = label, err
        if err < 0.01:
            break
        w += 0.5 * scale * (share - got)
    return best


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of the graph with edges (a[k], b[k]); each label is the smallest member."""
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    for i, j in zip(a, b, strict=True):
        ri, rj = find(int(i)), find(int(j))
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return np.array([find(i) for i in range(n)], dtype=np.int64)


def make_contiguous(
    labels: np.ndarray, area: np.ndarray, a: np.ndarray, b: np.ndarray, shared: np.ndarray, scope: np.ndarray
) -> np.ndarray:
    """Move every component of a label but its largest to the neighbouring label (same scope) sharing most edge."""
    labels = labels.copy()
    n = len(labels)
    for _ in range(50):
        same = labels[a] == labels[b]
        comp = components(n, a[same], b[same])
        comp_area = np.bincount(comp, weights=area, minlength=n)
        moved = False
        for lab in np.unique(labels):
            comps = np.unique(comp[labels == lab])
            if len(comps) <= 1:
                continue
            keep = comps[np.argmax(comp_area[comps])]
            for c in comps[np.argsort(comp_area[comps], kind="stable")]:
                if c == keep:
                    continue
                members = comp == c
                edge = (members[a] ^ members[b]) & (scope[a] == scope[b])
                other = np.where(members[a[edge]], b[edge], a[edge])
                if other.size == 0:
                    continue
                lens = {}
                for o, s in zip(labels[other], shared[edge], strict=True):
                    lens[int(o)] = lens.get(int(o), 0.0) + float(s)
                target = max(sorted(lens), key=lambda k: lens[k])
                labels[members] = target
                moved = True
            if moved:
                break
        if not moved:
            return labels
    raise RuntimeError("could not make areas contiguous")


def smooth_labels(
    labels: np.ndarray, a: np.ndarray, b: np.ndarray, shared: np.ndarray, scope: np.ndarray, rounds: int = 8
) -> np.ndarray:
    """Straighten borders: a block that shares more edge with one neighbouring label than with its own moves."""
    labels = labels.copy()
    n = len(labels)
    ok = scope[a] == scope[b]
    a, b, shared = a[ok], b[ok], shared[ok]
    nlab = int(labels.max()) + 1
    for r in range(rounds):
        m = np.zeros((n, nlab))
        np.add.at(m, (a, labels[b]), shared)
        np.add.at(m, (b, labels[a]), shared)
        own = m[np.arange(n), labels]
        best = np.argmax(m, axis=1)
        move = m[np.arange(n), best] > own * 1.05
        move &= (np.arange(n) % 2) == (r % 2)  # half the blocks per round: no swapping back and forth
        new = labels.copy()
        new[move] = best[move]
        if np.any(np.bincount(new, minlength=nlab)[np.unique(labels)] == 0):
            break
        labels = new
    return labels


def cluster_blocks(xy: np.ndarray, area: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k area-balanced clusters: farthest-point seeds, a few weighted k-means rounds, then balancing."""
    if k == 1:
        return np.zeros(len(xy), dtype=np.int64)
    start = int(np.argmax(xy[:, 1] - 0.2 * xy[:, 0]))
    centres = [xy[start]]
    for _ in range(k - 1):
        d = np.min(((xy[:, None, :] - np.array(centres)[None]) ** 2).sum(axis=2), axis=1)
        centres.append(xy[int(np.argmax(d * area))])
    c = np.array(centres)
    for _ in range(12):
        label = np.argmin(((xy[:, None, :] - c[None]) ** 2).sum(axis=2), axis=1)
        for j in range(k):
            m = label == j
            if m.any():
                c[j] = np.average(xy[m], axis=0, weights=area[m])
    return balanced_assign(xy, area, c, np.arange(k), np.full(k, 1.0 / k), iters=400)


# street seeds (local metres): the 街道 are placed around these, areas in proportion to their 社区 counts
STREET_SEEDS: dict[str, list[tuple[float, float]]] = {
    "141102001": [(500, 700), (1700, 500), (900, 1400)],  # 滨河: the centre north of the rivers, east
    "141102002": [(-1300, 600), (-1900, -300), (-800, 1100)],  # 凤山: west of the centre
    "141102003": [(300, -900), (1500, -800), (-800, -1500)],  # 莲花池: south of the rivers
    "141102004": [(700, 2400), (600, 3500)],  # 城北: 北川河 east bank
    "141102005": [(-2700, -1800), (-2300, -2800)],  # 田家会: down the 三川河
    "141102006": [(3100, 300), (3500, -500)],  # 交口: up the 东川河
    "141102007": [(-900, 2400), (-900, 3500)],  # 西属巴: 北川河 west bank
}


def assign_areas(
    blocks_m: np.ndarray, streets: list[dict[str, str]], communities: list[dict[str, str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Per block: index of its street and of its community (indices into the two lists)."""
    xy = shapely.get_coordinates(shapely.point_on_surface(blocks_m))
    area = shapely.area(blocks_m)
    a, b, shared = adjacency(blocks_m)
    counts = np.array([sum(c["street_code"] == s["code"] for c in communities) for s in streets], float)
    seeds, seed_group = [], []
    for i, s in enumerate(streets):
        for p in STREET_SEEDS[s["code"]]:
            seeds.append(p)
            seed_group.append(i)
    street = balanced_assign(xy, area, np.array(seeds, float), np.array(seed_group), counts / counts.sum())
    whole = np.zeros(len(xy), dtype=np.int64)
    street = make_contiguous(street, area, a, b, shared, whole)
    street = make_contiguous(smooth_labels(street, a, b, shared, whole), area, a, b, shared, whole)

    community = np.full(len(xy), -1, dtype=np.int64)
    rng = rng_for("communities")
    for i, s in enumerate(streets):
        members = np.flatnonzero(street == i)
        idx = [j for j, c in enumerate(communities) if c["street_code"] == s["code"]]
        local = cluster_blocks(xy[members], area[members], len(idx), rng)
        community[members] = np.asarray(idx)[local]
    community = make_contiguous(community, area, a, b, shared, street)
    community = make_contiguous(smooth_labels(community, a, b, shared, street), area, a, b, shared, street)
    if len(np.unique(community)) != len(communities):
        raise RuntimeError("a community lost all its blocks")
    return street, community
