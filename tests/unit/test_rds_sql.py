"""SQL for RDS exports (pure): golden typed SELECTs and loss checks for DuckDB and BigQuery,
and the DuckDB ones run on real values."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest
import sqlglot.expressions as exp

from aws2bq.core import rds_sql
from aws2bq.core.capabilities import Capabilities
from aws2bq.core.rds_types import Engine, Raw, RawType, SourceColumn, plan_table
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.duckdb.dialect import DUCKDB
from aws2bq.warehouses.duckdb.functions import register_functions

from .golden_util import check_golden
from .test_rds_types import MYSQL, PG, _mysql_plan, _pg_plan

SYSTEM = {
    "_aws2bq_export_id": exp.Literal.string("exp'1"),
    "_aws2bq_exported_at": exp.Literal.string("2024-01-01T00:00:00+00:00"),
}
STAGE = exp.table_("g1", db="main", catalog="stage", quoted=True)


def _sources(engine: Engine) -> list[rds_sql.Source]:
    if engine is Engine.MYSQL:
        return [rds_sql.Source(STAGE, {n: r for n, _, r in MYSQL})]
    return [rds_sql.Source(STAGE, {n: RawType(Raw.STRING) for n, _ in PG})]


@pytest.mark.parametrize("caps", [DUCKDB, BIGQUERY], ids=lambda c: c.name)
@pytest.mark.parametrize("engine", [Engine.MYSQL, Engine.POSTGRES], ids=str)
def test_typed_select_and_loss_check_golden(caps: Capabilities, engine: Engine) -> None:
    plan = _mysql_plan() if engine is Engine.MYSQL else _pg_plan()
    typed = rds_sql.typed_select(plan, _sources(engine), SYSTEM, caps, engine)
    loss = rds_sql.loss_select(plan, _sources(engine), caps, engine)
    assert loss is not None
    text = typed.sql(caps.dialect, pretty=True) + ";\n\n" + loss.sql(caps.dialect, pretty=True)
    assert "'exp''1'" in text if caps is DUCKDB else "'exp\\'1'" in text
    check_golden(f"rds_typed_{engine}_{caps.name}.sql", text + "\n")


def test_two_storage_groups_become_a_union_all() -> None:
    plan = plan_table(Engine.MYSQL, [SourceColumn("d", "date")],
                      {"d": [RawType(Raw.STRING), RawType(Raw.DATE)]})  # fmt: skip
    sources = [
        rds_sql.Source(exp.table_("g1", quoted=True), {"d": RawType(Raw.STRING)}),
        rds_sql.Source(exp.table_("g2", quoted=True), {"d": RawType(Raw.DATE)}),
    ]
    sql = rds_sql.typed_select(plan, sources, SYSTEM, DUCKDB, Engine.MYSQL).sql("duckdb")
    assert "UNION ALL" in sql and "MAKE_DATE(" in sql and '"g2"' in sql


def _run(sql_values: str, column: SourceColumn, raw: RawType, engine: Engine = Engine.MYSQL):  # type: ignore[no-untyped-def]
    con = duckdb.connect()
    register_functions(con)
    con.execute(f"CREATE TABLE src AS SELECT * FROM (VALUES {sql_values}) t({column.name})")
    plan = plan_table(engine, [column], {column.name: [raw]})
    source = rds_sql.Source(exp.table_("src", quoted=True), {column.name: raw})
    typed = rds_sql.typed_select(plan, [source], SYSTEM, DUCKDB, engine)
    loss = rds_sql.loss_select(plan, [source], DUCKDB, engine)
    return con, typed, loss, plan


def test_duckdb_zero_dates_become_null_and_invalid_dates_fail_with_count_and_example() -> None:
    con, typed, loss, plan = _run("('2024-02-29'), ('0000-00-00'), ('2024-00-10'), (NULL)",
                                  SourceColumn("d", "date"), RawType(Raw.STRING))  # fmt: skip
    got = [r[0] for r in con.execute(typed.sql("duckdb")).fetchall()]
    assert got == [date(2024, 2, 29), None, None, None]
    con.execute("INSERT INTO src VALUES ('2024-02-30'), ('2023-04-31')")
    with pytest.raises(duckdb.Error, match=r"aws2bq-loss \[d\].*2024-02-30|2023-04-31"):
        con.execute(typed.sql("duckdb")).fetchall()
    assert loss is not None
    row = con.execute(loss.sql("duckdb")).fetchone()
    assert rds_sql.read_losses(plan, loss, row) == [("d", 2, "2023-04-31")]


def test_duckdb_time_beyond_a_day_and_negative_become_exact_intervals() -> None:
    con, typed, _, _ = _run("('838:59:59.999999'), ('-838:59:59'), ('-00:00:01.5')",
                            SourceColumn("t", "time"), RawType(Raw.STRING))  # fmt: skip
    got = [r[0] for r in con.execute(typed.sql("duckdb")).fetchall()]
    assert got == [
        timedelta(hours=838, minutes=59, seconds=59, microseconds=999999),
        -timedelta(hours=838, minutes=59, seconds=59),
        -timedelta(seconds=1, microseconds=500000),
    ]


def test_duckdb_bits_and_unsigned_bigint() -> None:
    values = "('" + "\\xFF" * 8 + "'::BLOB), ('\\x00\\x01'::BLOB)"
    column = SourceColumn("b", "bit", num_precision=64)
    con, typed, _, _ = _run(values, column, RawType(Raw.BINARY))
    got = [r[0] for r in con.execute(typed.sql("duckdb")).fetchall()]
    assert got == [Decimal(2**64 - 1), Decimal(1)]


def test_duckdb_pg_array_text_with_quotes_nulls_and_multi_dimensional_refused() -> None:
    column = SourceColumn("a", "text[]")
    values = """('{"a,b","q\\"x",NULL,"NULL",""}')"""
    con, typed, _, _ = _run(values, column, RawType(Raw.STRING), Engine.POSTGRES)
    assert con.execute(typed.sql("duckdb")).fetchall()[0][0] == ["a,b", 'q"x', None, "NULL", ""]
    con.execute("INSERT INTO src VALUES ('{{1,2},{3,4}}')")
    with pytest.raises(duckdb.Error, match="aws2bq-loss"):
        con.execute(typed.sql("duckdb")).fetchall()


def test_duckdb_geography_table_widened_to_bytes_keeps_mysql_bytes() -> None:
    """Issue 12.14: a GEOGRAPHY column (SRID 4326 WKB) joined with a widened BYTES one gives
    BYTES, and its old values become MySQL's bytes again (SRID 4326 prefix + WKB)."""
    from aws2bq.core.schema import ColumnType, Kind
    from aws2bq.core.schema_evolution import widen_type
    from aws2bq.core.widening import Widening

    geography, raw_bytes = ColumnType(Kind.GEOGRAPHY), ColumnType(Kind.BYTES)
    assert widen_type(geography, raw_bytes) == raw_bytes == widen_type(raw_bytes, geography)
    wkb = "0101000000000000000000F03F0000000000000040"  # POINT(1 2)
    value = Widening(DUCKDB).value(exp.Unhex(this=exp.Literal.string(wkb)), geography, raw_bytes)
    (row,) = duckdb.sql(f"SELECT hex({value.sql('duckdb')})").fetchall()
    assert row[0] == "E6100000" + wkb
    bigquery = Widening(BIGQUERY).value(exp.column("g"), geography, raw_bytes).sql("bigquery")
    assert bigquery == "CONCAT(FROM_HEX('e6100000'), ST_ASBINARY(g))"
