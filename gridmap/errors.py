"""Typed errors raised by use-cases. Interfaces turn them into messages and status codes, never tracebacks."""

from __future__ import annotations

from dataclasses import dataclass


class GridmapError(Exception):
    """Base of every error a user is meant to read. ``zh`` is the same sentence in Chinese, shown to zh-CN readers
    (the interface's default language); the English text stays the API's stable ``error``."""

    def __init__(self, message: str = "", zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: where (file, feature/row number, field) and what."""

    message: str
    source: str | None = None
    feature: int | None = None
    field: str | None = None
    zh: str | None = None  # the message in Chinese, for zh-CN readers

    def __str__(self) -> str:
        where = [
            p
            for p in (
                self.source,
                f"feature {self.feature}" if self.feature else None,
                f"field {self.field!r}" if self.field else None,
            )
            if p
        ]
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def text_zh(self) -> str | None:
        """The problem for a zh-CN reader (None: no Chinese sentence was given)."""
        if self.zh is None:
            return None
        field = f"“{self.field}”" if self.field else None  # which input, as the English text names it
        where = [p for p in (f"第 {self.feature} 项" if self.feature else None, self.source, field) if p]
        return f"{'，'.join(where)}：{self.zh}" if where else self.zh


class InvalidInput(GridmapError):
    """Input that cannot be accepted; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        shown = "\n  ".join(str(p) for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        head = "rejected: " if len(problems) == 1 else f"rejected, {len(problems)} problems (nothing was written):\n  "
        zh_lines = [p.text_zh() or (f"“{p.field}”有误" if p.field else "输入有误") for p in problems]
        zh = None
        if any(p.zh for p in problems):
            zh = "请求未被接受（未作任何修改）：" + "；".join(zh_lines[:50])
        super().__init__(head + shown + more, zh=zh)


class NotFound(GridmapError):
    """A referenced object does not exist."""


class Forbidden(GridmapError):
    """The actor may not do this (their role, their scope, or four eyes: approving their own request)."""


class Conflict(GridmapError):
    """The action collides with the current state (someone else acted first, an overlapping period...)."""


class DatabaseError(RuntimeError):
    """The store cannot be reached or prepared (missing extension, wrong URL...)."""
