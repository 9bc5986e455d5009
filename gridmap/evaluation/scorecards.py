"""Schemes kept as versioned data, scorecards computed live or read frozen, publishing, and trends.

A scheme is edited by saving a new version (:func:`save_scheme`); versions are never changed. A scorecard is
computed for a scheme's latest version over a period (:func:`compute`); :func:`publish` freezes it — the rows and
the scheme version are stored, and reading that period afterwards (:func:`scorecard`) returns the stored rows, so
later events, late closures or an edited scheme never change what was published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmap.accounts import audit
from gridmap.accounts.actor import Actor
from gridmap.errors import Conflict, InvalidInput, NotFound, Problem
from gridmap.evaluation.counts import BASE_COUNTS, count
from gridmap.evaluation.defaults import DEFAULT_SCHEMES
from gridmap.evaluation.periods import Period, parse_period
from gridmap.evaluation.scheme import SUBJECTS, SchemeDoc, parse_scheme
from gridmap.evaluation.scoring import Line, score_lines
from gridmap.evaluation.subjects import Subject, list_subjects
from gridmap.store.models import EvaluationScheme, Scorecard, ScorecardRow

# -- schemes ------------------------------------------------------------------------------------------------------


def ensure_default_schemes(session: Session, actor: Actor, now: dt.datetime) -> int:
    """Add each default scheme whose code is not stored yet (version 1); returns how many were added."""
    have = set(session.scalars(select(EvaluationScheme.code)).all())
    added = 0
    for raw in DEFAULT_SCHEMES:
        if raw["code"] not in have:
            _store(session, parse_scheme(raw), 1, actor, now, "默认方案 default scheme")
            added += 1
    return added


def _store(
    session: Session, doc: SchemeDoc, version: int, actor: Actor, now: dt.datetime, note: str | None
) -> EvaluationScheme:
    row = EvaluationScheme(
        code=doc.code, version=version, name_zh=doc.name_zh, name_en=doc.name_en, subject=doc.subject,
        document=doc.model_dump(mode="json"), created_at=now, created_by=actor.name, note=note,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def save_scheme(
    session: Session, raw: Any, actor: Actor, now: dt.datetime, note: str | None = None
) -> EvaluationScheme:
    """Validate a document and store it as the next version of its code (a new code starts at version 1). A
    scheme's subject never changes across versions (its published scorecards would stop comparing)."""
    doc = parse_scheme(raw)
    latest = _newest(session, doc.code)
    if latest is not None and latest.subject != doc.subject:
        zh = f"方案“{doc.code}”的考核对象是 {latest.subject}，不能改为 {doc.subject}"
        raise InvalidInput(
            Problem(f"scheme {doc.code!r} scores {latest.subject}, not {doc.subject}", field="subject", zh=zh)
        )
    version = (latest.version + 1) if latest is not None else 1
    try:
        with session.begin_nested():
            row = _store(session, doc, version, actor, now, note)
    except IntegrityError as e:  # two admins saving at once: one gets the version, the other is told
        raise Conflict(f"scheme {doc.code!r} version {version} was saved meanwhile: reload and try again",
                       zh=f"方案“{doc.code}”第 {version} 版刚被他人保存，请刷新后重试") from e  # fmt: skip
    audit.record(session, actor, "scheme.save", object_kind="evaluation_scheme", object_id=f"{doc.code}@{version}",
                 after={"code": doc.code, "version": version}, note=note)  # fmt: skip
    return row


def _newest(session: Session, code: str) -> EvaluationScheme | None:
    return session.scalars(
        select(EvaluationScheme).where(EvaluationScheme.code == code).order_by(EvaluationScheme.version.desc()).limit(1)
    ).first()


def latest_scheme(session: Session, code: str) -> EvaluationScheme:
    """The newest version of scheme ``code`` (NotFound when there is none)."""
    row = _newest(session, code)
    if row is None:
        raise NotFound(f"no evaluation scheme {code!r}", zh=f"考核方案“{code[:40]}”不存在")
    return row


def list_schemes(session: Session) -> list[dict[str, Any]]:
    """The latest version of every scheme, with how many versions it has."""
    newest = (
        select(EvaluationScheme.code, func.max(EvaluationScheme.version).label("v"))
        .group_by(EvaluationScheme.code)
        .subquery()
    )
    rows = session.scalars(
        select(EvaluationScheme)
        .join(newest, (newest.c.code == EvaluationScheme.code) & (newest.c.v == EvaluationScheme.version))
        .order_by(EvaluationScheme.subject, EvaluationScheme.code)
    ).all()
    return [scheme_dict(r) for r in rows]


