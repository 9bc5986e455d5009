"""Hostile input refused before any handler sees it: bodies over the size limit (413, from the Content-Length,
unread), JSON nested too deep (400, before it is parsed: the parser would recurse until it fails), NUL bytes in the
path, query, form, file names or JSON text (400 naming where: PostgreSQL refuses them in text), and ids in URL paths
beyond the INTEGER range both databases share (404: the ``int`` converter is bounded).

The answers of the HTTP errors themselves (404, 405, 413, 429) speak the user's language: :func:`http_message`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import Flask, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map

from gridmap.cases.photos import MAX_PHOTOS
from gridmap.config import Settings
from gridmap.errors import InvalidInput, Problem
from gridmap.inputs import MAX_ID
from gridmap.web.limits import retry_after

MAX_JSON_DEPTH = 64
"""The deepest nesting of arrays and objects a JSON body may have (the API's own bodies need 4)."""

_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_TOO_DEEP = f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层，未处理 (JSON nested deeper than {MAX_JSON_DEPTH} levels)"
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000|\x00")


class BoundedInt(IntegerConverter):
    """Werkzeug's ``int`` converter bounded to the ids a database can hold: a larger number matches no route (404)
    instead of overflowing in the driver (500)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max)


def max_body_bytes(app: Flask) -> int:
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert isinstance(limit, int)
    return limit


def install(app: Flask, settings: Settings) -> None:
    """Set the body limit (unconditionally: Flask defines the key as None) and bound the ``int`` converter (before
    any route is added). The app runs :func:`check_request` before every other check."""
    if settings.max_body_mb is not None:
        app.config["MAX_CONTENT_LENGTH"] = int(settings.max_body_mb * 2**20)
    else:
        app.config["MAX_CONTENT_LENGTH"] = settings.cases.photo_max_bytes * MAX_PHOTOS + 2**20
    app.url_map.converters["int"] = BoundedInt


def check_request() -> None:
    """Refuse a body over the limit unread, then NUL bytes and deep JSON, all problems at once."""
    limit = request.max_content_length
    if limit is not None and request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    problems: list[Problem] = []
    if b"\x00" in unquote_to_bytes(request.environ.get("PATH_INFO", "").encode("latin-1", "replace")) or (
        "\x00" in request.path
    ):
        problems.append(_nul("path"))
    for key, value in request.args.items(multi=True):
        if "\x00" in (key or "") or "\x00" in (value or ""):
            problems.append(_nul(f"query {key!r}" if "\x00" not in key else "query"))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            for key, value in request.form.items(multi=True):
                if "\x00" in (key or "") or "\x00" in (value or ""):  # (a multipart part may hold no text)
                    problems.append(_nul(f"form {key!r}" if "\x00" not in key else "form"))
            for key, f in request.files.items(multi=True):
                if "\x00" in key or "\x00" in (f.filename or ""):
                    problems.append(_nul(f"file name of {key!r}" if "\x00" not in key else "file name"))
        elif request.is_json:
            problems.extend(json_problems(request.get_data(cache=True)))
    if problems:
        raise InvalidInput(problems)


def json_problems(data: bytes) -> list[Problem]:
    """Nesting deeper than :data:`MAX_JSON_DEPTH` and NUL characters in a JSON text, found without parsing it.

    >>> [str(p) for p in json_problems(b'[' * 65 + b']' * 65)][0][:25]
    'JSON body: JSON 嵌套超过 64 层'
    >>> json_problems(b'{"a": "[[[[\\\\u0000"}') == [], len(json_problems(b'{"a": "\\\\u0000"}'))
    (False, 1)
    """
    problems = []
    if data.count(b"[") + data.count(b"{") > MAX_JSON_DEPTH:
        depth = 0
        for m in _JSON_TOKENS.finditer(data):
            token = m.group()
            if token in (b"[", b"{"):
                depth += 1
                if depth > MAX_JSON_DEPTH:
                    problems.append(Problem(_TOO_DEEP, source="JSON body"))
                    break
            elif token in (b"]", b"}"):
                depth -= 1
    if _JSON_NUL.search(data):
        problems.append(_nul("JSON body"))
    return problems


def _nul(where: str) -> Problem:
    return Problem("含有 NUL 字符 (\\0)，请删除 (contains a NUL character)", source=where)


# -- the HTTP errors' own answers ------------------------------------------------------------------------------------

_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("请求无法处理", "bad request"),
    401: ("需要登录或 API 令牌", "sign in or send an API token"),
    403: ("无权执行此操作", "forbidden"),
    404: ("请求的地址或对象不存在", "not found: no such address or object"),
    405: (
        "不允许对此地址使用 {method} 方法（允许：{allowed}）",
        "method {method} not allowed here (allowed: {allowed})",
    ),
    413: (
        "请求体过大：超过 {limit} MB 的上限，未读取",
        "request body too large: over the limit of {limit} MB, not read",
    ),
    429: ("请求过于频繁，请 {retry} 秒后再试", "too many requests: try again in {retry} seconds"),
}


def http_message(exc: HTTPException) -> str:
    """The error's message in the user's language; an error without a text of ours keeps Werkzeug's description."""
    code = exc.code or 500
    if code not in _MESSAGES:
        return exc.description or exc.name
    if code in (400, 401, 403) and exc.description and exc.description != type(exc).description:
        return exc.description  # said by the application itself
    zh, en = _MESSAGES[code]
    text = en if g.get("lang") == "en" else zh
    allowed = ", ".join(sorted(getattr(exc, "valid_methods", None) or ()))
    limit = (request.max_content_length or 0) / 2**20
    retry = retry_after() if code == 429 else 0
    return text.format(method=request.method, allowed=allowed, limit=f"{limit:g}", retry=retry)


def error_headers(exc: HTTPException) -> list[tuple[str, str]]:
    """The headers an error's answer carries besides its body: ``Allow`` on a 405, ``Retry-After`` on a 429."""
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    if exc.code == 429 and not any(k.lower() == "retry-after" for k, _ in headers):
        headers.append(("Retry-After", str(retry_after())))
    return headers
