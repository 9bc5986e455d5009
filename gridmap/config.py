"""Settings: one typed object, read once from the environment (``GRIDMAP_*``) — the store, the interface, the case
workflow (:class:`CaseSettings`) and the routing rules (:class:`RoutingConfig`, from a file)."""

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

from gridmap.errors import InvalidInput, Problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_DATA_DIR = PROJECT_ROOT / "data" / "boundaries"


def _default_instance() -> Path:
    return Path(os.environ.get("GRIDMAP_INSTANCE", PROJECT_ROOT / "instance"))


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


RULES = ("compound", "segment", "grid", "default")  # the routing rules: a kind of feature, or the default party
SEGMENT_LEVELS = ("main", "secondary", "back")  # road levels, as gridmap.store.models.SegmentLevel


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
        component_m = 10       # a component 部件 report: the owner of the nearest component of its class this near
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
    component_m: float = 10.0
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
        if not isinstance(self.component_m, int | float) or not 0 <= self.component_m <= 1000:
            problems.append(Problem(f"{self.component_m!r}: a distance 0..1000 m", field="component_m"))
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
        known = {"order", "tolerance_m", "ambiguous_m", "far_m", "component_m", "category_order", "timezone"}
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
        """The routing rules of the settings read from the environment (:meth:`Settings.routing`)."""
        return Settings.from_env().routing()

    @classmethod
    def cached_file(cls, path: str, timezone: str) -> RoutingConfig:
        """The rules of the file ``path`` (``timezone`` unless the file names one), read again when it changes."""
        stamp = (path, Path(path).stat().st_mtime_ns if Path(path).exists() else None, timezone)
        with _CONFIG_LOCK:
            hit = _CONFIG_CACHE.get(stamp)
        if hit is None:
            hit = cls.from_file(path, {"timezone": timezone})
            with _CONFIG_LOCK:
                _CONFIG_CACHE.clear()
                _CONFIG_CACHE[stamp] = hit
        return hit


_CONFIG_CACHE: dict[tuple[str, int | None, str], RoutingConfig] = {}
_CONFIG_LOCK = threading.Lock()


@dataclass(frozen=True)
class CaseSettings:
    """Rules of the case workflow a city may set differently (``GRIDMAP_CASE_*``)."""

    working_hours: str = "08:30-12:00,14:30-18:00"  # local time, Monday–Friday unless the holidays table says so
    timezone: str = "Asia/Shanghai"
    duplicate_radius_m: float = 50.0
    duplicate_days: float = 7.0
    photo_max_bytes: int = 5 * 1024 * 1024
    open311_api_key: str = ""  # empty: POST requests need no key
    public_sources: tuple[str, ...] = ("public", "open311")  # reports that wait for on-site verification
    photo_far_m: float = 200.0  # a photo taken farther than this from the reported point is flagged to the verifier
    photo_old_hours: float = 24.0  # … or taken longer than this before the report

    @classmethod
    def from_env(cls) -> CaseSettings:
        env = os.environ
        return cls(
            working_hours=env.get("GRIDMAP_CASE_WORKING_HOURS", cls.working_hours),
            timezone=env.get("GRIDMAP_TIMEZONE", cls.timezone),
            duplicate_radius_m=_env_float("GRIDMAP_CASE_DUPLICATE_RADIUS_M", cls.duplicate_radius_m),
            duplicate_days=_env_float("GRIDMAP_CASE_DUPLICATE_DAYS", cls.duplicate_days),
            photo_max_bytes=int(_env_float("GRIDMAP_CASE_PHOTO_MAX_BYTES", cls.photo_max_bytes)),
            open311_api_key=env.get("GRIDMAP_OPEN311_API_KEY", ""),
            photo_far_m=_env_float("GRIDMAP_CASE_PHOTO_FAR_M", cls.photo_far_m),
            photo_old_hours=_env_float("GRIDMAP_CASE_PHOTO_OLD_HOURS", cls.photo_old_hours),
        )


def _env_levels(name: str, default: Mapping[str, int]) -> dict[str, int]:
    """``main=4,secondary=2,back=2`` → per road level; levels not named keep their default."""
    out = dict(default)
    for part in os.environ.get(name, "").split(","):
        level, _, value = part.partition("=")
        if level.strip() in out and value.strip().isdigit():
            out[level.strip()] = int(value)
    return out


