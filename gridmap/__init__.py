"""gridmap: geospatial grid management for civilised-city (创城) and digital urban management (数字城管) work."""

# shapely, pyproj and pyogrio must be loaded before the first SpatiaLite connection: loading mod_spatialite
# first makes the process pick the system GEOS/PROJ and abort (measured here, see DESIGN.md).
import pyogrio  # noqa: F401
import pyproj  # noqa: F401
import shapely  # noqa: F401

__version__ = "0.1.0"
