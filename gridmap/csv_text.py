"""The text of an uploaded CSV file: UTF-8 (with or without BOM), else GB 18030 (what Excel saves on a Chinese
Windows); anything else is refused with the line and byte where it stops being text, never a traceback."""

from __future__ import annotations

from gridmap.errors import InvalidInput, Problem


def decode(raw: bytes, source: str) -> tuple[str, str]:
    """``(encoding, text)`` of a file's bytes; InvalidInput naming the first undecodable byte otherwise."""
    try:
        return "utf-8-sig", raw.decode("utf-8-sig")
    except UnicodeDecodeError as not_utf8:
        try:
            return "gb18030", raw.decode("gb18030")
        except UnicodeDecodeError as not_gb:
            at = max(not_utf8.start, not_gb.start)  # where the text stops making sense in the likelier encoding
            line = raw[:at].count(b"\n") + 1
            message = f"line {line}: byte 0x{raw[at]:02X} is neither UTF-8 nor GB 18030 (GBK) text; save it as UTF-8"
            raise InvalidInput(Problem(message, source)) from None
