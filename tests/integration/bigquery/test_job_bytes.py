"""Issue 13 (BigQuery side) and issue 12 fault 17: what each job processes is reported, and
``aws2bq plan`` dry-runs each statement.

bqemulator answers dry runs and reports jobs but counts 0 bytes (it is not BigQuery's
storage): these tests check that every job is reported and every statement dry-run; the
byte figures come from BigQuery itself (the live suite, bench/bigquery_bytes.py).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from aws2bq.core.apply import Mode
from aws2bq.runner.change_modes import PLAN_STAGING, plan_change_sql
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
from aws2bq.warehouses.bigquery.client import BigQueryWarehouse

pytestmark = pytest.mark.bigquery


@pytest.fixture
def warehouse(emulator_warehouse: BigQueryWarehouse) -> BigQueryWarehouse:
    return emulator_warehouse


def _load(wh: BigQueryWarehouse, tmp_path: Path, mode: Mode) -> None:
    from bench.export_writer import item_line, write_export

    items = [{"pk": {"S": f"k{i}"}, "n": {"N": str(i)}} for i in range(6)]
    folder = write_export(
        tmp_path / f"src{uuid.uuid4().hex[:6]}",
        [[item_line(i) for i in items[:3]], [item_line(i) for i in items[3:]]],
    ).folder
    request = DynamoDBLoadRequest(
        export=str(folder), table="items", keys=("pk",), mode=mode, warehouse=wh.url
    )
    assert load_dynamodb(request, warehouse=wh).status == "applied"


def test_every_job_of_a_load_is_reported(warehouse: BigQueryWarehouse, tmp_path: Path) -> None:
    warehouse.take_job_stats()
    _load(warehouse, tmp_path, Mode.MERGE)
    jobs = warehouse.take_job_stats()
    loads = [j for j in jobs if j.kind == "load"]
    assert len(loads) == 1 and loads[0].rows == 6 and "load of export file(s)" in loads[0].what
    assert any(j.what == "transaction" for j in jobs)
    assert all(j.bytes_processed >= 0 for j in jobs)
    assert warehouse.take_job_stats() == []  # taken once


def test_plan_dry_runs_each_statement_with_a_stand_in_for_the_export(
    warehouse: BigQueryWarehouse, tmp_path: Path
) -> None:
    _load(warehouse, tmp_path, Mode.MERGE)
    lines = plan_change_sql(
        warehouse, mode=Mode.MERGE, soft_delete=False, table="items", stream="items",
        keys=("pk",), source="dynamodb", export_id="E2", export_kind="full", exported_at=None,
    )  # fmt: skip
    dry = [line for line in lines if line.startswith("-- dry run")]
    assert dry and all("will process" in line for line in dry), dry
    assert dry[-1].startswith("-- dry run: the transaction will process")
    assert any(PLAN_STAGING in line for line in lines)  # what the user reads: the stand-in name
