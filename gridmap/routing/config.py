"""Routing settings: the rule and kind vocabulary, :class:`RoutingConfig` (defaults, loading from a file or the
environment), and the lock guarding the package's shared caches."""

from __future__ import annotations

import json
import os
import threading
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from gridmap.errors import InvalidInput, Problem
from gridmap.store.targets import KINDS

RULES = ("compound", "segment", "grid", "default")
SEGMENT_LEVELS = ("main", "secondary", "back")
CRS_NAMES = ("wgs84", "gcj02")
FEATURE_KINDS = KINDS  # the assignable features a report can match
MATCH_KINDS = (*FEATURE_KINDS, "community", "street")  # … or, for the default party, an area


def _rule_tuple(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidInput(Problem(f"expected a list of rules from {list(RULES)}, got {value!r}", field=where))
    rules = tuple(str(v) for v in value)
    bad = [r for r in rules if r not in RULES]
    if bad or not rules or len(set(rules)) != len(rules):
        raise InvalidInput(
            Problem(f"{list(rules)!r}: each rule once, from {list(RULES)} (unknown: {bad or 'none'})", field=where)
        )
    return rules


_DEFAULT_TOLERANCE = {"main": 50.0, "secondary": 30.0, "back": 15.0}


@dataclass(frozen=True)
class RoutingConfig:
    """How reports are routed. Defaults follow common practice; a city overrides them in a TOML or JSON file
    named by ``GRIDMAP_ROUTING_CONFIG``::

        order = ["compound", "segment", "grid", "default"]
        ambiguous_m = 3        # another unit's feature this much farther away → ambiguous
        far_m = 5000           # farther than this outside every area → refused
        [tolerance_m]          # nearest-segment tolerance per road level
        main = 50
        secondary = 30
        back = 15
        [category_order]       # per category-code prefix (longest prefix wins)
        BJ0101 = ["segment", "compound", "grid", "default"]   # manhole covers go to the road's unit
    """

    order: tuple[str, ...] = RULES
    tolerance_m: Mapping[str, float] = field(default_factory=lambda: dict(_DEFAULT_TOLERANCE))
    ambiguous_m: float = 3.0
    far_m: float = 5000.0
    category_order: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timezone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        # Levels not given keep their defaults.
        object.__setattr__(self, "tolerance_m", {**_DEFAULT_TOLERANCE, **dict(self.tolerance_m)})
        for level in SEGMENT_LEVELS:
            v = self.tolerance_m.get(level)
            if not isinstance(v, int | float) or not 0 <= float(v) <= 1000:
                problems.append(Problem(f"{v!r}: a distance 0..1000 m", field=f"tolerance_m.{level}"))
        extra = set(self.tolerance_m) - set(SEGMENT_LEVELS)
        if extra:
            problems.append(Problem(f"unknown road levels {sorted(extra)}", field="tolerance_m"))
        if not isinstance(self.ambiguous_m, int | float) or not 0 <= self.ambiguous_m <= 100:
            problems.append(Problem(f"{self.ambiguous_m!r}: a distance 0..100 m", field="ambiguous_m"))
        if not isinstance(self.far_m, int | float) or not 0 < self.far_m <= 1_000_000:
            problems.append(Problem(f"{self.far_m!r}: a distance in metres > 0", field="far_m"))
        try:
            ZoneInfo(self.timezone)
        except Exception:
            problems.append(Problem(f"{self.timezone!r} is not a time zone", field="timezone"))
        if problems:
            raise InvalidInput(problems)
        object.__setattr__(self, "order", _rule_tuple(self.order, "order"))
        object.__setattr__(self, "tolerance_m", {k: float(self.tolerance_m[k]) for k in SEGMENT_LEVELS})
        object.__setattr__(
            self,
            "category_order",
            {str(k): _rule_tuple(v, f"category_order.{k}") for k, v in self.category_order.items()},
        )

    @property
    def max_tolerance(self) -> float:
        return max(self.tolerance_m.values())

    def order_for(self, category: str | None) -> tuple[str, ...]:
        """The rule order for a category code: the longest configured prefix of the code, else the default."""
        if category:
            best = max((p for p in self.category_order if category.startswith(p)), key=len, default=None)
            if best is not None:
                return self.category_order[best]
        return self.order

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "routing config") -> RoutingConfig:
        known = {"order", "tolerance_m", "ambiguous_m", "far_m", "category_order", "timezone"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput(Problem(f"unknown settings {unknown}; known: {sorted(known)}", source))
        kwargs = dict(data)
        try:
            return cls(**kwargs)
        except InvalidInput as exc:
            raise InvalidInput([Problem(p.message, source, p.feature, p.field) for p in exc.problems]) from None

    @classmethod
    def from_file(cls, path: str | Path, defaults: Mapping[str, Any] | None = None) -> RoutingConfig:
        """The settings of a TOML or JSON file; ``defaults`` fill what the file leaves out."""
        path = Path(path)
        try:
            raw = path.read_text(encoding="utf-8")
            data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw)
        except OSError as exc:
            raise InvalidInput(Problem(f"cannot read: {exc.strerror}", str(path))) from None
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
            raise InvalidInput(Problem(f"not valid {kind}: {exc}", str(path))) from None
        if not isinstance(data, dict):
            raise InvalidInput(Problem("expected a table of settings", str(path)))
        return cls.from_mapping({**(defaults or {}), **data}, str(path))

    @classmethod
    def from_env(cls) -> RoutingConfig:
        """The file named by ``GRIDMAP_ROUTING_CONFIG`` (re-read when it changes), else the defaults; the time
        zone of ``GRIDMAP_TIMEZONE`` unless the file names one."""
        path = os.environ.get("GRIDMAP_ROUTING_CONFIG", "")
        tz = os.environ.get("GRIDMAP_TIMEZONE", "")
        if not path:
            return cls(timezone=tz) if tz else _DEFAULT_CONFIG
        stamp = (path, Path(path).stat().st_mtime_ns if Path(path).exists() else None, tz)
        with LOCK:
            hit = _CONFIG_CACHE.get(stamp)
        if hit is None:
            hit = cls.from_file(path, {"timezone": tz} if tz else None)
            with LOCK:
                _CONFIG_CACHE.clear()
                _CONFIG_CACHE[stamp] = hit
        return hit


_DEFAULT_CONFIG = RoutingConfig()
_CONFIG_CACHE: dict[tuple[str, int | None, str], RoutingConfig] = {}
LOCK = threading.RLock()


def tolerances(config: RoutingConfig) -> np.ndarray:
    """Segment tolerance by level code (0 main, 1 secondary, 2 back)."""
    return np.array([config.tolerance_m[lv] for lv in SEGMENT_LEVELS])
