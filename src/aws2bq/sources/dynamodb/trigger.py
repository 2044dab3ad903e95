"""Starting DynamoDB exports: ExportTableToPointInTime, full or incremental.

A full export is started when the cadence says one is due
(:func:`~aws2bq.runner.schedule.full_export_due`); a stream with ``cadence =
"incremental"`` continues its applied chain with an incremental window
(:func:`~aws2bq.runner.schedule.incremental_window`) and starts a full export again when
``full_every`` says a re-baseline is due. Every request carries a ClientToken derived from
the stream, table and slot / window, so a repeated run never starts a duplicate (AWS:
ExportTableToPointInTime, "ClientToken … idempotent for 8 hours").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws2bq.runner.crashpoints import crashpoint
from aws2bq.runner.discovery import KnownExport
from aws2bq.runner.schedule import (
    client_token,
    incremental_client_token,
    incremental_window,
    rebaseline_due,
)
from aws2bq.sources.base import StreamJob
from aws2bq.sources.dynamodb import discovery as disc
from aws2bq.sources.dynamodb.config import DynamoDBStream


def start_export(
    job: StreamJob,
    s: DynamoDBStream,
    table_arn: str,
    slot: datetime,
    reason: str,
    *,
    last_full: datetime | None,
    full_running: bool,
) -> KnownExport | None:
    """Start the export that is due: the next incremental window of an incremental stream
    with an applied chain (unless a re-baseline is due), else a full export for ``slot``.

    Args:
        last_full: the newest full export applied (export time) or running (start time).
        full_running: a full export is running (an incremental chain waits for it).
    """
    if s.cadence == "incremental" and job.last_applied is not None:
        if full_running:
            # The chain continues from the full export's time once it is applied.
            job.result.notes.append("no incremental export started: a full export runs")
            return None
        rebase = rebaseline_due(job.now, s.full_every, last_full)
        if not rebase.due:
            return start_incremental(job, s, table_arn, reason)
        slot, reason = rebase.slot, f"re-baseline (full_every): {rebase.reason}"
    return start_full(job, s, table_arn, slot, reason)


def _request(
    s: DynamoDBStream, table_arn: str, token: str, export_type: str, **extra: Any
) -> dict[str, Any]:
    """The ExportTableToPointInTime parameters (``extra``: the incremental specification)."""
    request: dict[str, Any] = {
        "TableArn": table_arn,
        "S3Bucket": s.export_bucket,
        "S3Prefix": s.prefix,
        "ExportFormat": "DYNAMODB_JSON",
        "ExportType": export_type,
        **extra,
        "S3SseAlgorithm": s.sse_algorithm,
        "ClientToken": token,
    }
    if s.kms_key_id:
        request["S3SseKmsKeyId"] = s.kms_key_id
    if s.export_bucket_owner:
        request["S3BucketOwner"] = s.export_bucket_owner
    return request


def _start(
    job: StreamJob,
    s: DynamoDBStream,
    request: dict[str, Any],
    entry: dict[str, Any],
    **event: Any,
) -> KnownExport | None:
    """Make the call (``plan_only``: only list it) and report the export started."""
    if job.plan_only:
        job.result.started.append({**entry, "export_id": None})
        return None
    description = job.aws.call(
        "dynamodb", "ExportTableToPointInTime", resource=request["TableArn"], **request
    )["ExportDescription"]
    export = disc.dynamodb_export(description)
    job.result.started.append({**entry, "export_id": export.export_id})
    job.progress.event("export started", stream=s.name, export_id=export.export_id, **event)
    crashpoint("run:started")
    return export


def start_full(
    job: StreamJob, s: DynamoDBStream, table_arn: str, slot: datetime, reason: str
) -> KnownExport | None:
    """Start the full export of ``slot`` (with ``plan_only``: only list it)."""
    token = client_token(s.name, table_arn, slot)
    entry = {
        "kind": "full",
        "slot": slot.isoformat(),
        "reason": reason,
        "client_token": token,
        "destination": f"s3://{s.export_bucket}/{s.prefix}/",
    }
    return _start(job, s, _request(s, table_arn, token, "FULL_EXPORT"), entry)


def start_incremental(
    job: StreamJob, s: DynamoDBStream, table_arn: str, reason: str
) -> KnownExport | None:
    """Start the incremental export that continues the applied chain.

    The window starts at the last applied export's time (exportToTime, or the full
    export's exportTime) and is ``s.every`` long, clipped to now; the ClientToken is
    derived from the stream, table and window, so a repeated run never duplicates it.
    Nothing starts while an apply of this run failed (the chain must not move past it).
    """
    assert job.last_applied is not None
    if job.result.error is not None:
        job.result.notes.append("no incremental export started: an apply failed")
        return None
    window = incremental_window(job.now, job.last_applied, s.every)
    if window is None:
        job.result.notes.append(
            f"no incremental export due: less than 15 minutes since {job.last_applied.isoformat()}"
        )
        return None
    token = incremental_client_token(s.name, table_arn, window)
    spec = {
        "ExportFromTime": window.start,
        "ExportToTime": window.end,
        "ExportViewType": s.export_view_type,
    }
    request = _request(
        s, table_arn, token, "INCREMENTAL_EXPORT", IncrementalExportSpecification=spec
    )
    entry = {
        "kind": "incremental",
        "window": [window.start.isoformat(), window.end.isoformat()],
        "reason": reason,
        "client_token": token,
        "destination": f"s3://{s.export_bucket}/{s.prefix}/",
    }
    return _start(job, s, request, entry, kind="incremental")
