"""The blueprints of the case work pages (issue 12): the work queue (/tasks, /api/v1/tasks) and the case page
(/cases/<id>) — registered together so the app factory needs one line for them."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from gridmap.web.casework_i18n import CASEWORK
    from gridmap.web.i18n import MESSAGES

    for key, texts in CASEWORK.items():
        MESSAGES.setdefault(key, texts)
    from gridmap.web.api.tasks import bp as tasks_api_bp
    from gridmap.web.pages.casework import bp as pages_bp

    app.register_blueprint(tasks_api_bp, url_prefix="/api/v1")
    app.register_blueprint(pages_bp)
    from gridmap.cases.queues import QUEUES

    app.jinja_env.globals["has_queue"] = lambda role: role in QUEUES  # the menu's 我的待办, for roles with a queue
