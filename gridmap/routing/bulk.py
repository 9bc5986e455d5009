"""Routing many points at once: :func:`route_points` answers in vectorised blocks into a :class:`RoutingBatch`;
also the input preparation and the far-outside messages the one-off path shares."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session

from gridmap.gc_pause import paused_gc
from gridmap.geo.crs import gcj02_to_wgs84
from gridmap.geo.snapping import utm_epsg
from gridmap.routing.cache import routing_layers
from gridmap.routing.config import ANSWER_RULES, MATCH_KINDS, RULES, RoutingConfig
from gridmap.routing.decide import Block, component_classes, route_block, rule_order
from gridmap.routing.inputs import (
    Observed,
    PerPoint,
    category_array,
    check_ranges,
    coerce_numbers,
    crs_array,
    observed_days,
)
from gridmap.routing.results import AreaRef, Candidate, Matched, PointError, RoutingResult
from gridmap.routing.tables import Layers

EPOCH = dt.date(1970, 1, 1)
_BLOCK = 100_000  # points per vectorised block (bounds memory; a block is answered without Python loops)


class RoutingBatch:
    """Answers for many points, kept as arrays; :meth:`result` builds one point's :class:`RoutingResult`."""

    def __init__(
        self,
        layers: Layers,
        config: RoutingConfig,
        lon: np.ndarray,
        lat: np.ndarray,
        crs: np.ndarray,
        wlon: np.ndarray,
        wlat: np.ndarray,
        days: np.ndarray,
        categories: np.ndarray | None,
        order_code: np.ndarray,
        order_table: np.ndarray,
        block: Block,
        errors: list[PointError],
    ) -> None:
        self._layers = layers
        self.config = config
        self.lon, self.lat, self.crs, self.wgs84_lon, self.wgs84_lat = lon, lat, crs, wlon, wlat
        self.days = days
        self.categories = categories
        self._order_code, self._order_table = order_code, order_table
        self._b = block
        self.errors = sorted(errors, key=lambda e: (e.index, e.field))
        self._errors_by_index: dict[int, list[PointError]] | None = None
        self._lists: dict[str, Any] | None = None
        self._area_refs: dict[tuple[str, int], AreaRef] = {}
        self.ok = np.ones(len(lon), bool)
        self.ok[[e.index for e in self.errors]] = False
        self._cand_start = np.searchsorted(block.cand_point, np.arange(len(lon) + 1))

    def __len__(self) -> int:
        return len(self.lon)

    @property
    def routed(self) -> int:
        return int(self.ok.sum())

    # -- columns (vectorised; for files and benchmarks)
    @property
    def unit_id(self) -> np.ndarray:
        """Responsible unit id per point, -1 where none (or the point is bad)."""
        return np.where(self.ok, self._b.unit, -1)

    @property
    def rule(self) -> np.ndarray:
        """Rule per point as an index into :data:`ANSWER_RULES` (:data:`RULES`, then ``component``), -1 where none."""
        return np.where(self.ok, self._b.rule, -1)

    @property
    def matched_kind(self) -> np.ndarray:
        return np.where(self.ok & (self._b.kind >= 0), np.array((*MATCH_KINDS, ""), dtype=object)[self._b.kind], "")

    @property
    def layers(self) -> Layers:
        return self._layers

    @property
    def block(self) -> Block:
        """The raw answers (rows of the layer tables, candidates by point): for the bulk text columns."""
        return self._b

    @property
    def order_code(self) -> np.ndarray:
        """Per point, its rule order as a row of :attr:`order_table` (rule codes into RULES, -1 padded)."""
        return self._order_code

    @property
    def order_table(self) -> np.ndarray:
        return self._order_table

    @property
    def kind_code(self) -> np.ndarray:
        """Matched kind per point as an index into :data:`MATCH_KINDS`, -1 where none (or the point is bad)."""
        return np.where(self.ok, self._b.kind, -1)

    @property
    def matched_row(self) -> np.ndarray:
        """Row of the matched feature in its kind's table (see :attr:`kind_code`), -1 where none."""
        return np.where(self.ok & (self._b.kind >= 0), self._b.row, -1)

    @property
    def community_row(self) -> np.ndarray:
        return np.where(self.ok, self._b.community, -1)

    @property
    def street_row(self) -> np.ndarray:
        return np.where(self.ok, self._b.street, -1)

    @property
    def matched_id(self) -> np.ndarray:
        out = np.full(len(self), -1, np.int64)
        for k, kind in enumerate(MATCH_KINDS):
            m = self.ok & (self._b.kind == k)
            out[m] = self._layers.tables[kind].ids[self._b.row[m]]
        return out

    @property
    def distance(self) -> np.ndarray:
        """Distance to the match in metres, unrounded (NaN where none)."""
        return np.where(self.ok, self._b.distance, np.nan)

    @property
    def distance_m(self) -> np.ndarray:
        return np.where(self.ok, np.round(self._b.distance, 1), np.nan)

    @property
    def ambiguous(self) -> np.ndarray:
        return self.ok & self._b.ambiguous

    def _py(self) -> dict[str, Any]:
        """The columns as Python lists, built once: reading numpy scalars one by one costs more than the answer."""
        if self._lists is None:
            b = self._b
            cols: dict[str, Any] = {
                name: getattr(b, name).tolist()
                for name in ("kind", "row", "unit", "distance", "ambiguous", "tolerance", "community", "street", "rule")
            }
            cols.update(
                cand_kind=b.cand_kind.tolist(),
                cand_row=b.cand_row.tolist(),
                cand_unit=b.cand_unit.tolist(),
                cand_distance=b.cand_distance.tolist(),
                cand_start=self._cand_start.tolist(),
                ok=self.ok.tolist(),
                days=self.days.tolist(),
                order=[tuple(RULES[c] for c in o if c >= 0) for o in self._order_table.tolist()],
                order_code=self._order_code.tolist(),
                tables={k: t.lists() for k, t in self._layers.tables.items()},
            )
            self._lists = cols
        return self._lists

    def result(self, i: int) -> RoutingResult | None:
        """The answer for point ``i`` (None for a bad point: see :attr:`errors`)."""
        c = self._py()
        if not c["ok"][i]:
            return None
        tables, names = c["tables"], self._layers.unit_names
        matched = None
        k = c["kind"][i]
        if k >= 0:
            kind = MATCH_KINDS[k]
            ids, labels, _codes = tables[kind]
            row = c["row"][i]
            matched = Matched(kind, ids[row], str(labels[row]))
        cands = []
        for j in range(c["cand_start"][i], c["cand_start"][i + 1]):
            kind = MATCH_KINDS[c["cand_kind"][j]]
            ids, labels, _codes = tables[kind]
            r, u = c["cand_row"][j], c["cand_unit"][j]
            cands.append(
                Candidate(
                    kind,
                    ids[r],
                    str(labels[r]),
                    u if u >= 0 else None,
                    names.get(u) if u >= 0 else None,
                    round(c["cand_distance"][j], 1),
                )
            )
        unit = c["unit"][i]
        rule = c["rule"][i]
        tol = c["tolerance"][i]
        return RoutingResult(
            lon=float(self.lon[i]),
            lat=float(self.lat[i]),
            crs=str(self.crs[i]),
            wgs84_lon=float(self.wgs84_lon[i]),
            wgs84_lat=float(self.wgs84_lat[i]),
            observed_on=EPOCH + dt.timedelta(days=c["days"][i]),
            category=(str(self.categories[i]) or None) if self.categories is not None else None,
            responsible=(unit, names.get(unit, f"#{unit}")) if unit >= 0 else None,
            matched=matched,
            rule=ANSWER_RULES[rule] if rule >= 0 else None,
            distance_m=round(c["distance"][i], 1) if matched is not None else None,
            candidates=tuple(cands),
            ambiguous=c["ambiguous"][i],
            community=self._area_ref("community", c["community"][i]),
            street=self._area_ref("street", c["street"][i]),
            order=c["order"][c["order_code"][i]],
            ambiguous_m=self.config.ambiguous_m,
            tolerance_m=tol if tol == tol else None,  # NaN: not a segment
        )

    def _area_ref(self, kind: str, row: int) -> AreaRef | None:
        """The area of a table row, built once per area (a file's rows share a few hundred communities)."""
        if row < 0:
            return None
        key = (kind, row)
        ref = self._area_refs.get(key)
        if ref is None:
            ids, labels, codes = self._py()["tables"][kind]
            ref = self._area_refs[key] = AreaRef(ids[row], str(codes[row]), str(labels[row]))
        return ref

    def results(self) -> list[RoutingResult | None]:
        return [self.result(i) for i in range(len(self))]

    def error_of(self, i: int) -> list[PointError]:
        """What is wrong with point ``i`` (empty when it was routed)."""
        if self._errors_by_index is None:
            by: dict[int, list[PointError]] = {}
            for e in self.errors:
                by.setdefault(e.index, []).append(e)
            self._errors_by_index = by
        return self._errors_by_index.get(i, [])


