"""Components 部件: the city's inventory of public facilities (manhole covers, street lamps, bins, signs, hydrants…),
each a point of a component class (category ``BJ`` + its 4-digit code) with its owner 权属单位.

Where the parts live: the table and its migration (``components``, 0012) in :mod:`gridmap.store`; the file import
(``gridmap import components``, vectorised and all-or-nothing) in :mod:`gridmap.imports.layer_import`; the routing
rule (a component report goes to the owner of the nearest component of its class) in :mod:`gridmap.routing`; the
map layer (OGC collection ``components``, vector tiles from street level) in :mod:`gridmap.maps` and
:mod:`gridmap.tiles`. This package holds what is the inventory's own: the demo city's components
(:mod:`gridmap.components.demo`).
"""
