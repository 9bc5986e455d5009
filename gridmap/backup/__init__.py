"""Backups: ``gridmap backup`` and ``gridmap restore``.

* :mod:`~gridmap.backup.archive` — one tar archive per backup: a consistent copy of the database taken while the
  server runs (the dialect's ``dump``: SQLite's online backup API, ``pg_dump`` for PostGIS), the case photos, and a
  manifest (format version, schema revision, row counts per table, every file's SHA-256); restoring checks all of it.
"""
