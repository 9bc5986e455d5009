"""SQLite's online backup API: a consistent copy of a database file that the server goes on using, and a copy put
back into it, page by page, each checked by ``PRAGMA quick_check``.

The copy is taken in one step (``pages=-1``): it holds a read snapshot for as long as it runs, so writers carry on
(WAL) and the copy is the database as of one moment; an incremental copy would start again at every write.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from gridmap.errors import DatabaseError


def quick_check(path: Path) -> None:
    """``PRAGMA quick_check`` on a database file; a problem found raises :class:`DatabaseError`."""
    with closing(sqlite3.connect(path)) as conn:
        found = [row[0] for row in conn.execute("PRAGMA quick_check")]
    if found != ["ok"]:
        raise DatabaseError(f"{path}: the SQLite integrity check failed: {'; '.join(found[:5])}")


def copy_out(source: Path, dest: Path) -> None:
    """A consistent copy of the database ``source`` (in use or not) into the new file ``dest``, checked."""
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(dest)) as dst:
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    quick_check(dest)


def copy_in(source: Path, dest: Path) -> None:
    """Replace the whole content of the database ``dest`` by the copy ``source``, in one transaction, checked."""
    quick_check(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(dest, timeout=30)) as dst:
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode = WAL")  # as the app runs it
    quick_check(dest)
