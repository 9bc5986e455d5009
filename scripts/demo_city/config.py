"""The fixed parameters of the scenario, shared by every step: the seed and one random generator per stage, the
metric CRS and the origin of the local coordinates, the output precision and the reference date ("today")."""

from __future__ import annotations

from datetime import date

import numpy as np

SEED = 141102
EPSG = 32649  # WGS 84 / UTM zone 49N
ORIGIN = (111.1420, 37.5265)  # the (synthetic) confluence of 北川河 and 东川河
GRID = 1e-6  # output precision: 6 decimals of a degree (~0.1 m)
TODAY = date(2026, 11, 26)


def rng_for(stage: str) -> np.random.Generator:
    """A generator per stage, so that changing one stage never reshuffles another."""
    return np.random.default_rng([SEED, *stage.encode()])
