"""Storage Transfer Service (STS) requests, and the STS route of transport "gcs".

There is no STS emulator. The requests aws2bq sends are checked two ways: against the
client library's own request types (``google.cloud.storage_transfer``: the message must
build, and its REST JSON must have exactly the fields STS documents), and against a recorded
fake of the REST surface (:mod:`.sts_fake`) that answers like STS and performs the copy the
job describes, S3 (sandbox) → GCS (emulator), so the rest of the path — verify, load from
gs://, apply, clean up — runs on real parts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from aws2bq.core.apply import Mode
from aws2bq.core.transport import TransportSpec
from aws2bq.errors import ConfigError, TransferPending
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
from aws2bq.sandbox import Sandbox
from aws2bq.testing.bqemulator import BigQueryEmulator
from aws2bq.testing.gcs_emulator import GcsEmulator
from aws2bq.warehouses.bigquery.client import BigQueryWarehouse
from aws2bq.warehouses.bigquery.transport import sts

from .conftest import PROJECT, drop_dataset, warehouse_url
from .sts_fake import StsFake
from .test_gcs_transport import BUCKET, as_decimal, ddb_table, rows, scan, staged_names

pytestmark = pytest.mark.bigquery

ROLE = "arn:aws:iam::123456789012:role/aws2bq-sts-read"


def _request(**changes: Any) -> sts.TransferRequest:
    values: dict[str, Any] = {
        "project_id": "proj",
        "name": sts.job_name("orders", "01700000000000-abcdef01"),
        "description": "aws2bq orders 01700000000000-abcdef01",
        "source_bucket": "exports",
        "source_path": "aws2bq/orders/AWSDynamoDB/",
        "sink_bucket": "staging",
        "sink_path": "aws2bq/orders/01700000000000-abcdef01/aws2bq/orders/AWSDynamoDB/",
        "manifest_uri": "gs://staging/aws2bq/orders/01700000000000-abcdef01.manifest.csv",
        "role_arn": ROLE,
    }
    return sts.TransferRequest(**{**values, **changes})


# -- the request, against the library's types -----------------------------------------------
def test_transfer_job_is_a_schedule_less_s3_to_gcs_job_with_a_manifest() -> None:
    from google.cloud import storage_transfer

    job = sts.transfer_job(_request())
    assert isinstance(job, storage_transfer.TransferJob)
    request = storage_transfer.CreateTransferJobRequest(transfer_job=job)  # the library accepts it
    body = json.loads(
        storage_transfer.TransferJob.to_json(
            request.transfer_job,
            use_integers_for_enums=False,
            always_print_fields_with_no_presence=False,
        )
    )
    assert body["name"].startswith("transferJobs/aws2bq-")
    assert body["projectId"] == "proj"
    assert body["status"] == "ENABLED"
    assert "schedule" not in body  # runs only when runTransferJob is called: one shot
    spec = body["transferSpec"]
    assert spec["awsS3DataSource"] == {
        "bucketName": "exports",
        "path": "aws2bq/orders/AWSDynamoDB/",
        "roleArn": ROLE,
    }
    assert spec["gcsDataSink"]["bucketName"] == "staging"
    assert spec["transferManifest"] == {
        "location": "gs://staging/aws2bq/orders/01700000000000-abcdef01.manifest.csv"
    }
    options = spec["transferOptions"]
    assert options["overwriteWhen"] == "DIFFERENT"
    assert not options.get("deleteObjectsFromSourceAfterTransfer")
    assert "objectConditions" not in spec  # no prefix scan: the manifest names the files


def test_transfer_job_with_an_access_key_secret_instead_of_a_role() -> None:
    from google.cloud import storage_transfer

    secret = "projects/proj/secrets/aws2bq-aws-key"
    job = sts.transfer_job(_request(role_arn=None, credentials_secret=secret))
    body = json.loads(
        storage_transfer.TransferJob.to_json(job, always_print_fields_with_no_presence=False)
    )
    source = body["transferSpec"]["awsS3DataSource"]
    assert source["credentialsSecret"] == secret and "roleArn" not in source


def test_transfer_job_without_aws_credentials_is_refused() -> None:
    with pytest.raises(ConfigError, match="sts_aws_role_arn"):
        sts.transfer_job(_request(role_arn=None))


def test_manifest_lists_exactly_the_files_relative_to_the_source_path() -> None:
    keys = [
        "aws2bq/orders/AWSDynamoDB/data/a,b.json.gz",
        'aws2bq/orders/AWSDynamoDB/data/q"x.json.gz',
        "aws2bq/orders/AWSDynamoDB/data/plain.json.gz",
    ]
    folder = sts.common_folder(keys)
    assert folder == "aws2bq/orders/AWSDynamoDB/data/"
    text = sts.manifest_csv(keys, folder).decode()
    assert text == '"a,b.json.gz"\n"q""x.json.gz"\nplain.json.gz\n'
    with pytest.raises(ValueError, match="not under"):
        sts.manifest_csv(["other/x.json.gz"], folder)


def test_job_names_are_stable_per_export_and_differ_between_exports() -> None:
    assert sts.job_name("s", "e1") == sts.job_name("s", "e1") != sts.job_name("s", "e2")
    assert sts.job_name("s", "e1") != sts.job_name("t", "e1")


# -- the STS route end to end, against the fake ---------------------------------------------
@pytest.fixture
def fake(sandbox: Sandbox, gcs_emulator: GcsEmulator) -> Iterator[StsFake]:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    gcs = storage.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": gcs_emulator.endpoint},
    )
    server = StsFake(sandbox.client("s3"), gcs).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def warehouse(bq_warehouse: BigQueryWarehouse) -> BigQueryWarehouse:
    return bq_warehouse


def test_sts_route_never_waits_and_a_later_run_continues_the_same_transfer(
    sandbox: Sandbox,
    gcs_emulator: GcsEmulator,
    fake: StsFake,
    warehouse: BigQueryWarehouse,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    table, bucket, ddb = ddb_table(sandbox, unique)
    full = sandbox.dynamodb.export_full(table, bucket, prefix="p")
    # A second export in the same data/ folder: the transfer must not take its files.
    sandbox.advance_clock(minutes=16)
    ddb.put_item(TableName=table, Item={"pk": {"S": "later"}, "v": {"N": "1"}})
    sandbox.dynamodb.export_incremental(
        table, bucket, prefix="p", from_time=full["ExportTime"], to_time=sandbox.now()
    )
    spec = TransportSpec(
        mode="gcs",
        staging_bucket=BUCKET,
        staging_prefix=f"t{unique}",
        copier="sts",
        gcs_endpoint=gcs_emulator.endpoint,
        sts_endpoint=fake.endpoint,
        sts_aws_role_arn=ROLE,
        transfer_project=PROJECT,
        wait=False,
    )
    request = DynamoDBLoadRequest(
        export=f"s3://{bucket}/{full['ExportManifest']}",
        table="items",
        keys=("pk",),
        mode=Mode.MERGE,
        warehouse=warehouse.url,
        transport=spec,
    )
    with pytest.raises(TransferPending) as pending:
        load_dynamodb(request, warehouse=warehouse)  # Lambda: start it and return
    progress = pending.value.progress
    assert progress["phase"] == "transfer" and progress["transfer_status"] == "IN_PROGRESS"
    assert progress["files_done"] == 0 and progress["percent"] == 0.0
    assert progress["files"] >= 4
    assert warehouse.table_columns(warehouse.qualified(_ref("items"))) is None
    status = warehouse.landing_status(spec, "items")
    assert [s["phase"] for s in status] == ["transfer"]

    report = load_dynamodb(request, warehouse=warehouse)  # a later invocation
    assert report.status == "applied"
    assert as_decimal(rows(warehouse, "items", "pk", "v")) == [
        r for r in scan(ddb, table) if r[0] != "later"
    ]
    moved = report.transport
    assert moved["route"] == "sts" and moved["transfer_job"].startswith("transferJobs/aws2bq-")
    assert moved["files_moved"] == moved["files"] and moved["bytes_moved"] == moved["bytes"]

    calls = [(m, p) for m, p, _ in fake.requests]
    assert calls.count(("POST", "/v1/transferJobs")) == 1  # one job, created once
    assert sum(1 for m, p in calls if p.endswith(":run")) == 1  # run once, then followed
    created = next(b for m, p, b in fake.requests if p == "/v1/transferJobs")
    assert "schedule" not in created
    assert created["transferSpec"]["awsS3DataSource"]["roleArn"] == ROLE
    sink = created["transferSpec"]["gcsDataSink"]
    assert sink["path"].startswith(f"t{unique}/items/")
    # Exactly the full export's files, not the incremental export's beside them in data/.
    assert sorted(fake.copied_keys) == sorted(f.key for f in _export_files(request.export))
    assert ("DELETE", created["name"].join(["/v1/", ""])) in calls  # job removed after apply
    assert staged_names(gcs_emulator, spec) == []


def _ref(name: str) -> Any:
    from aws2bq.warehouses.base import TableRef

    return TableRef(name)


def _export_files(location: str) -> list[Any]:
    from aws2bq.sources.dynamodb.export import read_export

    return list(read_export(location).files)


# -- aws2bq run --no-wait: export → transfer → load → apply, visible in plan and status ------
def test_run_no_wait_walks_the_state_machine_across_invocations(
    sandbox: Sandbox,
    gcs_emulator: GcsEmulator,
    bq_emulator: BigQueryEmulator,
    fake: StsFake,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from aws2bq.cli.run import print_summary
    from aws2bq.config.loader import parse_config
    from aws2bq.runner.run import RunOptions, run_streams
    from aws2bq.runner.schedule import PollPolicy, RetryPolicy
    from aws2bq.runner.status import stream_status

    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    table, bucket, _ = ddb_table(sandbox, unique, items=9)
    dataset = f"r_{uuid.uuid4().hex[:10]}"
    config = parse_config(
        f"""
