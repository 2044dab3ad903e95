"""What AWS already holds for a stream: exports made, their status, and the snapshots.

DynamoDB: ListExports (by TableArn, paginated) then DescribeExport of each export not yet
known to the ledger, kept when it wrote to the stream's bucket and prefix.
RDS: DescribeExportTasks filtered by ``s3-bucket`` (paginated), kept when the task's
S3Prefix is the stream's; DescribeDBSnapshots / DescribeDBClusterSnapshots (paginated) for
the snapshots. Each is turned into a :class:`KnownExport` / :class:`~.schedule.Snapshot`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws2bq.runner.aws import Aws
from aws2bq.runner.schedule import MAX_RDS_PAGE, MIN_RDS_PAGE, Snapshot, utc

_NEVER = datetime.min.replace(tzinfo=UTC)
#: Normalised export states.
IN_PROGRESS, COMPLETED, FAILED = "in_progress", "completed", "failed"
_DYNAMODB_STATUS = {"IN_PROGRESS": IN_PROGRESS, "COMPLETED": COMPLETED, "FAILED": FAILED}
_RDS_STATUS = {
    "STARTING": IN_PROGRESS,
    "IN_PROGRESS": IN_PROGRESS,
    "COMPLETE": COMPLETED,
    "FAILED": FAILED,
    "CANCELING": FAILED,
    "CANCELED": FAILED,
}


@dataclass(frozen=True)
class KnownExport:
    """One export of a stream, as AWS describes it."""

    #: The id the ledger records in ``export_id`` (DynamoDB ExportId, RDS task identifier).
    export_id: str
    #: DynamoDB ExportArn / RDS ExportTaskIdentifier: what Describe calls take.
    handle: str
    kind: str  # "full" | "incremental" | "snapshot"
    status: str  # IN_PROGRESS | COMPLETED | FAILED (normalised, lower case)
    #: Export time (full), exportToTime (incremental) or snapshot time (RDS); None if unknown.
    time: datetime | None
    started: datetime | None
    #: ``s3://bucket/...`` to load from once completed.
    location: str | None
    #: Table ARN (DynamoDB) or snapshot / cluster ARN (RDS).
    source: str
    failure: str | None = None
    aws_status: str = ""
    #: Incremental exports: ExportFromTime.
    from_time: datetime | None = None

    def order_key(self) -> tuple[datetime, str]:
        when = self.time or self.started
        return (utc(when) if when else _NEVER, self.export_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "export_id": self.export_id,
            "kind": self.kind,
            "status": self.status,
            "time": self.time.isoformat() if self.time else None,
            "location": self.location,
            "source": self.source,
            "failure": self.failure,
        }


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, str) and value:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return None


# -- DynamoDB ---------------------------------------------------------------------------------
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
        time=_time(spec.get("ExportToTime") if incremental else description.get("ExportTime")),
        started=_time(description.get("StartTime")),
        location=location,
        source=str(description.get("TableArn", "")),
        failure=failure,
        aws_status=str(description.get("ExportStatus", "")),
        from_time=_time(spec.get("ExportFromTime")) if incremental else None,
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


# -- RDS --------------------------------------------------------------------------------------
def _rds_page(aws: Aws) -> int:
    return max(MIN_RDS_PAGE, min(MAX_RDS_PAGE, aws.rds_page_size))


def _paginate(
    aws: Aws, action: str, result_key: str, *, resource: str, **params: Any
) -> Iterator[dict[str, Any]]:
    """Every item of an RDS Describe* call, following ``Marker`` (MaxRecords 20..100)."""
    marker: str | None = None
    while True:
        call = {**params, "MaxRecords": _rds_page(aws)}
        if marker:
            call["Marker"] = marker
        page = aws.call("rds", action, resource=resource, **call)
        yield from page.get(result_key, [])
        marker = page.get("Marker")
        if not marker:
            return


def rds_export(task: dict[str, Any]) -> KnownExport:
    """A :class:`KnownExport` from a DescribeExportTasks ExportTask."""
    ident = str(task["ExportTaskIdentifier"])
    bucket = task.get("S3Bucket")
    prefix = (task.get("S3Prefix") or "").strip("/")
    location = f"s3://{bucket}/{prefix + '/' if prefix else ''}{ident}/"
    status = str(task.get("Status", ""))
    return KnownExport(
        export_id=ident,
        handle=ident,
        kind="snapshot",
        status=_RDS_STATUS.get(status, IN_PROGRESS),
        time=_time(task.get("SnapshotTime")),
        started=_time(task.get("TaskStartTime")),
        location=location,
        source=str(task.get("SourceArn", "")),
        failure=task.get("FailureCause") or (status if status.startswith("CANCEL") else None),
        aws_status=status,
    )


def rds_exports(aws: Aws, bucket: str, prefix: str) -> list[KnownExport]:
    """Export tasks that wrote (or write) to ``bucket``/``prefix`` (one prefix per stream)."""
    tasks = _paginate(
        aws,
        "DescribeExportTasks",
        "ExportTasks",
        resource=f"s3://{bucket}/{prefix}",
        Filters=[{"Name": "s3-bucket", "Values": [bucket]}],
    )
    out = [rds_export(t) for t in tasks if (t.get("S3Prefix") or "").strip("/") == prefix]
    return sorted(out, key=KnownExport.order_key)


def describe_rds_export(aws: Aws, task_id: str) -> KnownExport:
    tasks = aws.call(
        "rds", "DescribeExportTasks", resource=task_id, ExportTaskIdentifier=task_id
    ).get("ExportTasks", [])
    return rds_export(tasks[0])


def rds_in_flight(aws: Aws) -> list[str]:
    """Identifiers of the account's STARTING / IN_PROGRESS export tasks (the 5-task limit is
    per account, so every task counts, not only this stream's)."""
    tasks = _paginate(
        aws,
        "DescribeExportTasks",
        "ExportTasks",
        resource="export tasks of the account",
        Filters=[{"Name": "status", "Values": ["starting", "in_progress"]}],
    )
    return [
        str(t["ExportTaskIdentifier"])
        for t in tasks
        if str(t.get("Status", "")).upper() in ("STARTING", "IN_PROGRESS")
    ]


