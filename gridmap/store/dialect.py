"""The few SQL expressions that differ between SpatiaLite and PostGIS, in one place.

* :func:`bbox_filter` — "the feature's bounding box meets this lon/lat box", through the spatial index: SpatiaLite
  only uses its R*Tree when the query names ``idx_<table>_geom``; PostGIS uses its GiST index for ``&&``.
* :func:`box_sql` / :func:`box_params` — the same test as raw SQL text and its parameters, for hand-written
  statements run on the DBAPI connection where compiling SQLAlchemy would cost more than the lookup (routing).
* :func:`bbox_intersects` — the same, then the exact ``ST_Intersects`` with the box (OGC API ``bbox=``).
* :func:`wkb` — a geometry column as WKB bytes, for shapely (``shapely.from_wkb``) to do the maths in Python.
* :func:`insert_ignoring_conflict` — ``INSERT … ON CONFLICT (…) DO NOTHING`` (both databases have it; SQLAlchemy
  builds it per dialect).
* :func:`take_write_lock` — on SQLite, take the write lock before reading so concurrent writers queue instead of
  failing on a stale snapshot; PostgreSQL needs nothing (row locks + conditional UPDATEs).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, LargeBinary, and_, func, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gridmap.errors import Conflict


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def bbox_filter(session: Session, model: type, box: tuple[float, float, float, float]):
    """A WHERE clause: ``model``'s geometry box meets ``box`` = (xmin, ymin, xmax, ymax) in EPSG:4326."""
    x0, y0, x1, y1 = (float(v) for v in box)
    table = model.__tablename__  # type: ignore[attr-defined]
    if is_sqlite(session):
        return model.id.in_(  # type: ignore[attr-defined]
            text(
                f"SELECT pkid FROM idx_{table}_geom"
                " WHERE xmin <= :bx1 AND xmax >= :bx0 AND ymin <= :by1 AND ymax >= :by0"
            )
            .bindparams(bx0=x0, by0=y0, bx1=x1, by1=y1)
            .columns(pkid=Integer)
        )
    return model.geom.op("&&")(func.ST_MakeEnvelope(x0, y0, x1, y1, 4326))  # type: ignore[attr-defined]


def box_sql(sqlite: bool, ph: str, alias: str, table: str) -> str:
    """Raw-SQL form of :func:`bbox_filter` for hand-written statements on the DBAPI connection (routing's
    one-off path): ``alias`` meets a lon/lat box through the spatial index (SpatiaLite's R*Tree named directly;
    PostGIS ``&&`` on GiST). Bind :func:`box_params` in the placeholders' order."""
    if sqlite:
        return (
            f"{alias}.id IN (SELECT pkid FROM idx_{table}_geom"
            f" WHERE xmin <= {ph} AND xmax >= {ph} AND ymin <= {ph} AND ymax >= {ph})"
        )
    return f"{alias}.geom && ST_MakeEnvelope({ph}, {ph}, {ph}, {ph}, 4326)"


def box_params(sqlite: bool, box: tuple[float, float, float, float]) -> tuple[float, ...]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return (x1, x0, y1, y0) if sqlite else (x0, y0, x1, y1)


def bbox_intersects(session: Session, model: type, box: tuple[float, float, float, float]):
    """A WHERE clause: ``model``'s geometry really intersects ``box`` (index first, then the exact test) — what
    OGC API – Features asks of ``bbox=``."""
    x0, y0, x1, y1 = (float(v) for v in box)
    if is_sqlite(session):
        exact = func.ST_Intersects(model.geom, func.BuildMbr(x0, y0, x1, y1, 4326)) == 1  # type: ignore[attr-defined]
        return and_(bbox_filter(session, model, box), exact)
    return func.ST_Intersects(model.geom, func.ST_MakeEnvelope(x0, y0, x1, y1, 4326))  # type: ignore[attr-defined]


def wkb(column):
    """``ST_AsBinary(column)`` typed as bytes."""
    return func.ST_AsBinary(column, type_=LargeBinary)


def take_write_lock(session: Session, table: str, what: str) -> None:
    """SQLite: start writing now (a no-op UPDATE) so that what is read next is what the write will see."""
    if not is_sqlite(session):
        return
    try:
        session.execute(text(f"UPDATE {table} SET id = id WHERE 0"))
    except OperationalError as exc:
        raise Conflict(f"{what} is being changed by someone else right now: reload and try again") from exc


def insert_ignoring_conflict(session: Session, table: Any, *columns: str) -> Any:
    """``INSERT INTO table … ON CONFLICT (columns) DO NOTHING``: a row whose key exists already is not inserted
    (``RETURNING`` then gives no row), without a read before or a savepoint around it."""
    if is_sqlite(session):
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert(table).on_conflict_do_nothing(index_elements=list(columns))
