"""SQLite WAL checkpoints off the request path, for the long-running server.

By default the commit that takes the write-ahead log past 1,000 pages copies them into the database file and
syncs it, inside whatever request made that commit: measured on the report intake, about one POST in a hundred
took 20 ms longer than the others, which is the whole p99. The server instead runs a PASSIVE checkpoint (it never
blocks readers or writers) from a background thread every ``interval`` seconds, and its request connections only
checkpoint as a safety net, past ``SAFETY_NET_PAGES``.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError

SAFETY_NET_PAGES = 10_000  # ~40 MB of log: reached only if the background thread stops keeping up


class WalCheckpointer:
    """A daemon thread checkpointing one SQLite database's WAL; ``stop()`` ends it."""

    def __init__(self, engine: Engine, interval: float = 1.0) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gridmap-wal-checkpoint", daemon=True)
        event.listen(engine, "connect", _raise_autocheckpoint)
        engine.dispose()  # connections opened before now keep the default: open them again

    def start(self) -> WalCheckpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, pages in the log, pages copied into the database)."""
        with self.engine.connect() as conn:
            busy, log, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        return int(busy), int(log), int(done)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.checkpoint()
            except (DBAPIError, OSError):  # a busy or vanished database must not end the thread
                continue


def _raise_autocheckpoint(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA wal_autocheckpoint = {SAFETY_NET_PAGES}")
    cur.close()
