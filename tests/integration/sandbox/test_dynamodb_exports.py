"""Full DynamoDB exports of the sandbox against the real boto3 client: layout, manifests,
values, point-in-time, status, errors. The reference is docs/export-formats.md §1."""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from aws2bq.sandbox import Sandbox

EXPORT_ID = re.compile(r"^\d{14}-[0-9a-f]{8}$")
SUMMARY_FIELDS_FULL = [
    "version",
    "exportArn",
    "startTime",
    "endTime",
    "tableArn",
    "tableId",
    "exportTime",
    "s3Bucket",
    "s3Prefix",
    "s3SseAlgorithm",
    "s3SseKmsKeyId",
    "manifestFilesS3Key",
    "billedSizeBytes",
    "itemCount",
    "outputFormat",
]
ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


# -- helpers shared with the other DynamoDB sandbox tests -------------------------------------
@functools.cache
def s3_client(sandbox: Sandbox) -> Any:
    """One S3 client per sandbox (creating boto3 clients dominates these tests' time)."""
    return sandbox.client("s3")


@dataclass
class ExportObjects:
    """What an export wrote, read back through S3 the way a consumer would."""

    summary: dict[str, Any]
    manifest_files: list[dict[str, Any]]
    lines_per_file: dict[str, list[dict[str, Any]]]
    raw: dict[str, bytes]  # key -> object bytes, every object read

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [line for lines in self.lines_per_file.values() for line in lines]

    @property
    def items(self) -> list[dict[str, Any]]:
        return [line["Item"] for line in self.lines]


def read_export(sandbox: Sandbox, bucket: str, description: dict[str, Any]) -> ExportObjects:
    """Read manifests and every data file they list; checks md5s, etags and counts."""
    s3 = s3_client(sandbox)

    def get(key: str) -> bytes:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    raw: dict[str, bytes] = {}
    summary_key = description["ExportManifest"]
    raw[summary_key] = get(summary_key)
    summary = json.loads(raw[summary_key])
    files_key = summary["manifestFilesS3Key"]
    raw[files_key] = get(files_key)
    manifest_files = [json.loads(line) for line in raw[files_key].decode().splitlines() if line]
    for key in (summary_key, files_key):
        md5_key = key.removesuffix(".json") + ".md5"
        companion = get(md5_key)
        assert len(companion) == 24
        assert companion.decode() == base64.b64encode(hashlib.md5(raw[key]).digest()).decode()
    lines_per_file: dict[str, list[dict[str, Any]]] = {}
    for entry in manifest_files:
        key = entry["dataFileS3Key"]
        body = raw[key] = get(key)
        assert entry["md5Checksum"] == base64.b64encode(hashlib.md5(body).digest()).decode()
        head = s3.head_object(Bucket=bucket, Key=key)
        assert entry["etag"] == head["ETag"].strip('"')
        text = gzip.decompress(body).decode("utf-8")
        lines = [json.loads(line) for line in text.splitlines() if line]
        assert entry["itemCount"] == len(lines), key
        lines_per_file[key] = lines
    assert summary["itemCount"] == sum(len(v) for v in lines_per_file.values())
    assert description["ItemCount"] == summary["itemCount"]
    return ExportObjects(summary, manifest_files, lines_per_file, raw)


def make_bucket(sandbox: Sandbox, unique: str) -> str:
    bucket = f"exports-{unique}"
    s3_client(sandbox).create_bucket(Bucket=bucket)
    return bucket


def list_keys(sandbox: Sandbox, bucket: str, prefix: str = "") -> list[str]:
    pages = (
        s3_client(sandbox).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    )
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = exc.value.response["Error"]
    return error["Code"], error["Message"]


