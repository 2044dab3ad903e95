"""Golden SQL of merge / soft-delete merge / history apply and the snapshot diff (issue 5)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlglot.expressions as exp

from aws2bq.core.apply import Mode
from aws2bq.core.capabilities import Capabilities
from aws2bq.core.change_apply import change_steps
from aws2bq.core.change_sets import snapshot_changes
from aws2bq.core.ledger import LedgerEntry
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.core.schema_evolution import evolve_schema
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.duckdb.dialect import DUCKDB

from .golden_util import check_golden

T = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
S, INT = ColumnType(Kind.STRING), ColumnType(Kind.INT64)
SYSTEM = (
    Column("_aws2bq_export_id", S, "_aws2bq_export_id", Role.SYSTEM),
    Column("_aws2bq_exported_at", ColumnType(Kind.TIMESTAMP), "_aws2bq_exported_at", Role.SYSTEM),
)
OLD = TableSchema((Column("pk", S, "pk", Role.KEY), Column("n", INT, "n"), *SYSTEM), 1, ("pk",))
NEW = TableSchema(
    (Column("pk", S, "pk", Role.KEY), Column("n", ColumnType(Kind.NUMERIC), "n"),
     Column("tag", S, "tag"), *SYSTEM), 2, ("pk",),
)  # fmt: skip


def _entry(schema: TableSchema) -> LedgerEntry:
    return LedgerEntry("s", "dynamodb", "E2", "arn", "full", "s3://b/p", T, "merge", 1, 2, 2, 3,
                       schema, {}, T, 0.0, "test")  # fmt: skip


def _render(caps: Capabilities, mode: Mode, soft: bool, exists: bool) -> str:
    snapshot = exp.select("*").from_(exp.table_("_aws2bq_staging", quoted=True))
    changes = snapshot_changes(mode=mode, soft_delete=soft, table="items", dataset="ds",
                               schema=NEW, snapshot=snapshot, changed_at=T, caps=caps,
                               table_exists=exists)  # fmt: skip
    steps = change_steps(mode=mode, soft_delete=soft, table="items", dataset="ds", schema=NEW,
                         changes=changes, entry=_entry(NEW), caps=caps, table_exists=exists,
                         previous=OLD)  # fmt: skip
    out = ["-- before"] + [s.sql(caps.dialect, pretty=True) + ";" for s in steps.before]
    out += ["-- transaction"] + [s.sql(caps.dialect, pretty=True) + ";" for s in steps.transaction]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("caps", [DUCKDB, BIGQUERY], ids=lambda c: c.name)
@pytest.mark.parametrize("mode,soft", [("merge", False), ("merge", True), ("history", False)])
def test_golden(caps: Capabilities, mode: str, soft: bool) -> None:
    name = f"change_{mode}{'_soft' if soft else ''}_{caps.name}.sql"
    text = _render(caps, Mode(mode), soft, exists=True)
    assert "_aws2bq_change_at" in text and "ADD COLUMN" in text
    check_golden(name, text)


def test_first_load_is_an_insert() -> None:
    text = _render(DUCKDB, Mode.HISTORY, False, exists=False)
    assert "MERGE" not in text and "CREATE TABLE" in text and "FULL OUTER JOIN" not in text


def test_evolve_keeps_dropped_columns_and_widens() -> None:
    dec = ColumnType.decimal
    prev = TableSchema((Column("id", INT, "id", Role.KEY), Column("gone", S, "gone"),
                        Column("d", dec(10, 2), "d"), *SYSTEM), 3, ("id",))  # fmt: skip
    new = TableSchema((Column("id", INT, "id", Role.KEY), Column("d", dec(12, 4), "d"),
                       Column("added", S, "added"), *SYSTEM), 1, ("id",))  # fmt: skip
    got = evolve_schema(prev, new)
    assert [c.name for c in got.columns] == ["id", "gone", "d", "added", *[c.name for c in SYSTEM]]
    assert got.column("d").type == ColumnType.decimal(12, 4)
    assert got.version == 4
    assert evolve_schema(got, new).version == 4


def test_soft_delete_refused_for_history() -> None:
    with pytest.raises(ValueError, match="soft_delete"):
        _render(DUCKDB, Mode.HISTORY, True, exists=True)
