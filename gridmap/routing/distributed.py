"""Bulk routing on Dask (``dask.distributed``) when one machine is outgrown: the rows are cut into chunks, each
routed by :func:`~gridmap.routing.csv_file.route_chunk` on a worker against the layers, which are scattered to
every worker once (one pickled copy per worker, not per task). Every chunk runs the same code as the single-process
path on the same layers, so the answers are identical; the chunks come back in order.

``scheduler`` is ``tcp://host:8786`` (a running cluster: its workers need gridmap installed) or ``local:N`` (a
``LocalCluster`` of N single-threaded worker processes on this machine)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from gridmap.errors import InvalidInput, Problem
from gridmap.routing.config import RoutingConfig
from gridmap.routing.csv_file import Chunk, route_chunk
from gridmap.routing.tables import Layers

if TYPE_CHECKING:
    from distributed import Client

CHUNK_ROWS = 250_000  # rows per task: big enough for the vectorised blocks, small enough to spread


@contextmanager
def dask_client(scheduler: str) -> Iterator[Client]:
    """A ``distributed.Client`` for ``scheduler`` (closed afterwards, with the local cluster it started)."""
    from distributed import Client, LocalCluster

    if scheduler.startswith("local:"):
        try:
            workers = int(scheduler.removeprefix("local:"))
        except ValueError:
            workers = 0
        if workers < 1:
            raise InvalidInput(
                Problem("local:N needs a number of workers N ≥ 1", "--scheduler", zh="local:N 需要工作进程数 N ≥ 1")
            )
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit=0
        )
        with cluster, Client(cluster) as client:
            yield client
    elif scheduler.startswith(("tcp://", "tls://")):
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise InvalidInput(
                Problem(
                    f"cannot reach the Dask scheduler {scheduler}: {exc}",
                    "--scheduler",
                    zh=f"无法连接 Dask 调度器 {scheduler}：{exc}",
                )
            ) from None
        with client:
            yield client
    else:
        raise InvalidInput(
            Problem(
                f"{scheduler!r} is no Dask scheduler: give tcp://host:8786 or local:N",
                "--scheduler",
                zh=f"{scheduler!r} 不是 Dask 调度器地址：请给出 tcp://主机:8786 或 local:N",
            )
        )


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