# -- layout and manifests ---------------------------------------------------------------------
def test_full_export_layout_and_every_manifest_field(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"orders-{unique}"
    arn = ddb.create_table(table)
    for i in range(3):
        ddb.client.put_item(TableName=table, Item={"pk": {"S": f"o{i}"}, "n": {"N": str(i)}})

    started = ddb.export_full(table, bucket, prefix="2020-Nov", wait=False)
    export_arn = started["ExportArn"]
    export_id = export_arn.rsplit("/", 1)[1]
    assert EXPORT_ID.match(export_id)
    assert export_arn == f"{arn}/export/{export_id}"
    assert started["ExportStatus"] == "IN_PROGRESS"
    # ExportId starts with the start time in epoch milliseconds.
    assert int(export_id[:14]) == int(started["StartTime"].timestamp() * 1000)

    done = ddb.wait_for_export(export_arn)
    assert done["ExportStatus"] == "COMPLETED"
    table_id = ddb.client.describe_table(TableName=table)["Table"]["TableId"]
    assert done["TableId"] == table_id
    assert done["ExportManifest"] == f"2020-Nov/AWSDynamoDB/{export_id}/manifest-summary.json"
    assert done["ItemCount"] == 3
    assert done["BilledSizeBytes"] > 0
    assert done["ExportFormat"] == "DYNAMODB_JSON"
    assert done["ExportType"] == "FULL_EXPORT"
    assert done["S3Prefix"] == "2020-Nov"
    assert done["S3SseAlgorithm"] == "AES256"
    assert done["EndTime"] >= done["StartTime"]
    assert done["ExportTime"] == done["StartTime"]
    assert "FailureCode" not in done

    exported = read_export(sandbox, bucket, done)
    summary = exported.summary
    assert list(summary) == SUMMARY_FIELDS_FULL
    assert summary["version"] == "2020-06-30"
    assert summary["exportArn"] == export_arn
    assert summary["tableArn"] == arn
    assert summary["tableId"] == table_id
    for name in ("startTime", "endTime", "exportTime"):
        assert ISO_MILLIS.match(summary[name]), summary[name]
    assert summary["s3Bucket"] == bucket
    assert summary["s3Prefix"] == "2020-Nov"
    assert summary["s3SseAlgorithm"] == "AES256"
    assert summary["s3SseKmsKeyId"] is None
    assert summary["manifestFilesS3Key"] == f"2020-Nov/AWSDynamoDB/{export_id}/manifest-files.json"
    assert summary["billedSizeBytes"] == done["BilledSizeBytes"]
    assert summary["outputFormat"] == "DYNAMODB_JSON"
    assert sorted(i["pk"]["S"] for i in exported.items) == ["o0", "o1", "o2"]

    root = f"2020-Nov/AWSDynamoDB/{export_id}/"
    data_keys = sorted(e["dataFileS3Key"] for e in exported.manifest_files)
    assert all(re.fullmatch(re.escape(root) + r"data/[a-z2-7]{26}\.json\.gz", k) for k in data_keys)
    assert list_keys(sandbox, bucket) == sorted(
        [
            root + "_started",
            root + "manifest-files.json",
            root + "manifest-files.md5",
            root + "manifest-summary.json",
            root + "manifest-summary.md5",
            *data_keys,
        ]
    )
    assert s3_client(sandbox).get_object(Bucket=bucket, Key=root + "_started")["Body"].read() == b""


def test_items_spread_over_several_files_some_empty(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    small, large = f"small-{unique}", f"large-{unique}"
    ddb.create_table(small)
    ddb.create_table(large)
    ddb.client.put_item(TableName=small, Item={"pk": {"S": "only"}})
    for i in range(23):
        ddb.client.put_item(TableName=large, Item={"pk": {"S": f"k{i:02d}"}})
    settings = sandbox.settings()
    sandbox.settings(dynamodb_min_files=3, dynamodb_items_per_file=5)
    try:
        small_export = read_export(sandbox, bucket, ddb.export_full(small, bucket, prefix="s"))
        large_export = read_export(sandbox, bucket, ddb.export_full(large, bucket, prefix="l"))
    finally:
        sandbox.settings(
            **{k: settings[k] for k in ("dynamodb_min_files", "dynamodb_items_per_file")}
        )
    counts = sorted(e["itemCount"] for e in small_export.manifest_files)
    assert counts == [0, 0, 1]
    for entry in small_export.manifest_files:
        if entry["itemCount"] == 0:  # an empty file is a valid, empty gzip stream
            assert gzip.decompress(small_export.raw[entry["dataFileS3Key"]]) == b""
    large_counts = [e["itemCount"] for e in large_export.manifest_files]
    assert len(large_counts) == 5  # ceil(23 / 5)
    assert max(large_counts) <= 5 and sum(large_counts) == 23
    assert sorted(i["pk"]["S"] for i in large_export.items) == [f"k{i:02d}" for i in range(23)]


HOSTILE_NAMES = ['a"quote', "back\\slash", "new\nline", "dots.in.name", "emoji😀", "$x", "#y"]


def test_every_attribute_type_round_trips_exactly(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"types-{unique}"
    ddb.create_table(table)
    raw_bytes = bytes(range(256))
    item: dict[str, Any] = {
        "pk": {"S": "types"},
        "n38": {"N": "12345678901234567890123456789012345678"},
        "tiny": {"N": "1E-130"},
        "huge": {"N": "9.99E+125"},
        "neg": {"N": "-123.456"},
        "bin": {"B": raw_bytes},
        "bins": {"BS": [b"\x00\xff", b"\x80\x81"]},
        "strs": {"SS": ["a", "ü", "日本"]},
        "nums": {"NS": ["1", "-2.5", "1E+10"]},
        "null": {"NULL": True},
        "yes": {"BOOL": True},
        "no": {"BOOL": False},
        "uni": {"S": "naïve – 日本語 🎉"},
        "list": {
            "L": [
                {"N": "1"},
                {"S": "x"},
                {"B": b"\xfe"},
                {"NULL": True},
                {"L": [{"BOOL": False}]},
                {"M": {"k": {"SS": ["s"]}}},
            ]
        },
        "map": {
            "M": {
                "inner": {"M": {"deep": {"N": "0.1"}, "bytes": {"BS": [b"\x01"]}}},
                "empty": {"L": []},
            }
        },
        **{name: {"S": f"value of {name}"} for name in HOSTILE_NAMES},
    }
    ddb.client.put_item(TableName=table, Item=item)

    exported = read_export(sandbox, bucket, ddb.export_full(table, bucket))
    (got,) = exported.items

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    assert got["n38"] == {"N": "12345678901234567890123456789012345678"}
    assert got["tiny"] == {"N": "1E-130"}
    assert got["huge"] == {"N": "9.99E+125"}
    assert got["neg"] == {"N": "-123.456"}
    assert got["bin"] == {"B": b64(raw_bytes)}
    assert sorted(got["bins"]["BS"]) == sorted([b64(b"\x00\xff"), b64(b"\x80\x81")])
    assert sorted(got["strs"]["SS"]) == sorted(["a", "ü", "日本"])
    assert sorted(got["nums"]["NS"]) == sorted(["1", "-2.5", "1E+10"])
    assert got["null"] == {"NULL": True}
    assert got["yes"] == {"BOOL": True} and got["no"] == {"BOOL": False}
    assert got["uni"] == {"S": "naïve – 日本語 🎉"}
    assert got["list"] == {
        "L": [
            {"N": "1"},
            {"S": "x"},
            {"B": b64(b"\xfe")},
            {"NULL": True},
            {"L": [{"BOOL": False}]},
            {"M": {"k": {"SS": ["s"]}}},
        ]
    }
    assert got["map"] == {
        "M": {
            "inner": {"M": {"deep": {"N": "0.1"}, "bytes": {"BS": [b64(b"\x01")]}}},
            "empty": {"L": []},
        }
    }
    for name in HOSTILE_NAMES:
        assert got[name] == {"S": f"value of {name}"}
    assert set(got) == set(item)
    # The export agrees with what GetItem answers for the same item.
    stored = ddb.client.get_item(TableName=table, Key={"pk": {"S": "types"}})["Item"]
    assert stored["bin"]["B"] == raw_bytes
    assert stored["n38"] == got["n38"]


def test_full_export_is_the_table_as_of_export_time(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"pit-{unique}"
    ddb.create_table(table)
    put = ddb.client.put_item
    put(TableName=table, Item={"pk": {"S": "kept"}, "v": {"N": "1"}})
    put(TableName=table, Item={"pk": {"S": "updated"}, "v": {"N": "1"}})
    put(TableName=table, Item={"pk": {"S": "deleted"}, "v": {"N": "1"}})
    sandbox.advance_clock(minutes=10)
    as_of = sandbox.now()
    sandbox.advance_clock(minutes=10)
    ddb.client.update_item(
        TableName=table,
        Key={"pk": {"S": "updated"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"N": "2"}},
    )
    ddb.client.delete_item(TableName=table, Key={"pk": {"S": "deleted"}})
    put(TableName=table, Item={"pk": {"S": "added-later"}, "v": {"N": "1"}})

    past = read_export(
        sandbox, bucket, ddb.export_full(table, bucket, prefix="past", export_time=as_of)
    )
    assert {i["pk"]["S"]: i["v"]["N"] for i in past.items} == {
        "kept": "1",
        "updated": "1",
        "deleted": "1",
    }
    assert past.summary["exportTime"].startswith(as_of.strftime("%Y-%m-%dT%H:%M:%S"))

    now = read_export(sandbox, bucket, ddb.export_full(table, bucket, prefix="now"))
    assert {i["pk"]["S"]: i["v"]["N"] for i in now.items} == {
        "kept": "1",
        "updated": "2",
        "added-later": "1",
    }


def test_writes_by_batch_transaction_and_partiql_are_recorded(
    sandbox: Sandbox, unique: str
) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"paths-{unique}"
    ddb.create_table(table, hash_key=("pk", "S"), range_key=("sk", "N"))
    client = ddb.client

    def key(pk: str, sk: int = 1) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"N": str(sk)}}

    client.batch_write_item(
        RequestItems={
            table: [
                {"PutRequest": {"Item": {**key("batch-a"), "v": {"S": "1"}}}},
                {"PutRequest": {"Item": {**key("batch-b"), "v": {"S": "1"}}}},
            ]
        }
    )
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {**key("tx"), "v": {"S": "1"}}}},
            {
                "Update": {
                    "TableName": table,
                    "Key": key("batch-a"),
                    "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"S": "1"}},
                }
            },
        ]
    )
    client.execute_statement(Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'sql', 'sk': 1}}")
    sandbox.advance_clock(minutes=5)
    as_of = sandbox.now()
    sandbox.advance_clock(minutes=5)
    client.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": key("batch-b")}}]})
    client.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": key("tx"),
                    "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"S": "2"}},
                }
            },
        ]
    )
    client.execute_statement(Statement=f"DELETE FROM \"{table}\" WHERE pk = 'sql'")
    with pytest.raises(ClientError):  # a cancelled transaction writes nothing
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {**key("never"), "v": {"S": "1"}}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": key("tx"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )

    past = read_export(
        sandbox, bucket, ddb.export_full(table, bucket, prefix="p", export_time=as_of)
    )
    assert {(i["pk"]["S"], i.get("v", {}).get("S")) for i in past.items} == {
        ("batch-a", "1"),
        ("batch-b", "1"),
        ("tx", "1"),
        ("sql", None),
    }
    later = read_export(sandbox, bucket, ddb.export_full(table, bucket, prefix="n"))
    assert {(i["pk"]["S"], i["v"]["S"]) for i in later.items} == {("batch-a", "1"), ("tx", "2")}


