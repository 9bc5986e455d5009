"""Bringing a city's own data in: layer files, OpenStreetMap extracts, tables of units, people and assignments, and
the demo city. Every import is all-or-nothing and names the file, feature and field of each problem.

Modules, in the order they depend on each other:

* :mod:`~gridmap.imports.layer_files` — reading GDAL formats and CSV-with-WKT, legacy Shapefile encodings.
* :mod:`~gridmap.imports.attribute_checks` — each attribute coerced to its stored type and checked.
* :mod:`~gridmap.imports.layer_import` — ``gridmap import LAYER FILE``: CRS, repair, checks, then the bulk write.
* :mod:`~gridmap.imports.multilines` — multi-part road lines made single segments.
* :mod:`~gridmap.imports.osm` — road segments and compounds from an ``.osm.pbf`` extract.
* :mod:`~gridmap.imports.registry` — units, people and assignments from tables.
* :mod:`~gridmap.imports.demo` — the demo city (离石区) from ``data/boundaries``.
"""
