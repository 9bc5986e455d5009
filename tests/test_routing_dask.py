"""``gridmap snap`` on Dask gives the very file the single process gives; the single process gives what the
per-point answers say."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.routing import RoutingConfig, route_points
from gridmap.routing import distributed as dask_routing
from gridmap.routing.csv_file import snap_csv
from tests.routing_city import build_lattice_city, to_lonlat


def _reports(session: Session, tmp_path: Path, n: int = 1200) -> tuple[Path, np.ndarray, np.ndarray, list[str]]:
    meta = build_lattice_city(session, seed=11)
    session.commit()
    half = float(meta["half"])  # type: ignore[arg-type]
    rng = np.random.default_rng(16)
    lon, lat = to_lonlat(rng.uniform(-half - 80, half + 80, n), rng.uniform(-half - 80, half + 80, n))
    days = rng.choice(["2024-06-01 08:00", "2025-06-30T23:59:00", "2025-07-01", "", "2026-02-01 12:00:00"], n)
    src = tmp_path / "reports.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "lon", "lat", "observed_at", "note"])
        for i in range(n):
            w.writerow([f"r{i}", repr(float(lon[i])), repr(float(lat[i])), days[i], "含,逗号" if i % 7 == 0 else ""])
        w.writerow(["bad1", "abc", "37.5", "", ""])
        w.writerow(["bad2", "37.52", "111.14", "", ""])  # swapped
        w.writerow(["bad3", "1", "2"])  # too few fields
    return src, lon, lat, [d or "" for d in days.tolist()]


def test_snap_columns_are_the_per_point_answers(session: Session, tmp_path: Path) -> None:
    src, lon, lat, days = _reports(session, tmp_path)
    out = tmp_path / "one.csv"
    summary = snap_csv(session, src, out, time_col="observed_at", config=RoutingConfig())
    assert summary.routed == len(lon) and summary.bad == 3
    batch = route_points(session, lon, lat, observed_at=[d or None for d in days], config=RoutingConfig())
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(lon)
    for i, row in enumerate(rows):
        r = batch.result(i)
        assert r is not None
        cands = [
            {"kind": c.kind, "id": c.id, "name": c.name, "unit_name": c.unit_name, "distance_m": c.distance_m}
            for c in r.candidates
        ]
        assert row["unit_id"] == (str(r.responsible[0]) if r.responsible else "")
        assert row["unit_name"] == (r.responsible[1] if r.responsible else "")
        assert row["rule"] == (r.rule or "")
        assert row["matched_kind"] == (r.matched.kind if r.matched else "")
        assert row["matched_id"] == (str(r.matched.id) if r.matched else "")
        assert row["matched_name"] == (r.matched.name if r.matched else "")
        assert row["distance_m"] == ("" if r.distance_m is None else str(r.distance_m))
        assert row["ambiguous"] == ("1" if r.ambiguous else "0")
        assert row["community"] == (r.community.name if r.community else "")
        assert row["street"] == (r.street.name if r.street else "")
        assert (json.loads(row["candidates"]) if row["candidates"] else []) == cands
        assert row["explanation"] == r.explanation and row["row"] == str(i + 2)


def test_dask_two_workers_write_the_single_process_file(
    settings: Settings, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, _lon, _lat, _days = _reports(session, tmp_path)
    one, one_err = tmp_path / "one.csv", tmp_path / "one.errors.csv"
    two, two_err = tmp_path / "two.csv", tmp_path / "two.errors.csv"
    snap_csv(session, src, one, errors_path=one_err, time_col="observed_at", config=RoutingConfig())
    monkeypatch.setattr(dask_routing, "CHUNK_ROWS", 300)  # four chunks over the two workers
    args = ["--database-url", settings.database_url, "snap", str(src), "-o", str(two), "--errors", str(two_err)]
    res = CliRunner().invoke(main, [*args, "--time-col", "observed_at", "--scheduler", "local:2"])
    assert res.exit_code == 0, res.output
    assert "1203 rows: 1200 routed, 3 bad" in res.output
    assert two.read_bytes() == one.read_bytes()
    assert two_err.read_bytes() == one_err.read_bytes()


def test_a_scheduler_that_is_none_is_refused(session: Session, tmp_path: Path) -> None:
    src, *_ = _reports(session, tmp_path, n=5)
    with pytest.raises(InvalidInput, match="tcp://host:8786 or local:N"):
        snap_csv(session, src, tmp_path / "o.csv", scheduler="http://nowhere")
    with pytest.raises(InvalidInput, match=r"cannot reach the Dask scheduler tcp://127\.0\.0\.1:1"):
        snap_csv(session, src, tmp_path / "o.csv", scheduler="tcp://127.0.0.1:1")
    with pytest.raises(InvalidInput, match="N ≥ 1"):
        snap_csv(session, src, tmp_path / "o.csv", scheduler="local:0")
