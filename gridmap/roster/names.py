"""Names as cities write them, reduced to a key that ignores the usual differences between a spreadsheet and the
map: full-width vs half-width characters, spaces and punctuation, the 小区/花园/家属院/社区 suffixes, and 路/街/巷
(大街) for the same road. Pure: no database, no gridmap imports."""

from __future__ import annotations

import re
import unicodedata

PLACE_SUFFIXES = ("小区", "花园", "家属院", "家属区", "社区", "居委会", "居民委员会")
"""Dropped from the end of a compound's or 社区's name (repeatedly: 阳光花园小区 → 阳光)."""

ROAD_SUFFIXES = ("大街", "大道", "路", "街", "巷")
"""A road's type word at the end of its name: all read as 路 (迎泽大街 ~ 迎泽路 ~ 迎泽街)."""

_DROP = re.compile(r"[\s·・•\-—–_/\\,，.。'\"“”‘’()（）\[\]【】《》<>]+")


def plain(text: object) -> str:
    """Full-width → half-width (NFKC), lower case, no spaces or punctuation (the brackets' content stays)."""
    if text is None:
        return ""
    return _DROP.sub("", unicodedata.normalize("NFKC", str(text))).lower()


def place_key(text: object) -> str:
    """A compound's or 社区's name without its suffixes; the name itself when it is nothing but a suffix."""
    key = plain(text)
    changed = True
    while changed:
        changed = False
        for suffix in PLACE_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
                changed = True
    return key


def road_key(text: object) -> str:
    """A road's name with its type word (路/街/巷/大街/大道) read as 路."""
    key = plain(text)
    for suffix in ROAD_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)] + "路"
    return key


def code_key(text: object) -> str:
    """A code (segment ext_id, grid code): half-width, no spaces, upper case."""
    return plain(text).upper()