def scheme_versions(session: Session, code: str) -> list[dict[str, Any]]:
    """Every version of scheme ``code``, newest first, each with the periods published under it (a version a
    published scorecard used is shown as such: it, like every version, is never changed)."""
    rows = session.scalars(
        select(EvaluationScheme).where(EvaluationScheme.code == code).order_by(EvaluationScheme.version.desc())
    ).all()
    if not rows:
        raise NotFound(f"no evaluation scheme {code!r}", zh=f"考核方案“{code[:40]}”不存在")
    used: dict[int, list[str]] = {}
    for version, period in session.execute(
        select(Scorecard.scheme_version, Scorecard.period)
        .where(Scorecard.scheme_code == code)
        .order_by(Scorecard.period)
    ):
        used.setdefault(version, []).append(period)
    return [{**scheme_dict(r), "published_periods": used.get(r.version, [])} for r in rows]


def scheme_dict(row: EvaluationScheme) -> dict[str, Any]:
    return {
        "code": row.code, "version": row.version, "name_zh": row.name_zh, "name_en": row.name_en,
        "subject": row.subject, "created_at": row.created_at.isoformat() if row.created_at else None,
        "created_by": row.created_by, "note": row.note, "document": row.document,
    }  # fmt: skip


def scheme_for_subject(session: Session, subject: str, code: str | None = None) -> EvaluationScheme:
    """The scheme named, else the first scheme scoring ``subject`` (the composite one by preference)."""
    if code:
        return latest_scheme(session, code)
    if subject not in SUBJECTS:
        raise InvalidInput(Problem(f"{subject!r} is not one of {', '.join(SUBJECTS)}", field="subject",
                                   zh=f"未知的考核对象“{subject[:40]}”"))  # fmt: skip
    codes = sorted(
        set(session.scalars(select(EvaluationScheme.code).where(EvaluationScheme.subject == subject)).all()),
        key=lambda c: (not c.endswith("_composite"), c),
    )
    if not codes:
        raise NotFound(f"no evaluation scheme scores {subject}", zh=f"尚无考核{SUBJECTS[subject][0]}的方案")
    return latest_scheme(session, codes[0])


# -- scorecards ---------------------------------------------------------------------------------------------------


def compute(
    session: Session, scheme: EvaluationScheme, period: Period, now: dt.datetime, *, with_links: bool = True
) -> dict[str, Any]:
    """The scorecard of ``scheme`` over ``period`` as of ``now``, counted afresh (nothing stored); ``with_links``:
    each row names the case-list query of each count."""
    doc = parse_scheme(scheme.document)
    keys = {t.removeprefix("-") for i in doc.indicators for t in [*i.numerator, *(i.denominator or [])]}
    counts = count(session, doc.subject, period.start_utc, period.end_utc, keys, now=now, params=doc.params)
    subjects = list_subjects(session, doc.subject, period.first_day, counts.keys())
    lines = score_lines(doc, [(s.id, s.name, s.group) for s in subjects], counts)
    return _card(scheme, doc, period, lines, {s.id: s for s in subjects}, computed_at=now, published=None,
                 with_links=with_links)  # fmt: skip


