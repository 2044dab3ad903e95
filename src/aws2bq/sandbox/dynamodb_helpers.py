"""Client-side conveniences for DynamoDB in the sandbox (``Sandbox.dynamodb``).

Thin wrappers over the real API calls (boto3 against the sandbox), so that tests and the
demo read like what a user would do on AWS:

    ddb = sandbox.dynamodb
    arn = ddb.create_table("orders", hash_key=("id", "S"))
    export = ddb.export_full("orders", bucket="exports", prefix="ddb")
    ddb.download_export("exports", export["ExportArn"], tmp_path)
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from aws2bq.errors import SandboxError
from aws2bq.sandbox.handle import SandboxHandle


class DynamoDBSandbox:
    """DynamoDB tables and exports of one sandbox."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        self.sandbox = sandbox
        self.client = sandbox.client("dynamodb")

    def create_table(
        self,
        name: str,
        *,
        hash_key: tuple[str, str] = ("pk", "S"),
        range_key: tuple[str, str] | None = None,
        pitr: bool = True,
    ) -> str:
        """Create an on-demand table (PITR enabled unless ``pitr=False``); returns its ARN.

        Keys are ``(attribute name, "S" | "N" | "B")``.
        """
        keys = [(hash_key, "HASH")] + ([(range_key, "RANGE")] if range_key else [])
        response = self.client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": k[0], "KeyType": role} for k, role in keys],
            AttributeDefinitions=[{"AttributeName": k[0], "AttributeType": k[1]} for k, _ in keys],
            BillingMode="PAY_PER_REQUEST",
        )
        if pitr:
            self.client.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        return str(response["TableDescription"]["TableArn"])

    def table_arn(self, table: str) -> str:
        """The ARN of a table given by name (an ARN is returned unchanged)."""
        if table.startswith("arn:"):
            return table
        return str(self.client.describe_table(TableName=table)["Table"]["TableArn"])

    def wait_for_export(
        self, export_arn: str, *, max_polls: int = 100, interval: float = 0.0
    ) -> dict[str, Any]:
        """Poll DescribeExport until COMPLETED or FAILED; returns the ExportDescription."""
        for _ in range(max_polls):
            description: dict[str, Any] = self.client.describe_export(ExportArn=export_arn)[
                "ExportDescription"
            ]
            if description["ExportStatus"] != "IN_PROGRESS":
                return description
            if interval:
                time.sleep(interval)
        raise SandboxError(
            f"export {export_arn} was still IN_PROGRESS after {max_polls} DescribeExport calls",
            hint="raise max_polls, or lower the sandbox setting export_polls",
        )

    def _export(self, request: dict[str, Any], wait: bool) -> dict[str, Any]:
        description: dict[str, Any] = self.client.export_table_to_point_in_time(
            **{k: v for k, v in request.items() if v is not None}
        )["ExportDescription"]
        return self.wait_for_export(description["ExportArn"]) if wait else description

    def export_full(
        self,
        table: str,
        bucket: str,
        *,
        prefix: str | None = None,
        export_time: datetime | None = None,
        wait: bool = True,
        **extra: Any,
    ) -> dict[str, Any]:
        """ExportTableToPointInTime (FULL_EXPORT); waits for the end unless ``wait=False``.

        ``extra`` goes to the API call as is (ClientToken, S3SseAlgorithm, ...).
        """
        request = {
            "TableArn": self.table_arn(table),
            "S3Bucket": bucket,
            "S3Prefix": prefix,
            "ExportTime": export_time,
            "ExportFormat": "DYNAMODB_JSON",
            **extra,
        }
        return self._export(request, wait)

    def export_incremental(
        self,
        table: str,
        bucket: str,
        *,
        from_time: datetime,
        to_time: datetime | None = None,
        view_type: str | None = None,
        prefix: str | None = None,
        wait: bool = True,
        **extra: Any,
    ) -> dict[str, Any]:
        """ExportTableToPointInTime (INCREMENTAL_EXPORT) for ``[from_time, to_time)``."""
        spec: dict[str, Any] = {"ExportFromTime": from_time}
        if to_time is not None:
            spec["ExportToTime"] = to_time
        if view_type is not None:
            spec["ExportViewType"] = view_type
        request = {
            "TableArn": self.table_arn(table),
            "S3Bucket": bucket,
            "S3Prefix": prefix,
            "ExportType": "INCREMENTAL_EXPORT",
            "IncrementalExportSpecification": spec,
            "ExportFormat": "DYNAMODB_JSON",
            **extra,
        }
        return self._export(request, wait)

    def fail_next_export(
        self,
        table: str,
        code: str = "S3AccessDenied",
        message: str = "failure injected by the aws2bq sandbox",
    ) -> None:
        """Make the next export of ``table`` end FAILED with FailureCode ``code``."""
        self.sandbox.control(
            "POST",
            "dynamodb/fail-next-export",
            {"table_arn": self.table_arn(table), "code": code, "message": message},
        )

    def download_export(self, bucket: str, export_arn: str, dest_dir: Path) -> Path:
        """Copy an export's objects to ``dest_dir`` with the same key layout.

        That is everything under ``<prefix>/AWSDynamoDB/<ExportId>/`` plus the data files its
        manifest lists (an incremental export's live in the shared ``data/`` folder, among
        other exports' files). Returns the local path of manifest-summary.json.
        """
        s3 = self.sandbox.client("s3")
        description = self.client.describe_export(ExportArn=export_arn)["ExportDescription"]
        manifest_key = description.get("ExportManifest")
        if not manifest_key:
            raise SandboxError(
                f"export {export_arn} has no manifest (status {description['ExportStatus']})"
            )
        folder = manifest_key.rsplit("/", 1)[0] + "/"
        keys = [
            obj["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder)
            for obj in page.get("Contents", [])
        ]
        manifest_files = s3.get_object(Bucket=bucket, Key=f"{folder}manifest-files.json")
        for line in manifest_files["Body"].read().decode("utf-8").splitlines():
            if line.strip():
                keys.append(json.loads(line)["dataFileS3Key"])
        for key in dict.fromkeys(keys):
            local = dest_dir / key
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return dest_dir / str(manifest_key)
