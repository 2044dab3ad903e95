"""An incremental chain (full → incremental) applied in merge mode to BigQuery's emulator."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlglot.expressions as exp

from aws2bq.core.apply import Mode
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
from aws2bq.sandbox import Sandbox
from aws2bq.testing.bqemulator import BigQueryEmulator
from aws2bq.warehouses import connect
from aws2bq.warehouses.bigquery.client import BigQueryWarehouse
from tests.integration.bigquery.conftest import (  # noqa: F401  (fixtures)
    PROJECT,
    bq_emulator,
    bq_gcs_root,
    drop_dataset,
    gcs_state_dir,
)

pytestmark = pytest.mark.bigquery


@pytest.fixture
def warehouse(bq_emulator: BigQueryEmulator) -> Iterator[BigQueryWarehouse]:  # noqa: F811
    dataset = f"w_{uuid.uuid4().hex[:10]}"
    wh = connect(f"bigquery://{PROJECT}/{dataset}?endpoint={bq_emulator.endpoint}&emulator=true")
    assert isinstance(wh, BigQueryWarehouse)
    try:
        yield wh
    finally:
        wh.close()
        drop_dataset(bq_emulator, dataset)


def test_merge_chain_on_bigquery(
    sandbox: Sandbox,
    warehouse: BigQueryWarehouse,
    unique: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    bucket = f"bqinc-{unique}"
    sandbox.client("s3").create_bucket(Bucket=bucket)
    table = f"bqinc-{unique}"
    sandbox.dynamodb.create_table(table)
    ddb = sandbox.client("dynamodb")
    for i in range(4):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}, "v": {"N": str(i)}})
    full = sandbox.dynamodb.export_full(table, bucket, prefix="p")

    def load(done: dict[str, object]) -> str:
        request = DynamoDBLoadRequest(
            export=f"s3://{bucket}/{done['ExportManifest']}",
            table="items",
            keys=("pk",),
            mode=Mode.MERGE,
            warehouse=warehouse.url,
        )
        return load_dynamodb(request, warehouse=warehouse).status

    def state() -> set[tuple[str, Decimal]]:
        rows = warehouse.query(
            exp.select(exp.column("pk", quoted=True), exp.column("v", quoted=True)).from_(
                exp.table_("items", quoted=True)
            )
        )
        return {(str(pk), Decimal(v)) for pk, v in rows}

    def scan() -> set[tuple[str, Decimal]]:
        items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
        return {(i["pk"]["S"], Decimal(i["v"]["N"])) for i in items}

    assert load(full) == "applied"
    sandbox.advance_clock(seconds=5)
    ddb.put_item(TableName=table, Item={"pk": {"S": "k0"}, "v": {"N": "100"}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "k1"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "new"}, "v": {"N": "2.5"}})
    sandbox.advance_clock(minutes=16)
    first = sandbox.dynamodb.export_incremental(
        table, bucket, prefix="p", from_time=full["ExportTime"], to_time=sandbox.now()
    )
    assert load(first) == "applied"
    assert state() == scan()
    assert ("new", Decimal("2.5")) in state()  # v widened from INT64 (the full export's)
    assert load(first) == "already_applied"
    names = [
        t.table_id for t in warehouse.client.list_tables(f"{PROJECT}.{warehouse.config.dataset}")
    ]
    assert not [n for n in names if n.startswith("_aws2bq_stage")]
