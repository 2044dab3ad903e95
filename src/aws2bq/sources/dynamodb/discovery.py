"""What AWS already holds for a DynamoDB stream: its table and the exports made of it.

ListExports (by TableArn, paginated) then DescribeExport of each export not yet known to the
ledger, kept when it wrote to the stream's bucket and prefix; each becomes a
:class:`~aws2bq.runner.discovery.KnownExport`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aws2bq.runner.aws import Aws
from aws2bq.runner.discovery import COMPLETED, FAILED, IN_PROGRESS, KnownExport, aws_time

_DYNAMODB_STATUS = {"IN_PROGRESS": IN_PROGRESS, "COMPLETED": COMPLETED, "FAILED": FAILED}


def describe_table(aws: Aws, table: str) -> tuple[str, tuple[str, ...]]:
    """The table's ARN and key attribute names (partition key, then sort key)."""
    described = aws.call("dynamodb", "DescribeTable", resource=table, TableName=table)["Table"]
    keys = sorted(described.get("KeySchema", []), key=lambda k: k.get("KeyType") != "HASH")
    names = tuple(str(k["AttributeName"]) for k in keys if k.get("AttributeName"))
    return str(described.get("TableArn") or table), names


def list_export_arns(aws: Aws, table_arn: str) -> Iterator[tuple[str, str]]:
    """``(ExportArn, ExportStatus)`` of every export of the table (ListExports, paginated)."""
    token: str | None = None
    while True:
        params: dict[str, Any] = {"TableArn": table_arn, "MaxResults": aws.list_exports_page_size}
        if token:
            params["NextToken"] = token
        page = aws.call("dynamodb", "ListExports", resource=table_arn, **params)
        for summary in page.get("ExportSummaries", []):
            yield str(summary["ExportArn"]), str(summary.get("ExportStatus", ""))
        token = page.get("NextToken")
        if not token:
            return


def dynamodb_export(description: dict[str, Any]) -> KnownExport:
    """A :class:`KnownExport` from DescribeExport's ExportDescription."""
    arn = str(description["ExportArn"])
    export_type = str(description.get("ExportType") or "FULL_EXPORT")
    spec = description.get("IncrementalExportSpecification") or {}
    incremental = export_type == "INCREMENTAL_EXPORT"
    manifest = description.get("ExportManifest")
    bucket = description.get("S3Bucket")
    location = f"s3://{bucket}/{manifest}" if manifest and bucket else None
    failure = None
    if description.get("FailureCode") or description.get("FailureMessage"):
        failure = f"{description.get('FailureCode', '')}: {description.get('FailureMessage', '')}"
    return KnownExport(
        export_id=arn.rsplit("/", 1)[-1],
        handle=arn,
        kind="incremental" if incremental else "full",
        status=_DYNAMODB_STATUS.get(str(description.get("ExportStatus")), IN_PROGRESS),
        time=aws_time(spec.get("ExportToTime") if incremental else description.get("ExportTime")),
        started=aws_time(description.get("StartTime")),
        location=location,
        source=str(description.get("TableArn", "")),
        failure=failure,
        aws_status=str(description.get("ExportStatus", "")),
        from_time=aws_time(spec.get("ExportFromTime")) if incremental else None,
    )


def describe_dynamodb_export(aws: Aws, export_arn: str) -> dict[str, Any]:
    described: dict[str, Any] = aws.call(
        "dynamodb", "DescribeExport", resource=export_arn, ExportArn=export_arn
    )["ExportDescription"]
    return described


def dynamodb_exports(
    aws: Aws, table_arn: str, bucket: str, prefix: str, *, known: set[str]
) -> list[KnownExport]:
    """The stream's exports (to ``bucket``/``prefix``) whose ExportId is not in ``known``."""
    out = []
    for arn, _status in list_export_arns(aws, table_arn):
        if arn.rsplit("/", 1)[-1] in known:
            continue  # applied: no need to describe it again
        description = describe_dynamodb_export(aws, arn)
        if description.get("S3Bucket") != bucket:
            continue
        if (description.get("S3Prefix") or "").strip("/") != prefix:
            continue
        out.append(dynamodb_export(description))
    return sorted(out, key=KnownExport.order_key)
