"""Components 部件: the inventory import (points with a class and an owner 权属单位) and routing a component report
to the owner of the nearest component of its class, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmap.errors import InvalidInput
from gridmap.imports.layer_import import import_file
from gridmap.store.models import Component, Unit
from tests.accounts import TESTER
from tests.routing_city import SmallCity, build_small_city, to_lonlat


@pytest.fixture
def city(session: Session) -> SmallCity:
    c = build_small_city(session)
    for key, name, code in (("water", "自来水公司", "U-WATER"), ("light", "路灯管理所", "U-LIGHT")):
        u = Unit(name=name, kind="enterprise", code=code)
        session.add(u)
        session.flush()
        c.ids[key] = u.id
    return c


def _write(tmp_path: Path, features: list[tuple[float, float, dict[str, object]]], name: str = "parts.geojson") -> Path:
    """A GeoJSON file of component points given in the small city's metres."""
    feats = []
    for x, y, props in features:
        lon, lat = to_lonlat(x, y)
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]}})  # fmt: skip
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), "utf-8")
    return path


def _import(session: Session, path: Path) -> int:
    return import_file(session, path, "components", actor=TESTER).created


def test_import_components_matches_owner_by_code_or_name(session: Session, city: SmallCity, tmp_path: Path) -> None:
    path = _write(tmp_path, [
        (-40, 5, {"code": "JG-1", "class_code": "0101", "name": "上水井盖", "owner": "自来水公司"}),
        (-40, 8, {"code": "LD-1", "class_code": "BJ0104", "name": "路灯", "owner": "U-LIGHT"}),
        (60, 5, {"code": "JG-2", "class_code": "0101", "owner": None}),
    ])  # fmt: skip
    assert _import(session, path) == 3
    rows = {c: (k, o) for c, k, o in session.execute(select(Component.code, Component.class_code,
                                                              Component.owner_unit_id))}  # fmt: skip
    assert rows == {"JG-1": ("0101", city.ids["water"]), "LD-1": ("0104", city.ids["light"]), "JG-2": ("0101", None)}


def test_bad_component_file_is_refused_whole_with_feature_numbers(
    session: Session, city: SmallCity, tmp_path: Path
) -> None:
    path = _write(tmp_path, [
        (-40, 5, {"code": "JG-1", "class_code": "0101", "owner": "自来水公司"}),
        (-40, 8, {"code": "JG-2", "class_code": "井盖", "owner": "自来水公司"}),
        (-40, 9, {"code": "JG-3", "class_code": "0101", "owner": "煤气公司"}),
    ])  # fmt: skip
    with pytest.raises(InvalidInput) as exc:
        _import(session, path)
    problems = {(p.feature, p.field) for p in exc.value.problems}
    assert problems == {(2, "class_code"), (3, "owner")}
    assert "煤气公司" in str(exc.value) and "names no unit" in str(exc.value)
    assert exc.value.zh is not None and "第 3 项" in exc.value.zh and "权属单位“煤气公司”不存在" in exc.value.zh
    assert "第 2 项" in exc.value.zh and "不是部件小类代码" in exc.value.zh
    assert session.scalar(select(func.count()).select_from(Component)) == 0
