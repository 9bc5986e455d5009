"""Benchmark: a roster (包联台账) of 570 compounds × 4 people and 2,000 road segments, as a city writes it, matched
and imported on the demo city — match rate and time on SpatiaLite and PostGIS.

The roster is written as people type it: a third of the compound names as stored, a third with a suffix added
(小区), a third with full-width spaces between the characters; every other road with 路 for 街 (or 街 for 路),
each with its from/to cross streets. Printed per database and per size (a quarter, half, all rows): the matcher's
time and match rate (exact + normalised; fuzzy not taken), the baseline's — exact-name look-up in a dict (a
segment by name and both ends as written), the way a spreadsheet VLOOKUP would do it — run in the same process on
the same rows; then the import of the matched rows (people created, assignments written with history, one audited
change), bulk (set-based, :mod:`gridmap.responsibility.bulk_assign`) against the former per-group path (one
``assign`` call per unit, person, role and period) as the baseline, both rolled back; finally the bulk import at
full size, committed. Wall and CPU time are printed (the machine may be shared).

    .venv/bin/python scripts/bench_roster.py [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                             [--only spatialite|postgis]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from sqlalchemy import create_engine, make_url, select, text

import gridmap  # noqa: F401  (geometry libraries before SpatiaLite)
from gridmap.accounts.actor import cli_actor
from gridmap.config import DEMO_DATA_DIR, Settings
from gridmap.imports.demo import load_demo
from gridmap.roster import files
from gridmap.store.engine import make_engine, make_session_factory, upgrade
from gridmap.store.models import Area, Compound, Segment, Unit

COMPOUNDS = 570  # one city's combed compounds (DOMAIN.md): 347 city-level units, 203 district-level, 20 enterprises
SEGMENTS = 2000
ROLES = ("包联单位责任人", "包联小区负责人", "社区联络人", "创文督导人")
HEADER = [
    "要素类型",
    "名称",
    "编码",
    "起点",
    "止点",
    "社区",
    "包联单位",
    "角色",
    "姓名",
    "联系电话",
    "起始日期",
    "截止日期",
]


def roster_rows(session) -> list[list[str]]:
    compounds = session.execute(
        select(Compound.name, Area.name).join(Area, Area.id == Compound.community_id, isouter=True)
        .order_by(Compound.id).limit(COMPOUNDS)
    ).all()  # fmt: skip
    segments = session.execute(
        select(Segment.name, Segment.from_desc, Segment.to_desc)
        .where(Segment.name.is_not(None)).order_by(Segment.id).limit(SEGMENTS)
    ).all()  # fmt: skip
    units = session.scalars(select(Unit.name).where(Unit.retired_on.is_(None)).order_by(Unit.id)).all()
    assert len(compounds) == COMPOUNDS and len(segments) == SEGMENTS, (len(compounds), len(segments))
    rows: list[list[str]] = []
    for n, (name, community) in enumerate(compounds):
        shown = name if n % 3 == 0 else f"{name}小区" if n % 3 == 1 else "　".join(name)
        unit = units[n % len(units)]
        for k, role in enumerate(ROLES):
            rows.append(["小区", shown, "", "", "", community or "", unit, role, f"人员{n}-{k}", f"139{n:04d}{k:04d}",
                         "2027-01-01", ""])  # fmt: skip
    for n, (name, a, b) in enumerate(segments):
        swap = {"街": "路", "路": "街"}
        shown = name[:-1] + swap.get(name[-1], name[-1]) if n % 2 and name[-2:] != "大街" else name
        rows.append(["路段", shown, "", a or "", b or "", "", units[n % len(units)], "路长", f"路长{n}", "",
                     "2027-01-01", ""])  # fmt: skip
    return rows


def exact_baseline(session, rows: list[list[str]]) -> tuple[int, float]:
    """Rows matched by their exact name (a segment: exact name and both ends) to exactly one feature; seconds."""
    started = time.perf_counter()
    compounds: dict[str, int] = defaultdict(int)
    for (name,) in session.execute(select(Compound.name)):
        compounds[name or ""] += 1
    segments: dict[tuple[str, str, str], int] = defaultdict(int)
    for name, a, b in session.execute(select(Segment.name, Segment.from_desc, Segment.to_desc)):
        segments[(name or "", a or "", b or "")] += 1
    hits = sum(
        1 for r in rows if (compounds.get(r[1], 0) if r[0] == "小区" else segments.get((r[1], r[3], r[4]), 0)) == 1
    )
    return hits, time.perf_counter() - started


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def bench(url: str, label: str, tmp: Path) -> None:
    engine = make_engine(Settings(database_url=url))
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        with factory() as s:
            started = time.perf_counter()
            load_demo(s, DEMO_DATA_DIR)
            s.commit()
            print(f"\n{label}: demo city loaded in {time.perf_counter() - started:.1f} s")
            rows = roster_rows(s)
            for part in (4, 2, 1):
                sample = rows[::part]  # every part-th row: a quarter and a half keep both kinds
                path = write(tmp / f"roster-{label}-{len(sample)}.csv", sample)
                started = time.perf_counter()
                preview = files.preview(s, path)
                took = time.perf_counter() - started
                rate = files.match_rate(preview)
                by: dict[str, int] = defaultdict(int)
                for r in preview:
                    by[r.match.status if r.match else "invalid"] += 1
                hits, base = exact_baseline(s, sample)
                exact = hits / len(sample)
                print(f"{label} {len(sample):>5} rows: matched {rate:7.2%} in {took:5.2f} s "
                      f"({len(sample) / took:,.0f} rows/s; {dict(sorted(by.items()))}) | exact-name baseline "
                      f"{exact:7.2%} in {base:5.2f} s | match rate ×{rate / max(exact, 1e-9):.2f}")  # fmt: skip
                s.rollback()
                # the import (an unmatched row refuses the whole file: the matched rows are imported)
                bad = {r.number for r in preview if not (r.match and r.match.matched)}
                good = write(tmp / f"roster-{label}-{len(sample)}-ok.csv",
                             [r for i, r in enumerate(sample, start=2) if i not in bad])  # fmt: skip
                times = {}
                for way in ("bulk", "per-group"):
                    wall, cpu = time.perf_counter(), time.process_time()
                    answer = files.import_roster(s, good, cli_actor(), per_group=way == "per-group")
                    s.flush()
                    times[way] = (time.perf_counter() - wall, time.process_time() - cpu, answer)
                    s.rollback()  # both ways start from the same store
                (bw, bc, ba), (gw, gc, ga) = times["bulk"], times["per-group"]
                assert (ba["assigned"], ba["closed"], ba["unchanged"]) == (
                    ga["assigned"],
                    ga["closed"],
                    ga["unchanged"],
                )
                print(f"{label} {ba['rows']:>5} rows imported ({ba['assigned']} assigned, {ba['closed']} closed, "
                      f"{ba['people_created']} people created): bulk {bw:5.2f} s wall / {bc:5.2f} s CPU | per-group "
                      f"baseline {gw:6.2f} s wall / {gc:6.2f} s CPU | ×{gw / bw:.1f} faster")  # fmt: skip
            started = time.perf_counter()
            answer = files.import_roster(s, good, cli_actor())
            s.commit()
            took = time.perf_counter() - started
            print(f"{label}: full import committed (preview, people, assignments, one audited change) in {took:.2f} s: "
                  f"{answer['assigned']} assigned, {answer['people_created']} people created")  # fmt: skip
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--only", choices=("spatialite", "postgis"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        if args.only != "postgis":
            bench(f"sqlite:///{tmp / 'bench.sqlite'}", "spatialite", tmp)
        if args.only != "spatialite":
            admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
            name = f"gridmap_bench_roster_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
                bench(url, "postgis", tmp)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
