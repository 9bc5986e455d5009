"""The road network the matcher walks on, built from the stored road segments and kept per process until the
layers change (change counter ``layers``, :mod:`gridmap.store.change_counters`).

Segments are undirected centre-lines: each becomes two directed fastmm edges, ``2·row`` along its drawing and
``2·row + 1`` against it. Nodes are the segments' end points, joined when they coincide to 0.1 m in the local
UTM zone (the segmentation ends every segment at an intersection's exact vertex). fastmm's upper-bounded
origin–destination table (UBODT, shortest paths up to :data:`UBODT_DELTA_M`) is built once per network (≈ 0.05 s for
the demo city's 3,800 segments) in a per-process temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmap.geo.crs import metric_epsg_for, transform
from gridmap.store.change_counters import CountedCopy
from gridmap.store.dialect import wkb
from gridmap.store.models import Segment

UBODT_DELTA_M = 600.0  # paths the table holds: 2–3× the longest gap between kept fixes a walk or ride leaves
NODE_SNAP_M = 0.1  # end points this close are one node
_UBODT_DIR = tempfile.mkdtemp(prefix="gridmap-ubodt-")
_QUIET = threading.Lock()


@dataclass(frozen=True)
class RoadNetwork:
    """The segments as arrays (``ids[row]`` …), their metric shapes and the fastmm matcher over them."""

    ids: np.ndarray
    names: list[str | None]
    levels: np.ndarray  # main | secondary | back
    wgs84: np.ndarray  # shapely lines, EPSG:4326
    metric: np.ndarray  # the same in ``epsg`` (metres)
    lengths: np.ndarray  # metres
    epsg: int
    matcher: Any  # fastmm.FastMapMatch, None when there is no segment
    row_of: dict[int, int]
    graph: Any = None  # the fastmm.Network: the matcher points into it without owning it, so it must live as long

    @property
    def empty(self) -> bool:
        return self.matcher is None


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """fastmm's C++ logger writes a dozen info lines to standard output per network built, which would mix into a
    command's printed answer: point file descriptor 1 at /dev/null meanwhile (one build at a time)."""
    with _QUIET:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def build_network(ids: np.ndarray, names: list[str | None], levels: np.ndarray, wgs84: np.ndarray) -> RoadNetwork:
    """A :class:`RoadNetwork` over lines in EPSG:4326 (also the benchmark's and the tests' way in)."""
    import fastmm

    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) == 0:
        return RoadNetwork(ids, [], np.asarray(levels), wgs84, wgs84, np.zeros(0), 4326, None, {})
    epsg = metric_epsg_for(wgs84)
    metric = transform(wgs84, 4326, epsg)
    coords, owner = shapely.get_coordinates(metric, return_index=True)
    first = np.searchsorted(owner, np.arange(len(ids)))
    last = np.r_[first[1:], len(owner)] - 1
    ends = np.round(np.r_[coords[first], coords[last]] / NODE_SNAP_M).astype(np.int64)
    _, node = np.unique(ends, axis=0, return_inverse=True)
    node = node.reshape(-1)
    src, dst = node[: len(ids)], node[len(ids) :]
    with _quiet_stdout():
        net = fastmm.Network()
        for row in range(len(ids)):
            pts = [tuple(p) for p in coords[first[row] : last[row] + 1].tolist()]  # fastmm wants tuples
            net.add_edge(2 * row, source=int(src[row]), target=int(dst[row]), geom=pts)
            net.add_edge(2 * row + 1, source=int(dst[row]), target=int(src[row]), geom=pts[::-1])
        net.finalize()
        try:
            matcher = fastmm.FastMapMatch(
                net, fastmm.TransitionMode.SHORTEST, max_distance_between_candidates=UBODT_DELTA_M,
                cache_dir=_UBODT_DIR,
            )  # fmt: skip
        except RuntimeError:  # "Loaded UBODT is empty": no two nodes that close (a few long roads): reach one edge
            longest = float(shapely.length(metric).max())
            matcher = fastmm.FastMapMatch(
                net, fastmm.TransitionMode.SHORTEST, max_distance_between_candidates=longest * 1.01 + 1.0,
                cache_dir=_UBODT_DIR,
            )  # fmt: skip
    row_of = {int(i): r for r, i in enumerate(ids.tolist())}
    return RoadNetwork(
        ids, names, np.asarray(levels), wgs84, metric, shapely.length(metric), epsg, matcher, row_of, net
    )


def _load(session: Session) -> RoadNetwork:
    rows = session.execute(
        select(Segment.id, Segment.name, Segment.level, wkb(Segment.geom)).order_by(Segment.id)
    ).all()
    geoms = shapely.from_wkb([bytes(r[3]) for r in rows]) if rows else np.zeros(0, dtype=object)
    return build_network(
        np.array([r.id for r in rows], dtype=np.int64), [r.name for r in rows],
        np.array([r.level for r in rows], dtype=object), np.asarray(geoms, dtype=object),
    )  # fmt: skip


_NETWORK: CountedCopy[RoadNetwork] = CountedCopy("layers", _load)


def road_network(session: Session) -> RoadNetwork:
    """The network of the stored segments as they are now (read again only after the layers changed)."""
    return _NETWORK.get(session)
