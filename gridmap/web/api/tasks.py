"""The signed-in person's work queue (我的待办) over the JSON API: what the page /tasks shows and refreshes."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gridmap.accounts import roles
from gridmap.cases.queues import work_queue
from gridmap.web.api.openapi import operation, query_of
from gridmap.web.api.schemas.tasks import TaskList, TaskQuery
from gridmap.web.auth import allow, current_actor
from gridmap.web.session import db_session
from gridmap.web.state import app_state

bp = Blueprint("tasks_api", __name__)


@bp.get("/tasks")
@allow(*roles.WORKS_CASES)  # the roles with a queue: admin and viewer take no step of the loop
@operation("listTasks", tags=("cases",), query=TaskQuery, ok={200: TaskList}, errors=(400,))
def list_tasks():
    """My work queue (我的待办): my role's groups with counts, each a page of cases nearest deadline first"""
    q = query_of(TaskQuery)
    body = work_queue(db_session(), current_actor(), app_state().settings, group=q.group, page=q.page,
                      per_page=q.per_page, filters=q.filters())  # fmt: skip
    return jsonify(body)
