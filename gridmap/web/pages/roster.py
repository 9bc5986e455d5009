"""The roster (包联台账) page: upload an XLSX/CSV, see every row's match and its confidence (ambiguous and unmatched
rows with their closest candidates, never guessed), confirm to import it as one recorded change, undo an import,
download the template and the export. Plain forms posting back (no page script): each handler parses, calls
:mod:`gridmap.roster`, and renders."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from gridmap.accounts import roles
from gridmap.errors import GridmapError, InvalidInput, Problem
from gridmap.roster import files, uploads
from gridmap.store.targets import TARGETS
from gridmap.web.auth import allow, current_actor
from gridmap.web.session import db_session, writing
from gridmap.web.state import app_state

bp = Blueprint("roster", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_EN = {"exact": "exact", "normalised": "normalised", "fuzzy": "fuzzy", "ambiguous": "ambiguous",
             "unmatched": "unmatched", "invalid": "invalid row"}  # fmt: skip
STATUS_ZH = {**files.CONFIDENCE_ZH, "invalid": "有误"}


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


def _said(exc: GridmapError) -> list[str]:
    """The error's lines in the page's language (every bad row of a refused import)."""
    zh = _lang() == "zh_CN"
    if isinstance(exc, InvalidInput):
        return [(p.zh or p.message) if zh else str(p) for p in exc.problems]
    return [exc.zh if zh and exc.zh else str(exc)]


def _instance() -> Path:
    return app_state().settings.instance_dir


def _page(status: int = 200, **kw: object):
    lang = _lang()
    context = {
        "imports": files.recent_imports(db_session()),
        "may_import": current_actor().has(*roles.ASSIGNS),
        "status_label": (lambda s: STATUS_ZH.get(s, s)) if lang == "zh_CN" else (lambda s: STATUS_EN.get(s, s)),
        "kind_label": lambda k: (TARGETS[k].label_zh if lang == "zh_CN" else TARGETS[k].label_en) if k else "",
        "done": None,
        "errors": [],
        "preview": None,
    }
    context.update(kw)
    return render_template("roster.html", lang=lang, attribution=app_state().attribution, **context), status


@bp.get("/admin/roster")
@allow(*roles.EDITS_UNITS)
def roster_page():
    done = request.args.get("done")
    chosen = next((i for i in files.recent_imports(db_session()) if str(i["change"]) == done), None)
    return _page(done=chosen, undone=request.args.get("undone"))


def _preview(token: str, sheet: str | None, accept_fuzzy: bool, errors: list[str] | None = None, status: int = 200):
    path = uploads.parked(_instance(), token)
    rows = files.preview(db_session(), path, sheet)
    entries = [{**r.entry(), "cells": r.cells} for r in rows]
    counts = Counter(e["status"] for e in entries)
    blocked = sum(1 for e in entries if e["problems"] or e["status"] in ("ambiguous", "unmatched", "invalid"))
    fuzzy = counts.get("fuzzy", 0)
    preview = {
        "token": token, "file": path.name, "sheet": sheet or "", "rows": entries, "counts": dict(counts),
        "rate": files.match_rate(rows), "rate_fuzzy": files.match_rate(rows, accept_fuzzy=True),
        "blocked": blocked, "fuzzy": fuzzy, "accept_fuzzy": accept_fuzzy,
        "ready": blocked == 0 and (fuzzy == 0 or accept_fuzzy), "ready_with_fuzzy": blocked == 0,
    }  # fmt: skip
    return _page(status, preview=preview, errors=errors or [])


@bp.post("/admin/roster/preview")
@allow(*roles.ASSIGNS)
def preview_upload():
    upload = request.files.get("file")
    sheet = request.form.get("sheet", "").strip() or None
    try:
        if upload is None or not upload.filename:
            raise InvalidInput(Problem("choose a roster file (.xlsx or .csv)", field="file",
                                       zh="请选择台账文件（.xlsx 或 .csv）"))  # fmt: skip
        token = uploads.park(_instance(), upload.filename, upload.read())
        return _preview(token, sheet, accept_fuzzy=False)
    except GridmapError as exc:
        return _page(400, errors=_said(exc))


@bp.post("/admin/roster/import")
@allow(*roles.ASSIGNS)
def import_upload():
    token = request.form.get("token", "")
    sheet = request.form.get("sheet", "").strip() or None
    accept_fuzzy = request.form.get("accept_fuzzy") == "1"
    try:
        path = uploads.parked(_instance(), token)
        with writing() as session:
            answer = files.import_roster(session, path, current_actor(), sheet, accept_fuzzy=accept_fuzzy)
    except InvalidInput as exc:
        try:
            return _preview(token, sheet, accept_fuzzy, errors=_said(exc), status=400)
        except GridmapError:
            return _page(400, errors=_said(exc))
    except GridmapError as exc:
        return _page(400, errors=_said(exc))
    uploads.discard(_instance(), token)
    return redirect(url_for("roster.roster_page", done=answer["change"] or "none"))


@bp.post("/admin/roster/undo/<int:change>")
@allow(*roles.ASSIGNS)
def undo_import(change: int):
    try:
        with writing() as session:
            files.undo(session, change, current_actor())
    except GridmapError as exc:
        return _page(400, errors=_said(exc))
    return redirect(url_for("roster.roster_page", undone=change))


@bp.get("/admin/roster/<any(template, roster):what>.<any(xlsx, csv):ext>")
@allow(*roles.EDITS_UNITS)
def download(what: str, ext: str):
    """The template to fill in, or the current roster (open assignments), as ``gridmap roster template|export``."""
    name = f"roster-template.{ext}" if what == "template" else f"roster.{ext}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        if what == "template":
            files.template(path)
        else:
            files.export(db_session(), path)
        data = path.read_bytes()
    return Response(data, mimetype=XLSX if ext == "xlsx" else "text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