def prepare_points(
    lons: object,
    lats: object,
    crs: PerPoint,
    categories: PerPoint,
    observed_at: Observed,
    config: RoutingConfig,
) -> tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray | None,
    np.ndarray,
    list[PointError],
]:
    """The points checked: ``(lon, lat, crs, WGS-84 lon, WGS-84 lat, days, categories, bad, errors)``."""
    errors: list[PointError] = []
    lon_in = coerce_numbers(lons, None, "lon", errors)
    lat_in = coerce_numbers(lats, len(lon_in), "lat", errors)
    n = len(lon_in)
    if len(lat_in) != n:
        raise ValueError(f"{n} longitudes but {len(lat_in)} latitudes")
    crs_arr = crs_array(crs, n, errors)
    days = observed_days(observed_at, n, ZoneInfo(config.timezone), errors)
    cats = category_array(categories, n)
    ok = np.isfinite(lon_in) & np.isfinite(lat_in)
    check_ranges(lon_in, lat_in, ok, errors)
    bad = np.zeros(n, bool)
    bad[[e.index for e in errors]] = True
    wlon, wlat = lon_in.copy(), lat_in.copy()
    gcj = ~bad & (crs_arr == "gcj02")
    if gcj.any():
        wlon[gcj], wlat[gcj] = gcj02_to_wgs84(lon_in[gcj], lat_in[gcj])
    return lon_in, lat_in, crs_arr, wlon, wlat, days, cats, bad, errors


