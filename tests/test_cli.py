"""The `gridmap` command as a newcomer meets it: help, init, and clear errors instead of tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from gridmap.cli import main


def test_help_lists_the_first_steps() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "demo", "serve", "import", "import-osm"):
        assert command in result.output


def test_init_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    runner = CliRunner()
    assert runner.invoke(main, ["--database-url", url, "db", "current"]).output.strip() == "not initialised"
    first = runner.invoke(main, ["--database-url", url, "init"])
    assert first.exit_code == 0, first.output
    assert "database ready at revision" in first.output
    again = runner.invoke(main, ["--database-url", url, "init"])
    assert again.exit_code == 0
    current = runner.invoke(main, ["--database-url", url, "db", "current"]).output.strip()
    assert current and current != "not initialised"


def test_commands_on_an_uninitialised_database_say_what_to_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    geojson = tmp_path / "x.geojson"
    geojson.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    result = CliRunner().invoke(main, ["--database-url", url, "import", "segments", str(geojson)])
    assert result.exit_code != 0
    assert "gridmap init" in result.output
    assert "Traceback" not in result.output


def test_an_unsupported_database_url_is_refused_clearly() -> None:
    result = CliRunner().invoke(main, ["--database-url", "mysql://root@localhost/x", "init"])
    assert result.exit_code != 0
    assert "unsupported database URL" in result.output


def test_the_command_runs_as_a_program_the_way_make_run_starts_it(tmp_path: Path) -> None:
    # `make run` calls `python -m gridmap`; the installed script is `gridmap`. Both must start (no import cycle).
    bin_dir = Path(sys.executable).parent
    for argv in ([sys.executable, "-m", "gridmap", "--help"], [str(bin_dir / "gridmap"), "--help"]):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "import-osm" in done.stdout and "grids" in done.stdout
