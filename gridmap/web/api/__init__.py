"""The JSON API (``/api/v1``), one blueprint per module: :mod:`~.health` (and the OpenAPI document), :mod:`~.routing`
(snap, nothing stored), :mod:`~.cases` (reports, cases, categories, holidays, photos), :mod:`~.assignments` (assign,
gaps, heat), :mod:`~.maps` (popups, search, a unit). :mod:`~.schemas` holds the typed models of every request and
answer; :mod:`~.openapi` validates requests against them and generates the document from them."""
