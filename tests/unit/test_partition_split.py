"""Issue 12 fault 8: a first load of a long history is written by ranges of partitions, each
within the 4,000 partitions one BigQuery job may modify (aws2bq.core.partition_split)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest
import sqlglot.expressions as exp

from aws2bq.core.apply import Mode
from aws2bq.core.change_apply import change_steps
from aws2bq.core.change_sets import snapshot_changes
from aws2bq.core.layout import TableLayout
from aws2bq.core.ledger import LedgerEntry
from aws2bq.core.partition_split import MAX_PARTITIONS_PER_JOB, partition_split
from aws2bq.core.replace_apply import replace_steps
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.bigquery.rules import check_sql
from aws2bq.warehouses.duckdb.dialect import DUCKDB

DAY = ColumnType(Kind.DATE)
T = datetime(2024, 5, 1, tzinfo=UTC)
SCHEMA = TableSchema(
    (Column("id", ColumnType(Kind.INT64), "id", Role.KEY), Column("day", DAY, "day")), 1, ("id",)
)
ENTRY = LedgerEntry("s", "rds", "E1", "arn", "snapshot", "s3://b/p", T, "replace", 1, 2, 2, 3,
                    SCHEMA, {}, T, 0.0, "test")  # fmt: skip
ROWS = exp.select("*").from_(exp.table_("_aws2bq_staging", quoted=True))


def test_one_statement_when_the_partitions_fit() -> None:
    assert (
        partition_split("day", DAY, "DAY", date(2000, 1, 1), date(2010, 12, 10), BIGQUERY) is None
    )
    # MONTH / YEAR partitions never exceed the limit within BigQuery's 1960–2159 range.
    assert (
        partition_split("day", DAY, "MONTH", date(1960, 1, 1), date(2159, 1, 1), BIGQUERY) is None
    )
    assert partition_split("day", DAY, "DAY", None, None, BIGQUERY) is None


@pytest.mark.parametrize(
    ("ctype", "granularity", "low", "high", "unit"),
    [
        (DAY, "DAY", date(1990, 3, 4), date(2024, 5, 6), timedelta(days=1)),
        (ColumnType(Kind.TIMESTAMP), "DAY", datetime(1990, 3, 4, 5, tzinfo=UTC),
         datetime(2024, 5, 6, 23, 59, tzinfo=UTC), timedelta(days=1)),
        (ColumnType(Kind.DATETIME), "HOUR", datetime(2023, 1, 1, 0, 30),
         datetime(2024, 2, 1, 12), timedelta(hours=1)),
    ],
)  # fmt: skip
def test_each_range_holds_at_most_the_partitions_one_job_may_modify(
    ctype: ColumnType, granularity: str, low: object, high: object, unit: timedelta
) -> None:
    split = partition_split("day", ctype, granularity, low, high, DUCKDB)
    assert split is not None
    # Every value from low to high (one per partition) and NULL: in exactly one range, and no
    # range holds more than 4,000 partitions (the NULL partition included).
    con = duckdb.connect()
    values = "SELECT * FROM generate_series(?::TIMESTAMP, ?::TIMESTAMP, ?) AS g(day)"
    typed = "CAST(day AS DATE)" if ctype.kind is Kind.DATE else "day"
    con.execute(f"CREATE TABLE v AS SELECT {typed} AS day FROM ({values}) UNION ALL SELECT NULL",
                [str(low)[:19], str(high)[:19], unit])  # fmt: skip
    total = con.execute("SELECT count(*) FROM v").fetchone()
    assert total is not None
    seen = 0
    for condition in split.conditions():
        where = condition.sql("duckdb")
        row = con.execute(f"SELECT count(*), count(DISTINCT day) FROM v WHERE {where}").fetchone()
        assert row is not None
        rows, partitions = row
        assert 0 < rows <= MAX_PARTITIONS_PER_JOB and partitions < MAX_PARTITIONS_PER_JOB
        seen += rows
    assert seen == total[0]


def _layout() -> TableLayout:
    return TableLayout("day", "DAY")


def test_replace_deletes_and_inserts_by_range_in_one_transaction() -> None:
    split = partition_split("day", DAY, "DAY", date(1990, 1, 1), date(2024, 1, 1), BIGQUERY)
    assert split is not None and len(split.bounds) == 3
    steps = replace_steps(table="t", dataset="d", schema=SCHEMA, typed_rows=ROWS.copy(),
                          entry=ENTRY, caps=BIGQUERY, table_exists=True, layout=_layout(),
                          previous=SCHEMA, split=split)  # fmt: skip
    kinds = [type(s).__name__ for s in steps.transaction]
    assert kinds == ["Delete"] * 4 + ["Insert"] * 4 + ["Insert"]  # the last: the ledger row
    sql = ";\n".join(s.sql("bigquery") for s in steps.transaction)
    assert "`_aws2bq_p`.`day` < CAST('2000-12-12' AS DATE) OR `_aws2bq_p`.`day` IS NULL" in sql
    assert check_sql(f"BEGIN TRANSACTION;\n{sql};\nCOMMIT TRANSACTION;") == []


@pytest.mark.parametrize("mode", [Mode.MERGE, Mode.HISTORY])
def test_a_first_merge_or_history_load_inserts_by_range(mode: Mode) -> None:
    split = partition_split("day", DAY, "DAY", date(1990, 1, 1), date(2024, 1, 1), BIGQUERY)
    changes = snapshot_changes(mode=mode, soft_delete=False, table="t", dataset="d",
                               schema=SCHEMA, snapshot=ROWS.copy(), changed_at=T, caps=BIGQUERY,
                               table_exists=False)  # fmt: skip
    steps = change_steps(mode=mode, soft_delete=False, table="t", dataset="d", schema=SCHEMA,
                         changes=changes, entry=ENTRY, caps=BIGQUERY, table_exists=False,
                         layout=_layout(), split=split)  # fmt: skip
    inserts = [s for s in steps.transaction if isinstance(s, exp.Insert)]
    assert len(inserts) == 4 + 1  # four ranges and the ledger row
    assert all("`_aws2bq_s`.`day`" in i.sql("bigquery") for i in inserts[:4])
