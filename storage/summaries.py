"""Summary rows for the month report and the departments' leaderboard, kept by database triggers.

Triggers rather than application code: every path that writes ideas, supports, point totals or a
person's department (a post, a merge of ideas or people, an import, a purge) keeps the sums right
in its own transaction, at no extra round trip. Months are Asia/Seoul, like the point totals.
A person's figures count in their current department: moving a person moves their sums.
"""

from __future__ import annotations

from typing import Any

# Department key of people without a department (a primary key column cannot be NULL).
NO_DEPARTMENT = 0

_MONTH = {
    # SQLite keeps UTC as naive text; Seoul has no daylight saving: always 9 hours ahead.
    "sqlite": "strftime('%Y-%m', {0}, '+9 hours')",
    "postgresql": "to_char({0} AT TIME ZONE 'Asia/Seoul', 'YYYY-MM')",
}


def _department_of(person: str) -> str:
    return f"COALESCE((SELECT department_id FROM person WHERE id = {person}), {NO_DEPARTMENT})"


def _activity(month: str, person: str, column: str, delta: int) -> list[str]:
    """One person's ideas or supports in a month, and (for ideas) their department's."""
    statements = [
        f"INSERT INTO monthactivity (month, person_id, ideas, supports) "
        f"VALUES ({month}, {person}, {delta if column == 'ideas' else 0}, {delta if column == 'supports' else 0}) "
        f"ON CONFLICT (month, person_id) DO UPDATE SET {column} = monthactivity.{column} + excluded.{column}",
        f"DELETE FROM monthactivity WHERE month = {month} AND person_id = {person} AND ideas = 0 AND supports = 0",
    ]
    if column == "ideas":
        statements += [
            f"INSERT INTO departmentmonth (month, department_key, ideas) VALUES ({month}, {_department_of(person)}, {delta}) "
            "ON CONFLICT (month, department_key) DO UPDATE SET ideas = departmentmonth.ideas + excluded.ideas",
            f"DELETE FROM departmentmonth WHERE month = {month} AND department_key = {_department_of(person)} AND ideas = 0",
        ]
    return statements


def _points(row: str, sign: int) -> list[str]:
    """A person's running total of a period, added to (or taken from) their department's."""
    return [
        f"INSERT INTO departmentpoints (period, department_key, points, people) "
        f"VALUES ({row}.period, {_department_of(row + '.person_id')}, {sign} * {row}.points, {sign}) "
        "ON CONFLICT (period, department_key) DO UPDATE SET "
        "points = departmentpoints.points + excluded.points, people = departmentpoints.people + excluded.people",
        f"DELETE FROM departmentpoints WHERE period = {row}.period AND department_key = {_department_of(row + '.person_id')} AND people = 0",
    ]


def _moved(sign: int, row: str) -> list[str]:
    """A person's sums out of (-1, `OLD`) or into (+1, `NEW`) the department the row names."""
    key = f"COALESCE({row}.department_id, {NO_DEPARTMENT})"
    return [
        f"INSERT INTO departmentmonth (month, department_key, ideas) "
        f"SELECT month, {key}, {sign} * ideas FROM monthactivity WHERE person_id = {row}.id AND ideas <> 0 "
        "ON CONFLICT (month, department_key) DO UPDATE SET ideas = departmentmonth.ideas + excluded.ideas",
        f"DELETE FROM departmentmonth WHERE department_key = {key} AND ideas = 0",
        f"INSERT INTO departmentpoints (period, department_key, points, people) "
        f"SELECT period, {key}, {sign} * points, {sign} FROM pointtotal WHERE person_id = {row}.id "
        "ON CONFLICT (period, department_key) DO UPDATE SET "
        "points = departmentpoints.points + excluded.points, people = departmentpoints.people + excluded.people",
        f"DELETE FROM departmentpoints WHERE department_key = {key} AND people = 0",
    ]


def _triggers(dialect: str) -> list[tuple[str, str, str, list[str], list[str]]]:
    """(name, table, condition on an update, statements for OLD, statements for NEW)."""
    month = _MONTH[dialect]
    return [
        (
            "idea",
            "idea",
            "OLD.author_id <> NEW.author_id OR OLD.created_at <> NEW.created_at",
            _activity(month.format("OLD.created_at"), "OLD.author_id", "ideas", -1),
            _activity(month.format("NEW.created_at"), "NEW.author_id", "ideas", 1),
        ),
        (
            "support",
            "support",
            "OLD.person_id <> NEW.person_id OR OLD.created_at <> NEW.created_at",
            _activity(month.format("OLD.created_at"), "OLD.person_id", "supports", -1),
            _activity(month.format("NEW.created_at"), "NEW.person_id", "supports", 1),
        ),
        (
            "pointtotal",
            "pointtotal",
            "OLD.points <> NEW.points OR OLD.person_id <> NEW.person_id OR OLD.period <> NEW.period",
            _points("OLD", -1),
            _points("NEW", 1),
        ),
    ]


