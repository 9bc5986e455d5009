"""What is wrong with one value, as a sentence in English and in Chinese, from a pydantic error (an item of
``ValidationError.errors()``): the API's 400 answers (:func:`gridmap.web.api.openapi.problems_of`) and the
assessment schemes' checks (:func:`gridmap.evaluation.scheme.parse_scheme`) both say it so — pydantic's own
English never reaches a zh-CN reader, and each kind of error is worded once, in both languages side by side."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sentences:
    """One problem's sentence in each language (without the field: the caller names it)."""

    en: str
    zh: str


def _shown_en(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _shown_zh(value: object) -> str:
    return repr(value) if not isinstance(value, str) else f"“{value[:40]}”"


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def sentences(err: Mapping[str, Any]) -> Sentences:
    """The sentences of one pydantic error. A validator of gridmap's raises ``PydanticCustomError("gridmap", ...)``
    with its English ``message`` and, in the context, its Chinese ``zh``."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    msg = str(err["msg"])
    en, zh = _shown_en(value), _shown_zh(value)
    if kind == "gridmap" or kind.startswith("value_error"):
        return Sentences(msg.removeprefix("Value error, "), str(ctx.get("zh") or "取值有误"))
    if kind == "missing":
        return Sentences("is required", "必填")
    if kind in ("string_type", "string_unicode"):
        return Sentences("must be text", "须为文字")
    if kind.startswith("int_"):
        return Sentences(f"{en} is not a whole number", f"{zh} 不是数字")
    if kind.startswith("float_") or kind == "finite_number":
        return Sentences(f"{en} is not a number", f"{zh} 不是数字")
    if kind.startswith("bool_"):
        return Sentences(f"{en} is not true or false", f"{zh} 须为 true 或 false")
    if kind.startswith("date_"):
        return Sentences(f"{en} is not a date (YYYY-MM-DD)", f"{zh} 不是日期（年-月-日）")
    if kind.startswith("datetime_"):
        return Sentences(
            f"{en} is not an ISO-8601 time (e.g. 2026-11-26T09:30:00+08:00)",
            f"{zh} 不是 ISO-8601 时间（如 2026-11-26T09:30:00+08:00）",
        )
    if kind in ("enum", "literal_error"):
        return Sentences(f"{en} is not one of {ctx.get('expected', '')}".rstrip(), f"{zh} 不是可选的值")
    if kind in ("greater_than_equal", "greater_than"):
        least, equal = ctx.get("ge", ctx.get("gt")), kind.endswith("equal")
        return Sentences(
            f"{en} is too small: {'the least allowed is' if equal else 'above'} {least}",
            f"{zh} 太小，{'最小为' if equal else '须大于'} {_num(least)}",
        )
    if kind in ("less_than_equal", "less_than"):
        most, equal = ctx.get("le", ctx.get("lt")), kind.endswith("equal")
        return Sentences(
            f"{en} is too large: {'the most allowed is' if equal else 'below'} {most}",
            f"{zh} 太大，{'最大为' if equal else '须小于'} {_num(most)}",
        )
    if kind == "too_long":
        return Sentences(
            f"{ctx.get('actual_length')} items: at most {ctx.get('max_length')} per request",
            f"最多 {ctx.get('max_length')} 项",
        )
    if kind == "too_short":
        return Sentences(f"needs at least {ctx.get('min_length')} items", f"至少需要 {ctx.get('min_length')} 项")
    if kind == "string_too_long":
        return Sentences(
            f"is {len(str(value))} characters long; at most {ctx.get('max_length')}",
            f"太长，最多 {ctx.get('max_length')} 个字符",
        )
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return Sentences("must be an object", "须为对象")
    if kind in ("list_type", "tuple_type"):
        return Sentences("must be a list", "须为列表")
    plain = msg[:1].lower() + msg[1:]  # pydantic's own words: only English has them
    if kind == "string_too_short":
        return Sentences(plain, "不能为空")
    if kind == "union_tag_invalid":
        return Sentences(plain, f"“{str(ctx.get('tag'))[:40]}”不是可选的值（{ctx.get('expected_tags')}）")
    if kind == "union_tag_not_found":
        return Sentences(plain, f"{zh} 不是可选的值")
    if kind == "extra_forbidden":
        return Sentences(plain, "不认识的字段")
    return Sentences(plain, "取值有误")
