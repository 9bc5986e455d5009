"""The OpenAPI document: it parses, its references resolve, and it describes every /api/v1 route of the app."""

from __future__ import annotations

import json
import re

from gridmap.config import Settings
from gridmap.web import create_app


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        out = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return out + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_openapi_lists_every_api_route(tmp_path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.sqlite'}", instance_dir=tmp_path))
    resp = app.test_client().get("/api/v1/openapi.json")
    assert resp.status_code == 200
    doc = json.loads(resp.data)
    assert doc["openapi"].startswith("3.") and doc["info"]["title"]
    for ref in _refs(doc):
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]  # a dangling reference raises here
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((path, method))
    missing = sorted(served - documented)
    assert not missing, f"undocumented API routes: {missing}"
    # every documented path parameter is declared
    for path, ops in doc["paths"].items():
        for name in re.findall(r"{([a-z_]+)}", path):
            for op in ops.values():
                assert any(p["name"] == name and p["in"] == "path" for p in op.get("parameters", [])), (path, name)
