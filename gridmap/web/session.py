"""The request's database session (one per request, closed at teardown)."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["gridmap"]["sessions"]()
    return g.db_session