def publish(session: Session, scheme: EvaluationScheme, period: Period, actor: Actor, now: dt.datetime,
            note: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Compute and freeze the scorecard; a period is published once per scheme (Conflict after)."""
    if _published(session, scheme.code, period) is not None:
        raise Conflict(f"{scheme.code} {period.key} is already published (a published scorecard never changes)",
                       zh=f"{period.label()}的“{scheme.name_zh}”已发布，发布后不可更改")  # fmt: skip
    card = compute(session, scheme, period, now)
    try:
        with session.begin_nested():
            head = Scorecard(
                scheme_id=scheme.id, scheme_code=scheme.code, scheme_version=scheme.version, subject=scheme.subject,
                period=period.key, period_start=period.start_utc, period_end=period.end_utc, computed_at=now,
                published_at=now, published_by=actor.name, note=note,
            )  # fmt: skip
            session.add(head)
            session.flush()
            rows = [
                {"scorecard_id": head.id, "subject_id": r["subject_id"], "name": r["name"], "peer_group": r["group"],
                 "counts": r["counts"], "values": r["values"], "points": r["points"], "score": r["score"],
                 "grade": r["grade"], "rank": r["rank"]}
                for r in card["rows"]
            ]  # fmt: skip
            if rows:
                session.execute(insert(ScorecardRow.__table__), rows)
    except IntegrityError as e:
        raise Conflict(f"{scheme.code} {period.key} was published meanwhile", zh="该周期的考核结果刚被他人发布") from e
    audit.record(session, actor, "scorecard.publish", object_kind="scorecard", object_id=f"{scheme.code}/{period.key}",
                 after={"scheme_version": scheme.version, "rows": len(rows)}, note=note)  # fmt: skip
    card["published"] = {"at": now.isoformat(), "by": actor.name, "scheme_version": scheme.version}
    return card


def _published(session: Session, code: str, period: Period) -> Scorecard | None:
    return session.scalars(
        select(Scorecard).where(Scorecard.scheme_code == code, Scorecard.period == period.key)
    ).first()


def scorecard(
    session: Session,
    scheme: EvaluationScheme,
    period: Period,
    now: dt.datetime,
    *,
    live: bool = False,
    with_links: bool = True,
) -> dict[str, Any]:
    """The published scorecard of the period if there is one (unless ``live``), else one computed now."""
    head = None if live else _published(session, scheme.code, period)
    if head is None:
        return compute(session, scheme, period, now, with_links=with_links)
    frozen = session.get(EvaluationScheme, head.scheme_id)
    assert frozen is not None
    doc = parse_scheme(frozen.document)
    # the stored columns as plain rows (no ORM objects: thousands of them made reading a frozen card cost more
    # than rendering it)
    stored = session.execute(
        select(ScorecardRow.subject_id, ScorecardRow.name, ScorecardRow.peer_group, ScorecardRow.counts,
               ScorecardRow.values, ScorecardRow.points, ScorecardRow.score, ScorecardRow.grade, ScorecardRow.rank)
        .where(ScorecardRow.scorecard_id == head.id)
        .order_by(ScorecardRow.id)
    ).all()  # fmt: skip
    lines = [Line(*r) for r in stored]
    subjects = {s.id: s for s in list_subjects(session, doc.subject, period.first_day, [r[0] for r in stored])}
    published = {"at": head.published_at.isoformat(), "by": head.published_by, "scheme_version": head.scheme_version}
    return _card(frozen, doc, period, lines, subjects, computed_at=head.computed_at, published=published,
                 with_links=with_links)  # fmt: skip


def _card(
    scheme: EvaluationScheme,
    doc: SchemeDoc,
    period: Period,
    lines: list[Line],
    subjects: dict[str, Subject],
    *,
    computed_at: dt.datetime,
    published: dict[str, Any] | None,
    with_links: bool,
) -> dict[str, Any]:
    groups: dict[str, dict[str, Any]] = {}
    used = {t.removeprefix("-") for i in doc.indicators for t in [*i.numerator, *(i.denominator or [])]}
    queries = count_queries(sorted(used), period)
    rows = []
    for ln in lines:
        s = subjects.get(ln.subject_id)
        if ln.group is not None and ln.group not in groups:
            groups[ln.group] = {"key": ln.group, "name_zh": s.group_zh if s else ln.group,
                                "name_en": s.group_en if s else ln.group}  # fmt: skip
        links = case_links(s.case_filter, queries) if s and with_links else {}
        rows.append({**ln.as_dict(), "cases": links})
    return {
        "scheme": {"code": scheme.code, "version": scheme.version, "name_zh": scheme.name_zh,
                   "name_en": scheme.name_en, "subject": scheme.subject},
        "indicators": [i.model_dump() for i in doc.indicators],
        "components": [{"indicator": c.indicator, "kind": c.rule.kind, "weight": c.weight} for c in doc.components],
        "counts": {k: {"zh": BASE_COUNTS[k].zh, "en": BASE_COUNTS[k].en} for k in sorted(used)},
        "period": {"key": period.key, "kind": period.kind, "label_zh": period.label("zh_CN"),
                   "start": period.start.isoformat(), "end": period.end.isoformat()},
        "computed_at": computed_at.isoformat(),
        "published": published,
        "groups": sorted(groups.values(), key=lambda g: g["key"]),
        "rows": rows,
    }  # fmt: skip


def case_links(subject_filter: dict[str, str], queries: dict[str, str]) -> dict[str, str]:
    """For each base count, the query of the case list (``/cases?…``) that shows the cases it counts
    (``queries``: each count's subject-free part, from :func:`count_queries`)."""
    if not subject_filter:
        return {}
    head = urlencode(subject_filter)
    return {key: f"{head}&{q}" for key, q in queries.items()}


def count_queries(keys: Iterable[str], period: Period) -> dict[str, str]:
    """The subject-free part of each count's case-list query (built once per card: thousands of subjects share
    it)."""
    start, end = period.start.strftime("%Y-%m-%dT%H:%M"), period.end.strftime("%Y-%m-%dT%H:%M")
    out = {}
    for key in keys:
        base = BASE_COUNTS[key]
        if base.family == "due":
            q = {"due": base.kind, "due_from": start, "due_to": end}
        else:
            q = {"event": base.kind, "event_from": start, "event_to": end}
        out[key] = urlencode({**q, "status": "all"})
    return out


def trends(
    session: Session, scheme: EvaluationScheme, period: Period, now: dt.datetime, back: int = 3
) -> dict[str, Any]:
    """Each subject's score in the ``back`` periods before ``period`` and in it (oldest first)."""
    periods = [*reversed(period.previous(back)), period]
    series: dict[str, list[float | None]] = {}
    names: dict[str, str] = {}
    for i, p in enumerate(periods):
        for subject_id, name, score in _scores(session, scheme, p, now):
            series.setdefault(subject_id, [None] * len(periods))[i] = score
            names[subject_id] = name
    return {"periods": [p.key for p in periods], "labels_zh": [p.label() for p in periods],
            "series": [{"subject_id": k, "name": names[k], "scores": v} for k, v in series.items()]}  # fmt: skip


def _scores(session: Session, scheme: EvaluationScheme, period: Period, now: dt.datetime) -> list[Any]:
    """(subject id, name, score) of each row of the period's scorecard as :func:`scorecard` gives it: a published
    one's three stored columns alone (a trend needs no counts, links or subjects' details — reading whole frozen
    cards made the rankings page several times slower than its own card), else counted now."""
    head = _published(session, scheme.code, period)
    if head is None:
        card = compute(session, scheme, period, now, with_links=False)
        return [(r["subject_id"], r["name"], r["score"]) for r in card["rows"]]
    return list(
        session.execute(
            select(ScorecardRow.subject_id, ScorecardRow.name, ScorecardRow.score)
            .where(ScorecardRow.scorecard_id == head.id)
            .order_by(ScorecardRow.id)
        ).all()
    )


# -- what the interfaces call --------------------------------------------------------------------------------------


def read_scorecard(
    session: Session,
    tz: dt.tzinfo,
    now: dt.datetime,
    *,
    period: str,
    subject: str = "unit",
    scheme: str | None = None,
    group: str | None = None,
    live: bool = False,
    with_links: bool = True,
) -> dict[str, Any]:
    """The scorecard asked for by text (period key, subject, optional scheme code and peer group); ``with_links``:
    each row names the case-list query of each count (the API's rows do; a page that shows no counts needs none)."""
    p = parse_period(period, tz)
    row = scheme_for_subject(session, subject, scheme)
    card = scorecard(session, row, p, now, live=live, with_links=with_links)
    if group:
        known = {g["key"] for g in card["groups"]}
        if group not in known:
            raise InvalidInput(Problem(f"no peer group {group!r} (one of: {', '.join(sorted(known)) or 'none'})",
                                       field="group", zh=f"没有名为“{group[:40]}”的考核分组"))  # fmt: skip
        card["rows"] = [r for r in card["rows"] if r["group"] == group]
    return card


def publish_period(
    session: Session, tz: dt.tzinfo, now: dt.datetime, actor: Actor, *, period: str, subject: str = "unit",
    scheme: str | None = None, note: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Publish (freeze) the scorecard of a period; refused for a period not yet over (its figures still move)."""
    p = parse_period(period, tz)
    if p.end > now:
        raise InvalidInput(Problem(f"{p.key} is not over yet (it ends {p.end.isoformat()})", field="period",
                                   zh=f"{p.label()}尚未结束，不能发布"))  # fmt: skip
    return publish(session, scheme_for_subject(session, subject, scheme), p, actor, now, note)
