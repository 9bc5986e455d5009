"""The JSON API (``/api/v1``), one blueprint per module: :mod:`~.health`, :mod:`~.routing` (snap, nothing stored),
:mod:`~.cases` (reports, cases, categories, holidays, photos), :mod:`~.assignments` (assign, gaps, heat),
:mod:`~.maps` (popups, search, a unit), and :mod:`~.openapi` (the document that describes them all)."""
