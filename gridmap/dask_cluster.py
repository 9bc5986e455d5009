"""A ``dask.distributed`` client for the bulk work that outgrows one machine (routing, scorecard batches).

``scheduler`` is ``tcp://host:8786`` (a running cluster: its workers need gridmap installed) or ``local:N`` (a
``LocalCluster`` of N single-threaded worker processes on this machine)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from gridmap.errors import InvalidInput, Problem

if TYPE_CHECKING:
    from distributed import Client


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
