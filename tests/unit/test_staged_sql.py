"""The dialect objects (``warehouse.dialect``): pure SQL over staged data, with the persistent
functions it calls declared, so the warehouse can make them before a statement runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aws2bq.core.rds_types import Engine
from aws2bq.errors import ContractError
from aws2bq.warehouses import parse_url
from aws2bq.warehouses.base import Routine, StagedRdsTable, TableRef
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.bigquery.staged_sql import BigQuerySql
from aws2bq.warehouses.duckdb.client import DuckDBWarehouse
from aws2bq.warehouses.duckdb.configuration import DuckDBConfig
from aws2bq.warehouses.duckdb.dialect import DUCKDB
from aws2bq.warehouses.duckdb.staged_sql import SQL

from .test_rds_sql import SYSTEM, _sources
from .test_rds_types import _pg_plan


def _staged() -> StagedRdsTable:
    return StagedRdsTable(
        table=TableRef("t"), rows_per_file={}, bytes=0, sources=_sources(Engine.POSTGRES)
    )


def test_bigquery_declares_every_function_its_rds_sql_calls_in_the_destination_dataset() -> None:
    dialect = BigQuerySql("dest")
    plan = _pg_plan()
    sql = dialect.rds_typed_select(_staged(), plan, SYSTEM, Engine.POSTGRES).sql("bigquery")
    loss = dialect.rds_loss_select(_staged(), plan, Engine.POSTGRES)
    assert loss is not None
    called = set(re.findall(r"`dest`\.`(_aws2bq_pg_array_\w+)`", sql + loss.sql("bigquery")))
    declared = dialect.rds_routines(plan)
    assert called, "the PostgreSQL plan has array columns"
    assert {r.name for r in declared} == called
    assert all(r.arguments == ("text",) and "if (text === null)" in r.body for r in declared)


def test_dialects_carry_their_warehouses_capabilities() -> None:
    assert SQL.capabilities is DUCKDB and DuckDBWarehouse.dialect is SQL
    assert BigQuerySql("d").capabilities is BIGQUERY
    assert list(SQL.rds_routines(_pg_plan())) == []


def test_duckdb_refuses_to_make_a_function_its_dialect_never_names(tmp_path: Path) -> None:
    wh = DuckDBWarehouse(DuckDBConfig.from_url(parse_url(f"duckdb:///{tmp_path / 'w.duckdb'}")))
    try:
        wh.ensure_routines([])  # nothing asked: nothing done
        with pytest.raises(ContractError, match="f1"):
            wh.ensure_routines([Routine("f1", "return 1;", ("text",), "x")])
    finally:
        wh.close()
