"""Routing vocabulary: the rules, kinds and CRS names; the rules' settings are :class:`gridmap.config.RoutingConfig`
(one of the settings); the lock guarding the package's shared caches."""

from __future__ import annotations

import threading

import numpy as np

from gridmap.config import RULES, SEGMENT_LEVELS, RoutingConfig
from gridmap.store.models import SegmentLevel
from gridmap.store.targets import KINDS

CRS_NAMES = ("wgs84", "gcj02")
FEATURE_KINDS = KINDS  # the assignable features a report can match
MATCH_KINDS = (*FEATURE_KINDS, "community", "street", "component")  # … or the default party's area, or a 部件
ANSWER_RULES = (*RULES, "component")  # the rule an answer names: a component report tries its owner first


LOCK = threading.RLock()  # guards the package's shared caches (the routing layers)

assert set(RULES) == {*FEATURE_KINDS, "default"} and tuple(lv.value for lv in SegmentLevel) == SEGMENT_LEVELS


def tolerances(config: RoutingConfig) -> np.ndarray:
    """Segment tolerance by level code (0 main, 1 secondary, 2 back)."""
    return np.array([config.tolerance_m[lv] for lv in SEGMENT_LEVELS])
