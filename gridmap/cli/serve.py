"""``gridmap serve``: the web app on waitress (SQLite's WAL checkpointed in the background)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gridmap.cli.support import Context, fail
from gridmap.errors import GridmapError

if TYPE_CHECKING:
    from flask import Flask
    from waitress.server import BaseWSGIServer, MultiSocketServer


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="request threads")
@click.option("--debug", is_flag=True, help="Flask's development server with the debugger and reloader")
@click.pass_obj
def serve(obj: Context, host: str, port: int, threads: int, debug: bool) -> None:
    """Serve the web app (map pages and the JSON API) with waitress, a production WSGI server."""
    from gridmap.web import create_app

    try:
        app = create_app(obj.settings)
    except (GridmapError, RuntimeError) as exc:  # a bad setting (a proxy address), production with the dev key
        fail(exc)
    click.echo(f"gridmap serving {obj.settings.database_url} on http://{host}:{port}/")
    _warn_missing_holidays(app)
    if debug:
        app.run(host=host, port=port, debug=True, threaded=True)
        return
    from gridmap.store.dialect import dialect_of
    from gridmap.web.state import app_state

    engine = app_state(app).engine
    maintenance = dialect_of(engine).background_maintenance(engine)
    try:
        make_server(app, host=host, port=port, threads=threads).run()
    finally:
        if maintenance is not None:
            maintenance.stop()


def make_server(app: Flask, *, host: str, port: int, threads: int) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server for ``app`` that refuses bodies over the app's own limit as well (413 before they are read;
    waitress's default would buffer a gigabyte)."""
    import waitress.server

    return waitress.server.create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="gridmap",
        max_request_body_size=app.config["MAX_CONTENT_LENGTH"],
    )


def _warn_missing_holidays(app: Flask) -> None:
    """From 1 December, while the coming year has no holidays, say so on the console (deadlines would count the
    Spring Festival as working time)."""
    from gridmap.catalogue.holiday_file import missing_holidays
    from gridmap.store.engine import current_revision
    from gridmap.web.state import app_state

    state = app_state(app)
    if not current_revision(state.engine):
        return
    with state.session_factory() as session:
        late = missing_holidays(session)
    if late is not None:
        click.echo(f"警告：{late.zh}\nwarning: {late.en}", err=True)
