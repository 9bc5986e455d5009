"""What the app holds for its whole life, typed: settings, the engine and its sessions, the demo's attribution."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from gridmap.config import Settings

_KEY = "gridmap"


@dataclass(frozen=True)
class AppState:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]  # a unit of work of its own (sign-in bookkeeping)
    sessions: scoped_session[Session]  # the request's session, shared with the sign-in's datastore
    attribution: str  # the data's attribution line shown under every map ("" when there is none)


def install(app: Flask, state: AppState) -> None:
    app.extensions[_KEY] = state


def app_state(app: Flask | None = None) -> AppState:
    """The state of ``app`` (default: the app handling the current request)."""
    state = (app or current_app).extensions[_KEY]
    assert isinstance(state, AppState)
    return state
