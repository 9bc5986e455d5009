"""A backup archive (``gridmap-<UTC time>.tar``): ``manifest.json``, the database copy, ``photos/``.

The database is copied first, in one snapshot, and its row counts are taken in that same snapshot; the photos
(files that never change once written) are copied after it, so every photo the copy refers to is there. Restoring
checks the manifest's checksums and schema revision before touching anything, refuses a database that already
holds data unless forced, replaces the database in one transaction, checks the row counts against the manifest,
upgrades the schema to this code's revision if the archive is older, and records itself in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Connection, Engine, func, inspect, select

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.config import Settings
from gridmap.errors import Conflict, DatabaseError, InvalidInput, Problem
from gridmap.store.dialect import dialect_of
from gridmap.store.engine import (
    current_revision,
    head_revision,
    known_revision,
    make_session_factory,
    session_scope,
    upgrade,
)
from gridmap.store.models import Base

FORMAT = 1
MANIFEST = "manifest.json"
PHOTOS = "photos"
NAME_PREFIX = "gridmap-"
# What `gridmap init` fills by itself (the catalogue's seed): a database holding only these is empty.
SEEDED = frozenset({"alembic_version", "categories", "holidays"})


@dataclass(frozen=True)
class Done:
    """What a backup or restore did: the archive, its manifest, and the time taken."""

    path: Path
    manifest: dict[str, Any]
    seconds: float


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def row_counts(conn: Connection) -> dict[str, int]:
    """Rows per gridmap table (those the connection's database has), by name."""
    present = set(inspect(conn).get_table_names())
    return {
        t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
        for t in Base.metadata.sorted_tables
        if t.name in present
    }


def archive_path(dest: Path, now: dt.datetime | None = None) -> Path:
    """``dest`` itself, or a new time-stamped archive inside it when it is a folder."""
    if dest.is_dir():
        stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
        return dest / f"{NAME_PREFIX}{stamp}.tar"
    if dest.exists():
        raise Conflict(f"{dest} exists: give a new file name or a folder")
    if not dest.parent.is_dir():
        raise InvalidInput(Problem(f"{dest.parent} is not a folder", field="DEST"))
    return dest


def backup(engine: Engine, settings: Settings, dest: Path, actor: Actor, keep: int | None = None) -> Done:
    """A consistent backup of the database and the photos into ``dest`` (an archive file, or a folder to put a
    time-stamped one in; ``keep``: then only the newest ``keep`` archives of that folder are kept)."""
    started = time.perf_counter()
    path = archive_path(dest)
    revision = current_revision(engine)
    if revision is None:
        raise DatabaseError("the database is not initialised: nothing to back up")
    dialect = dialect_of(engine)
    with tempfile.TemporaryDirectory(prefix="gridmap-backup-", dir=path.parent) as work:
        db_file = Path(work) / dialect.dump_name
        counts = dialect.dump(engine, settings, db_file, row_counts)
        files = {dialect.dump_name: {"bytes": db_file.stat().st_size, "sha256": _sha256(db_file)}}
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(db_file, arcname=dialect.dump_name)
            photos = settings.instance_dir / PHOTOS
            for photo in sorted(photos.rglob("*")) if photos.is_dir() else []:
                if photo.is_file():
                    name = f"{PHOTOS}/{photo.relative_to(photos).as_posix()}"
                    files[name] = {"bytes": photo.stat().st_size, "sha256": _sha256(photo)}
                    tar.add(photo, arcname=name)
            manifest = {
                "format": FORMAT,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "database": dialect.name,
                "revision": revision,
                "rows": counts,
                "files": files,
            }
            data = Path(work) / MANIFEST
            data.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
            tar.add(data, arcname=MANIFEST)
        partial.replace(path)  # whole or not at all
    with session_scope(make_session_factory(engine)) as session:
        audit.record(session, actor, "backup.create", object_kind="backup", object_id=path.name,
                     after={"path": str(path), "bytes": path.stat().st_size, "rows": sum(counts.values())})  # fmt: skip
    if keep is not None and dest.is_dir():
        for old in sorted(dest.glob(f"{NAME_PREFIX}*.tar"))[:-keep] if keep > 0 else []:
            old.unlink()
    return Done(path, manifest, time.perf_counter() - started)


def read_manifest(tar: tarfile.TarFile, source: Path) -> dict[str, Any]:
    try:
        member = tar.extractfile(MANIFEST)
        manifest = json.load(member) if member is not None else None
    except (KeyError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidInput(Problem(f"not a gridmap backup of format {FORMAT} (no readable {MANIFEST})", str(source)))
    return manifest


def _extract(tar: tarfile.TarFile, names: dict[str, Any], into: Path) -> None:
    """The manifest's files, as plain files under ``into`` (a name leaving the folder, a link or a device is
    skipped: the checksum check then finds it missing)."""
    for member in tar.getmembers():
        parts = PurePosixPath(member.name).parts
        if member.name not in names or not member.isfile() or member.name.startswith("/") or ".." in parts:
            continue
        source = tar.extractfile(member)
        if source is None:
            continue
        target = into.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with source, target.open("wb") as out:
            shutil.copyfileobj(source, out)


def _holds_data(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(name for name, n in row_counts(conn).items() if n and name not in SEEDED)


def restore(engine: Engine, settings: Settings, source: Path, actor: Actor, force: bool = False) -> Done:
    """Put a backup back: the database replaced by the archive's copy, the photos added to the instance folder.
    Refused, with nothing changed, for a damaged archive, another database kind, a schema newer than this code,
    or (without ``force``) a database that already holds data."""
    started = time.perf_counter()
    dialect = dialect_of(engine)
    try:
        tar = tarfile.open(source, "r")  # noqa: SIM115  # closed by the with below
    except (OSError, tarfile.TarError) as exc:
        raise InvalidInput(Problem(f"cannot read the archive: {exc}", str(source))) from None
    with tar, tempfile.TemporaryDirectory(prefix="gridmap-restore-") as work:
        manifest = read_manifest(tar, source)
        if manifest.get("database") != dialect.name:
            raise InvalidInput(Problem(f"a backup of a {manifest.get('database')} database cannot be restored into "
                                       f"a {dialect.name} one", str(source)))  # fmt: skip
        revision = str(manifest.get("revision"))
        if not known_revision(revision):
            raise InvalidInput(Problem(f"the backup's schema revision {revision!r} is not one of this version's "
                                       f"migrations (newest: {head_revision()}): restore it with the gridmap that "
                                       "made it", str(source)))  # fmt: skip
        files: dict[str, dict[str, Any]] = manifest.get("files") or {}
        if dialect.dump_name not in files:
            raise InvalidInput(Problem(f"the archive holds no {dialect.dump_name}", str(source)))
        _extract(tar, files, Path(work))
        bad = [n for n, f in files.items() if not (Path(work) / n).is_file() or _sha256(Path(work) / n) != f["sha256"]]
        if bad:
            raise InvalidInput(Problem(f"damaged archive: {len(bad)} file(s) missing or with a wrong checksum, "
                                       f"e.g. {bad[0]}", str(source)))  # fmt: skip
        if current_revision(engine) is not None and not force:
            holding = _holds_data(engine)
            if holding:
                raise Conflict(f"the database already holds data ({', '.join(holding[:5])}…): restoring would "
                               "replace it all; add --force to do so")  # fmt: skip
        dialect.load(engine, settings, Path(work) / dialect.dump_name)
        with engine.connect() as conn:
            restored = row_counts(conn)
        expected = {k: int(v) for k, v in (manifest.get("rows") or {}).items()}
        if restored != expected:
            wrong = sorted(k for k in expected.keys() | restored.keys() if restored.get(k) != expected.get(k))
            raise DatabaseError(f"the restored database does not match the backup's row counts: {', '.join(wrong)}")
        photos_dir = settings.instance_dir / PHOTOS
        for name in files:
            if name.startswith(f"{PHOTOS}/"):
                target = photos_dir / name.removeprefix(f"{PHOTOS}/")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(work) / name, target)
    if revision != head_revision():
        upgrade(engine)  # an older backup: brought to this code's schema
    with session_scope(make_session_factory(engine)) as session:
        audit.record(session, actor, "backup.restore", object_kind="backup", object_id=source.name,
                     after={"path": str(source), "created_at": manifest.get("created_at"), "revision": revision,
                            "rows": sum(expected.values()), "forced": force})  # fmt: skip
    return Done(source, manifest, time.perf_counter() - started)