def snapshots(
    aws: Aws, *, instance: str | None, cluster: str | None, snapshot_type: str | None
) -> list[Snapshot]:
    """The instance's (or cluster's) own snapshots, every page (DescribeDBSnapshots /
    DescribeDBClusterSnapshots with MaxRecords and Marker; shared and public snapshots are
    left out, which is the API's default: IncludeShared / IncludePublic false)."""
    params: dict[str, Any] = {}
    if snapshot_type:
        params["SnapshotType"] = snapshot_type
    if cluster:
        items = _paginate(
            aws,
            "DescribeDBClusterSnapshots",
            "DBClusterSnapshots",
            resource=f"cluster {cluster}",
            DBClusterIdentifier=cluster,
            **params,
        )
        return [
            Snapshot(
                identifier=str(s["DBClusterSnapshotIdentifier"]),
                arn=str(s["DBClusterSnapshotArn"]),
                created=_time(s.get("SnapshotCreateTime")),
                kind=str(s.get("SnapshotType", "")),
                status=str(s.get("Status", "")),
            )
            for s in items
        ]
    assert instance is not None
    items = _paginate(
        aws,
        "DescribeDBSnapshots",
        "DBSnapshots",
        resource=f"instance {instance}",
        DBInstanceIdentifier=instance,
        **params,
    )
    return [
        Snapshot(
            identifier=str(s["DBSnapshotIdentifier"]),
            arn=str(s["DBSnapshotArn"]),
            created=_time(s.get("SnapshotCreateTime")),
            kind=str(s.get("SnapshotType", "")),
            status=str(s.get("Status", "")),
        )
        for s in items
    ]
