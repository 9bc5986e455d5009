"""Allowed-value CHECKs written as comparisons (``x = 'a' OR x = 'b' …``) instead of ``x IN ('a', 'b', …)``.

Same rule, different cost: SQLite evaluates a constant IN list of three or more values through a temporary
B-tree built once per statement run, and ``executemany`` runs the statement once per row — four such CHECKs on
``cases`` cost ~15 µs a row, half of a bulk case import. Comparisons cost nothing measurable.

On SQLite a CHECK cannot be altered; the table's CREATE text is rewritten in ``sqlite_master`` (the documented
``writable_schema`` procedure for changes that touch no stored content: a CHECK is only text, and every stored row
satisfies the equivalent rule) and ``schema_version`` is bumped so every connection re-reads the schema. PostgreSQL
drops and re-adds each constraint.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ROLES = (
    "responsible", "road_chief", "grid_worker", "inspector",
    "unit_leader", "compound_lead", "community_liaison", "civ_supervisor",
)  # fmt: skip
UNITS = ("urgent_hours", "work_hours", "work_days")
# (table, constraint, column, allowed values, NULL allowed)
CHECKS = (
    ("areas", "ck_level_allowed", "level", ("district", "street", "community"), False),
    ("segments", "ck_level_allowed", "level", ("main", "secondary", "back"), False),
    ("units", "ck_kind_allowed", "kind", ("city_office", "district_office", "enterprise", "community"), False),
    ("person_roles", "ck_role_allowed", "role", ROLES, False),
    ("assignments", "ck_target_kind_allowed", "target_kind", ("segment", "compound", "grid"), False),
    ("assignments", "ck_role_allowed", "role", ROLES, False),
    ("categories", "ck_family_allowed", "family", ("event", "component", "inspection"), False),
    ("categories", "ck_default_urgency_allowed", "default_urgency", ("normal", "urgent"), False),
    ("categories", "ck_deadline_unit_allowed", "deadline_unit", UNITS, True),
    ("categories", "ck_urgent_unit_allowed", "urgent_unit", UNITS, True),
    ("cases", "ck_source_allowed", "source", ("patrol", "inspection", "public", "open311", "import"), False),
    ("cases", "ck_status_allowed", "status",
     ("pending", "open", "dispatched", "in_progress", "reported_back", "closed", "void", "parked"), False),
    ("cases", "ck_urgency_allowed", "urgency", ("normal", "urgent"), False),
    ("cases", "ck_case_deadline_unit_allowed", "deadline_unit", UNITS, True),
)  # fmt: skip


def as_in_list(column: str, values: tuple[str, ...], nullable: bool) -> str:
    rule = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return f"{column} IS NULL OR {rule}" if nullable else rule


def as_comparisons(column: str, values: tuple[str, ...], nullable: bool) -> str:
    rule = " OR ".join(f"{column} = {v!r}" for v in values)
    return f"{column} IS NULL OR {rule}" if nullable else rule


def _rewrite(old_form, new_form) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, name, column, values, nullable in CHECKS:
            op.drop_constraint(name, table, type_="check")
            op.create_check_constraint(name, table, new_form(column, values, nullable))
        return
    tables = {table for table, *_ in CHECKS}
    sql: dict[str, str] = dict(
        bind.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ({', '.join('?' * len(tables))})",
            tuple(sorted(tables)),
        ).all()
    )
    for table, name, column, values, nullable in CHECKS:
        old = f"CONSTRAINT {name} CHECK ({old_form(column, values, nullable)})"
        if old not in sql[table]:
            raise RuntimeError(f"{table}: constraint {name} is not as expected: {sql[table]}")
        sql[table] = sql[table].replace(old, f"CONSTRAINT {name} CHECK ({new_form(column, values, nullable)})")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        for table in sorted(tables):
            bind.exec_driver_sql(
                "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql[table], table)
            )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    _rewrite(as_in_list, as_comparisons)


def downgrade() -> None:
    _rewrite(as_comparisons, as_in_list)
