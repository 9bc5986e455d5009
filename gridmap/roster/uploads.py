"""A roster uploaded on the page waits here between its preview and the commander's confirmation, so the file
imported is exactly the file previewed (no second upload). Each upload is a folder named by a random token under
the instance folder; confirmed or abandoned uploads are removed (abandoned ones after :data:`KEEP`)."""

from __future__ import annotations

import re
import secrets
import shutil
import time
from pathlib import Path

from gridmap.errors import InvalidInput, NotFound, Problem

KEEP = 24 * 3600  # seconds an unconfirmed upload is kept: a preview left open over lunch still imports
SUFFIXES = (".xlsx", ".csv")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _root(instance_dir: Path) -> Path:
    return instance_dir / "roster-uploads"


def park(instance_dir: Path, filename: str, data: bytes) -> str:
    """Keep an uploaded roster (its own name, without any folder) and return its token."""
    name = Path(filename.replace("\\", "/")).name.strip()[:120] or "roster.xlsx"
    if Path(name).suffix.lower() not in SUFFIXES:
        raise InvalidInput(Problem(f"{name}: give a .xlsx or .csv file", field="file",
                                   zh=f"{name}：请上传 .xlsx 或 .csv 文件"))  # fmt: skip
    if not data:
        raise InvalidInput(Problem(f"{name} is empty", field="file", zh=f"{name} 是空文件"))
    root = _root(instance_dir)
    _prune(root)
    token = secrets.token_hex(16)
    folder = root / token
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    return token


def parked(instance_dir: Path, token: str) -> Path:
    """The file of an upload (NotFound once imported or expired)."""
    folder = _root(instance_dir) / token
    files = sorted(folder.iterdir()) if _TOKEN.match(token or "") and folder.is_dir() else []
    if not files:
        raise NotFound("that upload is gone (imported or expired): upload the file again",
                       zh="该上传文件已导入或已过期，请重新上传")  # fmt: skip
    return files[0]


def discard(instance_dir: Path, token: str) -> None:
    if _TOKEN.match(token or ""):
        shutil.rmtree(_root(instance_dir) / token, ignore_errors=True)


def _prune(root: Path) -> None:
    if not root.is_dir():
        return
    old = time.time() - KEEP
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < old:
            shutil.rmtree(folder, ignore_errors=True)