def test_deleting_a_table_drops_its_history(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"recreated-{unique}"
    ddb.create_table(table)
    ddb.client.put_item(TableName=table, Item={"pk": {"S": "old-life"}})
    ddb.client.delete_table(TableName=table)
    ddb.create_table(table)
    ddb.client.put_item(TableName=table, Item={"pk": {"S": "new-life"}})
    exported = read_export(sandbox, bucket, ddb.export_full(table, bucket))
    assert [i["pk"]["S"] for i in exported.items] == ["new-life"]


# -- request options ------------------------------------------------------------------------------
def test_no_prefix_sse_and_client_token(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"opts-{unique}"
    arn = ddb.create_table(table)
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    request = {
        "TableArn": arn,
        "S3Bucket": bucket,
        "S3SseAlgorithm": "KMS",
        "S3SseKmsKeyId": key_arn,
        "ClientToken": f"token-{unique}",
    }
    first = ddb.client.export_table_to_point_in_time(**request)["ExportDescription"]
    again = ddb.client.export_table_to_point_in_time(**request)["ExportDescription"]
    assert again["ExportArn"] == first["ExportArn"]
    assert first["ClientToken"] == f"token-{unique}"
    with pytest.raises(ClientError) as exc:
        ddb.client.export_table_to_point_in_time(**{**request, "S3Prefix": "other"})
    assert error_of(exc) == (
        "ExportConflictException",
        "Export conflict: Duplicate request detected with conflicting parameters",
    )

    done = ddb.wait_for_export(first["ExportArn"])
    assert "S3Prefix" not in done
    assert done["S3SseAlgorithm"] == "KMS" and done["S3SseKmsKeyId"] == key_arn
    export_id = first["ExportArn"].rsplit("/", 1)[1]
    assert done["ExportManifest"] == f"AWSDynamoDB/{export_id}/manifest-summary.json"
    exported = read_export(sandbox, bucket, done)
    assert exported.summary["s3Prefix"] is None
    assert exported.summary["s3SseAlgorithm"] == "KMS"
    assert exported.summary["s3SseKmsKeyId"] == key_arn
    assert all(k.startswith(f"AWSDynamoDB/{export_id}/") for k in list_keys(sandbox, bucket))
    head = sandbox.client("s3").head_object(Bucket=bucket, Key=done["ExportManifest"])
    assert head["ServerSideEncryption"] == "aws:kms"
    # A different token makes a new export.
    other = ddb.export_full(table, bucket, ClientToken=f"other-{unique}")
    assert other["ExportArn"] != first["ExportArn"]


def test_status_progresses_and_manifests_come_last(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"status-{unique}"
    arn = ddb.create_table(table)
    ddb.client.put_item(TableName=table, Item={"pk": {"S": "x"}})
    polls = sandbox.settings()["export_polls"]
    sandbox.settings(export_polls=3)
    try:
        started = ddb.export_full(table, bucket, wait=False)
        statuses = [
            ddb.client.describe_export(ExportArn=started["ExportArn"])["ExportDescription"]
            for _ in range(4)
        ]
    finally:
        sandbox.settings(export_polls=polls)
    assert [d["ExportStatus"] for d in statuses] == ["IN_PROGRESS"] * 3 + ["COMPLETED"]
    running = statuses[0]
    assert not {"EndTime", "ExportManifest", "ItemCount", "BilledSizeBytes"} & set(running)
    assert statuses[3]["ItemCount"] == 1
    summaries = ddb.client.list_exports(TableArn=arn)["ExportSummaries"]
    assert summaries == [
        {
            "ExportArn": started["ExportArn"],
            "ExportStatus": "COMPLETED",
            "ExportType": "FULL_EXPORT",
        }
    ]


def test_data_files_exist_before_the_manifests(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"early-{unique}"
    ddb.create_table(table)
    started = ddb.export_full(table, bucket, wait=False)
    keys = list_keys(sandbox, bucket)
    assert any(k.endswith("/_started") for k in keys)
    assert any("/data/" in k for k in keys)
    assert not any("manifest" in k for k in keys)
    ddb.wait_for_export(started["ExportArn"])
    assert any(k.endswith("manifest-summary.json") for k in list_keys(sandbox, bucket))


# -- failures and errors ----------------------------------------------------------------------
def test_missing_bucket_fails_the_export(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    table = f"nobucket-{unique}"
    ddb.create_table(table)
    started = ddb.export_full(table, f"no-such-bucket-{unique}", wait=False)
    assert started["ExportStatus"] == "IN_PROGRESS"  # accepted, fails later as on AWS
    done = ddb.wait_for_export(started["ExportArn"])
    assert done["ExportStatus"] == "FAILED"
    assert done["FailureCode"] == "S3NoSuchBucket"
    assert "The specified bucket does not exist" in done["FailureMessage"]
    assert "ExportManifest" not in done and "ItemCount" not in done


def test_forced_failure_applies_to_the_next_export_only(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"forced-{unique}"
    ddb.create_table(table)
    ddb.fail_next_export(table, code="S3AccessDenied", message="Access Denied")
    failed = ddb.export_full(table, bucket, prefix="a")
    assert (failed["ExportStatus"], failed["FailureCode"], failed["FailureMessage"]) == (
        "FAILED",
        "S3AccessDenied",
        "Access Denied",
    )
    assert not any("manifest" in k for k in list_keys(sandbox, bucket, "a/"))
    assert ddb.export_full(table, bucket, prefix="b")["ExportStatus"] == "COMPLETED"


def test_pitr_off_and_export_time_outside_the_window(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"nopitr-{unique}"
    arn = ddb.create_table(table, pitr=False)
    with pytest.raises(ClientError) as exc:
        ddb.export_full(table, bucket)
    assert error_of(exc) == (
        "PointInTimeRecoveryUnavailableException",
        f"Point in time recovery is not enabled for table '{table}'",
    )

    ddb.client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    backups = ddb.client.describe_continuous_backups(TableName=table)
    enabled = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert abs((enabled["EarliestRestorableDateTime"] - sandbox.now()).total_seconds()) < 60
    for when in (sandbox.now() - timedelta(hours=1), sandbox.now() + timedelta(hours=1)):
        with pytest.raises(ClientError) as exc:
            ddb.export_full(table, bucket, export_time=when)
        assert error_of(exc) == ("InvalidExportTimeException", "Export Time is invalid")

    with pytest.raises(ClientError) as exc:
        ddb.client.export_table_to_point_in_time(TableArn=arn + "-missing", S3Bucket=bucket)
    assert error_of(exc) == ("TableNotFoundException", f"Table not found: {arn}-missing")
    with pytest.raises(ClientError) as exc:
        ddb.client.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ExportFormat="ION")
    code, message = error_of(exc)
    assert code == "ValidationException" and "DYNAMODB_JSON" in message
    with pytest.raises(ClientError) as exc:
        ddb.client.describe_export(ExportArn=f"{arn}/export/01234567890123-deadbeef")
    assert error_of(exc)[0] == "ExportNotFoundException"


def test_list_exports_filters_by_table_and_paginates(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table, other = f"listed-{unique}", f"unlisted-{unique}"
    arn = ddb.create_table(table)
    ddb.create_table(other)
    mine = [ddb.export_full(table, bucket, prefix=str(i))["ExportArn"] for i in range(3)]
    not_mine = ddb.export_full(other, bucket)["ExportArn"]

    first = ddb.client.list_exports(TableArn=arn, MaxResults=2)
    assert len(first["ExportSummaries"]) == 2 and "NextToken" in first
    second = ddb.client.list_exports(TableArn=arn, MaxResults=2, NextToken=first["NextToken"])
    assert "NextToken" not in second
    listed = [s["ExportArn"] for s in first["ExportSummaries"] + second["ExportSummaries"]]
    assert listed == sorted(mine, reverse=True)  # newest first
    assert not_mine not in listed
    everything: list[str] = []
    page: dict[str, Any] = {}
    while True:  # without TableArn: every export of the account and region
        token = {"NextToken": page["NextToken"]} if "NextToken" in page else {}
        page = ddb.client.list_exports(MaxResults=25, **token)
        everything += [s["ExportArn"] for s in page["ExportSummaries"]]
        if "NextToken" not in page:
            break
    assert set(mine) | {not_mine} <= set(everything)


def test_download_export_copies_the_layout(sandbox: Sandbox, unique: str, tmp_path: Path) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"download-{unique}"
    ddb.create_table(table)
    ddb.client.put_item(TableName=table, Item={"pk": {"S": "x"}})
    done = ddb.export_full(table, bucket, prefix="p/q")
    summary = ddb.download_export(bucket, done["ExportArn"], tmp_path)
    assert summary == tmp_path / done["ExportManifest"]
    local = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert local == list_keys(sandbox, bucket)
