"""Benchmark: the quarterly ranking of party members and volunteers (在职党员进社区) at several sizes, on SpatiaLite.

One county sends 2,207 members (issue 15); the sizes are 500, 2,207 and 10,000 members, each with about 25
services in the quarter (and a fifth as many the quarter before), three evaluation scores and one report in
ten. Timed: :func:`gridmap.volunteers.ranking` (scheme, services, reports, findings, reviews, points, order). The
baseline, in the same process, is one plain SELECT of the quarter's service rows (the least any ranking must read);
the ratio says what counting, evaluation and ordering add. CPU time (``time.process_time``) is printed beside wall
time: on a shared machine wall time includes waiting.

    .venv/bin/python scripts/bench_volunteers.py
    .venv/bin/python scripts/bench_volunteers.py --members 2207
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
from geoalchemy2 import WKTElement
from sqlalchemy import insert, select

from gridmap.config import Settings
from gridmap.evaluation.periods import parse_period
from gridmap.store.engine import make_engine, make_session_factory, session_scope, upgrade
from gridmap.store.models import (
    Area,
    Person,
    Volunteer,
    VolunteerPost,
    VolunteerReview,
    VolunteerShift,
    VolunteerSignup,
)
from gridmap.volunteers import ranking

TZ = dt.timezone(dt.timedelta(hours=8))
SQUARE = "MULTIPOLYGON(((111 37,111.01 37,111.01 37.01,111 37.01,111 37)))"


def fill(session, members: int, rng: np.random.Generator) -> int:
    area = Area(level="community", code="141102001001", name="滨河社区", area_m2=1.0, geom=WKTElement(SQUARE, 4326))
    session.add(area)
    session.flush()
    post = VolunteerPost(community_id=area.id, duty="civility", title="文明劝导", slots=members, tolerance_m=50.0,
                         published_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC), published_by="bench")  # fmt: skip
    session.add(post)
    session.execute(insert(Person), [{"name": f"党员{i}"} for i in range(members)])
    people = session.scalars(select(Person.id).order_by(Person.id)).all()
    joined = dt.date(2026, 1, 1)
    session.execute(insert(Volunteer), [{"person_id": p, "kind": "party_member", "party_org": f"第{p % 131}党支部",
                                         "community_id": area.id, "joined_on": joined} for p in people])  # fmt: skip
    vids = session.scalars(select(Volunteer.id).order_by(Volunteer.id)).all()
    session.flush()
    signed = dt.datetime(2026, 9, 2, tzinfo=dt.UTC)
    session.execute(
        insert(VolunteerSignup), [{"post_id": post.id, "volunteer_id": v, "signed_at": signed} for v in vids]
    )
    sids = session.scalars(select(VolunteerSignup.id).order_by(VolunteerSignup.id)).all()
    shifts = []
    q3, q4 = dt.datetime(2026, 7, 1, tzinfo=dt.UTC), dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    for s in sids:
        for base, n in ((q4, int(rng.poisson(25))), (q3, int(rng.poisson(5)))):
            for _ in range(n):
                start = base + dt.timedelta(minutes=int(rng.integers(0, 88 * 24 * 60)))
                stop = start + dt.timedelta(minutes=int(rng.integers(30, 240)))
                ok = rng.random() < 0.9
                shifts.append({"signup_id": s, "started_at": start, "start_lon": 111.005, "start_lat": 37.005,
                               "ended_at": stop, "end_lon": 111.005, "end_lat": 37.005,
                               "confirmed_at": stop if ok else None, "confirmed_by": "bench"})  # fmt: skip
    session.execute(insert(VolunteerShift), shifts)
    session.execute(insert(VolunteerReview), [{"volunteer_id": v, "period": "2026-Q4", "source": src,
                                               "score": float(rng.integers(60, 101)), "by": "bench", "at": q4}
                                              for v in vids for src in ("self", "peer", "org")])  # fmt: skip
    return len(shifts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="*", default=[500, 2207, 10000])
    args = parser.parse_args()
    period = parse_period("2026-Q4", TZ)
    print(f"{'members':>8} {'services':>9} {'ranking wall':>13} {'ranking CPU':>12} {'baseline wall':>14} {'ratio':>6}")
    for members in args.members:
        with tempfile.TemporaryDirectory(prefix="bench-volunteers-") as tmp:
            settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'g.sqlite'}", instance_dir=Path(tmp))
            engine = make_engine(settings)
            upgrade(engine)
            factory = make_session_factory(engine)
            with session_scope(factory) as s:
                services = fill(s, members, np.random.default_rng(members))
            with session_scope(factory) as s:
                ranking(s, period)  # warm the caches once
                t0, c0 = time.perf_counter(), time.process_time()
                got = ranking(s, period)
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                t0 = time.perf_counter()
                rows = s.execute(select(VolunteerShift.signup_id, VolunteerShift.started_at, VolunteerShift.ended_at)
                                 .where(VolunteerShift.started_at >= period.start_utc,
                                        VolunteerShift.started_at < period.end_utc)).all()  # fmt: skip
                base = time.perf_counter() - t0
            assert len(got["items"]) == members and rows
            engine.dispose()
            print(
                f"{members:>8,} {services:>9,} {wall * 1000:>10.0f} ms {cpu * 1000:>9.0f} ms {base * 1000:>11.0f} ms"
                f" {wall / base:>6.1f}"
            )


if __name__ == "__main__":
    main()
