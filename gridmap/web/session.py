"""The request's database session, and the one way a request writes: inside :func:`writing`, which commits when the
block ends normally and rolls everything back when it raises (a use-case never commits). The session is the
sign-in's too (Flask-Security's datastore); it is closed at the end of the request, and anything a handler left
uncommitted is rolled back then."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from gridmap.web.state import app_state


def db_session() -> Session:
    return app_state().sessions()


@contextmanager
def writing() -> Iterator[Session]:
    """``with writing() as session: use_case(session, …)`` — all of it committed, or none of it."""
    session = db_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def close_session() -> None:
    """End of request: roll back what was not committed, give the connection back."""
    app_state().sessions.remove()
