"""The packed R-tree: read back from its node images, every entry sits in exactly one leaf, every parent box is
the union of its children's, depths and counts are what SQLite's R*Tree module expects."""

from __future__ import annotations

import numpy as np
import pytest

from gridmap.geo.rtree_pack import CELL, float32_box, hilbert_order, pack

NODE = 1228  # SQLite's node size for a 2-D R*Tree on 4 KiB pages: 4 + 51 cells of 24 bytes
CAP = (NODE - 4) // CELL.itemsize


def decode(blob: bytes) -> tuple[int, np.ndarray]:
    """(depth field, cells) of one node image."""
    assert len(blob) == NODE
    depth, count = np.frombuffer(blob[:4], dtype=">u2")
    return int(depth), np.frombuffer(blob[4 : 4 + count * CELL.itemsize], dtype=CELL)


def boxes_of(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lon = 111.1 + rng.random(n) * 0.1
    lat = 37.49 + rng.random(n) * 0.07
    x0, x1 = float32_box(lon)
    y0, y1 = float32_box(lat)
    ids = rng.permutation(n).astype(np.int64) * 3 + 7  # ids are not positions
    return ids, np.column_stack([x0, x1, y0, y1])


@pytest.mark.parametrize("n", [0, 1, CAP, CAP + 1, CAP * CAP, CAP * CAP + 5])
def test_every_entry_in_one_leaf_and_parent_boxes_are_unions(n: int) -> None:
    ids, boxes = boxes_of(n)
    tree = pack(ids, boxes, NODE)
    nodes = {int(k): decode(b) for k, b in zip(tree.node_ids, tree.blobs, strict=True)}
    assert sorted(nodes) == list(range(1, len(nodes) + 1))
    assert nodes[1][0] == tree.depth == (0 if n <= CAP else 1 if n <= CAP * CAP else 2)
    assert all(d == 0 for k, (d, _) in nodes.items() if k != 1)  # only the root carries the depth
    parent = dict(zip(tree.parent_nodes.tolist(), tree.parent_of.tolist(), strict=True))
    assert set(parent) == set(nodes) - {1}

    def walk(node: int, height: int) -> list[tuple[int, tuple[float, ...]]]:
        _, cells = nodes[node]
        assert 0 < len(cells) <= CAP or (node == 1 and n == 0)
        if height == 0:
            return [(int(c["id"]), tuple(float(v) for v in c["box"])) for c in cells]
        out = []
        for c in cells:
            child = int(c["id"])
            assert parent[child] == node
            below = walk(child, height - 1)
            b = np.asarray([box for _, box in below])
            union = (b[:, 0].min(), b[:, 1].max(), b[:, 2].min(), b[:, 3].max())
            assert tuple(float(v) for v in c["box"]) == union
            out += below
        return out

    leaves = walk(1, tree.depth)
    assert sorted(i for i, _ in leaves) == sorted(ids.tolist())
    stored = dict(leaves)
    for i, box in zip(ids.tolist(), boxes.tolist(), strict=True):
        assert stored[i] == tuple(box)  # float32-exact: stored without rounding
    leaf_of = dict(zip(tree.entry_ids.tolist(), tree.leaf_of.tolist(), strict=True))
    for leaf in {v for v in leaf_of.values()}:
        assert {int(c["id"]) for c in nodes[leaf][1]} == {i for i, v in leaf_of.items() if v == leaf}


def test_leaves_are_compact_patches() -> None:
    """Hilbert packing keeps a leaf's points together: its box is a small part of the whole extent."""
    ids, boxes = boxes_of(20_000)
    tree = pack(ids, boxes, NODE)
    leaf_cells = [decode(b)[1] for b in tree.blobs[-(len(ids) + CAP - 1) // CAP :]]
    areas = [
        (c["box"][:, 1].max() - c["box"][:, 0].min()) * (c["box"][:, 3].max() - c["box"][:, 2].min())
        for c in leaf_cells
    ]
    whole = 0.1 * 0.07
    assert np.median(areas) < whole / len(leaf_cells) * 4


def test_float32_boxes_hold_their_values_and_hilbert_is_a_permutation() -> None:
    rng = np.random.default_rng(3)
    v = 111.1 + rng.random(10_000) * 0.1
    lo, hi = float32_box(v)
    assert np.all(lo <= v) and np.all(v <= hi)
    assert np.all(lo.astype(np.float32).astype(np.float64) == lo)  # exactly representable in the R*Tree
    order = hilbert_order(v, v[::-1].copy())
    assert sorted(order.tolist()) == list(range(len(v)))


def test_a_node_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="fewer than two cells"):
        pack(np.arange(3), np.zeros((3, 4)), 40)
