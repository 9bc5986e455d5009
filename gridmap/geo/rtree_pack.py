"""A packed (bulk-loaded) R-tree of boxes, laid out as SQLite's R*Tree module stores its nodes.

Inserting a million boxes into SQLite's R*Tree one by one costs ~20 µs each (choose-leaf, splits, forced
re-inserts). A static set of boxes can instead be sorted along a Hilbert curve and packed bottom-up into full
nodes (the classic Hilbert-packed R-tree of Kamel & Faloutsos): every level is one vectorised pass. This module
only computes the tree and the node images; :mod:`gridmap.store.sqlite.rtree` writes them into a database.

SQLite's node format (``ext/rtree/rtree.c``, "Database Format of R-Tree Tables"): every node is ``node_size``
bytes; bytes 0–1 hold the tree depth in the root (node 1) and are unused elsewhere; bytes 2–3 the number of cells;
then the cells, each a big-endian 64-bit integer (a rowid in a leaf, a child node number above) followed by the
box as big-endian 32-bit floats (xmin, xmax, ymin, ymax).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELL = np.dtype([("id", ">i8"), ("box", ">f4", (4,))])  # one cell of a two-dimensional R*Tree: 24 bytes


def float32_box(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The narrowest float32 interval holding each float64 value (what SQLite's R*Tree stores: rounded outwards)."""
    v = np.asarray(v, dtype=np.float64)
    f = v.astype(np.float32)
    lo = np.where(f.astype(np.float64) > v, np.nextafter(f, np.float32(-np.inf)), f)
    hi = np.where(f.astype(np.float64) < v, np.nextafter(f, np.float32(np.inf)), f)
    return lo.astype(np.float64), hi.astype(np.float64)


def hilbert_order(x: np.ndarray, y: np.ndarray, bits: int = 16) -> np.ndarray:
    """Indices that sort points along a Hilbert curve over their bounding box (vectorised).

    >>> hilbert_order(np.array([1.0, 0.0, 0.0, 1.0]), np.array([0.0, 0.0, 1.0, 1.0])).tolist()
    [1, 2, 3, 0]
    """
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)
    side = (1 << bits) - 1
    span_x = float(np.ptp(x)) or 1.0
    span_y = float(np.ptp(y)) or 1.0
    xi = np.rint((x - x.min()) / span_x * side).astype(np.int64)
    yi = np.rint((y - y.min()) / span_y * side).astype(np.int64)
    d = np.zeros(len(x), dtype=np.int64)
    s = 1 << (bits - 1)
    while s > 0:
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = ~ry & rx
        xi = np.where(flip, s - 1 - xi, xi)
        yi = np.where(flip, s - 1 - yi, yi)
        xi, yi = np.where(~ry, yi, xi), np.where(~ry, xi, yi)
        s >>= 1
    return np.argsort(d, kind="stable")


@dataclass(frozen=True)
class PackedTree:
    """Node images ready to store: ``node_ids[i]`` owns ``blobs[i]``; root is node 1.

    ``leaf_of`` maps every entry (``entry_ids``) to the leaf node holding it; ``parent_of`` maps every node but
    the root to its parent (both as SQLite's ``%_rowid`` and ``%_parent`` tables hold them).
    """

    depth: int
    node_ids: np.ndarray
    blobs: list[bytes]
    entry_ids: np.ndarray
    leaf_of: np.ndarray
    parent_nodes: np.ndarray
    parent_of: np.ndarray


