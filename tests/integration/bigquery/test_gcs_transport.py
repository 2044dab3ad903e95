"""Transport "gcs" end to end: sandbox S3 → emulated GCS → emulated BigQuery (loads from gs://).

Real parts only: exports written by the sandbox (moto S3) in AWS's layout, the runner's copy
through google-cloud-storage into gcp-storage-emulator, load jobs from ``gs://`` URIs run by
bqemulator (which reads the GCS emulator's object folder), the apply in BigQuery. DynamoDB full
and incremental exports and an RDS snapshot export; a crash (SIGKILL, in a child process)
mid-copy and mid-load, then a re-run that copies and loads nothing twice; the cleanup.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlglot.expressions as exp

from aws2bq.core.apply import Mode
from aws2bq.core.transport import TransportSpec
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
from aws2bq.runner.rds_load import RdsLoadRequest, load_rds
from aws2bq.sandbox import Sandbox
from aws2bq.testing.bqemulator import BigQueryEmulator
from aws2bq.testing.gcs_emulator import GcsEmulator
from aws2bq.warehouses import connect
from aws2bq.warehouses.base import TableRef
from aws2bq.warehouses.bigquery.client import BigQueryWarehouse
from tests.integration.changes.conftest import REPO, SIGKILLED, child_env

from .conftest import PROJECT, drop_dataset, warehouse_url

pytestmark = pytest.mark.bigquery

BUCKET = "aws2bq-staging"  # the gcs_emulator fixture's default bucket


@pytest.fixture
def warehouse(bq_warehouse: BigQueryWarehouse) -> BigQueryWarehouse:
    return bq_warehouse


@pytest.fixture
def aws(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    return sandbox


def gcs_spec(gcs: GcsEmulator, unique: str, **changes: Any) -> TransportSpec:
    """Transport gcs, runner copy, into the emulator's bucket under a prefix of this test."""
    settings: dict[str, Any] = {
        "mode": "gcs",
        "staging_bucket": BUCKET,
        "staging_prefix": f"t{unique}",
        "copier": "runner",
        "gcs_endpoint": gcs.endpoint,
        "copy_workers": 2,
        "upload_chunk": 256 * 1024,
    }
    return TransportSpec(**{**settings, **changes})


