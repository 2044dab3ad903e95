"""Partitioning / clustering from config reach BigQuery's CREATE TABLE (and DuckDB ignores it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlglot
import sqlglot.expressions as exp

from aws2bq.config.model import RdsTableSettings
from aws2bq.core.apply import Mode
from aws2bq.core.capabilities import Capabilities
from aws2bq.core.change_apply import change_steps
from aws2bq.core.change_sets import snapshot_changes
from aws2bq.core.layout import TableLayout
from aws2bq.core.ledger import LedgerEntry
from aws2bq.core.replace_apply import replace_steps
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.runner.run import table_layout
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.duckdb.dialect import DUCKDB

from .golden_util import check_golden

T = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
S = ColumnType(Kind.STRING)
TS = ColumnType(Kind.TIMESTAMP)
SCHEMA = TableSchema(
    (Column("pk", S, "pk", Role.KEY), Column("created at", TS, "created at"),
     Column("region", S, "region"),
     Column("_aws2bq_export_id", S, "_aws2bq_export_id", Role.SYSTEM),
     Column("_aws2bq_exported_at", TS, "_aws2bq_exported_at", Role.SYSTEM)),
    1, ("pk",),
)  # fmt: skip
LAYOUT = TableLayout(partition_column="created at", granularity="DAY", cluster_by=("region", "pk"))
ROWS = exp.select("*").from_(exp.table_("_aws2bq_staging", quoted=True))
ENTRY = LedgerEntry("s", "dynamodb", "E1", "arn", "full", "s3://b/p", T, "replace", 1, 2, 2, 3,
                    SCHEMA, {}, T, 0.0, "test")  # fmt: skip


def _replace(caps: Capabilities, layout: TableLayout | None) -> list[exp.Expression]:
    steps = replace_steps(table="items", dataset="ds", schema=SCHEMA, typed_rows=ROWS.copy(),
                          entry=ENTRY, caps=caps, table_exists=False, layout=layout)  # fmt: skip
    return steps.all()


def _change(caps: Capabilities, mode: Mode, layout: TableLayout | None) -> list[exp.Expression]:
    changes = snapshot_changes(mode=mode, soft_delete=False, table="items", dataset="ds",
                               schema=SCHEMA, snapshot=ROWS.copy(), changed_at=T, caps=caps,
                               table_exists=False)  # fmt: skip
    steps = change_steps(mode=mode, soft_delete=False, table="items", dataset="ds", schema=SCHEMA,
                         changes=changes, entry=ENTRY, caps=caps, table_exists=False,
                         layout=layout)  # fmt: skip
    return steps.all()


def _creates(statements: list[exp.Expression], caps: Capabilities) -> list[str]:
    return [
        s.sql(caps.dialect, pretty=True) + ";"
        for s in statements
        if isinstance(s, exp.Create) and (t := s.find(exp.Table)) is not None and t.name == "items"
    ]


@pytest.mark.parametrize("mode", ["replace", "merge", "history"])
def test_bigquery_create_is_partitioned_and_clustered(mode: str) -> None:
    statements = (
        _replace(BIGQUERY, LAYOUT) if mode == "replace" else _change(BIGQUERY, Mode(mode), LAYOUT)
    )
    creates = _creates(statements, BIGQUERY)
    assert len(creates) == 1
    text = creates[0] + "\n"
    check_golden(f"layout_{mode}_bigquery.sql", text)
    assert "PARTITION BY DATE(`created at`)" in text
    assert "CLUSTER BY `region`, `pk`" in text
    # The rendered DDL reads back as BigQuery with the same layout.
    again = sqlglot.parse_one(creates[0].rstrip(";"), read="bigquery")
    assert again.find(exp.PartitionedByProperty) and again.find(exp.ClusterProperty)


def test_granularity_other_than_day_truncates_the_timestamp() -> None:
    layout = TableLayout(partition_column="created at", granularity="MONTH")
    (text,) = _creates(_replace(BIGQUERY, layout), BIGQUERY)
    assert "PARTITION BY TIMESTAMP_TRUNC(`created at`, MONTH)" in text
    assert "CLUSTER BY `pk`" in text  # no cluster_by configured: the key (issue 12 fault 17)


@pytest.mark.parametrize("mode", ["replace", "merge", "history"])
def test_duckdb_ignores_the_layout(mode: str) -> None:
    def render(layout: TableLayout | None) -> list[str]:
        if mode == "replace":
            return [s.sql("duckdb") for s in _replace(DUCKDB, layout)]
        return [s.sql("duckdb") for s in _change(DUCKDB, Mode(mode), layout)]

    assert render(LAYOUT) == render(None)
    assert not any("PARTITION BY DATE" in s or "CLUSTER BY" in s for s in render(LAYOUT))


def test_no_layout_clusters_by_the_key_on_bigquery() -> None:
    """Issue 12 fault 17: merge / history statements join the target by key; a table
    clustered by it lets BigQuery read only the blocks of the keys filtered on."""
    for statements in (_replace(BIGQUERY, None), _change(BIGQUERY, Mode.MERGE, None),
                       _change(BIGQUERY, Mode.HISTORY, None)):  # fmt: skip
        (text,) = _creates(statements, BIGQUERY)
        assert "PARTITION" not in text and "CLUSTER BY `pk`" in text


def test_config_settings_become_a_layout() -> None:
    settings = RdsTableSettings.model_validate(
        {"partition_by": {"column": "created", "granularity": "HOUR"}, "cluster_by": ["a", "b"]}
    )
    assert table_layout(settings) == TableLayout("created", "HOUR", ("a", "b"))
    only_cluster = RdsTableSettings.model_validate({"cluster_by": ["a"]})
    assert table_layout(only_cluster) == TableLayout(None, "DAY", ("a",))
    assert table_layout(RdsTableSettings.model_validate({})) is None


def test_key_clustering_stops_at_a_kind_bigquery_cannot_cluster() -> None:
    from aws2bq.core.layout import key_clustered
    from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema

    def schema(*kinds: Kind) -> TableSchema:
        columns = tuple(Column(f"k{i}", ColumnType(k), f"k{i}", Role.KEY) for i, k in
                        enumerate(kinds))  # fmt: skip
        return TableSchema(columns, 1, tuple(c.name for c in columns))

    assert key_clustered(None, schema(Kind.STRING, Kind.INT64), BIGQUERY) == TableLayout(
        None, "DAY", ("k0", "k1")
    )
    assert key_clustered(None, schema(Kind.INT64, Kind.FLOAT64, Kind.STRING), BIGQUERY) == (
        TableLayout(None, "DAY", ("k0",))
    )
    assert key_clustered(None, schema(Kind.BYTES), BIGQUERY) is None
    assert key_clustered(None, schema(*[Kind.INT64] * 6), BIGQUERY) == TableLayout(
        None, "DAY", ("k0", "k1", "k2", "k3")
    )
    assert key_clustered(None, schema(Kind.STRING), DUCKDB) is None


@pytest.mark.parametrize("mode", ["replace", "merge", "history"])
def test_partition_expiration_and_filter_requirement_reach_bigquery(mode: str) -> None:
    """Issue 12 fault 8: ``expiration_days`` and ``require_filter`` were accepted by the config
    and never applied; they are table options of the CREATE (DuckDB has no partitions)."""
    settings = RdsTableSettings.model_validate(
        {"partition_by": {"column": "created at", "expiration_days": 30, "require_filter": True}}
    )
    layout = table_layout(settings)
    assert layout is not None
    statements = (
        _replace(BIGQUERY, layout) if mode == "replace" else _change(BIGQUERY, Mode(mode), layout)
    )
    (text,) = _creates(statements, BIGQUERY)
    create = sqlglot.parse_one(text.rstrip(";"), read="bigquery")
    options = {
        p.name: p.args["value"].sql("bigquery")
        for p in create.find_all(exp.Property)
        if type(p) is exp.Property
    }
    assert options == {"partition_expiration_days": "30", "require_partition_filter": "TRUE"}
    assert "PARTITION BY DATE(`created at`)" in text
    duck = _replace(DUCKDB, layout) if mode == "replace" else _change(DUCKDB, Mode(mode), layout)
    assert not any("expiration" in s.sql("duckdb") or "require_partition" in s.sql("duckdb")
                   for s in duck)  # fmt: skip