@dataclass(frozen=True)
class PatrolSettings:
    """Road-chief patrols 路长巡查 (``GRIDMAP_PATROL_*``): what makes a fix usable, a segment patrolled, a patrol
    on time and a public report a miss 漏报 (gridmap.patrols)."""

    max_accuracy_m: float = 50.0  # a fix whose reported accuracy is worse is dropped (a phone indoors)
    max_speed_mps: float = 12.0  # a fix implying a faster move from the last kept one is a jump (~43 km/h)
    gps_error_m: float = 25.0  # the matcher's GPS noise σ: 25 m beat 10 m at every noise level tried (bench_patrols)
    search_radius_m: float = 75.0  # candidate roads around a fix (3 σ)
    min_fixes: int = 2  # matched fixes a segment needs on a day
    min_share: float = 0.5  # … and the share of its length the matched path covers (linear referencing)
    per_month: Mapping[str, int] = field(default_factory=lambda: {"main": 4, "secondary": 2, "back": 2})
    coverage_days: int = 30  # "patrolled in the last N days"
    miss_hours: float = 24.0  # a public report this soon after a patrol passed there is a miss 漏报 …
    miss_radius_m: float = 50.0  # … unless the patroller reported the same category this near
    miss_categories: tuple[str, ...] = ("01", "02", "05")  # category prefixes patrols should catch (市容, 广告, 街面)

    @classmethod
    def from_env(cls) -> PatrolSettings:
        env = os.environ
        cats = tuple(c.strip() for c in env.get("GRIDMAP_PATROL_MISS_CATEGORIES", "").split(",") if c.strip())
        return cls(
            max_accuracy_m=_env_float("GRIDMAP_PATROL_MAX_ACCURACY_M", cls.max_accuracy_m),
            max_speed_mps=_env_float("GRIDMAP_PATROL_MAX_SPEED_MPS", cls.max_speed_mps),
            min_share=_env_float("GRIDMAP_PATROL_MIN_SHARE", cls.min_share),
            per_month=_env_levels("GRIDMAP_PATROL_PER_MONTH", {"main": 4, "secondary": 2, "back": 2}),
            coverage_days=int(_env_float("GRIDMAP_PATROL_COVERAGE_DAYS", cls.coverage_days)),
            miss_hours=_env_float("GRIDMAP_PATROL_MISS_HOURS", cls.miss_hours),
            miss_radius_m=_env_float("GRIDMAP_PATROL_MISS_RADIUS_M", cls.miss_radius_m),
            miss_categories=cats or cls.miss_categories,
        )


DEV_SECRET_KEY = "dev-only-change-me"
DEV_PASSWORD_SALT = "dev-only-salt"


@dataclass(frozen=True)
class Settings:
    """Runtime configuration.

    ``database_url`` selects the store: ``sqlite:///path`` (SpatiaLite, the embedded default) or
    ``postgresql+psycopg://user@host/db`` (PostGIS).
    """

    instance_dir: Path = field(default_factory=_default_instance)
    database_url: str = ""
    spatialite_library: str = "mod_spatialite"
    secret_key: str = DEV_SECRET_KEY
    # Mixed into every password hash (Flask-Security's HMAC before argon2): changing it makes every password wrong.
    password_salt: str = DEV_PASSWORD_SALT
    # production: HTTPS-only cookies, HSTS, and the app refuses to start with the development key or salt.
    production: bool = False
    # Addresses (or CIDR networks) of the reverse proxies whose X-Forwarded-For/-Proto/-Host are believed.
    trusted_proxies: tuple[str, ...] = ()
    default_locale: str = "zh_CN"
    # Optional basemap: an XYZ tile URL template ({z}/{x}/{y}) and its attribution; empty = no basemap (offline).
    basemap_url: str = ""
    basemap_attribution: str = ""
    cases: CaseSettings = field(default_factory=CaseSettings.from_env)
    patrols: PatrolSettings = field(default_factory=PatrolSettings.from_env)
    # A TOML or JSON file of routing rules (see RoutingConfig); empty: the defaults.
    routing_config_file: str = ""
    # The largest request body taken, in MiB (Flask and waitress both refuse more, 413, before reading it); None:
    # every allowed photo of one step and 1 MiB of form around them (9 × 5 MiB + 1 = 46 MiB by default).
    max_body_mb: float | None = None
    # How often one address may use the public (no account) endpoints: a flask-limiter rate ("10/minute").
    public_rate: str = "10/minute"

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.instance_dir / 'gridmap.sqlite'}")

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Build settings from ``GRIDMAP_*`` environment variables; keyword overrides win."""
        env = os.environ
        values: dict[str, Any] = {
            "instance_dir": _default_instance(),
            "database_url": env.get("GRIDMAP_DATABASE_URL", ""),
            "spatialite_library": env.get("GRIDMAP_SPATIALITE_LIBRARY", "mod_spatialite"),
            "secret_key": env.get("GRIDMAP_SECRET_KEY", DEV_SECRET_KEY),
            "password_salt": env.get("GRIDMAP_PASSWORD_SALT", DEV_PASSWORD_SALT),
            "production": env.get("GRIDMAP_ENV", "").strip().lower() == "production",
            "trusted_proxies": tuple(p.strip() for p in env.get("GRIDMAP_TRUSTED_PROXIES", "").split(",") if p.strip()),
            "default_locale": env.get("GRIDMAP_LOCALE", "zh_CN"),
            "basemap_url": env.get("GRIDMAP_BASEMAP_URL", ""),
            "basemap_attribution": env.get("GRIDMAP_BASEMAP_ATTRIBUTION", ""),
            "routing_config_file": env.get("GRIDMAP_ROUTING_CONFIG", ""),
            "max_body_mb": float(env["GRIDMAP_MAX_BODY_MB"]) if env.get("GRIDMAP_MAX_BODY_MB") else None,
            "public_rate": env.get("GRIDMAP_PUBLIC_RATE", cls.public_rate).strip() or cls.public_rate,
        }
        values.update(overrides)
        return cls(**values)

    def routing(self) -> RoutingConfig:
        """The routing rules: those of ``routing_config_file`` (read again when the file changes), else the defaults;
        in the city's time zone unless the file names one."""
        if not self.routing_config_file:
            return RoutingConfig(timezone=self.cases.timezone)
        return RoutingConfig.cached_file(self.routing_config_file, self.cases.timezone)

    def production_problems(self) -> list[str]:
        """Why these settings must not serve production (empty: they may)."""
        problems = []
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 16:
            problems.append("GRIDMAP_SECRET_KEY is the development key or shorter than 16 characters")
        if self.password_salt == DEV_PASSWORD_SALT or len(self.password_salt) < 16:
            problems.append("GRIDMAP_PASSWORD_SALT is the development salt or shorter than 16 characters")
        return problems
