"""The demo city's shops: a few hundred along its commercial streets (main and secondary roads named …街), both
sides, each with a signed letter; reports of 门前 problems inside their frontages over the demo's year (most shops
keep a clean front, a few do not, month after month); and, once those reports have lived their history, a
monthly score for every month of the year — so the ranking page has a year of red flags and a yellow-to-black
ladder to show. Deterministic: the same seed gives the same shops, reports and scores."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import shapely
from geoalchemy2.elements import WKTElement
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gridmap.geo.crs import transform, utm_epsg_for
from gridmap.shops import schemes, scoring
from gridmap.shops.credit_code import ALPHABET, check_char
from gridmap.shops.placement import HALF_WIDTH_M, place
from gridmap.store.dialect import wkb
from gridmap.store.models import Segment, Shop, ShopLetter

SEED = 20261115
TARGET_SHOPS = 300
SPACING_M = (14.0, 30.0)  # metres between shop fronts along a street, drawn uniformly
SETBACK_M = (3.0, 7.0)  # metres from the kerb to the shop wall
CLEAN_RATE = 0.08  # reports a month inside a tidy shop's frontage (Poisson mean)
UNTIDY_SHARE = 0.04  # shops that keep failing
UNTIDY_RATE = 6.0  # … and their reports a month
MIDDLING_SHARE = 0.08  # shops that fail now and then
MIDDLING_RATE = 1.5
CATEGORIES = ("0102", "0103", "0104", "0504", "0505", "0506", "0507", "0201", "0202", "0511", "0106", "0508")

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_KINDS = (("面馆", "餐饮"), ("超市", "零售"), ("饭店", "餐饮"), ("理发店", "生活服务"), ("水果店", "零售"),
          ("药店", "医药"), ("五金店", "零售"), ("烟酒店", "零售"), ("包子铺", "餐饮"), ("手机店", "零售"),
          ("茶叶店", "零售"), ("洗衣店", "生活服务"), ("烧烤店", "餐饮"), ("服装店", "零售"))  # fmt: skip


def _credit_code(rng: np.random.Generator) -> str:
    """A made-up, well-formed code of an individual business 个体工商户 (92) in 离石区 (141102)."""
    body = "92141102" + "".join(rng.choice(list(ALPHABET), 9))
    return body + check_char(body)


def place_demo_shops(session: Session, signed_on: dt.date, seed: int = SEED) -> int:
    """Shops along the commercial streets, placed (segment, grid, 街道, frontage), each with a letter signed on
    ``signed_on`` under the default scheme. Returns how many."""
    rng = np.random.default_rng(seed)
    rows = session.execute(
        select(Segment.id, Segment.name, Segment.level, wkb(Segment.geom).label("wkb"))
        .where(Segment.level.in_(("main", "secondary")), Segment.name.like("%街"))
        .order_by(Segment.id)
    ).all()
    if not rows:
        return 0
    lines = np.asarray(shapely.from_wkb([bytes(r.wkb) for r in rows]), dtype=object)
    x0, y0, x1, y1 = shapely.total_bounds(lines)
    epsg = utm_epsg_for((x0 + x1) / 2, (y0 + y1) / 2)
    metric = transform(lines, 4326, epsg)
    shops: list[dict[str, Any]] = []
    now = dt.datetime.now(dt.UTC)
    for k in rng.permutation(len(rows)):
        if len(shops) >= TARGET_SHOPS:
            break
        line, half = metric[k], HALF_WIDTH_M.get(rows[k].level, 6.0)
        length = float(shapely.length(line))
        for side in (1.0, -1.0):
            s = float(rng.uniform(3, 12))
            while s < length - 3 and len(shops) < TARGET_SHOPS:
                a = shapely.line_interpolate_point(line, max(s - 0.5, 0))
                b = shapely.line_interpolate_point(line, min(s + 0.5, length))
                t = np.array([b.x - a.x, b.y - a.y])
                t /= np.hypot(*t) or 1.0
                foot = shapely.line_interpolate_point(line, s)
                off = half + float(rng.uniform(*SETBACK_M))
                x, y = foot.x - side * t[1] * off, foot.y + side * t[0] * off
                lon, lat = transform(np.asarray([shapely.Point(x, y)], dtype=object), epsg, 4326)[0].coords[0]
                name, kind = _KINDS[int(rng.integers(len(_KINDS)))]
                surname = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
                point = f"POINT({round(lon, 7)!r} {round(lat, 7)!r})"
                shops.append({"name": f"{surname}记{name}", "kind": kind, "owner": f"{surname}某",
                              "phone": f"13{int(rng.integers(100000000, 999999999))}",
                              "credit_code": _credit_code(rng), "address": f"{rows[k].name}",
                              "lon": round(lon, 7), "lat": round(lat, 7), "updated_at": now,
                              "geom": WKTElement(point, srid=4326)})  # fmt: skip
                s += float(rng.uniform(*SPACING_M))
    ids = list(session.scalars(insert(Shop).returning(Shop.id, sort_by_parameter_order=True), shops))
    place(session, ids)
    scheme = schemes.current_scheme(session)
    session.execute(insert(ShopLetter), [
        {"shop_id": i, "scheme_id": scheme.id, "signer": s["owner"], "signed_on": signed_on, "valid_from": signed_on,
         "created_by": "demo", "created_at": now}
        for i, s in zip(ids, shops, strict=True)
    ])  # fmt: skip
    return len(ids)


def shop_front_reports(session: Session, months: list[str], tz: dt.tzinfo, first_number: int,
                       span: tuple[dt.datetime, dt.datetime], seed: int = SEED) -> pd.DataFrame:  # fmt: skip
    """Reports (the demo's ``reports.csv`` columns) at random spots inside the frontages, month by month within
    ``span`` (the history's ``[start, end)``): a tidy shop now and then, an untidy one several a month. Numbered
    ``demo-NNNNN`` from ``first_number``."""
    begin, end = span
    rng = np.random.default_rng(seed + 1)
    rows = session.execute(
        select(Shop.id, wkb(Shop.frontage).label("wkb")).where(Shop.frontage.is_not(None)).order_by(Shop.id)
    ).all()
    if not rows:
        return pd.DataFrame(columns=["client_id", "lon", "lat", "category", "source", "observed_at"])
    rings = shapely.get_coordinates(shapely.get_exterior_ring(shapely.from_wkb([bytes(r.wkb) for r in rows]))).reshape(
        len(rows), 5, 2
    )
    draw = rng.random(len(rows))
    rate = np.select([draw < UNTIDY_SHARE, draw < UNTIDY_SHARE + MIDDLING_SHARE], [UNTIDY_RATE, MIDDLING_RATE],
                     CLEAN_RATE)  # fmt: skip
    out: list[dict[str, object]] = []
    for month in months:
        start, stop = scoring.month_times(month, tz)
        start, stop = max(start, begin), min(stop, end)
        seconds = (stop - start).total_seconds()
        if seconds <= 0:
            continue
        counts = rng.poisson(rate)
        for k in np.repeat(np.arange(len(rows)), counts):
            u, v = rng.uniform(0.1, 0.9, 2)
            p = rings[k, 0] + u * (rings[k, 1] - rings[k, 0]) + v * (rings[k, 3] - rings[k, 0])
            at = start + dt.timedelta(seconds=float(rng.uniform(0, seconds)))
            out.append({"client_id": f"demo-{first_number + len(out):05d}", "lon": round(float(p[0]), 7),
                        "lat": round(float(p[1]), 7), "category": str(rng.choice(CATEGORIES)),
                        "source": str(rng.choice(["patrol", "patrol", "inspection", "public"])),
                        "observed_at": at.astimezone(tz).isoformat(timespec="seconds")})  # fmt: skip
    return pd.DataFrame(out)


def months_between(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> list[str]:
    """The local months from the one holding ``start`` to the one holding ``end`` (inclusive)."""
    a, b = start.astimezone(tz).date().replace(day=1), end.astimezone(tz).date().replace(day=1)
    months = []
    while a <= b:
        months.append(a.strftime("%Y-%m"))
        a = (a + dt.timedelta(days=32)).replace(day=1)
    return months


def score_months(session: Session, months: list[str], timezone: str) -> int:
    """Score the months in order (each month's streaks build on the one before). Returns the scores written."""
    return sum(int(scoring.score_month(session, m, timezone)["shops"]) for m in months)
