"""Settings: one typed object, read once from the environment (``GRIDMAP_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_DATA_DIR = PROJECT_ROOT / "data" / "boundaries"


def _default_instance() -> Path:
    return Path(os.environ.get("GRIDMAP_INSTANCE", PROJECT_ROOT / "instance"))


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


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
        )


@dataclass(frozen=True)
class Settings:
    """Runtime configuration.

    ``database_url`` selects the store: ``sqlite:///path`` (SpatiaLite, the embedded default) or
    ``postgresql+psycopg://user@host/db`` (PostGIS).
    """

    instance_dir: Path = field(default_factory=_default_instance)
    database_url: str = ""
    spatialite_library: str = "mod_spatialite"
    secret_key: str = "dev-only-change-me"
    default_locale: str = "zh_CN"
    # Optional basemap: an XYZ tile URL template ({z}/{x}/{y}) and its attribution; empty = no basemap (offline).
    basemap_url: str = ""
    basemap_attribution: str = ""
    cases: CaseSettings = field(default_factory=CaseSettings.from_env)

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.instance_dir / 'gridmap.sqlite'}")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Build settings from ``GRIDMAP_*`` environment variables; keyword overrides win."""
        env = os.environ
        values: dict[str, object] = {
            "instance_dir": _default_instance(),
            "database_url": env.get("GRIDMAP_DATABASE_URL", ""),
            "spatialite_library": env.get("GRIDMAP_SPATIALITE_LIBRARY", "mod_spatialite"),
            "secret_key": env.get("GRIDMAP_SECRET_KEY", "dev-only-change-me"),
            "default_locale": env.get("GRIDMAP_LOCALE", "zh_CN"),
            "basemap_url": env.get("GRIDMAP_BASEMAP_URL", ""),
            "basemap_attribution": env.get("GRIDMAP_BASEMAP_ATTRIBUTION", ""),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