def pack(ids: np.ndarray, boxes: np.ndarray, node_size: int) -> PackedTree:
    """Pack entries (``ids``; ``boxes`` as float32-exact ``[xmin, xmax, ymin, ymax]`` rows) into full nodes.

    Entries are ordered along a Hilbert curve of their box centres, so each node covers a compact patch; every
    level above groups the nodes below in the same order.
    """
    ids = np.asarray(ids, dtype=np.int64)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    capacity = (node_size - 4) // CELL.itemsize
    if capacity < 2:
        raise ValueError(f"an R*Tree node of {node_size} bytes holds fewer than two cells")
    order = hilbert_order((boxes[:, 0] + boxes[:, 1]) / 2, (boxes[:, 2] + boxes[:, 3]) / 2)
    ids, boxes = ids[order], boxes[order]

    # Bottom-up: each level is a list of cells (ids, boxes) cut into nodes of ``capacity`` cells.
    levels: list[tuple[np.ndarray, np.ndarray]] = [(ids, boxes)]  # cells of the nodes at that height
    while len(levels[-1][0]) > capacity:
        cell_ids, cell_boxes = levels[-1]
        starts = np.arange(0, len(cell_ids), capacity)
        up = np.column_stack(
            [
                np.minimum.reduceat(cell_boxes[:, 0], starts),
                np.maximum.reduceat(cell_boxes[:, 1], starts),
                np.minimum.reduceat(cell_boxes[:, 2], starts),
                np.maximum.reduceat(cell_boxes[:, 3], starts),
            ]
        )
        levels.append((np.zeros(len(starts), dtype=np.int64), up))  # node numbers filled in below
    depth = len(levels) - 1

    # Node numbers, top-down: the root is 1, then each level in order.
    counts = [(len(c[0]) + capacity - 1) // capacity if h < depth else 1 for h, c in enumerate(levels)]
    counts[0] = max(counts[0], 1)
    first: dict[int, int] = {}
    nxt = 1
    for h in range(depth, -1, -1):
        first[h] = nxt
        nxt += counts[h]
    for h in range(1, depth + 1):
        # the cells at height h are the nodes at height h-1
        levels[h] = (np.arange(first[h - 1], first[h - 1] + counts[h - 1], dtype=np.int64), levels[h][1])

    node_ids_parts: list[np.ndarray] = []
    blob_parts: list[bytes] = []
    parent_nodes_parts: list[np.ndarray] = []
    parent_of_parts: list[np.ndarray] = []
    for h in range(depth, -1, -1):
        cell_ids, cell_boxes = levels[h]
        nodes = counts[h]
        buf = np.zeros((nodes, node_size), dtype=np.uint8)
        cells = np.zeros(nodes * capacity, dtype=CELL)
        cells["id"][: len(cell_ids)] = cell_ids
        cells["box"][: len(cell_ids)] = cell_boxes.astype(np.float32)
        buf[:, 4 : 4 + capacity * CELL.itemsize] = cells.view(np.uint8).reshape(nodes, -1)
        n_cells = np.minimum(capacity, len(cell_ids) - np.arange(nodes) * capacity).astype(">u2")
        buf[:, 2:4] = n_cells.view(np.uint8).reshape(nodes, 2)
        if h == depth:
            buf[0, 0:2] = np.frombuffer(np.array([depth], dtype=">u2").tobytes(), dtype=np.uint8)
        numbers = np.arange(first[h], first[h] + nodes, dtype=np.int64)
        node_ids_parts.append(numbers)
        blob_parts.extend(row.tobytes() for row in buf)
        if h > 0:
            # the nodes at height h-1 are children of these nodes, ``capacity`` each, in order
            parent_nodes_parts.append(cell_ids)
            parent_of_parts.append(np.repeat(numbers, capacity)[: len(cell_ids)])
    leaf_first = first[0]
    leaf_of = leaf_first + np.arange(len(ids), dtype=np.int64) // capacity
    return PackedTree(
        depth=depth,
        node_ids=np.concatenate(node_ids_parts),
        blobs=blob_parts,
        entry_ids=ids,
        leaf_of=leaf_of,
        parent_nodes=np.concatenate(parent_nodes_parts) if parent_nodes_parts else np.zeros(0, dtype=np.int64),
        parent_of=np.concatenate(parent_of_parts) if parent_of_parts else np.zeros(0, dtype=np.int64),
    )
