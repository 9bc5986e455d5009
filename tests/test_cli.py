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


def test_serve_answers_over_http_and_checkpoints_the_log_in_the_background(tmp_path: Path) -> None:
    """`gridmap serve` (waitress) answers the API; a report's commit leaves pages in the SQLite log and the
    background thread copies them into the database within a few seconds, without any further request."""
    import http.client
    import json
    import socket
    import struct
    import time

    url = f"sqlite:///{tmp_path / 'served.sqlite'}"
    assert CliRunner().invoke(main, ["--database-url", url, "init"]).exit_code == 0
    made = CliRunner().invoke(main, ["--database-url", url, "users", "add", "ops", "--role", "admin"],
                              input="a-long-password\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    token = CliRunner().invoke(main, ["--database-url", url, "tokens", "create", "ops"]).stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridmap", "--database-url", url, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/health")
                resp = conn.getresponse()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert resp.status == 200 and resp.getheader("Server") == "gridmap"
        resp.read()
        conn.request("GET", "/api/v1/categories/0102", headers=auth)  # same connection: HTTP/1.1 keep-alive
        first = conn.getresponse()
        assert first.status == 200 and json.loads(first.read())["code"] == "0102"

        def log_frames() -> tuple[int, int]:
            """(frames in the log, frames copied into the database), read from the WAL-index header in the -shm
            file (SQLite file format §4.5: mxFrame at byte 16, nBackfill at byte 96) — looking, not checkpointing."""
            shm = (tmp_path / "served.sqlite-shm").read_bytes()
            return struct.unpack_from("=I", shm, 16)[0], struct.unpack_from("=I", shm, 96)[0]

        body = json.dumps({"day": "2026-12-31", "is_workday": False, "name": "测试假日"})
        conn.request("POST", "/api/v1/holidays", body=body, headers={"Content-Type": "application/json", **auth})
        reply = conn.getresponse()
        assert reply.status in (200, 201), reply.read()
        reply.read()
        deadline = time.monotonic() + 3  # the checkpointer runs every second: looked at until then, not slept
        log, copied = log_frames()
        while not (log > 0 and copied == log) and time.monotonic() < deadline:
            time.sleep(0.1)
            log, copied = log_frames()
        assert log > 0 and copied == log  # the write is in the database file, though far below 1,000 pages
    finally:
        proc.terminate()
        proc.wait(timeout=10)
