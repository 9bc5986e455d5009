"""Settings: one typed object, read once from the environment (``GRIDMAP_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_DATA_DIR = PROJECT_ROOT / "data" / "boundaries"


def _default_instance() -> Path:
    return Path(os.environ.get("GRIDMAP_INSTANCE", PROJECT_ROOT / "instance"))


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
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
