"""Routing a report to its responsible unit: which rule, which feature, how far, who — and why.

A report is a point (WGS-84, or GCJ-02 from Amap/Tencent clients), optionally a category code and the time it was
observed. The rules run in a configurable order (:class:`RoutingConfig`), per point, and the first one that finds
a feature **with a responsible unit on the observed day** fires:

``compound``
    the residential compound 小区 covering the point (nested compounds: the smallest wins);
``segment``
    the nearest road segment 路段 within the tolerance of its level (defaults: main 50 m, secondary 30 m,
    back street 15 m);
``grid``
    the unit grid 单元网格 in force on the observed day covering the point (a point on a shared edge belongs to the
    grid with the lowest code — see :mod:`gridmap.geo.snapping`);
``default``
    the default party 属地兜底: the unit of the point's community 社区, else of its street office 街道.

Before these, a report whose category is a component 部件 (``BJ`` + the 4-digit class, e.g. ``BJ0101`` 井盖) goes
to the owner 权属单位 of the nearest component of that class within ``component_m`` (10 m), answered with the rule
``component`` (a component without an owner is ignored); none that near: the rules above, as for any report.

A feature without a responsible unit that day does not stop the search: it is listed among the candidates (with
``unit`` null) and named in the explanation, and the next rule is tried. The answer's ``candidates`` are the
features each tried rule found within its tolerance (the matched one excepted); ``ambiguous`` is set when
another unit's feature of the firing rule lies no more than ``ambiguous_m`` (3 m) farther than the match — a
boundary case for a commander to confirm. The point's community is the community of its grid (grids never cross
community boundaries), else the community polygon covering it (lowest code on a shared edge); its street is the
community's parent, else the street polygon covering it.

Two paths, one decision function (:func:`~gridmap.routing.decide._route_block`), so they cannot disagree:

* :func:`route_point` (:mod:`~gridmap.routing.one_off`) — one report: fetches the features around the point
  through the database's spatial index (SpatiaLite: the ``idx_<table>_geom`` R*Tree, named explicitly; PostGIS:
  ``&&`` on the GiST index), builds a tiny :class:`~gridmap.geo.snapping.SnapIndex`, decides. A few milliseconds.
* :func:`route_points` (:mod:`~gridmap.routing.bulk`) — many reports: every layer loaded once into a metric index
  (cached per engine by :mod:`~gridmap.routing.cache`, reloaded when the layers' change counter moves), points
  answered in vectorised blocks; responsibility taken from the assignment history as of each point's own day.

Coordinates that are missing, not numbers, out of range, apparently swapped, or far (``far_m``, 5 km) outside
every district/street/community are refused with :class:`~gridmap.errors.InvalidInput` naming the field (one-off)
or reported per point while the good points are still answered (bulk).

The modules: :mod:`~gridmap.routing.config` (rules, settings, the shared lock), :mod:`~gridmap.routing.sentences`
(the explanation's templates, zh and en), :mod:`~gridmap.routing.results`
(answers), :mod:`~gridmap.routing.inputs` (input checks), :mod:`~gridmap.routing.tables` (features as columns),
:mod:`~gridmap.routing.decide`, :mod:`~gridmap.routing.bulk`, :mod:`~gridmap.routing.cache`,
:mod:`~gridmap.routing.one_off` and :mod:`~gridmap.routing.csv_file` (``gridmap snap``: a CSV file routed in bulk,
bad rows set aside). Module-level state lives in the module that owns it (the layer cache in
:mod:`~gridmap.routing.cache`).
"""

from gridmap.routing.bulk import RoutingBatch, route_points
from gridmap.routing.cache import invalidate_cache, routing_layers
from gridmap.routing.config import ANSWER_RULES, CRS_NAMES, MATCH_KINDS, RULES, SEGMENT_LEVELS, RoutingConfig
from gridmap.routing.one_off import route_point
from gridmap.routing.results import AreaRef, Candidate, Matched, PointError, RoutingResult, explain

__all__ = [
    "ANSWER_RULES",
    "CRS_NAMES",
    "MATCH_KINDS",
    "RULES",
    "SEGMENT_LEVELS",
    "AreaRef",
    "Candidate",
    "Matched",
    "PointError",
    "RoutingBatch",
    "RoutingConfig",
    "RoutingResult",
    "explain",
    "invalidate_cache",
    "route_point",
    "route_points",
    "routing_layers",
]
