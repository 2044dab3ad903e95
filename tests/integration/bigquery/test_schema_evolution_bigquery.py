"""Issue 12 faults 1 and 6 on the emulator: a table whose source schema changed keeps loading.

The production (CLOUD) path creates and evolves tables by DDL. Before the fix, a replace load
after a new attribute or a widened type sent ``CREATE TABLE IF NOT EXISTS`` (a no-op on the
existing table) and the INSERT then named a column the table lacked; a rebuild for a type no
``ALTER COLUMN`` can change lost the table's partitioning, clustering and descriptions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bench.export_writer import item_line, write_export

from aws2bq.core.apply import Mode
from aws2bq.core.change_apply import TableLayout
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
from aws2bq.testing.bqemulator import BigQueryEmulator
from aws2bq.warehouses import connect
from aws2bq.warehouses.base import TableRef, Warehouse
from aws2bq.warehouses.bigquery.capabilities import CLOUD

from .conftest import PROJECT, drop_dataset
from .recording import Recorder
from .test_bigquery_faults import _warehouse

pytestmark = pytest.mark.bigquery

FIRST = [
    {"pk": {"S": "a"}, "n": {"N": "1"}, "flag": {"BOOL": True}, "at": {"S": "x"}},
    {"pk": {"S": "b"}, "n": {"N": "2"}, "flag": {"BOOL": False}},
]
#: A new attribute (``extra``), ``n`` widened in place (INT64 → NUMERIC), ``flag`` seen as a
#: string too (BOOL → JSON: no ALTER does it on BigQuery, the table is rebuilt).
SECOND = [
    {"pk": {"S": "a"}, "n": {"N": "1.5"}, "flag": {"S": "yes"}, "extra": {"S": "new"}},
    {"pk": {"S": "c"}, "n": {"N": "3"}, "flag": {"BOOL": True}},
]


@pytest.fixture
def dataset(bq_emulator: BigQueryEmulator) -> Iterator[str]:
    name = f"evo_{uuid.uuid4().hex[:10]}"
    yield name
    drop_dataset(bq_emulator, name)


def _exports(tmp_path: Path) -> list[str]:
    out = []
    for i, items in enumerate((FIRST, SECOND)):
        written = write_export(
            tmp_path / f"e{i}",
            [[item_line(item) for item in items]],
            export_id=f"0170000000000{i}-abcdef0{i}",
            export_time=datetime(2024, 1, 2 + i, tzinfo=UTC),
        )
        out.append(str(written.folder))
    return out


def _load_twice(wh: Warehouse, tmp_path: Path, mode: Mode) -> list[str]:
    layout = TableLayout(cluster_by=("pk",))
    statuses = []
    for export in _exports(tmp_path):
        request = DynamoDBLoadRequest(export=export, table="items", keys=("pk",), mode=mode,
                                      warehouse="unused", layout=layout)  # fmt: skip
        statuses.append(load_dynamodb(request, warehouse=wh).status)
    return statuses


def _rows(wh: Warehouse, table: str, where: str = "") -> dict[str, tuple[Any, ...]]:
    from sqlglot import parse_one

    sql = f"SELECT pk, n, TO_JSON_STRING(flag), extra FROM {table} {where}"
    rows = wh.query(parse_one(sql, read="bigquery"))
    return {r[0]: (Decimal(str(r[1])), *r[2:]) for r in rows}


@pytest.mark.parametrize("mode", [Mode.REPLACE, Mode.MERGE])
def test_a_changed_source_schema_keeps_loading_on_bigquerys_path(
    bq_emulator: BigQueryEmulator, dataset: str, tmp_path: Path, mode: Mode
) -> None:
    wh = _warehouse(bq_emulator, dataset, features=CLOUD)
    with Recorder() as recorder:
        statuses = _load_twice(wh, tmp_path, mode)
    assert statuses == ["applied", "applied"]
    table = f"`{PROJECT}`.`{dataset}`.`items`"
    rows = _rows(wh, table)
    # The second snapshot's rows (``b`` deleted by it in merge mode), in the widened types.
    assert rows == {"a": (Decimal("1.5"), '"yes"', "new"), "c": (Decimal(3), "true", None)}
    sent = [r.sql for r in recorder.of(dataset) if r.sql]
    rebuilt = [s for s in sent if s and s.startswith("CREATE OR REPLACE TABLE")]
    assert len(rebuilt) == 1
    # The rebuild keeps the clustering and the descriptions (the source names).
    assert "CLUSTER BY `pk`" in rebuilt[0]
    assert "`flag` JSON OPTIONS (description='source attribute: flag')" in rebuilt[0]
    wh.close()


@pytest.mark.parametrize("mode", [Mode.REPLACE, Mode.MERGE])
def test_a_changed_source_schema_keeps_loading_on_duckdb(tmp_path: Path, mode: Mode) -> None:
    wh = connect(f"duckdb:///{tmp_path / 'w.duckdb'}")
    statuses = _load_twice(wh, tmp_path, mode)
    assert statuses == ["applied", "applied"]
    from sqlglot import parse_one

    rows = wh.query(
        parse_one("SELECT pk, n, CAST(flag AS VARCHAR), extra FROM items ORDER BY pk",
                  read="duckdb")
    )  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("a", Decimal("1.5"), '"yes"', "new"),
        ("c", Decimal(3), "true", None),
    ]
    assert wh.table_exists(TableRef("items"))
    wh.close()
