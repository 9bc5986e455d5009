"""The unified social credit code 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-letter alphabet
(digits and capitals without I, O, Z, S, V), the last a check character over the first 17.

>>> check_char("91330100716105852")
'F'
>>> normalise(" 91330100716105852f ")
'91330100716105852F'
"""

from __future__ import annotations

from gridmap.errors import Problem

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015 table 1: the 31 characters, each worth its index
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3^(i) mod 31, positions 1–17
LENGTH = 18
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_char(first17: str) -> str:
    """The check character for the first 17 characters (each in :data:`ALPHABET`)."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """Spaces removed, letters in capitals (the form stored and compared)."""
    return "".join(str(code).split()).upper()


def problem(code: str, field: str = "credit_code") -> Problem | None:
    """What is wrong with ``code`` (already normalised), or None when it is a valid code."""
    if len(code) != LENGTH:
        return Problem(f"a unified social credit code has 18 characters; {code!r} has {len(code)}", field=field,
                       zh=f"统一社会信用代码应为 18 位，“{code}”为 {len(code)} 位")  # fmt: skip
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        shown = "".join(bad)
        return Problem(f"{code!r} holds characters no credit code uses: {shown} (never I, O, Z, S, V)",
                       field=field, zh=f"“{code}”含有信用代码不使用的字符：{shown}（不用 I、O、Z、S、V）")  # fmt: skip
    if not code[2:8].isdigit():
        return Problem(f"{code!r}: characters 3–8 are the 6-digit area code", field=field,
                       zh=f"“{code}”：第 3–8 位应为 6 位行政区划代码")  # fmt: skip
    want = check_char(code[:17])
    if code[17] != want:
        return Problem(f"{code!r}: the check character is wrong (expected {want}); a mistyped character?",
                       field=field, zh=f"“{code}”：校验位不符（应为 {want}），可能有字符录入错误")  # fmt: skip
    return None
