"""Vector tiles (Mapbox Vector Tile, MVT) of the map's big layers, served as OGC API – Tiles (``/ogc/…/tiles``).

A map at city or province scale cannot fetch every feature of a view as GeoJSON: tiles cut the layers into
256-px squares per zoom, simplified for that zoom, each cached by the browser and revalidated with an ETag from the
layers' change counter. Modules, in the order they depend on each other:

* :mod:`~gridmap.tiles.quad` — the WebMercatorQuad tile matrix set: a tile's bounds, checking ``z/y/x``, TileJSON.
* :mod:`~gridmap.tiles.encode` — the Python MVT encoder (SpatiaLite's path; PostGIS encodes in SQL): EPSG:4326
  shapes → tile coordinates, clipped, simplified, snapped and wound as the MVT spec says, vectorised with shapely.
* :mod:`~gridmap.tiles.layers` — which collections are tiled, from which zoom, with which attributes (id, name,
  kind, the responsible unit as of a day), and :func:`~gridmap.tiles.layers.render_tile`.
* :mod:`~gridmap.tiles.cache` — rendered tiles kept in the process by their version tag (an edit moves it).
"""
