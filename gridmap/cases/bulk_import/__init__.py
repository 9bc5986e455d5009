"""``gridmap cases import``: a file of reports (a month of inspection findings, a backlog, ``gridmap snap`` output)
opened as cases in bulk, each row getting what opening it alone would have given it — deadline, areas, duplicate
link — at a million rows in under a minute.

Modules, in the order they depend on each other: :mod:`~.csv_columns` (the file read and parsed column by column),
:mod:`~.duplicate_links` (links to stored cases and earlier rows), :mod:`~.rows` (ids, times, chunked inserts,
SpatiaLite's bulk load) and :mod:`~.importer` (the use-case: :func:`~.importer.import_cases_csv`).
"""
