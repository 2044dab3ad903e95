"""The AWS boundary with botocore's Stubber (real clients, no network): retries with backoff,
error translation, and pagination by Marker / NextToken (which moto 5.2 does not do for
DescribeDBSnapshots)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from aws2bq.errors import TransientError
from aws2bq.runner.aws import Aws, AwsCallError, AwsPermissionError, AwsTransientError
from aws2bq.runner.schedule import RetryPolicy
from aws2bq.sources.dynamodb import discovery as dynamodb_discovery
from aws2bq.sources.rds import discovery as rds_discovery


def stubbed(service: str, **aws_args: Any) -> tuple[Aws, Stubber, list[float]]:
    sleeps: list[float] = []
    aws = Aws(region="us-east-1", sleep=sleeps.append, **aws_args)
    client = boto3.client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    aws._clients[service] = client
    stub = Stubber(client)
    stub.activate()
    return aws, stub, sleeps


def snapshot(n: int) -> dict[str, Any]:
    return {
        "DBSnapshotIdentifier": f"snap-{n:03d}",
        "DBSnapshotArn": f"arn:aws:rds:us-east-1:123456789012:snapshot:snap-{n:03d}",
        "SnapshotCreateTime": datetime(2024, 5, 1, tzinfo=UTC).replace(minute=n % 60, hour=n // 60),
        "SnapshotType": "manual",
        "Status": "available",
    }


def test_describe_db_snapshots_follows_the_marker_with_max_records() -> None:
    aws, stub, _ = stubbed("rds", rds_page_size=20)
    pages = [[snapshot(n) for n in range(i, min(i + 20, 45))] for i in range(0, 45, 20)]
    for index, page in enumerate(pages):
        expected: dict[str, Any] = {
            "DBInstanceIdentifier": "db1",
            "SnapshotType": "manual",
            "MaxRecords": 20,
        }
        if index:
            expected["Marker"] = f"m{index}"
        response: dict[str, Any] = {"DBSnapshots": page}
        if index < len(pages) - 1:
            response["Marker"] = f"m{index + 1}"
        stub.add_response("describe_db_snapshots", response, expected)
    found = rds_discovery.snapshots(aws, instance="db1", cluster=None, snapshot_type="manual")
    stub.assert_no_pending_responses()
    assert len(found) == 45
    assert found[-1].identifier == "snap-044"


def test_page_size_is_kept_within_aws_bounds() -> None:
    aws, stub, _ = stubbed("rds", rds_page_size=5)  # AWS: MaxRecords 20..100
    stub.add_response(
        "describe_db_cluster_snapshots",
        {"DBClusterSnapshots": []},
        {"DBClusterIdentifier": "c1", "MaxRecords": 20},
    )
    assert rds_discovery.snapshots(aws, instance=None, cluster="c1", snapshot_type=None) == []
    stub.assert_no_pending_responses()


def test_list_exports_follows_next_token() -> None:
    aws, stub, _ = stubbed("dynamodb", list_exports_page_size=2)
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/T"
    stub.add_response(
        "list_exports",
        {
            "ExportSummaries": [{"ExportArn": f"{arn}/export/1"}, {"ExportArn": f"{arn}/export/2"}],
            "NextToken": "t2",
        },
        {"TableArn": arn, "MaxResults": 2},
    )
    stub.add_response(
        "list_exports",
        {"ExportSummaries": [{"ExportArn": f"{arn}/export/3"}]},
        {"TableArn": arn, "MaxResults": 2, "NextToken": "t2"},
    )
    assert [a for a, _ in dynamodb_discovery.list_export_arns(aws, arn)] == [
        f"{arn}/export/{n}" for n in (1, 2, 3)
    ]


@pytest.mark.parametrize("code", ["Throttling", "RequestLimitExceeded", "InternalFailure"])
def test_transient_errors_are_retried_then_succeed(code: str) -> None:
    aws, stub, sleeps = stubbed("rds", retry=RetryPolicy(attempts=3, base=1, cap=2))
    stub.add_client_error("describe_export_tasks", service_error_code=code, http_status_code=400)
    stub.add_client_error("describe_export_tasks", service_error_code=code, http_status_code=400)
    stub.add_response("describe_export_tasks", {"ExportTasks": []})
    assert aws.call("rds", "DescribeExportTasks", resource="x")["ExportTasks"] == []
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 1 and 0 <= sleeps[1] <= 2
    assert aws.retries == 2


def test_a_throttle_that_persists_becomes_a_transient_aws2bq_error() -> None:
    aws, stub, sleeps = stubbed("dynamodb", retry=RetryPolicy(attempts=2, base=0.1, cap=0.1))
    for _ in range(2):
        stub.add_client_error(
            "describe_export", service_error_code="ThrottlingException", http_status_code=400
        )
    export = "arn:aws:dynamodb:us-east-1:123456789012:table/T/export/01-a"
    with pytest.raises(AwsTransientError) as info:
        aws.call("dynamodb", "DescribeExport", resource="arn:x", ExportArn=export)
    assert isinstance(info.value, TransientError) and info.value.retryable
    assert "dynamodb:DescribeExport on arn:x: ThrottlingException after 2 attempt(s)" in str(
        info.value
    )
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("AccessDenied", "grant rds:StartExportTask on arn:snap to the role running aws2bq"),
        ("KMSKeyNotAccessibleFault", "kms:CreateGrant"),
        ("IamRoleMissingPermissions", "export.rds.amazonaws.com"),
    ],
)
def test_permission_errors_name_the_action_resource_and_fix(code: str, hint: str) -> None:
    aws, stub, sleeps = stubbed("rds")
    stub.add_client_error("start_export_task", service_error_code=code, service_message="no")
    with pytest.raises(AwsPermissionError) as info:
        aws.call(
            "rds",
            "StartExportTask",
            resource="arn:snap",
            ExportTaskIdentifier="a",
            SourceArn="arn:snap",
            S3BucketName="b",
            IamRoleArn="r",
            KmsKeyId="k",
        )
    assert str(info.value).startswith(f"rds:StartExportTask on arn:snap: {code} — no")
    assert hint in str(info.value)
    assert sleeps == []


def test_other_errors_keep_their_code() -> None:
    aws, stub, _ = stubbed("rds")
    stub.add_client_error("start_export_task", service_error_code="ExportTaskAlreadyExists")
    with pytest.raises(AwsCallError) as info:
        aws.call(
            "rds",
            "StartExportTask",
            resource="arn:snap",
            ExportTaskIdentifier="a",
            SourceArn="arn:snap",
            S3BucketName="b",
            IamRoleArn="r",
            KmsKeyId="k",
        )
    assert info.value.code == "ExportTaskAlreadyExists" and not info.value.retryable
