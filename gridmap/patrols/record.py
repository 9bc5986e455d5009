"""Storing a patrol: the track checked, matched and written — the raw upload, the kept fixes as a line, one visit row
per segment and local day — in the caller's transaction, all or nothing.

Who may record for whom: a person's own account (a grid worker's or inspector's, linked to the registry's person)
records their own patrols; a commander, dispatcher or admin may record anyone's (an imported file); the server
writes the actor and the time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from geoalchemy2.elements import WKTElement
from sqlalchemy import insert
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.accounts.roles import R
from gridmap.config import Settings
from gridmap.errors import Forbidden, InvalidInput, NotFound, Problem
from gridmap.patrols.matching import Matched, match_track
from gridmap.patrols.network import road_network
from gridmap.patrols.tracks import Track, check_inside
from gridmap.store.dialect import dialect_of
from gridmap.store.models import Patrol, PatrolVisit, Person

RECORDS_FOR_OTHERS = (R.ADMIN, R.COMMANDER, R.DISPATCHER)
RECORDS_OWN = (R.GRID_WORKER, R.INSPECTOR)
RECORDS = RECORDS_FOR_OTHERS + RECORDS_OWN  # who may send a patrol in
READS = tuple(R)  # what was patrolled and the coverage: every signed-in account
READS_MISSES = (R.ADMIN, R.COMMANDER, R.DISPATCHER, R.INSPECTOR)  # misses name people and show their tracks


def whose(actor: Actor, person_id: int | None) -> int:
    """The person a patrol is recorded for: one's own (the account's person), or anyone's for those who may."""
    if actor.has(*RECORDS_FOR_OTHERS):
        if person_id is None:
            if actor.person_id is None:
                raise InvalidInput(Problem("say whose patrol it is", field="person_id", zh="请指明巡查人（person_id）"))
            return actor.person_id
        return person_id
    if actor.person_id is None:
        raise Forbidden("this account is not linked to a person of the register: its patrols have nobody to count for",
                        zh="本账号未关联人员名册中的人员，无法记录巡查")  # fmt: skip
    if person_id is not None and person_id != actor.person_id:
        raise Forbidden("you may record only your own patrols", zh="只能记录本人的巡查")
    return actor.person_id


def city_extent(session: Session) -> tuple[float, float, float, float] | None:
    """The bounding box of the city's areas and road segments (None: no layer loaded yet)."""
    d = dialect_of(session)
    boxes = [d.extent(session, "areas"), d.extent(session, "segments")]
    found = [b for b in boxes if b is not None and b[0] is not None]
    if not found:
        return None
    return (min(float(b[0]) for b in found), min(float(b[1]) for b in found),
            max(float(b[2]) for b in found), max(float(b[3]) for b in found))  # fmt: skip


def record_patrol(session: Session, actor: Actor, person_id: int, track: Track, settings: Settings) -> dict[str, Any]:
    """Check, match and store one patrol of ``person_id``; the answer summarises it (the caller commits)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", zh=f"人员名册中没有编号为 {person_id} 的人员")
    check_inside(track, city_extent(session))
    tz = ZoneInfo(settings.cases.timezone)
    network = road_network(session)
    matched = match_track(network, track, settings.patrols, tz)
    if int(matched.kept.sum()) < 2:
        raise InvalidInput(Problem(
            f"fewer than two of the {len(track)} fixes are usable (accuracy worse than "
            f"{settings.patrols.max_accuracy_m:g} m, or jumps faster than {settings.patrols.max_speed_mps:g} m/s)",
            source="track",
            zh=f"{len(track)} 个轨迹点中可用的不足两个（精度差于 {settings.patrols.max_accuracy_m:g} 米，"
               f"或跳变速度超过 {settings.patrols.max_speed_mps:g} 米/秒）",
        ))  # fmt: skip
    kept = matched.kept
    coords = ", ".join(f"{x!r} {y!r}" for x, y in zip(track.lon[kept].tolist(), track.lat[kept].tolist(), strict=True))
    now = dt.datetime.now(dt.UTC)
    started, ended = track.time(0), track.time(len(track) - 1)
    patrol = Patrol(
        person_id=person_id, started_at=started, ended_at=ended, source=track.source, crs=track.crs, raw=track.raw,
        fixes=len(track), kept=int(kept.sum()), length_m=round(matched.length_m, 1), created_by=actor.name[:200],
        created_at=now, geom=WKTElement(f"LINESTRING({coords})", srid=4326),
    )  # fmt: skip
    session.add(patrol)
    session.flush()
    rows = visit_rows(patrol.id, person_id, network.ids, matched)
    if rows:
        session.execute(insert(PatrolVisit), rows)
    answer = summary(patrol, matched, network.ids, network.names)
    kept_fields = ("person_id", "started_at", "ended_at", "fixes", "kept", "source")
    after = {k: answer[k] for k in kept_fields}
    audit.record(session, actor, "patrol.record", object_kind="patrol", object_id=patrol.id, after=after)
    return answer


def visit_rows(patrol_id: int, person_id: int, ids: np.ndarray, m: Matched) -> list[dict[str, Any]]:
    epoch = dt.date(1970, 1, 1)
    return [
        {"patrol_id": patrol_id, "person_id": person_id, "segment_id": int(ids[r]),
         "day": epoch + dt.timedelta(days=int(d)), "fixes": int(f), "covered_share": round(float(s), 4),
         "patrolled": bool(p), "first_at": dt.datetime.fromtimestamp(float(a), dt.UTC),
         "last_at": dt.datetime.fromtimestamp(float(b), dt.UTC)}
        for r, d, f, s, p, a, b in zip(m.row.tolist(), m.day.tolist(), m.fixes.tolist(), m.share.tolist(),
                                       m.patrolled.tolist(), m.first_t.tolist(), m.last_t.tolist(), strict=True)
    ]  # fmt: skip


def summary(patrol: Patrol, m: Matched, ids: np.ndarray, names: list[str | None]) -> dict[str, Any]:
    """What a client is told of a stored patrol."""
    segs = sorted(
        ({"segment_id": int(ids[r]), "name": names[r], "fixes": int(f), "covered_share": round(float(s), 3)}
         for r, f, s, p in zip(m.row.tolist(), m.fixes.tolist(), m.share.tolist(), m.patrolled.tolist(), strict=True)
         if p),
        key=lambda v: v["segment_id"],
    )  # fmt: skip
    return {
        "id": patrol.id, "person_id": patrol.person_id, "started_at": patrol.started_at.isoformat(),
        "ended_at": patrol.ended_at.isoformat(), "source": patrol.source, "crs": patrol.crs,
        "fixes": patrol.fixes, "kept": patrol.kept, "length_m": patrol.length_m,
        "segments_patrolled": segs,
    }  # fmt: skip
