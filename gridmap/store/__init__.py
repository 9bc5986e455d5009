"""The store: where everything gridmap knows is kept, on SpatiaLite (embedded) or PostGIS, the same way.

Modules, in the order they depend on each other:

* :mod:`~gridmap.store.engine` — engines, sessions and Alembic migrations (``migrations/``) for either database.
* :mod:`~gridmap.store.models` — the ORM: areas, grids, segments, compounds, units, people, assignments, cases.
* :mod:`~gridmap.store.dialect` — the SQL that differs between SpatiaLite and PostGIS, and the one way to ask which
  database a session is on.
* :mod:`~gridmap.store.change_counters` — per-process copies of rarely edited tables, dropped exactly when a
  trigger-maintained counter says they changed.
* :mod:`~gridmap.store.bulk_writes` — features written in bulk (the importers, the demo, grid generation).
* ``sqlite/`` — what only SQLite needs: R*Tree bulk loading, WAL checkpoints off the request path, backups.
"""
