"""``gridmap snap``'s text columns, built over arrays, are the per-point answers' text: every rule (components,
compounds, segments, grids, the default party), boundary cases, points with no unit and no candidates, in Chinese
and in English."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from sqlalchemy.orm import Session

from gridmap.components.demo import KINDS as COMPONENT_KINDS
from gridmap.config import RoutingConfig
from gridmap.routing import explain, route_points, routing_layers
from gridmap.routing.bulk_text import candidates_json, explanations, round1
from gridmap.routing.csv_file import snap_csv

pytestmark = pytest.mark.demo_city


def _points(session: Session, n: int = 4000) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Points on and beside the demo roads (so components and segments answer), anywhere in the city and beyond
    it; categories of every kind (components' among them) and times over two years."""
    layers = routing_layers(session, refresh=True)
    segs = np.asarray(layers.tables["segment"].geoms)
    rng = np.random.default_rng(16)
    on = shapely.line_interpolate_point(
        segs[rng.integers(0, len(segs), n // 2)], rng.uniform(0, 1, n // 2), normalized=True
    )
    x0, y0, x1, y1 = shapely.total_bounds(segs)
    lon = np.r_[shapely.get_x(on) + rng.normal(0, 0.0001, n // 2), rng.uniform(x0 - 0.01, x1 + 0.01, n - n // 2)]
    lat = np.r_[shapely.get_y(on) + rng.normal(0, 0.0001, n // 2), rng.uniform(y0 - 0.01, y1 + 0.01, n - n // 2)]
    cats = np.array([f"BJ{k[0]}" for k in COMPONENT_KINDS] + ["0102", "0301", "", "BJ9999"])[rng.integers(0, 11, n)]
    days = np.array(["2024-06-01", "2025-01-15 08:00", "2025-12-31T23:00:00", ""])[rng.integers(0, 4, n)]
    return lon, lat, cats, days


def test_text_columns_are_the_per_point_text(session: Session) -> None:
    lon, lat, cats, days = _points(session)
    config = RoutingConfig(category_order={"0102": ("grid", "segment", "compound", "default")})
    batch = route_points(session, lon, lat, categories=cats, observed_at=[d or None for d in days], config=config)
    ok = np.flatnonzero(batch.ok)
    got_text, got_cands = explanations(batch, ok), candidates_json(batch, ok)
    got_en = explanations(batch, ok, "en")
    rules, ambiguous, no_candidates = set(), 0, 0
    for k, i in enumerate(ok.tolist()):
        r = batch.result(i)
        assert r is not None
        assert got_text[k] == r.explanation, (i, r)
        assert got_en[k] == explain(r, "en"), (i, r)
        cands = [
            {"kind": c.kind, "id": c.id, "name": c.name, "unit_name": c.unit_name, "distance_m": c.distance_m}
            for c in r.candidates
        ]
        assert got_cands[k] == (json.dumps(cands, ensure_ascii=False) if cands else ""), (i, r)
        rules.add(r.rule)
        ambiguous += r.ambiguous
        no_candidates += not r.candidates
    assert {"component", "compound", "segment", "grid", "default", None} <= rules, rules
    assert ambiguous > 0 and no_candidates > 0


def test_snap_file_has_the_per_point_text(session: Session, tmp_path: Path) -> None:
    lon, lat, cats, days = _points(session, 2000)
    src = tmp_path / "reports.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "lon", "lat", "category", "observed_at"])
        w.writerows(zip(range(len(lon)), lon.tolist(), lat.tolist(), cats, days, strict=True))
    snap_csv(
        session, src, tmp_path / "out.csv", category_col="category", time_col="observed_at", config=RoutingConfig()
    )
    batch = route_points(
        session, lon, lat, categories=cats, observed_at=[d or None for d in days], config=RoutingConfig()
    )
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    routed = [batch.result(i) for i in range(len(lon))]
    answers = [r for r in routed if r is not None]
    assert len(rows) == len(answers)
    for row, r in zip(rows, answers, strict=True):
        assert row["explanation"] == r.explanation
        assert row["distance_m"] == ("" if r.distance_m is None else str(r.distance_m))


def test_round1_is_pythons_round() -> None:
    values = np.r_[np.arange(0, 100, 0.05), np.random.default_rng(1).uniform(0, 500, 10_000), [0.15, 2.675, 1e-9]]
    assert round1(values).tolist() == [round(v, 1) for v in values.tolist()]
