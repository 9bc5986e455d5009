"""The ``gridmap`` command group: the options every sub-command shares (``--database-url``, ``--version``)."""

from __future__ import annotations

import click

import gridmap
from gridmap.cli.support import Context


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url",
    envvar="GRIDMAP_DATABASE_URL",
    default=None,
    help="sqlite:///path/to/file.sqlite (SpatiaLite, default: instance/gridmap.sqlite) or "
    "postgresql+psycopg://user@host/db (PostGIS).",
)
@click.version_option(gridmap.__version__, prog_name="gridmap")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """gridmap — grid management for 创城 / 数字城管 command centres.

    \b
    First steps:
      gridmap init              create the database schema (SpatiaLite file by default)
      gridmap demo              load the demo city (离石区, synthetic geometry)
      gridmap serve             open http://127.0.0.1:5000
    \b
    Your own data:
      gridmap import streets 街道.geojson --map code=XZQDM --map name=XZQMC
      gridmap import-osm city.osm.pbf
    """
    ctx.obj = Context(database_url)
    ctx.call_on_close(ctx.obj.close)