def _department_condition() -> str:
    return f"COALESCE(OLD.department_id, {NO_DEPARTMENT}) <> COALESCE(NEW.department_id, {NO_DEPARTMENT})"


def create_statements(dialect: str) -> list[str]:
    """The DDL of every summary trigger (replacing any earlier one)."""
    if dialect == "sqlite":
        return _sqlite()
    if dialect == "postgresql":
        return _postgresql()
    raise ValueError(f"no summary triggers for {dialect}")


def _sqlite() -> list[str]:
    statements = []

    def trigger(name: str, event: str, table: str, when: str, body: list[str]) -> None:
        statements.append(f"DROP TRIGGER IF EXISTS summary_{name}")
        condition = f" WHEN {when}" if when else ""
        statements.append(
            f"CREATE TRIGGER summary_{name} AFTER {event} ON {table}{condition} BEGIN {'; '.join(body)}; END"
        )

    for name, table, changed, old, new in _triggers("sqlite"):
        trigger(f"{name}_insert", "INSERT", table, "", new)
        trigger(f"{name}_delete", "DELETE", table, "", old)
        trigger(f"{name}_update", "UPDATE", table, changed, old + new)
    trigger(
        "person_department",
        "UPDATE OF department_id",
        "person",
        _department_condition(),
        _moved(-1, "OLD") + _moved(1, "NEW"),
    )
    return statements


def _postgresql() -> list[str]:
    statements = []

    def function(name: str, table: str, when: str, body: str, events: str) -> None:
        statements.append(
            f"CREATE OR REPLACE FUNCTION summary_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$"
        )
        statements.append(f"DROP TRIGGER IF EXISTS summary_{name} ON {table}")
        condition = f" WHEN ({when})" if when else ""
        statements.append(
            f"CREATE TRIGGER summary_{name} AFTER {events} ON {table} FOR EACH ROW{condition} EXECUTE FUNCTION summary_{name}()"
        )

    for name, table, changed, old, new in _triggers("postgresql"):
        body = (
            f"IF TG_OP = 'UPDATE' AND NOT ({changed}) THEN RETURN NULL; END IF; "
            f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {'; '.join(old)}; END IF; "
            f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {'; '.join(new)}; END IF;"
        )
        function(name, table, "", body, "INSERT OR UPDATE OR DELETE")
    function(
        "person_department",
        "person",
        _department_condition(),
        "; ".join(_moved(-1, "OLD") + _moved(1, "NEW")) + ";",
        "UPDATE OF department_id",
    )
    return statements


def drop_statements(dialect: str) -> list[str]:
    names = [f"{n}_{e}" for n, *_ in _triggers(dialect) for e in ("insert", "delete", "update")] + ["person_department"]
    tables = {n: t for n, t, *_ in _triggers(dialect)} | {"person_department": "person"}
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS summary_{name}" for name in names]
    return [
        statement
        for name, table in tables.items()
        for statement in (
            f"DROP TRIGGER IF EXISTS summary_{name} ON {table}",
            f"DROP FUNCTION IF EXISTS summary_{name}()",
        )
    ]


def backfill_statements(dialect: str) -> list[str]:
    """Recount every summary row from the raw rows (for the migration and after a bulk load)."""
    month = _MONTH[dialect]
    return [
        "DELETE FROM monthactivity",
        "DELETE FROM departmentmonth",
        "DELETE FROM departmentpoints",
        "INSERT INTO monthactivity (month, person_id, ideas, supports) "
        "SELECT month, person_id, SUM(ideas), SUM(supports) FROM ("
        f"SELECT {month.format('created_at')} AS month, author_id AS person_id, 1 AS ideas, 0 AS supports FROM idea "
        f"UNION ALL SELECT {month.format('created_at')}, person_id, 0, 1 FROM support"
        ") AS activity GROUP BY month, person_id",
        "INSERT INTO departmentmonth (month, department_key, ideas) "
        f"SELECT a.month, COALESCE(p.department_id, {NO_DEPARTMENT}), SUM(a.ideas) FROM monthactivity a "
        "JOIN person p ON p.id = a.person_id WHERE a.ideas <> 0 GROUP BY 1, 2",
        "INSERT INTO departmentpoints (period, department_key, points, people) "
        f"SELECT t.period, COALESCE(p.department_id, {NO_DEPARTMENT}), SUM(t.points), COUNT(*) FROM pointtotal t "
        "JOIN person p ON p.id = t.person_id GROUP BY 1, 2",
    ]


def install(connection: Any, *, backfill: bool = False) -> None:
    """Create the triggers on a (sync) connection, and recount the summaries if asked."""
    dialect = connection.dialect.name
    for statement in create_statements(dialect) + (backfill_statements(dialect) if backfill else []):
        connection.exec_driver_sql(statement)
