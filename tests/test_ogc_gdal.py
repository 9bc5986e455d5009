"""Interoperability: GDAL's OGC API – Features client (pyogrio's bundled GDAL, driver OAPIF) reads every layer from
a live server and finds what the database holds — on SpatiaLite and PostGIS.

GDAL runs in a child process: pyogrio holds the GIL while GDAL makes its HTTP requests, which would starve the
in-process test server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from gridmap.config import Settings
from gridmap.store.models import Area, Component, Compound, Grid, Place, Segment
from gridmap.web import create_app
from gridmap.web.state import app_state
from tests.accounts import make_account
from tests.browser import live_server

CLIENT = r"""
import json, sys, pyogrio
src, bbox = sys.argv[1], tuple(float(v) for v in sys.argv[2].split(","))
out = {}
for name, geom_type in pyogrio.list_layers(src):
    df = pyogrio.read_dataframe(src, layer=name, fid_as_index=True)
    part = pyogrio.read_dataframe(src, layer=name, bbox=bbox)
    out[name] = {"n": len(df), "ids": sorted(int(i) for i in df.index), "columns": list(df.columns),
                 "bbox_n": len(part), "crs": str(df.crs), "geom_type": str(geom_type),
                 "first": {k: (None if v != v else v) for k, v in df.drop(columns="geometry").head(1)
                           .to_dict("records")[0].items()} if len(df) else {}}
print(json.dumps(out, ensure_ascii=False, default=str))
"""


@pytest.mark.demo_city
def test_gdal_oapif_reads_every_layer(settings: Settings, session) -> None:
    app = create_app(settings)
    bbox = "111.13,37.52,111.15,37.535"
    _, token = make_account(app, "viewer")
    # GDAL sends the token with every request (GDAL_HTTP_HEADERS would be replaced by the OAPIF driver's own headers)
    env = {**os.environ, "GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": token}
    with live_server(app) as base:
        run = subprocess.run(
            [sys.executable, "-c", CLIENT, f"OAPIF:{base}/ogc", bbox],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        got = json.loads(run.stdout)
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        bbox_counts = {
            cid: client.get(f"/ogc/collections/{cid}/items?bbox={bbox}&limit=10000").get_json()["numberReturned"]
            for cid in got
        }
    app_state(app).engine.dispose()
    expected = {
        "segments": session.scalars(select(Segment.id)).all(),
        "compounds": session.scalars(select(Compound.id)).all(),
        "grids": session.scalars(select(Grid.id).where(Grid.valid_to.is_(None))).all(),
        "communities": session.scalars(select(Area.id).where(Area.level == "community")).all(),
        "streets": session.scalars(select(Area.id).where(Area.level == "street")).all(),
        "places": session.scalars(select(Place.id)).all(),
        "components": session.scalars(select(Component.id)).all(),
    }
    assert set(got) == {*expected, "cases"}
    for cid, ids in expected.items():
        assert got[cid]["n"] == len(ids), cid
        assert got[cid]["ids"] == sorted(ids), f"{cid}: GDAL's feature ids are the database ids"
        assert got[cid]["bbox_n"] == bbox_counts[cid], cid
        assert 0 < got[cid]["bbox_n"] < len(ids) or cid == "streets"
    assert got["cases"]["n"] == session.scalar(select(func.count()).select_from(Area).where(Area.id < 0))
    assert {"unit_id", "unit_name", "responsibility"} <= set(got["segments"]["columns"])
    assert {"code", "unit_id"} <= set(got["grids"]["columns"])
    assert {"code", "class_code", "class_name", "unit_id", "unit_name"} <= set(got["components"]["columns"])
    assert got["segments"]["geom_type"] == "LineString"
    assert "4326" in got["segments"]["crs"] or "CRS84" in got["segments"]["crs"] or "WGS 84" in got["segments"]["crs"]
