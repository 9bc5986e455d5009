"""Generate the demo city of 离石区 (Lishi district, Lüliang, Shanxi) into ``data/boundaries/``.

:func:`build` runs the steps of the pipeline in order (the package docstring lists them), including the unit grids
(step 7: gridmap's own grid generator, then one exact coverage), and writes the files; :func:`main` is the command
line of ``scripts/make_demo_city.py`` and ``python -m demo_city``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely import STRtree

from .areas import assign_areas, block_faces
from .compounds import design_compounds
from .config import EPSG, GRID
from .district import make_district
from .divisions import read_divisions
from .geometry import ll_to_local, local_to_ll
from .names import name_compounds, name_lanes, name_secondary, order_communities
from .output import reading_order, write_csv, write_geojson
from .places import design_places
from .registry import Assignments, assign_compounds, assign_grids, assign_segments, make_people, make_units
from .reports import make_reports
from .roads import (
    design_lanes,
    design_main_roads,
    design_secondary_roads,
    river_belt,
    snap_lane_ends,
    superblocks,
    tidy_network,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's gridmap, not an installed one

from gridmap.geo.gridding import snap_coverage  # noqa: E402
from gridmap.geo.gridding.communities import tile_communities  # noqa: E402
from gridmap.geo.roads import segment_roads  # noqa: E402

TARGET_M2 = 10_000.0
MAX_GRIDS = 99  # 2-digit sequence → 14-digit codes


GRIDS_VALID_FROM = "2024-01-01"


def build(out: Path, source: Path | None = None, log: Any = print) -> dict[str, int]:
    t0 = time.perf_counter()
    streets, communities = read_divisions(source)

    district_m = make_district()
    main = design_main_roads(district_m)
    secondary = design_secondary_roads(district_m, main)
    sb = superblocks(district_m, main + secondary)
    lanes = design_lanes(sb, river_belt(sb))
    snap_lane_ends(lanes, sb, main + secondary, district_m)
    roads = main + secondary + lanes
    tidy_network(roads, district_m)
    main = [r for r in roads if r.level == "main"]
    secondary = [r for r in roads if r.level == "secondary"]
    lanes = [r for r in roads if r.level == "back"]
    log(f"network: {len(main)} main, {len(secondary)} secondary, {len(lanes)} back streets")

    district_ll = local_to_ll([district_m])[0]
    roads_ll = local_to_ll([r.line for r in roads])
    blocks, _edges = block_faces(district_ll, roads_ll)
    blocks_m = ll_to_local(blocks)
    street, community = assign_areas(blocks_m, streets, communities)
    community = order_communities(community, street, blocks_m, streets, communities, main)
    log(f"{len(blocks)} blocks → {len(streets)} 街道, {len(communities)} 社区 ({time.perf_counter() - t0:.1f}s)")

    comp_m, comp_block = design_compounds(blocks_m, roads)
    comp_ll = shapely.set_precision(local_to_ll(comp_m), GRID)
    comp_comm = community[np.asarray(comp_block)]

    # names, then segments (gridmap.geo.roads.segment_roads), from the 社区 as drawn
    comm_ll = [shapely.coverage_union_all(blocks[community == i]) for i in range(len(communities))]
    comm_m = ll_to_local(comm_ll)
    name_secondary(secondary, comm_m, communities)
    name_lanes(lanes, comm_m, communities)
    ordered = sorted(roads, key=lambda r: ({"main": 0, "secondary": 1, "back": 2}[r.level], r.name))
    seg_df = segment_roads(
        local_to_ll([r.line for r in ordered]),
        [r.name for r in ordered],
        [r.level for r in ordered],
        snap_m=0.5,
        metric_epsg=EPSG,
    )
    seg_geoms = shapely.set_precision(np.asarray(seg_df.geometry.array, dtype=object), GRID)
    keep = ~shapely.is_empty(seg_geoms)
    seg_df, seg_geoms = seg_df[keep].reset_index(drop=True), seg_geoms[keep]
    if seg_df["name"].isna().any():
        raise RuntimeError("unnamed segment")
    segments = []
    for k, row in enumerate(seg_df.itertuples(index=False)):
        segments.append(
            {
                "ext_id": f"S{k + 1:05d}",
                "name": row.name,
                "level": row.level,
                "from_desc": row.from_desc,
                "to_desc": row.to_desc,
                "description": row.description,
            }
        )

    # unit grids: the generator of `gridmap grids generate` (tile_communities) on the 社区, the segments and the
    # compounds, then one exact coverage for the whole district on the 6-decimal grid; 社区, 街道 and district
    # are re-derived as unions of the grids
    comm_areas = shapely.area(ll_to_local(comm_ll))
    targets = np.maximum(TARGET_M2, comm_areas / (MAX_GRIDS - 9))
    comm_codes = [c["code"] for c in communities]
    while True:
        plan = tile_communities(
            np.asarray(comm_ll, dtype=object),
            comm_codes,
            seg_geoms,
            comp_ll,
            target_m2=targets,
            seq_width=2,
            metric_epsg=EPSG,
        )
        counts = {p["community_code"]: p["grids"] for p in plan.per_community}
        over = np.array([counts[c] > MAX_GRIDS for c in comm_codes])
        if not over.any():
            break
        targets = np.where(over, targets * 1.15, targets)
    grid_codes_all = plan.grids["code"].tolist()
    grid_comm_arr = np.array([comm_codes.index(c) for c in plan.grids["community_code"]])
    grids = snap_coverage(np.asarray(plan.grids.geometry.array, dtype=object), GRID)
    if not all(g.geom_type == "Polygon" for g in grids):
        raise RuntimeError("a grid is not a single polygon")
    comm_final = [shapely.coverage_union_all(grids[grid_comm_arr == i]) for i in range(len(communities))]
    comm_street = np.array(
        [streets.index(next(s for s in streets if s["code"] == c["street_code"])) for c in communities]
    )
    street_final = [
        shapely.coverage_union_all(np.asarray(comm_final, dtype=object)[comm_street == k]) for k in range(len(streets))
    ]
    district_final = shapely.coverage_union_all(np.asarray(street_final, dtype=object))
    q = plan.report
    log(
        f"{len(grids)} grids ({time.perf_counter() - t0:.1f}s): area m² min {q['area_m2']['min']:,.0f} "
        f"p10 {q['area_m2']['p10']:,.0f} median {q['area_m2']['median']:,.0f} p90 {q['area_m2']['p90']:,.0f} "
        f"max {q['area_m2']['max']:,.0f}; slivers merged {q['slivers_merged']}, compounds forcing an oversized grid "
        f"{len(q['forced_compounds'])}, gaps {q['gaps_m2']} m², overlaps {q['overlaps_m2']} m², compounds split "
        f"{q['compounds_split']}"
    )
    log(f"{len(segments)} segments ({time.perf_counter() - t0:.1f}s)")

    # compounds: ext_id by 社区, then reading order
    order = np.lexsort((np.argsort(reading_order(comp_ll)), comp_comm))
    comp_ll, comp_comm = comp_ll[order], comp_comm[order]
    comp_area = shapely.area(ll_to_local(comp_ll))
    names, households = name_compounds(len(comp_ll), [communities[i]["name"] for i in comp_comm], comp_area)
    compounds = [
        {
            "ext_id": f"C{k + 1:04d}",
            "name": names[k],
            "community_code": communities[comp_comm[k]]["code"],
            "households": households[k],
        }
        for k in range(len(comp_ll))
    ]

    # grid codes (given by tile_communities: west→east, then north→south in each 社区)
    # valid_from: the grids were drawn before any assignment in the history, so the map of a past day shows them.
    grid_rows = [
        {"code": code, "community_code": communities[i]["code"], "valid_from": GRIDS_VALID_FROM}
        for code, i in zip(grid_codes_all, grid_comm_arr, strict=True)
    ]
    grid_geoms = list(grids)

    # units, people, assignments
    units = make_units(streets, communities)
    per_comm = {c["code"]: int((grid_comm_arr == i).sum()) for i, c in enumerate(communities)}
    people = make_people(units, per_comm)
    seg_tree = STRtree(np.asarray(comm_final, dtype=object))
    mids = shapely.line_interpolate_point(seg_geoms, 0.5, normalized=True)
    nearest = seg_tree.nearest(mids)
    seg_comm = [communities[k]["code"] for k in nearest]
    seg_street = [c[:9] for c in seg_comm]
    asg = Assignments()
    assign_segments(asg, segments, units, people, seg_comm, seg_street)
    assign_compounds(asg, compounds, units, people)
    assign_grids(asg, grid_rows, units, people, {c["code"]: c["name"] for c in communities})
    asg.rows.sort(
        key=lambda r: (
            {"segment": 0, "compound": 1, "grid": 2}[r["target_kind"]],
            r["target_ref"],
            r["role"],
            r["valid_from"],
        )
    )

    # write
    out.mkdir(parents=True, exist_ok=True)
    write_geojson(out / "district.geojson", "district", [{"code": "141102", "name": "离石区"}], [district_final])
    write_geojson(out / "streets.geojson", "streets", streets, street_final)
    write_geojson(
        out / "communities.geojson",
        "communities",
        [{"code": c["code"], "name": c["name"], "street_code": c["street_code"]} for c in communities],
        comm_final,
    )
    write_geojson(out / "segments.geojson", "segments", segments, seg_geoms)
    write_geojson(out / "compounds.geojson", "compounds", compounds, comp_ll)
    write_geojson(out / "grids.geojson", "grids", grid_rows, np.asarray(grid_geoms, dtype=object))
    write_csv(out / "units.csv", ["code", "name", "kind", "area_code", "contact_name", "contact_phone"], units)
    write_csv(out / "people.csv", ["code", "name", "phone", "unit_code", "roles"], people.rows)
    write_csv(
        out / "assignments.csv",
        ["target_kind", "target_ref", "unit_code", "person_code", "role", "valid_from", "valid_to"],
        asg.rows,
    )
    places, place_geoms = design_places(streets, street_final, comp_ll)
    write_geojson(out / "places.geojson", "places", places, np.asarray(place_geoms, dtype=object))
    reports = make_reports(seg_geoms, [sg["level"] for sg in segments], comp_ll)
    write_csv(out / "reports.csv", ["client_id", "lon", "lat", "category", "source", "observed_at"], reports)
    log(f"written to {out} ({time.perf_counter() - t0:.1f}s)")
    return {
        "segments": len(segments),
        "compounds": len(compounds),
        "places": len(places),
        "grids": len(grid_rows),
        "units": len(units),
        "people": len(people.rows),
        "assignments": len(asg.rows),
        "reports": len(reports),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "boundaries", help="output directory")
    parser.add_argument(
        "--source-dir",
        type=Path,
        default=None,
        help="read the 街道/社区 names and codes from streets.csv and communities.csv in this directory "
        "instead of the table built into this script (same data: NBS division codes 2023)",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    counts = build(args.out, args.source_dir, log=(lambda *a: None) if args.quiet else print)
    if not args.quiet:
        print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0