def far_errors(
    layers_for: Any, lon: np.ndarray, lat: np.ndarray, far_idx: np.ndarray, config: RoutingConfig
) -> list[PointError]:
    """Messages for points far outside the managed area; says so when swapping lon/lat would put them inside."""
    errors: list[PointError] = []
    if not len(far_idx):
        return errors
    slon, slat = lat[far_idx], lon[far_idx]
    swappable = (np.abs(slat) <= 90) & (np.abs(slon) <= 180)
    inside_swapped = np.zeros(len(far_idx), bool)
    if swappable.any():
        inside_swapped[swappable] = layers_for(slon[swappable], slat[swappable])
    km = config.far_m / 1000
    for k, i in enumerate(far_idx):
        msg = f"the point (lon {lon[i]:.6f}, lat {lat[i]:.6f}) is more than {km:g} km outside the managed area"
        if inside_swapped[k]:
            msg += f"; longitude and latitude look swapped (lon={lat[i]:g}, lat={lon[i]:g} is inside)"
        errors.append(PointError(int(i), "lon/lat", msg))
    return errors


def near_managed_area(layers: Layers, lon: np.ndarray, lat: np.ndarray, config: RoutingConfig) -> np.ndarray:
    """True where a point is inside or within far_m of the managed area (used for the swapped-coordinates hint)."""
    out = np.zeros(len(lon), bool)
    zones = utm_epsg(lon, lat)
    for z in np.unique(zones):
        m = np.flatnonzero(zones == z)
        idx = layers.index(int(z), config)
        x, y = idx.project(lon[m], lat[m])
        hit = np.zeros(len(m), bool)
        for name in ("district", "street", "community", "grid"):
            todo = ~hit
            if todo.any() and idx.size(name):
                hit[todo] = idx.any_within(name, x[todo], y[todo], config.far_m)
        out[m] = hit
    return out


def route_points(
    session: Session,
    lons: object,
    lats: object,
    *,
    crs: PerPoint = "wgs84",
    categories: PerPoint = None,
    observed_at: Observed = None,
    config: RoutingConfig | None = None,
    layers: Layers | None = None,
) -> RoutingBatch:
    """Route many points at once (vectorised). Bad points are reported in ``.errors``; the others are answered.

    ``lons``/``lats`` may hold anything (numbers, numeric strings, None); ``crs``, ``categories`` and
    ``observed_at`` are one value for all points or one per point (``observed_at``: dates, datetimes or ISO-8601
    strings; naive times are local, ``config.timezone``).
    """
    config = config or RoutingConfig.from_env()
    layers = layers or routing_layers(session)
    with paused_gc():
        return _route_points(lons, lats, crs, categories, observed_at, config, layers)


def _route_points(
    lons: object,
    lats: object,
    crs: PerPoint,
    categories: PerPoint,
    observed_at: Observed,
    config: RoutingConfig,
    layers: Layers,
) -> RoutingBatch:
    lon, lat, crs_arr, wlon, wlat, days, cats, bad, errors = prepare_points(
        lons, lats, crs, categories, observed_at, config
    )
    n = len(lon)
    order_code, order_table = rule_order(config, cats, n)
    classes = component_classes(cats, n)
    block = Block.allocate(n)
    good = np.flatnonzero(~bad)
    cand_parts: list[tuple[np.ndarray, ...]] = []
    zones = utm_epsg(wlon[good], wlat[good])
    for z in np.unique(zones):
        members = good[zones == z]
        for s in range(0, len(members), _BLOCK):
            m = members[s : s + _BLOCK]
            b = route_block(layers, int(z), wlon[m], wlat[m], days[m], order_code[m], order_table, config, classes[m])
            for name in ("far", "grid", "rule", "kind", "row", "unit", "distance", "ambiguous", "tolerance"):
                getattr(block, name)[m] = getattr(b, name)
            block.community[m], block.street[m] = b.community, b.street
            cand_parts.append((m[b.cand_point], b.cand_kind, b.cand_row, b.cand_unit, b.cand_distance))
    if cand_parts:
        cp = np.concatenate([c[0] for c in cand_parts])
        o = np.argsort(cp, kind="stable")
        block.cand_point = cp[o]
        block.cand_kind, block.cand_row, block.cand_unit, block.cand_distance = (
            np.concatenate([c[k] for c in cand_parts])[o] for k in range(1, 5)
        )
    far_idx = np.flatnonzero(block.far)
    errors.extend(far_errors(lambda lo, la: near_managed_area(layers, lo, la, config), lon, lat, far_idx, config))
    return RoutingBatch(
        layers, config, lon, lat, crs_arr, wlon, wlat, days, cats, order_code, order_table, block, errors
    )
