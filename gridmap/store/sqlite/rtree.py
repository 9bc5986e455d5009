"""Adding many points to a SQLite R*Tree (SpatiaLite's spatial index ``idx_<table>_<column>``) at once.

SQLite's R*Tree has no bulk-load API: each row inserted through the virtual table walks the tree and may split
or re-insert nodes (~20 µs a row, 20 s for a million). For a large load the tree is instead rebuilt from all its
entries (those it already holds plus the new ones), packed along a Hilbert curve by
:func:`gridmap.geo.rtree_pack.pack`, and written straight into the module's three shadow tables in the format
the module itself reads (``ext/rtree/rtree.c``). ``rtreecheck()`` and SpatiaLite's ``CheckSpatialIndex()``
verify the result in the tests; later single-row inserts and deletes go through the module as usual.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from gridmap.geo.rtree_pack import float32_box, hilbert_order, pack


def point_boxes(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The R*Tree boxes of points: float32 intervals rounded outwards, as SpatiaLite's triggers store them."""
    x0, x1 = float32_box(lon)
    y0, y1 = float32_box(lat)
    return np.column_stack([x0, x1, y0, y1])


def add_points(
    conn: Connection, rtree: str, ids: npt.ArrayLike, lon: npt.ArrayLike, lat: npt.ArrayLike, rebuild: bool
) -> None:
    """Index points (``ids`` with ``lon``/``lat``): ``rebuild`` (a load larger than what the tree holds) packs
    the whole tree again; otherwise, or if the shadow tables refuse writes, the boxes go in through the module
    along a Hilbert curve (about twice as fast as in file order: neighbouring inserts touch the same nodes)."""
    ids, lon, lat = np.asarray(ids), np.asarray(lon), np.asarray(lat)
    if rebuild and rebuild_with(conn, rtree, ids, point_boxes(lon, lat)):
        return
    order = hilbert_order(lon, lat)
    boxes = point_boxes(lon[order], lat[order])
    conn.exec_driver_sql(
        f'INSERT INTO "{rtree}" VALUES (?, ?, ?, ?, ?)',
        list(zip(ids[order].tolist(), *(boxes[:, j].tolist() for j in range(4)), strict=True)),
    )


def rebuild_with(conn: Connection, rtree: str, ids: np.ndarray, boxes: np.ndarray) -> bool:
    """Rebuild the R*Tree ``rtree`` holding its current entries plus (``ids``, ``boxes``); inside the caller's
    transaction, so a failure rolls it back with everything else.

    Returns False, having changed nothing, when the shadow tables cannot be written (SQLite's defensive mode):
    the caller then inserts through the virtual table.
    """
    if not rtree.replace("_", "").isalnum():
        raise ValueError(f"not an R*Tree name: {rtree!r}")
    node_size = conn.exec_driver_sql(f'SELECT length(data) FROM "{rtree}_node" WHERE nodeno = 1').scalar()
    if not node_size:
        raise ValueError(f"{rtree} has no root node")
    current = np.asarray(conn.exec_driver_sql(f'SELECT * FROM "{rtree}"').all(), dtype=np.float64).reshape(-1, 5)
    try:  # first, before packing anything: the shadow tables may be closed to writes
        conn.exec_driver_sql(f'DELETE FROM "{rtree}_parent"')
    except OperationalError:  # "table … may not be modified": SQLITE_DBCONFIG_DEFENSIVE is on
        return False
    all_ids = np.concatenate([current[:, 0].astype(np.int64), np.asarray(ids, dtype=np.int64)])
    all_boxes = np.concatenate([current[:, 1:], np.asarray(boxes, dtype=np.float64).reshape(-1, 4)])
    tree = pack(all_ids, all_boxes, int(node_size))
    conn.exec_driver_sql(f'DELETE FROM "{rtree}_rowid"')
    conn.exec_driver_sql(f'DELETE FROM "{rtree}_node"')
    conn.exec_driver_sql(
        f'INSERT INTO "{rtree}_node" (nodeno, data) VALUES (?, ?)',
        list(zip(tree.node_ids.tolist(), tree.blobs, strict=True)),
    )
    by_id = np.argsort(tree.entry_ids, kind="stable")  # append in key order: the B-tree fills page by page
    conn.exec_driver_sql(
        f'INSERT INTO "{rtree}_rowid" (rowid, nodeno) VALUES (?, ?)',
        list(zip(tree.entry_ids[by_id].tolist(), tree.leaf_of[by_id].tolist(), strict=True)),
    )
    if len(tree.parent_nodes):
        conn.exec_driver_sql(
            f'INSERT INTO "{rtree}_parent" (nodeno, parentnode) VALUES (?, ?)',
            list(zip(tree.parent_nodes.tolist(), tree.parent_of.tolist(), strict=True)),
        )
    return True
