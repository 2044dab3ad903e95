"""Incremental DynamoDB exports of the sandbox: records per view type, compaction, windows,
the shared data folder and the 2023-08-01 manifest (docs/export-formats.md §1)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from aws2bq.sandbox import Sandbox
from tests.integration.sandbox.test_dynamodb_exports import (
    error_of,
    list_keys,
    make_bucket,
    read_export,
)


@functools.cache
def _client(sandbox: Sandbox) -> Any:
    """One DynamoDB client per sandbox: creating boto3 clients is what makes tests slow."""
    return sandbox.client("dynamodb")


def _put(sandbox: Sandbox, table: str, pk: str, v: str) -> None:
    _client(sandbox).put_item(TableName=table, Item={"pk": {"S": pk}, "v": {"S": v}})


def _delete(sandbox: Sandbox, table: str, pk: str) -> None:
    _client(sandbox).delete_item(TableName=table, Key={"pk": {"S": pk}})


def _by_key(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["Keys"]["pk"]["S"]: r for r in records}


def _image(pk: str, v: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "v": {"S": v}}


def _table_with_history(sandbox: Sandbox, unique: str) -> tuple[str, datetime, datetime]:
    """A table whose window [start, end) holds an insert, an update, a delete, an insert+delete
    and a multiply-updated item; 'before' was written before the window and not touched."""
    table = f"incr-{unique}"
    sandbox.dynamodb.create_table(table)
    _put(sandbox, table, "before", "0")
    _put(sandbox, table, "updated", "old")
    _put(sandbox, table, "deleted", "old")
    _put(sandbox, table, "churned", "old")
    sandbox.advance_clock(minutes=1)
    start = sandbox.now()
    sandbox.advance_clock(seconds=1)
    _put(sandbox, table, "inserted", "new")
    _put(sandbox, table, "updated", "new")
    _delete(sandbox, table, "deleted")
    _put(sandbox, table, "transient", "x")
    _delete(sandbox, table, "transient")
    _put(sandbox, table, "churned", "mid")
    sandbox.advance_clock(seconds=1)
    _put(sandbox, table, "churned", "last")
    sandbox.advance_clock(minutes=20)
    end = sandbox.now()
    sandbox.advance_clock(seconds=1)
    _put(sandbox, table, "after-window", "x")
    return table, start, end


def test_new_and_old_images(sandbox: Sandbox, unique: str) -> None:
    bucket = make_bucket(sandbox, unique)
    table, start, end = _table_with_history(sandbox, unique)
    done = sandbox.dynamodb.export_incremental(
        table, bucket, prefix="inc", from_time=start, to_time=end
    )
    assert done["ExportStatus"] == "COMPLETED"
    assert done["ExportType"] == "INCREMENTAL_EXPORT"
    spec = done["IncrementalExportSpecification"]
    assert spec["ExportViewType"] == "NEW_AND_OLD_IMAGES"
    assert abs((spec["ExportFromTime"] - start).total_seconds()) < 1
    assert abs((spec["ExportToTime"] - end).total_seconds()) < 1
    assert "ExportTime" not in done
    exported = read_export(sandbox, bucket, done)
    records = _by_key(exported.lines)

    assert set(records) == {"inserted", "updated", "deleted", "churned"}
    assert {k for k, v in records["inserted"].items()} == {"Metadata", "Keys", "NewImage"}
    assert records["inserted"]["NewImage"] == _image("inserted", "new")
    assert records["updated"]["OldImage"] == _image("updated", "old")
    assert records["updated"]["NewImage"] == _image("updated", "new")
    assert set(records["deleted"]) == {"Metadata", "Keys", "OldImage"}
    assert records["deleted"]["OldImage"] == _image("deleted", "old")
    # Compacted: the old image is the state at the window's start, the new one its end.
    assert records["churned"]["OldImage"] == _image("churned", "old")
    assert records["churned"]["NewImage"] == _image("churned", "last")
    for record in records.values():
        assert record["Keys"] == {"pk": record["Keys"]["pk"]}
        micros = int(record["Metadata"]["WriteTimestampMicros"]["N"])
        assert start.timestamp() * 1e6 <= micros < end.timestamp() * 1e6
    # The churned item's timestamp is its last write, a second after the others.
    churned = int(records["churned"]["Metadata"]["WriteTimestampMicros"]["N"])
    others = [
        int(r["Metadata"]["WriteTimestampMicros"]["N"])
        for k, r in records.items()
        if k != "churned"
    ]
    assert churned - max(others) >= 1_000_000

    summary = exported.summary
    assert summary["version"] == "2023-08-01"
    assert summary["exportType"] == "INCREMENTAL_EXPORT"
    assert summary["outputView"] == "NEW_AND_OLD_IMAGES"
    assert "exportTime" not in summary
    assert summary["exportFromTime"].startswith(start.strftime("%Y-%m-%dT%H:%M:%S"))
    assert summary["exportToTime"].startswith(end.strftime("%Y-%m-%dT%H:%M:%S"))
    assert summary["itemCount"] == 4
    # Data files go to the folder shared by all incremental exports; manifests stay per export.
    export_id = done["ExportArn"].rsplit("/", 1)[1]
    assert all(
        e["dataFileS3Key"].startswith("inc/AWSDynamoDB/data/") for e in exported.manifest_files
    )
    assert summary["manifestFilesS3Key"] == f"inc/AWSDynamoDB/{export_id}/manifest-files.json"


def test_new_image_view(sandbox: Sandbox, unique: str) -> None:
    bucket = make_bucket(sandbox, unique)
    table, start, end = _table_with_history(sandbox, unique)
    done = sandbox.dynamodb.export_incremental(
        table, bucket, from_time=start, to_time=end, view_type="NEW_IMAGE"
    )
    exported = read_export(sandbox, bucket, done)
    records = _by_key(exported.lines)
    assert exported.summary["outputView"] == "NEW_IMAGE"
    assert set(records["deleted"]) == {"Metadata", "Keys"}  # a delete is Keys only
    assert set(records["updated"]) == {"Metadata", "Keys", "NewImage"}
    assert records["updated"]["NewImage"] == _image("updated", "new")
    assert set(records["inserted"]) == {"Metadata", "Keys", "NewImage"}
    assert "transient" not in records


def test_consecutive_windows_chain_without_gaps(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"chain-{unique}"
    ddb.create_table(table)
    t0 = sandbox.now()
    _put(sandbox, table, "a", "1")
    _put(sandbox, table, "b", "1")
    sandbox.advance_clock(minutes=16)
    t1 = sandbox.now()
    _put(sandbox, table, "a", "2")
    _delete(sandbox, table, "b")
    _put(sandbox, table, "c", "1")
    sandbox.advance_clock(minutes=16)
    t2 = sandbox.now()

    first = read_export(
        sandbox, bucket, ddb.export_incremental(table, bucket, from_time=t0, to_time=t1)
    )
    # ExportToTime defaults to "now" (the latest time with data).
    second_done = ddb.export_incremental(table, bucket, from_time=t1)
    second = read_export(sandbox, bucket, second_done)
    assert second_done["IncrementalExportSpecification"]["ExportToTime"] >= t2 - timedelta(
        seconds=1
    )

    one = _by_key(first.lines)
    assert {k: ("OldImage" in r, r["NewImage"]["v"]["S"]) for k, r in one.items()} == {
        "a": (False, "1"),
        "b": (False, "1"),
    }
    two = _by_key(second.lines)
    assert two["a"]["OldImage"] == _image("a", "1") and two["a"]["NewImage"] == _image("a", "2")
    assert two["b"]["OldImage"] == _image("b", "1") and "NewImage" not in two["b"]
    assert two["c"]["NewImage"] == _image("c", "1") and "OldImage" not in two["c"]
    # Both exports' data files share one folder; each manifest lists only its own.
    shared = list_keys(sandbox, bucket, "AWSDynamoDB/data/")
    own_first = {e["dataFileS3Key"] for e in first.manifest_files}
    own_second = {e["dataFileS3Key"] for e in second.manifest_files}
    assert own_first.isdisjoint(own_second)
    assert set(shared) == own_first | own_second


def test_records_within_a_file_are_ordered_by_write_time(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"order-{unique}"
    ddb.create_table(table)
    start = sandbox.now()
    bounds = []
    for i in range(6):
        before = sandbox.now()
        _put(sandbox, table, f"k{5 - i}", str(i))
        bounds.append((f"k{5 - i}", before, sandbox.now()))
        sandbox.advance_clock(seconds=3)
    sandbox.advance_clock(minutes=15)
    settings = sandbox.settings()
    sandbox.settings(dynamodb_min_files=1)
    try:
        exported = read_export(
            sandbox, bucket, ddb.export_incremental(table, bucket, from_time=start)
        )
    finally:
        sandbox.settings(dynamodb_min_files=settings["dynamodb_min_files"])
    (lines,) = [v for v in exported.lines_per_file.values() if v]
    stamps = [int(r["Metadata"]["WriteTimestampMicros"]["N"]) for r in lines]
    assert stamps == sorted(stamps)
    records = _by_key(lines)
    for pk, before, after in bounds:
        micros = int(records[pk]["Metadata"]["WriteTimestampMicros"]["N"])
        assert before.timestamp() * 1e6 - 1000 <= micros <= after.timestamp() * 1e6 + 1000


def test_incremental_request_validation(sandbox: Sandbox, unique: str) -> None:
    ddb = sandbox.dynamodb
    bucket = make_bucket(sandbox, unique)
    table = f"window-{unique}"
    arn = ddb.create_table(table)
    enabled = sandbox.now()
    sandbox.advance_clock(hours=30)
    now = sandbox.now()

    def attempt(spec: dict[str, Any] | None, **extra: Any) -> tuple[str, str]:
        request: dict[str, Any] = {"TableArn": arn, "S3Bucket": bucket, **extra}
        if spec is not None:
            request["IncrementalExportSpecification"] = spec
        with pytest.raises(ClientError) as exc:
            ddb.client.export_table_to_point_in_time(**request)
        return error_of(exc)

    incremental = {"ExportType": "INCREMENTAL_EXPORT"}
    code, message = attempt(
        {"ExportFromTime": now - timedelta(minutes=10), "ExportToTime": now}, **incremental
    )
    assert (code, message) == (
        "InvalidExportTimeException",
        "Difference between export period "
        "from time and export period to time is less than 15 minutes",
    )
    code, message = attempt(
        {"ExportFromTime": now - timedelta(hours=25), "ExportToTime": now}, **incremental
    )
    assert code == "InvalidExportTimeException" and "24 hours" in message
    code, message = attempt({"ExportFromTime": enabled - timedelta(hours=1)}, **incremental)
    assert code == "InvalidExportTimeException"
    assert message.startswith(
        "Incremental export period from time cannot be less than the table creation time"
    )
    code, message = attempt(
        {"ExportFromTime": now - timedelta(hours=1), "ExportToTime": now + timedelta(hours=1)},
        **incremental,
    )
    assert code == "InvalidExportTimeException"
    assert message.startswith(
        "Incremental export period to time cannot be greater than the current time"
    )
    code, _ = attempt(
        {"ExportFromTime": now - timedelta(hours=1), "ExportToTime": now - timedelta(hours=2)},
        **incremental,
    )
    assert code == "InvalidExportTimeException"
    assert attempt(None, **incremental)[0] == "ValidationException"
    assert attempt({"ExportToTime": now}, **incremental) == (
        "ValidationException",
        "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification",
    )
    assert attempt({"ExportFromTime": now - timedelta(hours=1)})[0] == "ValidationException"
    assert (
        attempt({"ExportFromTime": now - timedelta(hours=1)}, ExportType="FULL_EXPORT")[0]
        == "ValidationException"
    )

    no_pitr = f"window-nopitr-{unique}"
    no_pitr_arn = ddb.create_table(no_pitr, pitr=False)
    with pytest.raises(ClientError) as exc:
        ddb.client.export_table_to_point_in_time(
            TableArn=no_pitr_arn,
            S3Bucket=bucket,
            ExportType="INCREMENTAL_EXPORT",
            IncrementalExportSpecification={"ExportFromTime": now - timedelta(hours=1)},
        )
    assert error_of(exc)[0] == "InvalidExportTimeException"