warehouse = "{warehouse_url(bq_emulator, dataset)}"
[bigquery]
staging_bucket = "{BUCKET}"
transport = "gcs"
[bigquery.gcs]
copier = "sts"
staging_prefix = "t{unique}"
gcs_endpoint = "{gcs_emulator.endpoint}"
sts_endpoint = "{fake.endpoint}"
sts_aws_role_arn = "{ROLE}"
[streams.items]
table = "{table}"
export_bucket = "{bucket}"
keys = ["pk"]
"""
    )
    options = RunOptions(
        now=sandbox.now,
        sleep=lambda s: None,
        retry=RetryPolicy(attempts=4, base=0.01, cap=0.05),
        poll=PollPolicy(first=1, factor=2, cap=8),
    )

    def run(plan_only: bool = False) -> Any:
        summary = run_streams(config, wait=False, plan_only=plan_only, options=options)
        [result] = summary.streams
        assert result.status == "ok", result.error
        return summary

    try:
        first = run()  # starts the export; it is not complete yet
        assert first.streams[0].started and not first.streams[0].applied
        second = run()  # the export is complete: the transfer starts; no wait for it
        if not fake.jobs:  # the sandbox needed one more poll to complete the export
            second = run()
        [pending] = second.streams[0].pending
        assert pending["status"] == "transferring" and pending["phase"] == "transfer"
        assert pending["files"] >= 4 and pending["percent"] == 0.0
        assert not second.streams[0].applied
        [status] = stream_status(config)
        [landing] = status.landings
        assert landing["phase"] == "transfer" and landing["route"] == "sts"
        assert landing["files_done"] == 0 and landing["percent"] == 0.0

        plan = run(plan_only=True)
        [entry] = plan.streams[0].applied
        transport = entry["transport"]
        assert transport["route"] == "sts"
        assert transport["transfer"]["job"].startswith("transferJobs/aws2bq-")
        assert transport["transfer"]["schedule"] is None
        assert transport["load_jobs"] == [{"uris": transport["files"], "bytes": transport["bytes"]}]
        assert transport["egress"]["bytes"] == transport["bytes"] > 0
        import sys

        monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # the text form
        print_summary(plan, as_json=False)
        text = capsys.readouterr().out
        assert f"transport sts: {transport['files']} files" in text and "egress ≈ $" in text

        done = run()  # a later invocation: the transfer is done → load → apply
        [applied] = done.streams[0].applied
        assert applied["transport"]["route"] == "sts"
        assert applied["transport"]["bytes_moved"] == applied["transport"]["bytes"]
        assert {"transfer", "stage", "apply"} <= set(applied["timings"])
        [status] = stream_status(config)
        assert status.landings == [] and status.matches
        assert status.tables[0].warehouse_rows == 9
        assert sum(1 for m, p, _ in fake.requests if p == "/v1/transferJobs") == 1
    finally:
        drop_dataset(bq_emulator, dataset)
