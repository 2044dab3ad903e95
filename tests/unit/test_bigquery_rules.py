"""The BigQuery rules check (aws2bq.warehouses.bigquery.rules): each rule catches its case."""

from __future__ import annotations

import pytest

from aws2bq.warehouses.bigquery.rules import MAX_QUERY_CHARACTERS, check_sql


def rules(sql: str) -> list[str]:
    return [v.rule for v in check_sql(sql)]


@pytest.mark.parametrize(
    ("sql", "broken"),
    [
        # Transactions: DML and temporary tables only.
        ("BEGIN TRANSACTION; CREATE TEMP TABLE x AS SELECT 1 AS a; "
         "MERGE `d`.`t` USING x ON TRUE WHEN MATCHED THEN DELETE; DROP TABLE IF EXISTS x; "
         "COMMIT TRANSACTION;", []),
        ("BEGIN TRANSACTION; ALTER TABLE `d`.`t` ADD COLUMN a INT64; COMMIT TRANSACTION;",
         ["transaction"]),
        ("BEGIN TRANSACTION; CREATE TABLE `d`.`t` (a INT64); COMMIT TRANSACTION;",
         ["transaction"]),
        ("ALTER TABLE `d`.`t` ADD COLUMN a INT64", []),
        # Partition expressions per column type.
        ("CREATE TABLE t (d DATE) PARTITION BY d", []),
        ("CREATE TABLE t (d DATE) PARTITION BY DATE(d)", ["partition"]),
        ("CREATE TABLE t (d TIMESTAMP) PARTITION BY DATE(d)", []),
        ("CREATE TABLE t (d DATETIME) PARTITION BY TIMESTAMP_TRUNC(d, DAY)", ["partition"]),
        ("CREATE TABLE t (d DATETIME) PARTITION BY DATETIME_TRUNC(d, MONTH)", []),
        ("CREATE TABLE t (d DATE) PARTITION BY DATE_TRUNC(d, MONTH)", []),
        ("CREATE TABLE t (d DATE) PARTITION BY DATE_TRUNC(d, DAY)", ["partition"]),
        ("CREATE TABLE t (d TIMESTAMP) PARTITION BY d", ["partition"]),
        # Column names and descriptions.
        ("CREATE TABLE t (_PARTITIONTIME_x INT64)", ["column_name"]),
        ("CREATE TABLE t (a INT64, A STRING)", ["column_name"]),
        (f"CREATE TABLE t ({'c' * 301} INT64)", ["column_name"]),
        (f"CREATE TABLE t (a INT64 OPTIONS(description='{'x' * 1025}'))", ["description"]),
        (f"CREATE TABLE t (a INT64 OPTIONS(description='{'x' * 1024}'))", []),
        # No NULL elements in stored arrays.
        ("INSERT INTO t (a) SELECT ARRAY(SELECT SAFE_CAST(x AS BOOL) FROM UNNEST(s) AS x) "
         "FROM u", ["array_null"]),
        ("INSERT INTO t (a) SELECT ARRAY(SELECT PARSE_NUMERIC(x) FROM UNNEST(s) AS x) FROM u", []),
        ("INSERT INTO t (a) SELECT ARRAY(SELECT SAFE_CAST(x AS BOOL) FROM UNNEST(s) AS x "
         "WHERE SAFE_CAST(x AS BOOL) IS NOT NULL) FROM u", []),
        ("INSERT INTO t (a) SELECT [1, NULL]", ["array_null"]),
        ("INSERT INTO t (a) SELECT ARRAY_AGG(x) FROM u", ["array_null"]),
        ("INSERT INTO t (a) SELECT ARRAY_AGG(x IGNORE NULLS) FROM u", []),
    ],
)  # fmt: skip
def test_each_rule_catches_its_case(sql: str, broken: list[str]) -> None:
    assert rules(sql) == broken


def test_query_length() -> None:
    long = "SELECT '" + "x" * MAX_QUERY_CHARACTERS + "'"
    assert "query_length" in rules(long)
    assert rules("SELECT 'x'") == []


def test_ctas_partition_uses_known_column_types() -> None:
    sql = "CREATE TABLE t PARTITION BY DATE(d) AS SELECT d FROM s"
    types = {"t": {"d": "DATE"}}
    assert [v.rule for v in check_sql(sql, column_types=types)] == ["partition"]
    assert check_sql(sql, column_types={"t": {"d": "TIMESTAMP"}}) == []


# -- the rules over aws2bq's own DDL -----------------------------------------------------------
def _partitioned_create(kind_name: str, granularity: str) -> str:
    from aws2bq.core.apply import Mode
    from aws2bq.core.capabilities import BIGQUERY
    from aws2bq.core.change_apply import TableLayout, create_target
    from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema

    schema = TableSchema(
        (Column("pk", ColumnType(Kind.STRING), "pk", Role.KEY),
         Column("at", ColumnType(Kind[kind_name]), "at")), 1, ("pk",),
    )  # fmt: skip
    layout = TableLayout(partition_column="at", granularity=granularity)
    return create_target("t", "ds", schema, Mode.MERGE, False, BIGQUERY, layout=layout).sql(
        "bigquery"
    )


@pytest.mark.parametrize(
    ("kind_name", "granularity"),
    [
        ("TIMESTAMP", "DAY"),
        ("TIMESTAMP", "MONTH"),
        pytest.param("DATE", "DAY", marks=pytest.mark.xfail(
            strict=True, reason="issue 12 fault 8 (i12b): DATE(date_col) is not a partition "
            "expression BigQuery allows (a DATE column partitions by itself)")),
        pytest.param("DATETIME", "MONTH", marks=pytest.mark.xfail(
            strict=True, reason="issue 12 fault 8 (i12b): TIMESTAMP_TRUNC of a DATETIME column "
            "(BigQuery wants DATETIME_TRUNC)")),
    ],
)  # fmt: skip
def test_partition_ddl_follows_bigquerys_rules(kind_name: str, granularity: str) -> None:
    assert rules(_partitioned_create(kind_name, granularity)) == []


def test_parquet_load_fields_follow_the_classic_column_names() -> None:
    """Issue 12.10: a table loaded from Parquet takes no flexible column names."""
    from aws2bq.warehouses.bigquery.rules import check_parquet_load_fields

    ok = [{"name": "id"}, {"name": "_aws2bq_c2"}, {"name": "a_b1"}]
    assert check_parquet_load_fields(ok) == []
    bad = [{"name": n} for n in ("a.b", "price$", "1st", "名前", "x y")]
    assert [v.rule for v in check_parquet_load_fields(bad)] == ["parquet_column_name"] * 5
    twice = check_parquet_load_fields([{"name": "Name"}, {"name": "name"}])
    assert [v.rule for v in twice] == ["column_name"]
