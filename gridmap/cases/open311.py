"""Open311 GeoReport v2 over the case workflow: services are the active category sub-classes, service requests are
cases. Plain data in, plain data out (lists of dicts in the spec's field names); the web layer renders JSON or XML.

Mapping: ``status`` is ``closed`` for closed (结案) and void (作废) cases, ``open`` otherwise; ``status_notes`` is
the note of the latest step; ``agency_responsible`` the responsible unit; ``expected_datetime`` the deadline.
Requests posted through Open311 come from the public, so they wait for on-site verification (``pending``) like
a 随手拍 report. GeoReport v2: http://wiki.open311.org/GeoReport_v2
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from gridmap.accounts.actor import Actor
from gridmap.cases import STATUS_ZH, open_report, parse_time
from gridmap.cases.reports import normalise_receipt
from gridmap.catalogue.categories import load_calendar
from gridmap.catalogue.working_calendar import UNIT_LABELS_ZH
from gridmap.config import Settings
from gridmap.errors import Forbidden, InvalidInput, NotFound, Problem
from gridmap.inputs import as_id, id_in_text
from gridmap.store.models import Case, CaseEvent, CaseStatus, Category, Unit

MAX_REQUESTS = 1000
MAX_SPAN = dt.timedelta(days=90)
CLOSED = (CaseStatus.CLOSED.value, CaseStatus.VOID.value)


def check_api_key(settings: Settings, given: str | None) -> None:
    expected = settings.cases.open311_api_key
    if expected and not hmac.compare_digest(str(given or "").encode(), expected.encode()):
        raise Forbidden(
            "missing or invalid api_key: this server needs one to create service requests "
            "(缺少或无效的 api_key：提交服务请求需要它)"
        )


MAX_URL = 2000


def check_media_url(value: object) -> None:
    """``media_url`` is a link to a photo: an absolute http(s) URL (a ``javascript:`` or ``data:`` URL would be
    handed on to whoever opens it).

    >>> check_media_url("https://photos.example.cn/1.jpg")
    >>> check_media_url("javascript:alert(1)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridmap.errors.InvalidInput: rejected: field 'media_url': must be an http(s) URL ...
    """
    if value in (None, ""):
        return
    text = str(value)
    try:
        url = urlsplit(text)
    except ValueError:
        url = None
    if (
        url is None
        or url.scheme.lower() not in ("http", "https")
        or not url.netloc
        or len(text) > MAX_URL
        or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text)
    ):
        raise InvalidInput(Problem("must be an http(s) URL", field="media_url", zh="须为 http 或 https 网址"))


def services(session: Session) -> list[dict[str, object]]:
    """GET services: every active sub-class, grouped by its class."""
    parent = {c.code: c for c in session.scalars(select(Category).where(Category.parent_code.is_(None)))}
    rows = session.scalars(
        select(Category).where(Category.parent_code.isnot(None), Category.active).order_by(Category.code)
    )
    return [_service(c, parent.get(c.parent_code or "")) for c in rows]


def _service(c: Category, parent: Category | None) -> dict[str, object]:
    limit = f"{c.deadline_amount:g} {UNIT_LABELS_ZH.get(c.deadline_unit or '', '')}".strip()
    return {
        "service_code": c.code,
        "service_name": c.name_zh,
        "description": f"{c.name_zh}（{c.name_en}）；处置时限 {limit}"
        if c.name_en
        else f"{c.name_zh}；处置时限 {limit}",
        "metadata": False,
        "type": "realtime",
        "keywords": ", ".join(k for k in (c.name_en, c.family) if k),
        "group": parent.name_zh if parent else c.family,
    }


def service_definition(session: Session, code: str) -> dict[str, object]:
    cat = session.get(Category, code)
    if cat is None or cat.parent_code is None or not cat.active:
        raise NotFound(f"service_code {code!r} not found")
    return {"service_code": code, "attributes": []}


def _request(row: Any, note: str | None, tz: dt.tzinfo) -> dict[str, object]:
    def w3(t: dt.datetime | None) -> str | None:
        if t is None:
            return None
        t = t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t
        return t.astimezone(tz).isoformat(timespec="seconds")

    status = "closed" if row.status in CLOSED else "open"
    notice = STATUS_ZH[CaseStatus(row.status)]
    if row.unit_name and row.status not in CLOSED:
        notice += f"；责任单位：{row.unit_name}"
    if row.deadline_at and row.status not in CLOSED:
        notice += f"；处置时限：{w3(row.deadline_at)}"
    return {
        "service_request_id": str(row.id),
        "status": status,
        "status_notes": note or STATUS_ZH[CaseStatus(row.status)],
        "service_name": row.name_zh,
        "service_code": row.category,
        "description": row.description,
        "agency_responsible": row.unit_name,
        "service_notice": notice,
        "requested_datetime": w3(row.created_at),
        "updated_datetime": w3(row.updated_at),
        "expected_datetime": w3(row.deadline_at),
        "address": row.address,
        "address_id": None,
        "zipcode": None,
        "lat": row.lat,
        "long": row.lon,
        "media_url": None,  # photos are for staff: see _render
    }


def _select():
    return (
        select(Case.__table__, Unit.name.label("unit_name"), Category.name_zh)
        .select_from(Case.__table__)
        .join(Unit, Unit.id == Case.unit_id, isouter=True)
        .join(Category, Category.code == Case.category, isouter=True)
    )


def _render(session: Session, rows: list[Any], settings: Settings, base_url: str) -> list[dict[str, object]]:
    """The requests as the public sees them: status, service, place, the unit's name and the latest note — no
    people and no photos (``media_url`` is left out: a photo can show people; staff see them on the case)."""
    tz = load_calendar(session, settings.cases).tz
    ids = [r.id for r in rows]
    notes: dict[int, str | None] = {}
    if ids:
        events = session.execute(
            select(CaseEvent.case_id, CaseEvent.note)
            .where(CaseEvent.case_id.in_(ids), CaseEvent.action != "report")
            .order_by(CaseEvent.case_id, CaseEvent.seq)
        ).all()
        for e in events:
            if e.note:
                notes[e.case_id] = e.note  # the latest note wins
    return [_request(r, notes.get(r.id), tz) for r in rows]


def find_requests(
    session: Session, args: dict[str, Any], settings: Settings, base_url: str, now: dt.datetime | None = None
) -> list[dict[str, object]]:
    """GET requests: by ``service_request_id`` (comma list, overrides the rest) or by ``service_code``,
    ``start_date``/``end_date`` (at most 90 days; default the last 90 days) and ``status`` (open/closed)."""
    now = now or dt.datetime.now(dt.UTC)
    tz = load_calendar(session, settings.cases).tz
    problems: list[Problem] = []
    stmt = _select()

    def _list(key: str) -> list[str]:
        return [s.strip() for s in str(args.get(key) or "").split(",") if s.strip()]

    wanted = _list("service_request_id")
    if wanted:
        ids = [as_id(w) for w in wanted]
        for w, i in zip(wanted, ids, strict=True):
            if i is None:
                problems.append(
                    Problem(f"{w!r} is not a service_request_id", field="service_request_id", zh="须为服务请求编号")
                )
        if problems:
            raise InvalidInput(problems)
        rows = session.execute(stmt.where(Case.id.in_(ids)).order_by(Case.id)).all()
        return _render(session, list(rows), settings, base_url)
    conds: list[ColumnElement[bool]] = []
    codes = _list("service_code")
    if codes:
        conds.append(Case.category.in_(codes))
    start = parse_time(args.get("start_date"), "start_date", tz, problems)
    end = parse_time(args.get("end_date"), "end_date", tz, problems)
    if start and end and end - start > MAX_SPAN:
        problems.append(
            Problem(
                "start_date and end_date may not span more than 90 days",
                field="end_date",
                zh="起止日期的跨度不能超过 90 天",
            )
        )
    if start and end is None:
        end = start + MAX_SPAN
    if end and start is None:
        start = end - MAX_SPAN
    if start is None:
        start, end = now - MAX_SPAN, None
    statuses = _list("status")
    for s in statuses:
        if s not in ("open", "closed"):
            problems.append(Problem(f"{s!r} is not open or closed", field="status", zh="状态须为 open 或 closed"))
    if problems:
        raise InvalidInput(problems)
    conds.append(Case.created_at >= start)
    if end:
        conds.append(Case.created_at <= end)
    if statuses == ["open"]:
        conds.append(Case.status.notin_(CLOSED))
    elif statuses == ["closed"]:
        conds.append(Case.status.in_(CLOSED))
    found = session.execute(
        stmt.where(and_(*conds)).order_by(Case.created_at.desc(), Case.id.desc()).limit(MAX_REQUESTS)
    )
    return _render(session, list(found.all()), settings, base_url)


def get_request(session: Session, request_id: str, settings: Settings, base_url: str) -> list[dict[str, object]]:
    case_id = id_in_text(str(request_id))
    if case_id is None:
        raise NotFound(f"service_request_id {str(request_id)[:40]!r} not found (服务请求不存在)")
    rows = session.execute(_select().where(Case.id == case_id)).all()
    if not rows:
        raise NotFound(f"service_request_id {str(request_id)[:40]!r} not found (服务请求不存在)")
    return _render(session, list(rows), settings, base_url)


def create_request(
    session: Session,
    form: dict[str, Any],
    settings: Settings,
    *,
    actor: Actor,
    now: dt.datetime | None = None,
    router: Callable[..., Any] | None = None,
) -> list[dict[str, object]]:
    """POST requests (form fields of the spec) → a pending case opened by ``actor`` (the public, with its address);
    returns ``[{service_request_id, …}]``."""
    check_api_key(settings, form.get("api_key"))
    check_media_url(form.get("media_url"))
    code = str(form.get("service_code") or "").strip()
    if not code:
        raise InvalidInput(
            Problem(
                "service_code is required (GET services lists them)",
                field="service_code",
                zh="须填写服务类别（service_code）",
            )
        )
    service_definition(session, code)  # 404 for an unknown service, as the spec asks
    if form.get("lat") in (None, "") and form.get("long") in (None, ""):
        raise InvalidInput(
            Problem("lat and long are required: this server routes a request by its location; an address_string "
                    "or address_id alone cannot be placed", field="lat",
                    zh="须提供位置（lat 和 long）：仅凭地址无法定位")
        )  # fmt: skip
    names = " ".join(str(form[k]).strip() for k in ("last_name", "first_name") if form.get(k))
    contact = "; ".join(str(form[k]).strip() for k in ("email", "phone") if form.get(k))
    reporter = " ".join(p for p in (names, f"<{contact}>" if contact else "") if p) or form.get("device_id") or None
    report = {
        "lat": form.get("lat"),
        "lon": form.get("long"),
        "category": code,
        "description": form.get("description"),
        "address": form.get("address_string"),
        "reporter": reporter,
        "source": "open311",
    }
    extra = {
        k: form[k]
        for k in ("media_url", "device_id", "account_id", "email", "address_id", "jurisdiction_id")
        if form.get(k)
    }
    attributes = {
        k[len("attribute[") : -1]: v for k, v in form.items() if k.startswith("attribute[") and k.endswith("]")
    }
    if attributes:
        extra["attributes"] = attributes
    answer = open_report(session, report, settings, actor=actor, now=now, router=router, event_data=extra)
    receipt = session.scalar(select(Case.receipt).where(Case.id == answer["id"]))
    notice = f"{answer['status_zh']}：市民上报将先经现场核实再立案；查询码 {receipt}（在 /track 查询办理进度）"
    if answer.get("duplicate_of"):
        notice += f"；与案件 {answer['duplicate_of']} 可能重复"
    # GeoReport v2 answers a service_request_id or a token, never both: the receipt code is in the notice, and
    # GET tokens/{code} finds the request by it
    return [{"service_request_id": str(answer["id"]), "service_notice": notice, "account_id": form.get("account_id")}]


def request_by_token(session: Session, token: str) -> list[dict[str, object]]:
    """GET tokens/{token}: the request a POST's token (this server's receipt code) stands for."""
    code = normalise_receipt(token)
    case_id = session.scalar(select(Case.id).where(Case.receipt == code)) if code else None
    if case_id is None:
        raise NotFound(f"token {token!r} not found")
    return [{"service_request_id": str(case_id), "token": code}]


def track(session: Session, code: str, settings: Settings) -> dict[str, object]:
    """A public report as its reporter follows it by the receipt code: what the public may see of it (status,
    service, place, the unit's name, the latest note, the times) — the same view as Open311's."""
    normal = normalise_receipt(code)
    rows = session.execute(_select().where(Case.receipt == normal)).all() if normal else []
    if not rows:
        raise NotFound(f"no report with the receipt code {code!r}: check it and try again")
    body = _render(session, list(rows), settings, "")[0]
    row = rows[0]
    return {**body, "receipt": normal, "status_zh": STATUS_ZH[CaseStatus(row.status)], "closed": row.status in CLOSED}
