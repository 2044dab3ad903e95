"""The DynamoDB stream kind for the runner: discover, start, read and apply its exports.

One stream is one table: its exports are found with ListExports (by table ARN, kept when
written to the stream's bucket and prefix), applied in order through
:func:`aws2bq.runner.dynamodb_load.load_dynamodb` (full and incremental exports alike), and a
new one is started by :mod:`aws2bq.sources.dynamodb.trigger` when due. Its ledger rows carry
the destination table as ``stream``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws2bq.aws_clients import AwsTarget
from aws2bq.core.apply import Mode
from aws2bq.runner.discovery import IN_PROGRESS, KnownExport
from aws2bq.runner.schedule import full_export_due
from aws2bq.sources.base import (
    Applied,
    Applier,
    ApplyContext,
    PlanTarget,
    Source,
    StreamIdentity,
    StreamJob,
    table_layout,
)
from aws2bq.sources.blobs import ExportFile
from aws2bq.sources.dynamodb import discovery as disc
from aws2bq.sources.dynamodb.config import DynamoDBStream
from aws2bq.sources.dynamodb.trigger import start_export


def destination(stream: DynamoDBStream) -> str:
    """The destination table (and ledger stream) of a DynamoDB stream."""
    return stream.destination or stream.name


def apply_export(ctx: ApplyContext, export: KnownExport) -> Applied:
    """A full or incremental export in the stream's mode: ``load_dynamodb`` tells them apart
    and checks the incremental chain rule (gap, order) itself."""
    from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb

    assert isinstance(ctx.stream, DynamoDBStream) and export.location
    report = load_dynamodb(
        DynamoDBLoadRequest(
            export=export.location,
            table=destination(ctx.stream),
            keys=ctx.keys,
            mode=Mode(ctx.stream.mode),
            soft_delete=ctx.stream.soft_delete,
            warehouse=ctx.warehouse.url,
            layout=table_layout(ctx.stream),
            transport=ctx.transport,
            aws=AwsTarget(ctx.config.aws.region, ctx.config.aws.profile),
        ),
        progress=ctx.progress,
        warehouse=ctx.warehouse,
    )
    return Applied(
        report.export_id,
        rows=report.rows,
        tables=[report.stream],
        already=report.status == "already_applied",
        transport=report.transport,
        timings={k: round(v, 3) for k, v in report.timings.items()},
    )


class DynamoDBSource(Source[DynamoDBStream]):
    """DynamoDB point-in-time exports (full, and incremental with ``cadence = "incremental"``)."""

    kind = "dynamodb"
    config_model = DynamoDBStream

    def export_kinds(self, stream: DynamoDBStream) -> Sequence[str]:
        return ["full"] + (["incremental"] if stream.cadence == "incremental" else [])

    def appliers(self) -> Mapping[tuple[str, str], Applier]:
        # Full exports in every mode (merge / history: diffed against the table by key);
        # incremental ones as a chain of change sets (replace makes no sense for them).
        return {
            ("full", "replace"): apply_export,
            ("full", "merge"): apply_export,
            ("full", "history"): apply_export,
            ("incremental", "merge"): apply_export,
            ("incremental", "history"): apply_export,
        }

    def identity(self, stream: DynamoDBStream) -> StreamIdentity:
        return StreamIdentity(self.kind, ledger_stream=destination(stream))

    def destination(self, stream: DynamoDBStream) -> str:
        return destination(stream)

    def history_streams(self, stream: DynamoDBStream) -> Sequence[str]:
        return [destination(stream)]

    def plan_targets(self, stream: DynamoDBStream, keys: tuple[str, ...]) -> list[PlanTarget]:
        mode = Mode(stream.mode)
        if mode is Mode.REPLACE or not keys:
            return []
        table = destination(stream)
        return [PlanTarget(table, table, keys, mode, stream.soft_delete)]

    def run(self, job: StreamJob, stream: DynamoDBStream) -> None:
        s = stream
        table_arn, table_keys = disc.describe_table(job.aws, s.table)
        job.keys = tuple(s.keys) or table_keys
        mine = job.read_ledger()
        exports = disc.dynamodb_exports(
            job.aws, table_arn, s.export_bucket, s.prefix, known=job.applied_ids
        )
        job.apply_ready(exports)
        job.check_latest_failed(exports)
        latest = max(
            [t for t in [job.last_applied, *(e.time or e.started for e in exports)] if t],
            default=None,
        )
        running = [e for e in exports if e.status == IN_PROGRESS]
        running_full = [e.started for e in running if e.kind == "full" and e.started]
        last_full = max(
            [r.exported_at for r in mine if r.export_kind == "full"] + running_full, default=None
        )
        due = full_export_due(job.now, s.every, latest)
        if not due.due:
            job.result.notes.append(f"no export due: {due.reason}")
        else:
            started = start_export(
                job,
                s,
                table_arn,
                due.slot,
                due.reason,
                last_full=last_full,
                full_running=any(e.kind == "full" for e in running),
            )
            if started is not None:
                running.append(started)
        job.finish(
            running,
            lambda e: disc.dynamodb_export(disc.describe_dynamodb_export(job.aws, e.handle)),
        )

    def export_files(self, stream: DynamoDBStream, location: str) -> list[ExportFile]:
        from aws2bq.sources.dynamodb.export import read_export
        from aws2bq.sources.dynamodb.incremental import (
            INCREMENTAL,
            export_type,
            read_incremental_export,
        )

        if export_type(location) == INCREMENTAL:
            return list(read_incremental_export(location).files)
        return list(read_export(location).files)


SOURCE = DynamoDBSource()
