"""Starting RDS snapshot exports: pick the snapshot, StartExportTask (and CreateDBSnapshot).

The snapshot is the newest automated or manual one of the instance / cluster, or one
aws2bq creates per ``every`` slot (``snapshot = "create_manual"``). Its export starts when
the cadence says one is due and fewer than ``run.max_concurrent_rds_exports`` export tasks
run in the account (AWS allows five at a time). The ExportTaskIdentifier is derived from
the stream and the snapshot ARN, so a repeated run finds the task instead of starting another
(AWS answers ``ExportTaskAlreadyExists``).
"""

from __future__ import annotations

from typing import Any

from aws2bq.runner.aws import AwsCallError
from aws2bq.runner.crashpoints import crashpoint
from aws2bq.runner.discovery import FAILED, KnownExport
from aws2bq.runner.schedule import (
    choose_snapshot,
    export_task_identifier,
    manual_snapshot_identifier,
    manual_snapshot_prefix,
    slot_start,
    snapshot_export_due,
    utc,
)
from aws2bq.sources.base import StreamJob
from aws2bq.sources.rds import discovery as disc
from aws2bq.sources.rds.config import RdsStream

#: ``snapshot`` setting → the SnapshotType to list.
_SNAPSHOT_TYPE = {
    "newest_automated": "automated",
    "newest_manual": "manual",
    "create_manual": "manual",
}


def start_export(job: StreamJob, s: RdsStream, exports: list[KnownExport]) -> KnownExport | None:
    """Start the export of the newest eligible snapshot when one is due (``plan_only``: list
    it); the running export task if another runner started it meanwhile; else None."""
    source = f"cluster {s.cluster}" if s.cluster else f"instance {s.instance}"
    if s.snapshot == "create_manual":
        create_manual_snapshot(job, s)
    kind = _SNAPSHOT_TYPE.get(s.snapshot)
    found = disc.snapshots(job.aws, instance=s.instance, cluster=s.cluster, snapshot_type=kind)
    candidate = choose_snapshot(found, s.snapshot, created_prefix=manual_snapshot_prefix(s.name))
    if candidate is None:
        job.result.notes.append(
            f"no available {s.snapshot.replace('_', ' ')} snapshot of {source} yet "
            f"({len(found)} snapshot(s) seen); nothing to export"
        )
        return None
    attempted = {e.source: e for e in exports}
    if candidate.arn in attempted:
        task = attempted[candidate.arn]
        job.result.notes.append(
            f"newest snapshot {candidate.identifier} already has export task "
            f"{task.export_id} ({task.aws_status})"
        )
        return None
    assert candidate.created is not None
    exported_times = [e.time for e in exports if e.status != FAILED and e.time]
    last = max([*exported_times, *([job.last_applied] if job.last_applied else [])], default=None)
    due = snapshot_export_due(job.now, s.every, last, candidate.created)
    if not due.due and s.snapshot != "create_manual":
        job.result.notes.append(f"no export due: {due.reason}")
        return None
    task_id = export_task_identifier(s.name, candidate.arn)
    entry = {
        "kind": "snapshot",
        "snapshot": candidate.identifier,
        "snapshot_time": candidate.created.isoformat(),
        "export_id": task_id,
        "destination": f"s3://{s.export_bucket}/{s.prefix}/{task_id}/",
    }
    limit = job.config.run.max_concurrent_rds_exports
    running = disc.rds_in_flight(job.aws)
    if len(running) >= limit:
        job.result.notes.append(
            f"deferred: {len(running)} RDS export tasks are already running in the account "
            f"(limit {limit}; AWS allows 5 at a time); export of {candidate.identifier} "
            "starts in a later run"
        )
        return None
    if job.plan_only:
        job.result.started.append(entry)
        return None
    params: dict[str, Any] = {
        "ExportTaskIdentifier": task_id,
        "SourceArn": candidate.arn,
        "S3BucketName": s.export_bucket,
        "S3Prefix": s.prefix,
        "IamRoleArn": s.iam_role_arn,
        "KmsKeyId": s.kms_key_id,
    }
    if s.export_only:
        params["ExportOnly"] = list(s.export_only)
    try:
        response = job.aws.call("rds", "StartExportTask", resource=candidate.arn, **params)
    except AwsCallError as exc:
        if exc.code != "ExportTaskAlreadyExists":
            raise
        # Another runner started this very export (same deterministic identifier).
        job.result.notes.append(f"export task {task_id} was already started")
        return disc.describe_rds_export(job.aws, task_id)
    job.result.started.append(entry)
    job.progress.event("export started", stream=s.name, export_id=task_id)
    crashpoint("run:started")
    return disc.rds_export(response)


def create_manual_snapshot(job: StreamJob, s: RdsStream) -> None:
    """``snapshot = "create_manual"``: create this slot's snapshot unless it exists (or one
    aws2bq created is still being created)."""
    prefix = manual_snapshot_prefix(s.name)
    own = [
        x
        for x in disc.snapshots(
            job.aws, instance=s.instance, cluster=s.cluster, snapshot_type="manual"
        )
        if x.identifier.startswith(prefix)
    ]
    slot = slot_start(job.now, s.every)
    newest = max((utc(x.created) for x in own if x.created), default=None)
    if newest is not None and newest >= slot:
        return
    if any(x.created is None for x in own):
        job.result.notes.append("a manual snapshot aws2bq created is still being created")
        return
    ident = manual_snapshot_identifier(s.name, slot)
    if job.plan_only:
        job.result.started.append({"kind": "manual snapshot", "snapshot": ident})
        return
    try:
        if s.cluster:
            job.aws.call(
                "rds",
                "CreateDBClusterSnapshot",
                resource=f"cluster {s.cluster}",
                DBClusterIdentifier=s.cluster,
                DBClusterSnapshotIdentifier=ident,
            )
        else:
            job.aws.call(
                "rds",
                "CreateDBSnapshot",
                resource=f"instance {s.instance}",
                DBInstanceIdentifier=s.instance,
                DBSnapshotIdentifier=ident,
            )
    except AwsCallError as exc:
        if exc.code not in ("DBSnapshotAlreadyExists", "DBClusterSnapshotAlreadyExistsFault"):
            raise
    job.result.notes.append(f"created manual snapshot {ident}")
    job.progress.event("snapshot created", stream=s.name, snapshot=ident)
