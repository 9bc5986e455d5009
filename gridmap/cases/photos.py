"""Photos attached to reports and case events: validated by their bytes, stored under the instance folder.

A photo is accepted when its first bytes say JPEG, PNG or WebP (the file name and the client's content type are
not trusted) and it is no larger than the configured limit (5 MB by default). Files are stored once, named by
their SHA-256 (``instance/photos/ab/ab12….jpg``), so the same photo sent twice is stored once and a name can
never point outside the folder. Events reference photos by that name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from gridmap.errors import InvalidInput, NotFound, Problem

MAX_PHOTOS = 9
_NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp)$")
MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def sniff(data: bytes) -> str | None:
    """The image type from the magic bytes: ``jpg``, ``png``, ``webp`` or None.

    >>> sniff(b"\\x89PNG\\r\\n\\x1a\\n...."), sniff(b"GIF89a"), sniff(b"RIFF\\x00\\x00\\x00\\x00WEBPVP8 ")
    ('png', None, 'webp')
    """
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_photos(files: list[tuple[str, bytes]], max_bytes: int, field: str = "photos") -> list[tuple[str, str, bytes]]:
    """Validate every photo (all problems reported at once); returns (original name, ext, bytes)."""
    problems: list[Problem] = []
    if len(files) > MAX_PHOTOS:
        problems.append(Problem(f"at most {MAX_PHOTOS} photos per step, got {len(files)}", field=field))
    out = []
    for i, (name, data) in enumerate(files, start=1):
        where = f"{field}[{i}] {name!r}" if name else f"{field}[{i}]"
        if not data:
            problems.append(Problem("the file is empty", field=where))
            continue
        if len(data) > max_bytes:
            problems.append(
                Problem(f"{len(data) / 1e6:.1f} MB is over the limit of {max_bytes / 1e6:.1f} MB", field=where)
            )
            continue
        ext = sniff(data)
        if ext is None:
            problems.append(Problem("not a JPEG, PNG or WebP image (judged by its content)", field=where))
            continue
        out.append((name, ext, data))
    if problems:
        raise InvalidInput(problems)
    return out


def store_photos(instance_dir: Path, checked: list[tuple[str, str, bytes]]) -> list[dict[str, object]]:
    """Write validated photos (atomically, once per content); returns their references for an event."""
    refs = []
    for name, ext, data in checked:
        digest = hashlib.sha256(data).hexdigest()
        file = f"{digest}.{ext}"
        path = photo_path(instance_dir, file, must_exist=False)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        refs.append({"file": file, "name": name or file, "type": MIME[ext], "bytes": len(data)})
    return refs


def photo_path(instance_dir: Path, file: str, must_exist: bool = True) -> Path:
    """Where a stored photo lives; NotFound for a malformed or unknown name."""
    if not _NAME.match(file):
        raise NotFound(f"no photo {file!r}")
    path = Path(instance_dir) / "photos" / file[:2] / file
    if must_exist and not path.is_file():
        raise NotFound(f"no photo {file!r}")
    return path
