"""The audit trail over the JSON API (and as CSV): who changed what, when, from where, before and after."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request

from gridmap.accounts import audit, roles
from gridmap.web.api.openapi import operation
from gridmap.web.api.schemas.audit import AuditList, AuditQuery
from gridmap.web.auth import allow
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("audit_api", __name__)


@bp.get("/audit")
@allow(*roles.READS_AUDIT)
@operation(
    "listAudit",
    tags=("accounts",),
    query=AuditQuery,
    ok={200: AuditList},
    errors=(400,),
    media={200: {"text/csv": {"type": "string", "description": "the same entries as CSV"}}},
)
def audit_api():
    """The audit trail, newest first, filtered by object, account, action and period"""
    filters = {k: v for k, v in request.args.items() if k not in ("lang", "format")}
    tz = ZoneInfo(app_state().settings.cases.timezone)
    if request.args.get("format") != "csv":
        return jsonify(audit.entries(db_session(), filters, tz))
    filters.setdefault("per_page", "10000")
    found = audit.entries(db_session(), filters, tz)
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens it as UTF-8
    writer = csv.writer(out)
    writer.writerow(audit.CSV_COLUMNS)
    writer.writerows(audit.csv_rows(found["items"]))
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})  # fmt: skip