def staged_names(gcs: GcsEmulator, spec: TransportSpec) -> list[str]:
    """Every object under the spec's staging prefix (the landing folders and records)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": gcs.endpoint},
    )
    return sorted(b.name for b in client.list_blobs(BUCKET, prefix=spec.staging_prefix + "/"))


def rows(wh: BigQueryWarehouse, table: str, *columns: str) -> list[tuple[Any, ...]]:
    select = exp.select(*(exp.column(c, quoted=True) for c in columns)).from_(
        exp.table_(table, quoted=True)
    )
    return sorted(wh.query(select), key=repr)


def staging_tables(wh: BigQueryWarehouse) -> list[str]:
    return [
        t.table_id
        for t in wh.client.list_tables(f"{PROJECT}.{wh.config.dataset}")
        if t.table_id.startswith(("_aws2bq_stage", "_aws2bq_rds"))
    ]


def ddb_table(sb: Sandbox, unique: str, items: int = 12) -> tuple[str, str, Any]:
    """A sandbox table with ``items`` items, and an export bucket."""
    table, bucket = f"gcs-{unique}", f"gcs-{unique}"
    sb.client("s3").create_bucket(Bucket=bucket)
    sb.dynamodb.create_table(table)
    ddb = sb.client("dynamodb")
    for i in range(items):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"k{i:02d}"}, "v": {"N": str(i)}})
    return table, bucket, ddb


def scan(ddb: Any, table: str) -> list[tuple[str, Decimal]]:
    items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted(((i["pk"]["S"], Decimal(i["v"]["N"])) for i in items), key=repr)


def as_decimal(got: list[tuple[Any, ...]]) -> list[tuple[str, Decimal]]:
    return sorted(((str(pk), Decimal(v)) for pk, v in got), key=repr)


# -- DynamoDB full + incremental ------------------------------------------------------------
def test_dynamodb_full_then_incremental_through_gcs(
    aws: Sandbox, gcs_emulator: GcsEmulator, warehouse: BigQueryWarehouse, unique: str
) -> None:
    table, bucket, ddb = ddb_table(aws, unique)
    spec = gcs_spec(gcs_emulator, unique)
    full = aws.dynamodb.export_full(table, bucket, prefix="p")

    def load(done: dict[str, Any]) -> Any:
        request = DynamoDBLoadRequest(
            export=f"s3://{bucket}/{done['ExportManifest']}",
            table="items",
            keys=("pk",),
            mode=Mode.MERGE,
            warehouse=warehouse.url,
            transport=spec,
        )
        return load_dynamodb(request, warehouse=warehouse)

    report = load(full)
    assert report.status == "applied"
    assert as_decimal(rows(warehouse, "items", "pk", "v")) == scan(ddb, table)
    moved = report.transport
    assert moved["route"] == "copy"
    assert moved["files_moved"] == moved["files"] >= 4  # the sandbox writes ≥ 4 data files
    assert moved["bytes_moved"] == moved["bytes"] > 0
    assert moved["load_jobs"] >= 1 and moved["cleaned_up"]
    assert "transfer" in report.timings
    assert staged_names(gcs_emulator, spec) == []  # deleted once applied
    assert staging_tables(warehouse) == []

    # An incremental export: its files share data/ with the full export's.
    aws.advance_clock(seconds=5)
    ddb.put_item(TableName=table, Item={"pk": {"S": "k00"}, "v": {"N": "100"}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "k01"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "new"}, "v": {"N": "7"}})
    aws.advance_clock(minutes=16)
    inc = aws.dynamodb.export_incremental(
        table, bucket, prefix="p", from_time=full["ExportTime"], to_time=aws.now()
    )
    report = load(inc)
    assert report.status == "applied"
    assert report.transport["route"] == "copy"
    got = as_decimal(rows(warehouse, "items", "pk", "v"))
    assert got == scan(ddb, table)
    assert ("k00", Decimal(100)) in got and all(pk != "k01" for pk, _ in got)
    assert staged_names(gcs_emulator, spec) == []
    assert load(inc).status == "already_applied"


def test_lifecycle_rule_is_the_safety_net(
    aws: Sandbox, gcs_emulator: GcsEmulator, warehouse: BigQueryWarehouse, unique: str
) -> None:
    table, bucket, _ = ddb_table(aws, unique, items=3)
    spec = gcs_spec(gcs_emulator, unique, lifecycle_days=2)
    full = aws.dynamodb.export_full(table, bucket, prefix="p")
    request = DynamoDBLoadRequest(
        export=f"s3://{bucket}/{full['ExportManifest']}",
        table="items",
        warehouse=warehouse.url,
        transport=spec,
    )
    assert load_dynamodb(request, warehouse=warehouse).status == "applied"
    from google.cloud import storage

    bucket_meta = warehouse._storage(spec).get_bucket(BUCKET)
    assert isinstance(bucket_meta, storage.Bucket)
    rules = [dict(r) for r in bucket_meta.lifecycle_rules]
    assert {
        "action": {"type": "Delete"},
        "condition": {"age": 2, "matchesPrefix": [spec.staging_prefix + "/"]},
    } in rules


def test_auto_keeps_small_exports_direct(
    aws: Sandbox, gcs_emulator: GcsEmulator, warehouse: BigQueryWarehouse, unique: str
) -> None:
    table, bucket, ddb = ddb_table(aws, unique, items=3)
    spec = gcs_spec(gcs_emulator, unique, mode="auto", auto_threshold=10 << 20)
    full = aws.dynamodb.export_full(table, bucket, prefix="p")
    request = DynamoDBLoadRequest(
        export=f"s3://{bucket}/{full['ExportManifest']}",
        table="items",
        warehouse=warehouse.url,
        transport=spec,
    )
    report = load_dynamodb(request, warehouse=warehouse)
    assert report.transport["route"] == "direct"
    assert as_decimal(rows(warehouse, "items", "pk", "v")) == scan(ddb, table)
    assert staged_names(gcs_emulator, spec) == []


# -- RDS ----------------------------------------------------------------------------------
def test_rds_snapshot_export_through_gcs_equals_direct(
    aws: Sandbox, gcs_emulator: GcsEmulator, bq_emulator: BigQueryEmulator, unique: str
) -> None:
    """The same export loaded direct and through GCS gives the same tables (and the same
    per-table outcome: a value the emulator cannot cast fails both the same way)."""
    bucket, instance = f"gcsrds-{unique}", f"shop-{unique}"
    aws.client("s3").create_bucket(Bucket=bucket)
    aws.rds.create_instance(instance, backing="sample://shop")
    arn = aws.rds.create_snapshot(instance, f"{instance}-s1")
    task = f"{instance}-e1"
    assert aws.rds.export(arn, bucket=bucket, task_id=task, prefix="rds")["Status"] == "COMPLETE"
    spec = gcs_spec(gcs_emulator, unique)
    outcome: dict[str, Any] = {}
    for name, transport in (("direct", TransportSpec()), ("gcs", spec)):
        dataset = f"g_{uuid.uuid4().hex[:10]}"
        wh = connect(warehouse_url(bq_emulator, dataset))
        assert isinstance(wh, BigQueryWarehouse)
        try:
            request = RdsLoadRequest(
                export=f"s3://{bucket}/rds/{task}/",
                warehouse=wh.url,
                transport=transport,
                stream="shop",
                # Per table: a table the emulator cannot load (NUMERIC beyond 18 digits) fails
                # alone, the same way on both routes, and the others are compared.
                per_table=True,
            )
            report = load_rds(request, warehouse=wh)
            assert report.transport["route"] == ("direct" if name == "direct" else "copy")
            tables = {}
            for t in report.tables:
                content = None
                if t.status == "applied":
                    content = sorted(
                        map(repr, wh.query(exp.select("*").from_(exp.table_(t.table, quoted=True))))
                    )
                    assert len(content) == t.rows > 0
                tables[t.table] = (t.status, content)
            outcome[name] = (tables, report)
            assert staging_tables(wh) == []
        finally:
            wh.close()
            drop_dataset(bq_emulator, dataset)
    (direct, _), (staged, report) = outcome["direct"], outcome["gcs"]
    assert len(staged) == 4
    assert staged == direct
    assert [s for s, _ in staged.values()].count("applied") >= 2
    assert report.transport["files_moved"] >= 4
    assert report.transport["load_jobs"] >= 4  # at least one per table
    if not report.failed:
        assert staged_names(gcs_emulator, spec) == []
    else:  # kept for the next run (the failed tables load from them)
        assert staged_names(gcs_emulator, spec)


# -- crashes: resume without copying or loading anything twice -------------------------------
CHILD = """
import json, sys
from aws2bq.core.apply import Mode
from aws2bq.core.transport import TransportSpec
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
args = json.loads(sys.argv[1])
request = DynamoDBLoadRequest(
    export=args["export"], table="items", keys=("pk",), mode=Mode.MERGE,
    warehouse=args["warehouse"], transport=TransportSpec(**args["spec"]),
)
print(json.dumps(load_dynamodb(request).to_dict()))
"""


def crash_child(stage: str, export: str, warehouse: str, spec: TransportSpec, sb: Sandbox) -> None:
    from dataclasses import asdict

    args = json.dumps({"export": export, "warehouse": warehouse, "spec": asdict(spec)})
    done = subprocess.run(
        [sys.executable, "-c", CHILD, args],
        env=child_env(sb, AWS2BQ_CRASH_AT=stage),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == SIGKILLED, (done.returncode, done.stderr[-2000:])


def _rerun(export: str, wh: BigQueryWarehouse, spec: TransportSpec) -> Any:
    request = DynamoDBLoadRequest(
        export=export,
        table="items",
        keys=("pk",),
        mode=Mode.MERGE,
        warehouse=wh.url,
        transport=spec,
    )
    return load_dynamodb(request, warehouse=wh)


def test_crash_mid_copy_resumes_without_copying_finished_files(
    aws: Sandbox, gcs_emulator: GcsEmulator, warehouse: BigQueryWarehouse, unique: str
) -> None:
    table, bucket, ddb = ddb_table(aws, unique)
    full = aws.dynamodb.export_full(table, bucket, prefix="p")
    export = f"s3://{bucket}/{full['ExportManifest']}"
    spec = gcs_spec(gcs_emulator, unique, copy_workers=1)
    crash_child("copied:2", export, warehouse.url, spec, aws)
    landed = [n for n in staged_names(gcs_emulator, spec) if "/p/AWSDynamoDB/" in n]
    assert len(landed) == 2  # two files copied, then the crash
    assert warehouse.table_columns(TableRef("items")) is None  # nothing applied

    report = _rerun(export, warehouse, spec)
    assert report.status == "applied"
    assert report.transport["files_reused"] == 2
    assert report.transport["files_moved"] == report.transport["files"] - 2
    assert as_decimal(rows(warehouse, "items", "pk", "v")) == scan(ddb, table)
    assert staged_names(gcs_emulator, spec) == []


def test_crash_mid_load_resumes_without_loading_twice(
    aws: Sandbox, gcs_emulator: GcsEmulator, warehouse: BigQueryWarehouse, unique: str
) -> None:
    table, bucket, ddb = ddb_table(aws, unique)
    full = aws.dynamodb.export_full(table, bucket, prefix="p")
    export = f"s3://{bucket}/{full['ExportManifest']}"
    spec = gcs_spec(gcs_emulator, unique, load_job_uris=1)  # one load job per file
    crash_child("loaded", export, warehouse.url, spec, aws)
    stages = staging_tables(warehouse)
    assert len(stages) == 1  # the crashed run's staging table, with one job's rows

    report = _rerun(export, warehouse, spec)
    assert report.status == "applied"
    assert report.transport["files_moved"] == 0  # every file was landed before the crash
    assert report.transport["load_jobs_reused"] == 1
    loadable = report.transport["load_jobs"]
    assert loadable >= 2
    got = rows(warehouse, "items", "pk", "v")
    assert as_decimal(got) == scan(ddb, table)
    assert len({pk for pk, _ in got}) == len(got) == 12  # no row twice
    assert staging_tables(warehouse) == []
    assert staged_names(gcs_emulator, spec) == []


def test_a_corrupt_file_never_lands(
    aws: Sandbox, gcs_emulator: GcsEmulator, warehouse: BigQueryWarehouse, unique: str
) -> None:
    table, bucket, _ = ddb_table(aws, unique, items=6)
    full = aws.dynamodb.export_full(table, bucket, prefix="p")
    s3 = aws.client("s3")
    key = next(
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix="p/")["Contents"]
        if o["Key"].endswith(".json.gz") and o["Size"] > 20
    )
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.put_object(Bucket=bucket, Key=key, Body=body[:-1] + bytes([body[-1] ^ 1]))
    spec = gcs_spec(gcs_emulator, unique)
    request = DynamoDBLoadRequest(
        export=f"s3://{bucket}/{full['ExportManifest']}",
        table="items",
        warehouse=warehouse.url,
        transport=spec,
    )
    from aws2bq.errors import ExportError

    with pytest.raises(ExportError, match="MD5") as caught:
        load_dynamodb(request, warehouse=warehouse)
    assert key.rsplit("/", 1)[-1] in str(caught.value)
    assert not [n for n in staged_names(gcs_emulator, spec) if n.endswith(key)]
    assert warehouse.table_columns(TableRef("items")) is None


def test_files_larger_than_a_chunk_go_by_resumable_upload(
    gcs_emulator: GcsEmulator, warehouse: BigQueryWarehouse, unique: str, tmp_path: Any
) -> None:
    """Files of ~0.6 MB with 256 KiB chunks: every file is a chunked resumable upload."""
    import base64
    import os

    from bench.export_writer import item_line, write_export

    chunks = [
        [
            item_line(
                {"pk": {"S": f"f{n}-{i}"}, "b": {"S": base64.b64encode(os.urandom(900)).decode()}}
            )
            for i in range(600)
        ]
        for n in range(3)
    ]
    written = write_export(tmp_path, chunks)
    assert all(p.stat().st_size > 256 * 1024 for p in written.data_files)
    spec = gcs_spec(gcs_emulator, unique, upload_chunk=256 * 1024)
    request = DynamoDBLoadRequest(
        export=str(written.folder), table="items", warehouse=warehouse.url, transport=spec
    )
    report = load_dynamodb(request, warehouse=warehouse)
    assert report.status == "applied" and report.rows == 1800
    assert report.transport["files_moved"] == 3
    assert report.transport["bytes_moved"] == sum(p.stat().st_size for p in written.data_files)
    ((count,),) = warehouse.query(
        exp.select(exp.Count(this=exp.Star())).from_(exp.table_("items", quoted=True))
    )
    assert count == 1800
