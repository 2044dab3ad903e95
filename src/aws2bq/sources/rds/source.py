"""The RDS stream kind for the runner: discover, start, read and apply snapshot exports.

One stream is one instance or cluster: its export tasks are found with
DescribeExportTasks (by bucket, kept when written under the stream's prefix), applied in
order through :func:`aws2bq.runner.rds_load.load_rds` (every table of an export, all or none
unless ``per_table``), and a new one is started by :mod:`aws2bq.sources.rds.trigger` when
due. Its ledger rows are per table (``rds:<target>``) and are found by their export location
under the stream's ``s3://bucket/prefix/``; tables are named by
:mod:`aws2bq.sources.rds.names`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws2bq.aws_clients import AwsTarget
from aws2bq.core.apply import Mode
from aws2bq.runner.discovery import IN_PROGRESS, KnownExport
from aws2bq.sources.base import (
    Applied,
    Applier,
    ApplyContext,
    NotYetSupportedError,
    PlanTarget,
    Source,
    StreamIdentity,
    StreamJob,
    table_layout,
)
from aws2bq.sources.blobs import ExportFile
from aws2bq.sources.rds import discovery as disc
from aws2bq.sources.rds.config import RdsStream
from aws2bq.sources.rds.names import split_target
from aws2bq.sources.rds.trigger import start_export


def location_prefix(stream: RdsStream) -> str:
    """Where the stream's export tasks write (``s3://bucket/prefix/``)."""
    return f"s3://{stream.export_bucket}/{stream.prefix}/"


def apply_snapshot(ctx: ApplyContext, export: KnownExport) -> Applied:
    """Every table of one snapshot export, in the stream's (or the table's) mode."""
    from aws2bq.runner.rds_load import RdsLoadRequest, load_rds

    assert isinstance(ctx.stream, RdsStream) and export.location
    stream = ctx.stream
    report = load_rds(
        RdsLoadRequest(
            export=export.location,
            mode=Mode(stream.mode),
            soft_delete=stream.soft_delete,
            keys={k: tuple(t.keys) for k, t in stream.tables.items() if t.keys},
            table_modes={
                k: (
                    Mode(t.mode or stream.mode),
                    stream.soft_delete if t.soft_delete is None else t.soft_delete,
                )
                for k, t in stream.tables.items()
                if t.mode is not None or t.soft_delete is not None
            },
            warehouse=ctx.warehouse.url,
            table_name_template=stream.table_name_template,
            per_table=stream.per_table,
            aws=AwsTarget(ctx.config.aws.region, ctx.config.aws.profile),
            table_layouts={
                k: layout
                for k, t in stream.tables.items()
                if (layout := table_layout(t)) is not None
            },
            transport=ctx.transport,
            stream=stream.name,
        ),
        progress=ctx.progress,
        warehouse=ctx.warehouse,
    )
    return Applied(
        report.export_id,
        rows=report.rows,
        tables=[t.table for t in report.tables if t.status != "failed"],
        failures=[str(t.error) for t in report.failed],
        already=bool(report.tables) and all(t.status == "already_applied" for t in report.tables),
        transport=report.transport,
        timings={"tables": round(sum(t.seconds for t in report.tables), 3)},
    )


class RdsSource(Source[RdsStream]):
    """RDS / Aurora snapshot exports (one export task per snapshot, every table in it)."""

    kind = "rds"
    config_model = RdsStream

    def export_kinds(self, stream: RdsStream) -> Sequence[str]:
        return ["snapshot"]

    def modes(self, stream: RdsStream) -> Sequence[str]:
        return sorted({stream.mode} | {t.mode for t in stream.tables.values() if t.mode})

    def appliers(self) -> Mapping[tuple[str, str], Applier]:
        return {("snapshot", m): apply_snapshot for m in ("replace", "merge", "history")}

    def check(self, stream: RdsStream) -> None:
        named = [k for k, t in stream.tables.items() if t.destination]
        if named:
            raise NotYetSupportedError(
                f"stream {stream.name!r}: per-table destination ({', '.join(named)}) is not "
                "supported by the scheduled runner yet; nothing done for this stream",
                hint="use table_name_template instead",
            )

    def identity(self, stream: RdsStream) -> StreamIdentity:
        return StreamIdentity(self.kind, location_prefix=location_prefix(stream))

    def destination(self, stream: RdsStream) -> str:
        return stream.name

    def plan_targets(self, stream: RdsStream, keys: tuple[str, ...]) -> list[PlanTarget]:
        """The configured tables (``[…tables."db.table"]`` with ``keys``) in merge / history
        mode: the others are known only from the export."""
        out: list[PlanTarget] = []
        for target, settings in sorted(stream.tables.items()):
            mode = Mode(settings.mode or stream.mode)
            if mode is Mode.REPLACE or not settings.keys:
                continue
            db, schema, name = split_target(target, stream.engine)
            table = stream.destination_for(db, name, schema)
            soft = stream.soft_delete if settings.soft_delete is None else settings.soft_delete
            out.append(PlanTarget(table, f"rds:{target}", tuple(settings.keys), mode, soft))
        return out

    def run(self, job: StreamJob, stream: RdsStream) -> None:
        job.read_ledger()
        exports = disc.rds_exports(job.aws, stream.export_bucket, stream.prefix)
        job.apply_ready(exports)
        job.check_latest_failed(exports)
        running = [e for e in exports if e.status == IN_PROGRESS]
        started = start_export(job, stream, exports)
        if started is not None:
            running.append(started)
        job.finish(running, lambda e: disc.describe_rds_export(job.aws, e.handle))

    def export_files(self, stream: RdsStream, location: str) -> list[ExportFile]:
        from aws2bq.sources.rds.export import read_export

        return [f for t in read_export(location).tables for f in t.files]


SOURCE = RdsSource()
