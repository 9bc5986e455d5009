"""The request's database session, and the one way a request writes: inside :func:`writing`, which commits when the
block ends normally and rolls everything back when it raises (a use-case never commits). The session is the
sign-in's too (Flask-Security's datastore); it is closed at the end of the request, and anything a handler left
uncommitted is rolled back then.

:func:`writing` takes SQLite's write lock first (the actor is known by then: the sign-in's reads are done), so a
write request waits its turn behind an import or another writer instead of failing with "database is locked"; after
:data:`LOCK_WAIT_S` it answers 409 with a sentence saying the database is busy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from gridmap.store.dialect import dialect_of
from gridmap.web.state import app_state

LOCK_WAIT_S = 15.0  # a write request waits this long for the write lock (a bulk import holds it a few seconds)


def db_session() -> Session:
    return app_state().sessions()


@contextmanager
def writing() -> Iterator[Session]:
    """``with writing() as session: use_case(session, …)`` — all of it committed, or none of it."""
    session = db_session()
    try:
        dialect_of(session).begin_writing(session, LOCK_WAIT_S)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def close_session() -> None:
    """End of request: roll back what was not committed, give the connection back."""
    app_state().sessions.remove()
