"""What AWS already holds for an RDS stream: its export tasks and the snapshots.

DescribeExportTasks filtered by ``s3-bucket`` (paginated), kept when the task's S3Prefix is
the stream's; DescribeDBSnapshots / DescribeDBClusterSnapshots (paginated) for the
snapshots. Each becomes a :class:`~aws2bq.runner.discovery.KnownExport` /
:class:`~aws2bq.runner.schedule.Snapshot`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aws2bq.runner.aws import Aws
from aws2bq.runner.discovery import COMPLETED, FAILED, IN_PROGRESS, KnownExport, aws_time
from aws2bq.runner.schedule import MAX_RDS_PAGE, MIN_RDS_PAGE, Snapshot

_RDS_STATUS = {
    "STARTING": IN_PROGRESS,
    "IN_PROGRESS": IN_PROGRESS,
    "COMPLETE": COMPLETED,
    "FAILED": FAILED,
    "CANCELING": FAILED,
    "CANCELED": FAILED,
}


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
        time=aws_time(task.get("SnapshotTime")),
        started=aws_time(task.get("TaskStartTime")),
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
        return [_snapshot(s, "DBCluster") for s in items]
    assert instance is not None
    items = _paginate(
        aws,
        "DescribeDBSnapshots",
        "DBSnapshots",
        resource=f"instance {instance}",
        DBInstanceIdentifier=instance,
        **params,
    )
    return [_snapshot(s, "DB") for s in items]


def _snapshot(item: dict[str, Any], level: str) -> Snapshot:
    """A :class:`Snapshot` from a DBSnapshot (``level`` "DB") or DBClusterSnapshot
    ("DBCluster"): the two differ only in the prefix of their identifier and ARN fields."""
    return Snapshot(
        identifier=str(item[f"{level}SnapshotIdentifier"]),
        arn=str(item[f"{level}SnapshotArn"]),
        created=aws_time(item.get("SnapshotCreateTime")),
        kind=str(item.get("SnapshotType", "")),
        status=str(item.get("Status", "")),
    )
