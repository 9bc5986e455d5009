"""Units as an editable register: a fifth kind (other), a parent body, a retirement day and the unit a retired
unit was merged into; people get a retirement day too. Retired rows stay (assignments and cases name them).

The kind CHECK gains ``other``: on SQLite the table's CREATE text is rewritten in ``sqlite_master`` (as in 0005: a
CHECK is only text, and every stored row satisfies the wider rule); PostgreSQL drops and re-adds the constraint.

Revision ID: 0011_units_people
Revises: 0010_report_case_flags
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0011_units_people"
down_revision = "0010_report_case_flags"
branch_labels = None
depends_on = None

OLD = ("city_office", "district_office", "enterprise", "community")
NEW = (*OLD, "other")


def _rule(values: tuple[str, ...]) -> str:
    return " OR ".join(f"kind = {v!r}" for v in values)


def _kind_check(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_constraint("ck_kind_allowed", "units", type_="check")
        op.create_check_constraint("ck_kind_allowed", "units", _rule(new))
        return
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'units'").scalar_one()
    before = f"CONSTRAINT ck_kind_allowed CHECK ({_rule(old)})"
    if before not in sql:
        raise RuntimeError(f"units: constraint ck_kind_allowed is not as expected: {sql}")
    sql = sql.replace(before, f"CONSTRAINT ck_kind_allowed CHECK ({_rule(new)})")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'units'", (sql,))
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    # plain ALTER TABLE … REFERENCES: SQLite adds a column with a foreign key in place (a batch copy would not do
    # for a table that others reference), PostgreSQL too
    op.execute("ALTER TABLE units ADD COLUMN parent_id INTEGER REFERENCES units (id)")
    op.execute("ALTER TABLE units ADD COLUMN merged_into_id INTEGER REFERENCES units (id)")
    op.execute("ALTER TABLE units ADD COLUMN retired_on DATE")
    op.execute("ALTER TABLE people ADD COLUMN retired_on DATE")
    _kind_check(OLD, NEW)


def downgrade() -> None:
    op.execute("DELETE FROM units WHERE kind = 'other'")
    _kind_check(NEW, OLD)
    for table, column in (("people", "retired_on"), ("units", "retired_on"), ("units", "merged_into_id"),
                          ("units", "parent_id")):  # fmt: skip
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
