"""Bulk routing on Dask (``dask.distributed``) when one machine is outgrown: the rows are cut into chunks, each
routed by :func:`~gridmap.routing.csv_file.route_chunk` on a worker against the layers, which are scattered to
every worker once (one pickled copy per worker, not per task). Every chunk runs the same code as the single-process
path on the same layers, so the answers are identical; the chunks come back in order.

``scheduler`` is ``tcp://host:8786`` (a running cluster: its workers need gridmap installed) or ``local:N`` (a
``LocalCluster`` of N single-threaded worker processes on this machine)."""

from __future__ import annotations

from gridmap.dask_cluster import dask_client
from gridmap.routing.config import RoutingConfig
from gridmap.routing.csv_file import Chunk, route_chunk
from gridmap.routing.tables import Layers

CHUNK_ROWS = 250_000  # rows per task: big enough for the vectorised blocks, small enough to spread


def route_chunks(
    layers: Layers,
    cols: dict[str, list[str]],
    crs: str,
    config: RoutingConfig,
    scheduler: str,
    chunk: int | None = None,
) -> list[Chunk]:
    """Route ``cols`` on the Dask cluster of ``scheduler``, chunk by chunk; the chunks in row order."""
    n, chunk = len(cols["lon"]), chunk or CHUNK_ROWS
    with dask_client(scheduler) as client:
        shared = client.scatter(layers, broadcast=True)
        futures = [
            client.submit(
                route_chunk, shared, {k: v[s : s + chunk] for k, v in cols.items()}, crs, config, s, pure=False
            )
            for s in range(0, n, chunk)
        ]
        return list(client.gather(futures))
