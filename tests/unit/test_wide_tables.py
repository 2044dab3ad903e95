"""Issue 12 fault 12: a wide table's merge / history statements stay under BigQuery's 1 MB.

The statements are built by the production function (``snapshot_apply_steps``) for a
DynamoDB table and an RDS table of 1,600 columns, over an existing target (the diff, the
row hash, the MERGE or the history script, the ledger row). With the typed rows inline the
scripts exceed BigQuery's 1,024K characters (https://cloud.google.com/bigquery/quotas
#query_jobs), which the rules check reports; with the typed rows staged first every statement
fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import pytest
import sqlglot.expressions as exp

from aws2bq.core.apply import ApplySteps, Mode
from aws2bq.core.capabilities import Capabilities
from aws2bq.core.ledger import LedgerEntry
from aws2bq.core.rds_types import Engine, Raw, RawType, SourceColumn, plan_table
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.core.typed_staging import TYPED_PREFIX
from aws2bq.runner.change_modes import snapshot_apply_steps
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.bigquery.dynamodb_sql import typed_select as ddb_typed_select
from aws2bq.warehouses.bigquery.rules import MAX_QUERY_CHARACTERS, check_sql

COLUMNS = 1_600
AT = datetime(2024, 1, 1, tzinfo=UTC)
SYSTEM = {
    "_aws2bq_export_id": exp.Literal.string("export-1"),
    "_aws2bq_exported_at": exp.Literal.string(AT.isoformat()),
}


@dataclass
class ExistingTable:
    """The two things ``snapshot_apply_steps`` asks a warehouse: the target's columns (it
    exists, in ``mode``) and whether typed rows are staged."""

    schema: TableSchema
    mode: Mode
    typed_staging_hours: int | None
    capabilities: Capabilities = BIGQUERY

    def table_columns(self, _: Any) -> list[tuple[str, str]]:
        extra = ["_valid_from", "_valid_to", "_is_current", "_is_deleted"]
        names = [c.name for c in self.schema.columns]
        return [(n, "STRING") for n in names + (extra if self.mode is Mode.HISTORY else [])]


@lru_cache(maxsize=1)
def dynamodb_table() -> tuple[TableSchema, exp.Query]:
    kinds = [Kind.STRING, Kind.INT64, Kind.NUMERIC, Kind.JSON, Kind.BOOL]
    columns = [Column("pk", ColumnType(Kind.STRING), "pk", Role.KEY)]
    columns += [
        Column(f"attribute_{i:04d}", ColumnType(kinds[i % len(kinds)]), f"attribute_{i:04d}")
        for i in range(COLUMNS)
    ]
    columns += [
        Column("_aws2bq_export_id", ColumnType(Kind.STRING), "_aws2bq_export_id", Role.SYSTEM),
        Column("_aws2bq_exported_at", ColumnType(Kind.TIMESTAMP), "_aws2bq_exported_at",
               Role.SYSTEM),
    ]  # fmt: skip
    schema = TableSchema(tuple(columns), 1, ("pk",))
    stage = exp.table_("_aws2bq_stage_items", quoted=True)
    udf = exp.to_identifier("_aws2bq_ddb_json")
    return schema, ddb_typed_select(stage, schema, SYSTEM, BIGQUERY, udf)


@lru_cache(maxsize=1)
def rds_table() -> tuple[TableSchema, exp.Query]:
    from aws2bq.core import rds_sql

    types = [("varchar", RawType(Raw.STRING)), ("date", RawType(Raw.STRING)),
             ("decimal", RawType(Raw.DECIMAL, 12, 2)), ("json", RawType(Raw.STRING)),
             ("datetime", RawType(Raw.STRING))]  # fmt: skip
    mappings = [SourceColumn("id", "bigint")]
    raws = {"id": RawType(Raw.INT)}
    for i in range(COLUMNS):
        original, raw = types[i % len(types)]
        mappings.append(SourceColumn(f"column_{i:04d}", original, num_precision=12))
        raws[f"column_{i:04d}"] = raw
    plan = plan_table(Engine.MYSQL, mappings, {k: [v] for k, v in raws.items()}, keys=["id"])
    source = rds_sql.Source(exp.table_("_aws2bq_rds_items_g1", quoted=True), raws)
    return plan.schema, rds_sql.typed_select(plan, [source], SYSTEM, BIGQUERY, Engine.MYSQL)


def steps(schema: TableSchema, typed: exp.Query, mode: Mode, hours: int | None) -> ApplySteps:
    entry = LedgerEntry("items", "test", "export-1", "", "full", "", AT, str(mode), 1, 1, 1, 1,
                        schema, {}, AT, 0.0, "test")  # fmt: skip
    return snapshot_apply_steps(
        ExistingTable(schema, mode, hours),  # type: ignore[arg-type]
        mode=mode,
        soft_delete=False,
        table="items",
        dataset="d",
        schema=schema,
        previous=schema,
        snapshot=typed,
        snapshot_time=AT,
        entry=entry,
    )


def queries(applied: ApplySteps) -> list[str]:
    """What BigQuery receives: each ``before`` statement alone, the transaction as one
    script, each ``after`` statement alone."""
    script = ";\n".join(s.sql("bigquery") for s in applied.transaction)
    return [
        *(s.sql("bigquery") for s in applied.before),
        f"BEGIN TRANSACTION;\n{script};\nCOMMIT TRANSACTION;",
        *(s.sql("bigquery") for s in applied.after),
    ]


# slow: rendering megabyte scripts with sqlglot takes 5–20 s per case.
@pytest.mark.slow
@pytest.mark.parametrize("source", ["dynamodb", "rds"])
@pytest.mark.parametrize("mode", [Mode.MERGE, Mode.HISTORY], ids=str)
def test_wide_table_statements_fit_bigquerys_query_length(source: str, mode: Mode) -> None:
    schema, typed = dynamodb_table() if source == "dynamodb" else rds_table()
    assert len(schema.columns) > 1_500
    inline = queries(steps(schema, typed, mode, None))
    staged = queries(steps(schema, typed, mode, 24))
    if mode is Mode.HISTORY:  # today's shape: the typed conversions inside exceed the limit
        assert max(map(len, inline)) > MAX_QUERY_CHARACTERS
        assert any(v.rule == "query_length" for q in inline for v in check_sql(q))
    # staged: the typed rows first (a statement of their own), every query under 1 MB
    assert staged[0].startswith(f"CREATE OR REPLACE TABLE `d`.`{TYPED_PREFIX}items`")
    assert staged[-1] == f"DROP TABLE IF EXISTS `d`.`{TYPED_PREFIX}items`"
    for query in staged:  # (the rules check's query_length rule: the same comparison)
        assert len(query) <= MAX_QUERY_CHARACTERS, (query[:80], len(query))
    # the apply script reads the typed table by column names: no conversion left in it
    script = staged[-2]
    assert len(script) < max(map(len, inline)) - len(typed.sql("bigquery")) // 2
    assert f"`{TYPED_PREFIX}items`" in script and "JSON_VALUE" not in script
    assert "REGEXP_CONTAINS" not in script and "_aws2bq_stage_items" not in script
