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
        ("INSERT INTO t (a) SELECT ARRAY(SELECT CAST(x AS NUMERIC) FROM UNNEST(s) AS x) "
         "FROM u", []),
        ("INSERT INTO t (a) SELECT ARRAY(SELECT SAFE_CAST(x AS NUMERIC) FROM UNNEST(s) AS x) "
         "FROM u", ["array_null"]),
        ("INSERT INTO t (a) SELECT ARRAY(SELECT SAFE_CAST(x AS BOOL) FROM UNNEST(s) AS x "
         "WHERE SAFE_CAST(x AS BOOL) IS NOT NULL) FROM u", []),
        # Only inspected (the loss guard's tests), not stored: no violation; the stored
        # branch of the same CASE still has to filter.
        ("INSERT INTO t (a) SELECT CASE WHEN NOT (ARRAY(SELECT SAFE_CAST(x AS BOOL) FROM "
         "UNNEST(s) AS x) IS NULL) AND (SELECT COUNT(*) FROM UNNEST(ARRAY(SELECT SAFE_CAST(x "
         "AS BOOL) FROM UNNEST(s) AS x)) AS y WHERE y IS NULL) = 0 THEN ARRAY(SELECT "
         "SAFE_CAST(x AS BOOL) FROM UNNEST(s) AS x WHERE SAFE_CAST(x AS BOOL) IS NOT NULL) "
         "END FROM u", []),
        ("INSERT INTO t (a) SELECT CASE WHEN (SELECT COUNT(*) FROM UNNEST(ARRAY(SELECT "
         "SAFE_CAST(x AS BOOL) FROM UNNEST(s) AS x)) AS y WHERE y IS NULL) = 0 THEN "
         "ARRAY(SELECT SAFE_CAST(x AS BOOL) FROM UNNEST(s) AS x) END FROM u", ["array_null"]),
        ("INSERT INTO t (a) SELECT [1, NULL]", ["array_null"]),
        ("INSERT INTO t (a) SELECT ARRAY_AGG(x) FROM u", ["array_null"]),
        ("INSERT INTO t (a) SELECT ARRAY_AGG(x IGNORE NULLS) FROM u", []),
        # An ARRAY is cast only to its own type (issue 12 fault 6).
        ("SELECT CAST(a AS ARRAY<NUMERIC>) FROM t", ["array_cast"]),
        ("SELECT CAST(s AS ARRAY<STRING>) FROM t", ["array_cast"]),
        ("SELECT CAST(NULL AS ARRAY<STRING>), CAST([] AS ARRAY<STRING>)", []),
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
    from aws2bq.core.change_apply import create_target
    from aws2bq.core.layout import TableLayout
    from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
    from aws2bq.warehouses.bigquery.dialect import BIGQUERY

    schema = TableSchema(
        (Column("pk", ColumnType(Kind.STRING), "pk", Role.KEY),
         Column("at", ColumnType(Kind[kind_name]), "at")), 1, ("pk",),
    )  # fmt: skip
    layout = TableLayout(partition_column="at", granularity=granularity)
    return create_target("t", "ds", schema, Mode.MERGE, False, BIGQUERY, layout=layout).sql(
        "bigquery"
    )


@pytest.mark.parametrize(
    ("kind_name", "granularity", "expression"),
    [
        ("TIMESTAMP", "HOUR", "TIMESTAMP_TRUNC(`at`, HOUR)"),
        ("TIMESTAMP", "DAY", "DATE(`at`)"),
        ("TIMESTAMP", "MONTH", "TIMESTAMP_TRUNC(`at`, MONTH)"),
        ("TIMESTAMP", "YEAR", "TIMESTAMP_TRUNC(`at`, YEAR)"),
        # Issue 12 fault 8: a DATE column partitions by itself, not DATE(date_col).
        ("DATE", "DAY", "PARTITION BY `at`"),
        ("DATE", "MONTH", "DATE_TRUNC(`at`, MONTH)"),
        ("DATE", "YEAR", "DATE_TRUNC(`at`, YEAR)"),
        # Issue 12 fault 8: DATETIME_TRUNC, not TIMESTAMP_TRUNC, for a DATETIME column.
        ("DATETIME", "HOUR", "DATETIME_TRUNC(`at`, HOUR)"),
        ("DATETIME", "DAY", "DATE(`at`)"),
        ("DATETIME", "MONTH", "DATETIME_TRUNC(`at`, MONTH)"),
        ("DATETIME", "YEAR", "DATETIME_TRUNC(`at`, YEAR)"),
    ],
)
def test_partition_ddl_follows_bigquerys_rules(
    kind_name: str, granularity: str, expression: str
) -> None:
    sql = _partitioned_create(kind_name, granularity)
    assert expression in sql
    assert rules(sql) == []


@pytest.mark.parametrize(
    ("kind_name", "granularity"),
    [("DATE", "HOUR"), ("STRING", "DAY"), ("INT64", "MONTH"), ("JSON", "DAY")],
)
def test_a_column_bigquery_cannot_partition_by_is_refused_before_any_sql(
    kind_name: str, granularity: str
) -> None:
    with pytest.raises(ValueError, match="cannot partition by column 'at'"):
        _partitioned_create(kind_name, granularity)


def test_an_unknown_partition_column_is_named() -> None:
    from aws2bq.core.change_features import features
    from aws2bq.core.layout import TableLayout, layout_properties
    from aws2bq.core.schema import ColumnType, Kind
    from aws2bq.warehouses.bigquery.dialect import BIGQUERY

    with pytest.raises(ValueError, match="'nope' is not a column"):
        layout_properties(TableLayout("nope"), features(BIGQUERY), {"at": ColumnType(Kind.DATE)})


def test_parquet_load_fields_follow_the_classic_column_names() -> None:
    """Issue 12.10: a table loaded from Parquet takes no flexible column names."""
    from aws2bq.warehouses.bigquery.rules import check_parquet_load_fields

    ok = [{"name": "id"}, {"name": "_aws2bq_c2"}, {"name": "a_b1"}]
    assert check_parquet_load_fields(ok) == []
    bad = [{"name": n} for n in ("a.b", "price$", "1st", "名前", "x y")]
    assert [v.rule for v in check_parquet_load_fields(bad)] == ["parquet_column_name"] * 5
    twice = check_parquet_load_fields([{"name": "Name"}, {"name": "name"}])
    assert [v.rule for v in twice] == ["column_name"]
