"""Step 9, three months of invented reports (``reports.csv``): near roads, weighted to main roads and hot spots, and in
compounds; ``gridmap demo`` routes them and opens them as cases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import shapely

from .config import rng_for

# Sub-classes and weights after the class shares seen in one district's month (DOMAIN.md: 市容环境 65 %,
# 街面秩序 24 %, 宣传广告 3 %), the rest spread over 施工管理, 突发事件 and components.
REPORT_CATEGORIES = (
    ("0102", 22), ("0103", 8), ("0104", 16), ("0106", 7), ("0101", 4), ("0108", 5), ("0107", 3),
    ("0505", 9), ("0506", 5), ("0504", 4), ("0501", 3), ("0507", 2), ("0510", 1),
    ("0201", 2), ("0202", 1),
    ("0302", 2), ("0304", 2), ("0406", 1), ("0404", 1),
    ("BJ0101", 1), ("BJ0102", 1),
)  # fmt: skip
REPORT_SOURCES = (("patrol", 55), ("inspection", 15), ("public", 30))
REPORTS_START = date(2026, 9, 1)
REPORTS_DAYS = 86  # up to 2026-11-25


def make_reports(seg_geoms: np.ndarray, seg_levels: list[str], comp_ll: np.ndarray, n: int = 3000) -> list[dict]:
    """Reports of the last three months: near roads (weighted to main roads) and in compounds, with hot spots."""
    rng = rng_for("reports")
    segs = np.asarray(seg_geoms, dtype=object)
    weight = np.array([{"main": 3.0, "secondary": 2.0, "back": 1.0}[lv] for lv in seg_levels])
    hot = rng.choice(len(segs), size=25, replace=False)
    weight[hot] *= 40.0  # markets, school gates, night-snack streets: where problems pile up
    on_road = int(n * 0.8)
    pick = rng.choice(len(segs), size=on_road, p=weight / weight.sum())
    pts = shapely.line_interpolate_point(segs[pick], rng.random(on_road), normalized=True)
    xy = shapely.get_coordinates(pts)
    xy = xy + rng.normal(0.0, 0.00004, size=xy.shape)  # a few metres off the centre-line
    comps = np.asarray(comp_ll, dtype=object)[rng.integers(0, len(comp_ll), n - on_road)]
    xy = np.vstack([xy, shapely.get_coordinates(shapely.point_on_surface(comps))])
    cats, cw = zip(*REPORT_CATEGORIES, strict=True)
    srcs, sw = zip(*REPORT_SOURCES, strict=True)
    cat = rng.choice(cats, size=n, p=np.array(cw) / sum(cw))
    src = rng.choice(srcs, size=n, p=np.array(sw) / sum(sw))
    day = rng.integers(0, REPORTS_DAYS, n)
    minute = rng.integers(7 * 60, 21 * 60, n)
    order = np.lexsort((minute, day))
    rows = []
    for k, i in enumerate(order, start=1):
        when = datetime.combine(REPORTS_START + timedelta(days=int(day[i])), datetime.min.time())
        when += timedelta(minutes=int(minute[i]))
        rows.append(
            {
                "client_id": f"demo-{k:05d}",
                "lon": f"{xy[i, 0]:.6f}",
                "lat": f"{xy[i, 1]:.6f}",
                "category": str(cat[i]),
                "source": str(src[i]),
                "observed_at": when.strftime("%Y-%m-%dT%H:%M:00+08:00"),
            }
        )
    return rows
