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
    app.jinja_env.globals["queue_count"] = queue_count


BADGE_CAP = 100  # the menu's badge shows up to 99, then "99+": counting further is work nobody sees


def queue_count() -> int | None:
    """The signed-in person's open queue items for the menu's badge: counted once per request (the menu may ask more
    than once), in a session of its own so that an error page drawn after a failed write still draws; None when it
    cannot be counted (the badge is left out, the page is not lost for it)."""
    from flask import current_app, g
    from sqlalchemy.exc import SQLAlchemyError

    from gridmap.accounts.scope import scope_of
    from gridmap.cases.queues import QUEUES, open_count
    from gridmap.web.auth import current_actor
    from gridmap.web.state import app_state

    if "gridmap_queue_count" not in g:
        g.gridmap_queue_count = None
        actor = current_actor()
        if actor.role in QUEUES:
            try:
                with app_state().session_factory() as session:
                    scope = g.gridmap_scope if "gridmap_scope" in g else scope_of(session, actor)
                    g.gridmap_queue_count = open_count(session, actor, scope, cap=BADGE_CAP)
            except SQLAlchemyError:
                current_app.logger.warning("the menu's queue count failed", exc_info=True)
    count: int | None = g.gridmap_queue_count
    return count
