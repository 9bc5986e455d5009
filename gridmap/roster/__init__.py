"""The roster (包联台账): who is responsible for which road segment, compound and grid, from a city's spreadsheet.

Modules, in the order they depend on each other:

* :mod:`~gridmap.roster.names` — the name normaliser (pure): full-width, spaces, 小区/花园 suffixes, 路/街/巷.
* :mod:`~gridmap.roster.match` — each row's target among the stored features, with its confidence or candidates.
* :mod:`~gridmap.roster.files` — import (preview, then all or nothing, one recorded change), undo and export.
* :mod:`~gridmap.roster.uploads` — a file uploaded on the page, kept between its preview and the confirmation.
"""
