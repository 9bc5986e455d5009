"""The layout promises of the code base, checked: one dialect module, every package described, few loose modules."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gridmap"
DIALECT_MODULE = PACKAGE / "store" / "dialect.py"
# Migrations are frozen history: each must keep doing what it did when it shipped, whatever the code does now.
MIGRATIONS = PACKAGE / "store" / "migrations"

# Ways of asking which database this is: SQLAlchemy's dialect object, the URL's backend, the names as literals.
ASKING = [
    (re.compile(r"(?<!gridmap\.store)\.dialect\b"), "reads SQLAlchemy's dialect"),
    (re.compile(r"get_backend_name|drivername"), "reads the URL's backend"),
    (re.compile(r"\bis_sqlite\b|\bis_postgres"), "asks is_sqlite/is_postgres"),
    (re.compile(r"dialect_of\([^)]*\)\.name\s*(==|!=|\bin\b)"), "compares the dialect's name"),
]
NAMES = re.compile(r"""^[rbuf]*(['"])(sqlite|postgresql|postgis|spatialite|psycopg)\1$""", re.IGNORECASE)


def _code(text: str) -> tuple[str, list[tokenize.TokenInfo]]:
    """A module's code with comments and docstrings (string statements) blanked out, and its string literals."""
    lines = text.splitlines(keepends=True)
    blank: list[tuple[tuple[int, int], tuple[int, int]]] = []
    strings = []
    previous = tokenize.NEWLINE
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            blank.append((tok.start, tok.end))
            continue
        if tok.type == tokenize.NL:
            continue
        if tok.type == tokenize.STRING and previous in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            blank.append((tok.start, tok.end))  # a docstring
            previous = tokenize.NEWLINE
            continue
        if tok.type == tokenize.STRING:
            strings.append(tok)
        previous = tok.type
    for (r0, c0), (r1, c1) in reversed(blank):
        if r0 == r1:
            ln = lines[r0 - 1]
            lines[r0 - 1] = ln[:c0] + " " * (c1 - c0) + ln[c1:]
        else:
            lines[r0 - 1] = lines[r0 - 1][:c0] + "\n"
            for r in range(r0, r1 - 1):
                lines[r] = "\n"
            lines[r1 - 1] = " " * c1 + lines[r1 - 1][c1:]
    return "".join(lines), strings


def _asking(text: str) -> list[str]:
    code, strings = _code(text)
    found = [what for pattern, what in ASKING if pattern.search(code)]
    found += [f"line {t.start[0]} names a database: {t.string}" for t in strings if NAMES.match(t.string)]
    return found


def _modules() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if MIGRATIONS not in p.parents and p != DIALECT_MODULE]


def test_no_module_but_the_dialect_module_asks_which_database_it_is_on() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {what}" for path in _modules() for what in _asking(path.read_text(encoding="utf-8"))
    ]
    assert not found, "ask gridmap.store.dialect.dialect_of() instead:\n" + "\n".join(found)


def test_the_dialect_check_catches_each_way_of_asking() -> None:
    """The check above must fail on code that asks: each way is caught, and docstrings/comments are not code."""
    asking = [
        "if session.get_bind().dialect.name == 'sqlite':\n    pass\n",
        "sqlite = url.get_backend_name()\n",
        "x = settings.is_sqlite\n",
        "if dialect_of(s).name == 'x':\n    pass\n",
        "kind = 'postgresql'\n",
    ]
    for src in asking:
        assert _asking(src), src
    prose = 'def f():\n    """The dialect: engine.dialect.name == "sqlite"."""\n    # is_sqlite\n    return 1\n'
    assert not _asking(prose)


def _layout_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert match, "the README has no '## Layout' section"
    return match.group(1)


def test_the_readme_layout_describes_every_package() -> None:
    section = _layout_section()
    packages = sorted(
        p.parent.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("__init__.py") if MIGRATIONS not in p.parents
    )
    missing = []
    for pkg in packages:
        name = pkg.removeprefix("gridmap/").rsplit("/", 1)[-1] if pkg != "gridmap" else None
        if name is None:
            continue
        # a line naming the package as a folder ("routing/"), with what it is for after it
        line = next((ln for ln in section.splitlines() if re.search(rf"(^|\s){re.escape(name)}/(\s|$)", ln)), None)
        if line is None or len(line.split(f"{name}/", 1)[1].strip()) < 10:
            missing.append(pkg)
    assert not missing, f"README Layout: add one line each for {missing}"


def test_gridmap_has_few_loose_modules() -> None:
    """Code lives in the capability packages; a handful of modules everyone uses sit at the top."""
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert len(loose) <= 8, loose


def test_only_the_two_units_of_work_commit() -> None:
    """Use-cases never commit: a request writes inside web.session.writing, a command inside store.engine's
    session_scope — so a failure anywhere leaves the store as it was."""
    allowed = {PACKAGE / "web" / "session.py", PACKAGE / "store" / "engine.py"}
    found = [
        f"{path.relative_to(ROOT)}"
        for path in _modules()
        if path not in allowed and re.search(r"\.(commit|rollback)\(\)", _code(path.read_text(encoding="utf-8"))[0])
    ]
    assert not found, found


_IGNORE = re.compile(r"#\s*type:\s*ignore\b")
_IGNORE_WITH_REASON = re.compile(r"#\s*type:\s*ignore\[[a-z0-9-]+(,\s*[a-z0-9-]+)*\]\s+#\s*\S")


def _ignores_without_reason(text: str) -> list[int]:
    return [
        tok.start[0]
        for tok in tokenize.generate_tokens(io.StringIO(text).readline)
        if tok.type == tokenize.COMMENT and _IGNORE.search(tok.string) and not _IGNORE_WITH_REASON.search(tok.string)
    ]


def test_every_type_ignore_says_why() -> None:
    """``# type: ignore[code]  # why``: the error code mypy reports, then what it cannot see."""
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in _ignores_without_reason(path.read_text(encoding="utf-8"))
    ]
    assert not found, "write `# type: ignore[code]  # why`:\n" + "\n".join(found)


def test_the_ignore_check_catches_bare_ignores() -> None:
    for src in ("x = f()  # type: ignore\n", "x = f()  # type: ignore[arg-type]\n", "x = f()  #type:ignore[misc]  #\n"):
        assert _ignores_without_reason(src), src
    assert not _ignores_without_reason("x = f()  # type: ignore[arg-type]  # numpy's stubs refuse None\n")
    assert not _ignores_without_reason('s = "# type: ignore"\n')


def test_no_module_imports_another_modules_private_names() -> None:
    """What a module shares is public; an underscore name is that module's own business."""
    import ast

    found = []
    for path in sorted([*PACKAGE.rglob("*.py"), *(ROOT / "tests").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private and node.module.split(".")[0] in ("gridmap", "tests", "demo_city"):
                    found.append(f"{path.relative_to(ROOT)}: from {node.module} import {', '.join(private)}")
    assert not found, found
