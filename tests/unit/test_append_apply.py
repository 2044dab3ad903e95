"""Append: new rows added to a table created / evolved on the way, with the ledger row."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import sqlglot.expressions as exp

from aws2bq.core.append_apply import append_steps
from aws2bq.core.ledger import LedgerEntry
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.duckdb.dialect import DUCKDB

T = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
S, INT = ColumnType(Kind.STRING), ColumnType(Kind.INT64)
SYSTEM = (Column("_aws2bq_export_id", S, "_aws2bq_export_id", Role.SYSTEM),)
FIRST = TableSchema((Column("msg", S, "msg"), Column("n", INT, "n"), *SYSTEM), 1)
# The second object adds a field; ``n`` widens to NUMERIC.
SECOND = TableSchema(
    (Column("msg", S, "msg"), Column("n", ColumnType(Kind.NUMERIC), "n"),
     Column("level", S, "level"), *SYSTEM), 2,
)  # fmt: skip


def _entry(export_id: str, schema: TableSchema) -> LedgerEntry:
    return LedgerEntry("logs", "files", export_id, "", "object", "s3://b/k", T, "append", 1, 2, 2,
                       10, schema, {}, T, 0.0, "test")  # fmt: skip


def _rows(export_id: str, *values: tuple[str, ...]) -> exp.Query:
    """``SELECT … FROM (VALUES …)`` typed by CASTs, the system column last."""
    names = ["msg", "n", "level"][: len(values[0])]
    kinds = {"msg": "VARCHAR", "n": "BIGINT" if len(names) == 2 else "DECIMAL(38, 9)",
             "level": "VARCHAR"}  # fmt: skip
    sql = (
        "SELECT "
        + ", ".join(f"CAST(v.{n} AS {kinds[n]}) AS {n}" for n in names)
        + f", '{export_id}' AS _aws2bq_export_id FROM (VALUES "
        + ", ".join("(" + ", ".join(f"'{x}'" for x in row) + ")" for row in values)
        + f") AS v({', '.join(names)})"
    )
    return exp.maybe_parse(sql, dialect="duckdb", into=exp.Select)


def _run(con: duckdb.DuckDBPyConnection, statements: list[exp.Expression]) -> None:
    con.execute("BEGIN TRANSACTION")
    for s in statements:
        con.execute(s.sql("duckdb"))
    con.execute("COMMIT")


def test_append_creates_then_evolves_and_keeps_earlier_rows() -> None:
    con = duckdb.connect()
    first = append_steps(table="logs", dataset=None, schema=FIRST,
                         rows=_rows("o1", ("a", "1"), ("b", "2")), entry=_entry("o1", FIRST),
                         caps=DUCKDB, table_exists=False)  # fmt: skip
    assert first.before == []  # DuckDB: DDL inside the transaction
    _run(con, first.transaction)
    second = append_steps(table="logs", dataset=None, schema=SECOND,
                          rows=_rows("o2", ("c", "3.5", "warn")), entry=_entry("o2", SECOND),
                          caps=DUCKDB, table_exists=True, previous=FIRST)  # fmt: skip
    _run(con, second.transaction)
    got = con.execute(
        'SELECT msg, CAST(n AS VARCHAR), level, _aws2bq_export_id FROM "logs" ORDER BY msg'
    ).fetchall()
    assert got == [
        ("a", "1.000000000", None, "o1"),
        ("b", "2.000000000", None, "o1"),
        ("c", "3.500000000", "warn", "o2"),
    ]
    ledger = con.execute('SELECT export_id FROM "_aws2bq_ledger" ORDER BY export_id').fetchall()
    assert ledger == [("o1",), ("o2",)]


def test_append_without_transactional_ddl_evolves_before_the_transaction() -> None:
    steps = append_steps(table="logs", dataset="ds", schema=SECOND, rows=_rows("o2", ("c", "3")),
                         entry=_entry("o2", SECOND), caps=BIGQUERY, table_exists=True,
                         previous=FIRST)  # fmt: skip
    before = " ".join(s.sql("bigquery") for s in steps.before)
    assert "ADD COLUMN" in before and "`level`" in before
    assert [type(s) for s in steps.transaction] == [exp.Insert, exp.Insert]
    # The rows name no ``level``: it is not inserted (NULL), the columns named are.
    assert "`level`" not in steps.transaction[0].sql("bigquery")
