"""``gridmap backup`` and ``gridmap restore`` on the demo city, both databases: a copy taken while a writer commits
is consistent, restores into an empty database of the same kind with the same rows and photos, and a damaged or
foreign archive, or a database already holding data, is refused with nothing changed."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridmap.backup.archive import MANIFEST, backup, restore, row_counts
from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import Conflict, InvalidInput
from gridmap.store.engine import make_engine, make_session_factory, session_scope
from gridmap.store.models import AuditEntry, Base
from tests.accounts import TESTER

pytestmark = pytest.mark.demo_city

PHOTO = "ab/ab" + "0" * 30 + ".jpg"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


def _plain(value: object) -> object:
    """A geometry (geoalchemy's element) as its bytes or text: its repr holds a memory address."""
    data = getattr(value, "data", value)
    return bytes(data) if isinstance(data, memoryview | bytearray) else data


def _digests(engine: Engine, skip: frozenset[str] = frozenset({"audit_log"})) -> dict[str, str]:
    """Each table's content (rows in key order; geometries as their bytes) as a SHA-256."""
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            digest = hashlib.sha256()
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(_plain(v) for v in row)).encode())
            out[table.name] = digest.hexdigest()
    return out


class Writer(threading.Thread):
    """Commits pairs of audit entries (one transaction each) until stopped: a backup must hold whole pairs."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(daemon=True)
        self.factory = make_session_factory(engine)
        self.pairs = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        from gridmap.accounts import audit

        try:
            while not self.stop.is_set():
                with session_scope(self.factory) as session:
                    for half in (1, 2):
                        audit.record(session, TESTER, "test.pair", object_kind="pair", object_id=self.pairs,
                                     note=f"half {half}")  # fmt: skip
                self.pairs += 1
                time.sleep(0.002)
        except BaseException as exc:  # reported by the test
            self.error = exc


def _pairs(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(AuditEntry.object_id, func.count())
        .where(AuditEntry.action == "test.pair")
        .group_by(AuditEntry.object_id)
    ).all()
    return {str(k): int(n) for k, n in rows}


def _empty_target(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> Settings:
    """A new, empty database of the same kind (no schema at all), with its own instance folder."""
    instance = tmp_path / "restored"
    if settings.database_url.startswith("sqlite"):
        return Settings(database_url=f"sqlite:///{instance / 'gridmap.sqlite'}", instance_dir=instance)
    made = request.getfixturevalue("postgres").create("_restored")
    return Settings(database_url=made.database_url, instance_dir=instance)


def test_backup_while_writing_then_restore_into_an_empty_database(
    request: pytest.FixtureRequest, settings: Settings, engine: Engine, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    photo = settings.instance_dir / "photos" / PHOTO
    photo.parent.mkdir(parents=True)
    photo.write_bytes(_jpeg())
    before = _digests(engine)
    writer = Writer(engine)
    writer.start()
    while writer.pairs < 5 and writer.error is None:
        time.sleep(0.01)
    monkeypatch.setenv("GRIDMAP_INSTANCE", str(settings.instance_dir))
    runner = CliRunner()
    made = runner.invoke(main, ["--database-url", settings.database_url, "backup", str(tmp_path)])
    at_backup = writer.pairs
    time.sleep(0.2)
    writer.stop.set()
    writer.join()
    assert writer.error is None and made.exit_code == 0, (writer.error, made.output)
    assert writer.pairs > at_backup, "the writer went on after the backup"
    archive = next(tmp_path.glob("gridmap-*.tar"))
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile(MANIFEST))  # type: ignore[arg-type]  # a member, never None
    assert manifest["format"] == 1 and manifest["revision"] and manifest["rows"]["segments"] > 0
    assert f"photos/{PHOTO}" in manifest["files"]
    with session_scope(make_session_factory(engine)) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "backup.create")).one()
        assert entry.actor.startswith("cli:") and entry.via == "cli"

    target = _empty_target(request, settings, tmp_path)
    monkeypatch.setenv("GRIDMAP_INSTANCE", str(target.instance_dir))
    put_back = runner.invoke(main, ["--database-url", target.database_url, "restore", str(archive)])
    assert put_back.exit_code == 0, put_back.output
    restored = make_engine(target)
    try:
        with restored.connect() as conn:
            counts = row_counts(conn)
        assert counts == {**manifest["rows"], "audit_log": manifest["rows"]["audit_log"] + 1}  # + the restore's entry
        assert _digests(restored) == before  # the city itself, row for row
        with session_scope(make_session_factory(restored)) as s:
            pairs = _pairs(s)
            assert pairs and set(pairs.values()) == {2}  # whole transactions only
            assert 5 <= len(pairs) < writer.pairs  # those committed before the copy, none after
            assert (
                s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "backup.restore"))
                .one()
                .startswith("cli:")
            )
        assert (target.instance_dir / "photos" / PHOTO).read_bytes() == photo.read_bytes()
        # again: the database holds data now
        with pytest.raises(Conflict, match="--force"):
            restore(restored, target, archive, TESTER)
        assert restore(restored, target, archive, TESTER, force=True).manifest == manifest
    finally:
        restored.dispose()


def test_a_damaged_or_foreign_archive_is_refused_and_nothing_changes(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    archive = backup(engine, settings, tmp_path / "city.tar", TESTER).path
    with pytest.raises(Conflict, match="exists"):
        backup(engine, settings, archive, TESTER)
    before = _digests(engine, skip=frozenset())

    def rewritten(name: str, change) -> Path:
        out = tmp_path / name
        with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
            for member in src.getmembers():
                data = src.extractfile(member).read()  # type: ignore[union-attr]  # files only
                data = change(member.name, data)
                member.size = len(data)
                dst.addfile(member, io.BytesIO(data))
        return out

    def manifest_with(**changes):
        return lambda name, data: json.dumps({**json.loads(data), **changes}).encode() if name == MANIFEST else data

    flipped = rewritten(
        "flipped.tar", lambda name, data: data[:-1] + bytes([data[-1] ^ 1]) if name != MANIFEST else data
    )
    cases = {
        "checksum": flipped,
        "not one of this version": rewritten("future.tar", manifest_with(revision="9999_from_the_future")),
        "cannot be restored into": rewritten("other.tar", manifest_with(database="oracle")),
        "not a gridmap backup": rewritten("old.tar", manifest_with(format=0)),
    }
    for message, bad in cases.items():
        with pytest.raises(InvalidInput, match=message):
            restore(engine, settings, bad, TESTER, force=True)
    assert _digests(engine, skip=frozenset()) == before
