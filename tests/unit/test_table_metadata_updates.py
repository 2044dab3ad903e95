"""Issue 12 fault 7: schema changes cost as few table metadata updates as possible.

BigQuery allows 5 table metadata updates per 10 s per table
(https://cloud.google.com/bigquery/quotas#standard_tables); every ALTER is one. Added columns
go in ONE ``ALTER TABLE … ADD COLUMN a, ADD COLUMN b`` where the dialect allows it, and the
ledger is upgraded only when it lacks columns.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlglot.expressions as exp

from aws2bq.core.apply import Mode
from aws2bq.core.change_apply import change_steps
from aws2bq.core.change_sets import placeholder_changes
from aws2bq.core.ledger import LEDGER_COLUMNS, LedgerEntry, upgrade_ledger
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.duckdb.dialect import DUCKDB

T = datetime(2024, 5, 1, tzinfo=UTC)
S = ColumnType(Kind.STRING)
SYSTEM = (Column("_aws2bq_export_id", S, "_aws2bq_export_id", Role.SYSTEM),)
OLD = TableSchema((Column("pk", S, "pk", Role.KEY), *SYSTEM), 1, ("pk",))
NEW = TableSchema(
    (Column("pk", S, "pk", Role.KEY), Column("a", S, "a"), Column("b", S, "b"),
     Column("c", ColumnType(Kind.INT64), "c"), *SYSTEM), 2, ("pk",),
)  # fmt: skip


def _alters(statements: list[exp.Expression]) -> list[exp.Alter]:
    return [s for s in statements if isinstance(s, exp.Alter)]


def _steps(caps: object) -> list[exp.Expression]:
    entry = LedgerEntry("s", "dynamodb", "E", "", "full", "", T, "merge", 0, 0, 0, 0, NEW, {}, T,
                        0.0, "t")  # fmt: skip
    steps = change_steps(
        mode=Mode.MERGE, soft_delete=False, table="items", dataset="ds", schema=NEW,
        changes=placeholder_changes(NEW, BIGQUERY), entry=entry, caps=caps,  # type: ignore[arg-type]
        table_exists=True, previous=OLD,
    )  # fmt: skip
    return steps.all()


def test_added_columns_are_one_alter_on_bigquery() -> None:
    alters = _alters(_steps(BIGQUERY))
    assert len(alters) == 1
    sql = alters[0].sql("bigquery")
    assert sql.count("ADD COLUMN") == 3 and "`a` STRING" in sql and "`c` INT64" in sql


def test_duckdb_keeps_one_action_per_alter() -> None:
    """DuckDB refuses several actions in one ALTER ("Only one ALTER command per statement")."""
    assert len(_alters(_steps(DUCKDB))) == 3


def test_ledger_upgraded_only_when_columns_are_missing() -> None:
    every = [name for name, _ in LEDGER_COLUMNS]
    assert upgrade_ledger(BIGQUERY, "ds", every) == []
    old_ledger = [n for n in every if n not in ("export_from", "export_to")]
    (alter,) = upgrade_ledger(BIGQUERY, "ds", old_ledger)
    sql = alter.sql("bigquery")
    assert sql.count("ADD COLUMN IF NOT EXISTS") == 2 and "`export_to` TIMESTAMP" in sql
    assert len(upgrade_ledger(DUCKDB, None, old_ledger)) == 2


def test_merge_and_history_read_only_the_changed_keys_blocks() -> None:
    """Issue 12 fault 17: a constant filter on the (clustering) key in the statements that
    read the target; a join alone prunes nothing on BigQuery."""
    from aws2bq.core.key_prune import KeyFilter, key_filter

    entry = LedgerEntry("s", "dynamodb", "E", "", "incremental", "", T, "merge", 0, 0, 0, 0, NEW,
                        {}, T, 0.0, "t")  # fmt: skip
    prune = key_filter(NEW, ("k1", "k7", 2), ["k1", "k7"])
    assert prune == KeyFilter("pk", (exp.Literal.string("k1"), exp.Literal.string("k7")))
    for mode in (Mode.MERGE, Mode.HISTORY):
        steps = change_steps(
            mode=mode, soft_delete=False, table="items", dataset="ds", schema=NEW,
            changes=placeholder_changes(NEW, BIGQUERY), entry=entry, caps=BIGQUERY,
            table_exists=True, previous=NEW, prune=prune,
        )  # fmt: skip
        sql = ";\n".join(s.sql("bigquery") for s in steps.transaction)
        reads = 1 if mode is Mode.MERGE else 2  # history: the current versions, the close
        assert sql.count("IN ('k1', 'k7')") == reads, sql
    many = key_filter(NEW, ("a", "z", 5000), None)
    assert many is not None and many.values is None
    assert many.condition("t").sql("bigquery") == "`t`.`pk` BETWEEN 'a' AND 'z'"
    assert key_filter(NEW, (None, None, 0), []) is None
