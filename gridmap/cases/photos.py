"""Photos attached to reports and case events: validated by their bytes, stored under the instance folder.

A photo is accepted when its first bytes say JPEG, PNG or WebP (the file name and the client's content type are
not trusted), it is no larger than the configured limit (5 MB by default), it has at most :data:`MAX_PIXELS` pixels
(judged from its header, before decoding: a 20000×20000 image or a zlib bomb would take gigabytes) and Pillow
decodes it whole (a truncated or damaged file is refused). Its metadata is then reduced to the time, the position
and the orientation (:mod:`gridmap.cases.exif`). Files are stored once, named by
their SHA-256 (``instance/photos/ab/ab12….jpg``), so the same photo sent twice is stored once and a name can
never point outside the folder. Events reference photos by that name.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import warnings
from pathlib import Path

from PIL import Image, ImageFile

from gridmap.cases.exif import strip
from gridmap.errors import InvalidInput, NotFound, Problem

MAX_PHOTOS = 9
_NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp)$")
MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
MAX_PIXELS = 40_000_000  # a 40-megapixel photo: more than any phone camera takes
_PIL_FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}


def decode_problem(data: bytes, ext: str) -> str | None:
    """Why the image cannot be taken (too many pixels, or it does not decode), or None. The size is read from the
    header before anything is decoded; a JPEG is decoded at 1/8 scale (every byte of it is still read)."""
    # WeasyPrint (the notices' PDF) sets Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported; a photo must
    # decode whole whatever else the process has imported, so the check asks for strictness itself.
    truncated_ok, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[ext]]) as img:
                width, height = img.size
                if width * height > MAX_PIXELS:
                    return _too_many(width, height)
                if ext == "jpg":
                    img.draft(img.mode, (max(1, width // 8), max(1, height // 8)))
                img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "图片像素过多 (the image has too many pixels)"
    except Exception:  # whatever Pillow raises for a damaged file, it is not a photo we take
        return "图片无法解码：文件损坏或不完整 (the image cannot be decoded: damaged or truncated)"
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
    return None


def _too_many(width: int, height: int) -> str:
    return (
        f"图片 {width}×{height} 像素过多，上限 {MAX_PIXELS // 1_000_000} 百万像素 "
        f"({width}×{height} pixels is over the limit of {MAX_PIXELS // 1_000_000} megapixels)"
    )


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
    """Validate every photo (all problems reported at once); returns (original name, ext, bytes with only the kept
    metadata)."""
    problems: list[Problem] = []
    if len(files) > MAX_PHOTOS:
        problems.append(
            Problem(
                f"at most {MAX_PHOTOS} photos per step, got {len(files)}",
                field=field,
                zh=f"每步最多 {MAX_PHOTOS} 张照片，收到 {len(files)} 张",
            )
        )
    out = []
    for i, (name, data) in enumerate(files, start=1):
        where = f"{field}[{i}] {name!r}" if name else f"{field}[{i}]"
        if not data:
            problems.append(Problem("the file is empty", field=where, zh="文件是空的"))
            continue
        if len(data) > max_bytes:
            problems.append(
                Problem(
                    f"{len(data) / 1e6:.1f} MB is over the limit of {max_bytes / 1e6:.1f} MB",
                    field=where,
                    zh=f"{len(data) / 1e6:.1f} MB，超过 {max_bytes / 1e6:.1f} MB 的上限",
                )
            )
            continue
        ext = sniff(data)
        if ext is None:
            problems.append(
                Problem(
                    "not a JPEG, PNG or WebP image (judged by its content)",
                    field=where,
                    zh="不是 JPEG、PNG 或 WebP 图片",
                )
            )
            continue
        trouble = decode_problem(data, ext)
        if trouble is not None:
            problems.append(Problem(trouble, field=where, zh="图片已损坏或无法读取"))
            continue
        out.append((name, ext, strip(data, ext)))
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
        raise NotFound(f"no photo {file!r}", zh="照片不存在")
    path = Path(instance_dir) / "photos" / file[:2] / file
    if must_exist and not path.is_file():
        raise NotFound(f"no photo {file!r}", zh="照片不存在")
    return path
