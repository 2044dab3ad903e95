"""``aws2bq run`` and ``aws2bq plan``: the scheduled job, one stream after the other.

For each stream:

1. **discover** the exports AWS already made for it (:mod:`aws2bq.runner.discovery`) and
   what the ledger says was applied (:mod:`aws2bq.runner.ledger_view`);
2. **apply** every COMPLETED export not yet in the ledger, oldest first (an export older
   than the last applied one is *superseded* and skipped), through the applier registered
   for (source, export kind, mode) — see :data:`APPLIERS`;
3. **start** a new export when the cadence says one is due (:mod:`aws2bq.runner.schedule`),
   with a deterministic ClientToken / ExportTaskIdentifier so a repeat never duplicates;
4. with ``wait``, **poll** the running exports with growing intervals until they finish or
   the timeout passes, and apply them; without it, return (the next run picks them up).

One stream failing never stops the others; :class:`RunSummary` says per stream what
happened, and ``failed`` lists the streams that failed (CLI exit code 1). With
``plan_only`` nothing is started or applied: the summary lists what would be, with the SQL.

Appliers are registered per (source, kind, mode) with :func:`register_applier`; a stream
needing a missing one fails with a "not supported yet" message and nothing is done for it.
DynamoDB streams with ``cadence = "incremental"`` (merge or history) start with a full
export, then :meth:`_StreamRun._start_incremental` continues the applied chain with windows
from :func:`~aws2bq.runner.schedule.incremental_window`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws2bq.aws_clients import AwsTarget, resolve_region
from aws2bq.config.model import Config, DynamoDBStream, RdsStream, TableLayoutMixin
from aws2bq.core.apply import Mode
from aws2bq.core.layout import TableLayout
from aws2bq.core.ledger import create_ledger, select_history
from aws2bq.core.progress import NullProgress, Progress
from aws2bq.core.transport import DIRECT, TransportSpec
from aws2bq.errors import Aws2BqError, ConfigError, TransferPending, TransientError
from aws2bq.runner import discovery as disc
from aws2bq.runner.aws import Aws, AwsCallError
from aws2bq.runner.crashpoints import crashpoint
from aws2bq.runner.discovery import COMPLETED, FAILED, IN_PROGRESS, KnownExport
from aws2bq.runner.ledger_view import (
    LedgerRow,
    dynamodb_destination,
    read_ledger,
    rows_of,
)
from aws2bq.runner.schedule import (
    PollPolicy,
    RetryPolicy,
    choose_snapshot,
    client_token,
    export_task_identifier,
    full_export_due,
    incremental_window,
    manual_snapshot_identifier,
    manual_snapshot_prefix,
    poll_schedule,
    rebaseline_due,
    slot_start,
    snapshot_export_due,
    utc,
)
from aws2bq.warehouses import connect, resolved_location
from aws2bq.warehouses.base import Warehouse

Stream = DynamoDBStream | RdsStream


class NotYetSupportedError(ConfigError):
    """The stream asks for something aws2bq cannot apply yet (a stream failure, exit 1)."""

    exit_code = 1


class BusyError(TransientError):
    """Another runner holds the stream (the warehouse is locked, or it applied meanwhile)."""


# -- results ----------------------------------------------------------------------------------
@dataclass
class StreamResult:
    """What one run (or plan) did for one stream."""

    stream: str
    kind: str
    #: "ok", "failed" or "busy" (another runner is applying it: nothing done, not a failure).
    status: str = "ok"
    applied: list[dict[str, Any]] = field(default_factory=list)
    started: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    error: str | None = None
    #: The failure is a configuration error (a bad setting, credentials, a warehouse path):
    #: the command exits with 2 rather than 1.
    config_error: bool = False

    def fail(self, message: str, *, config: bool = False) -> None:
        self.status = "failed"
        self.error = message if self.error is None else f"{self.error}\n{message}"
        self.config_error = self.config_error or config

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "kind": self.kind,
            "status": self.status,
            "applied": self.applied,
            "started": self.started,
            "pending": self.pending,
            "notes": self.notes,
            "sql": self.sql,
            "error": self.error,
        }


@dataclass
class RunSummary:
    """What ``run_streams`` did (or, with ``plan_only``, would do), per stream."""

    streams: list[StreamResult]
    wait: bool
    plan_only: bool
    seconds: float = 0.0
    #: The warehouse URL and where it resolves (a DuckDB file's absolute path).
    warehouse: str = ""
    warehouse_location: str = ""

    @property
    def failed(self) -> list[str]:
        """Names of the streams that failed (the Lambda adapter and exit code read this)."""
        return [s.stream for s in self.streams if s.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 every stream ran; 2 a stream failed on a configuration error; else 1."""
        if not self.failed:
            return 0
        return 2 if any(s.config_error for s in self.streams if s.status == "failed") else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_only": self.plan_only,
            "wait": self.wait,
            "warehouse": self.warehouse,
            "warehouse_location": self.warehouse_location,
            "seconds": round(self.seconds, 3),
            "failed": self.failed,
            "streams": [s.to_dict() for s in self.streams],
        }


# -- appliers (the seam for issue 5) ----------------------------------------------------------
@dataclass(frozen=True)
class ApplyContext:
    """What an applier needs besides the export."""

    config: Config
    stream: Stream
    warehouse: Warehouse
    progress: Progress
    #: DynamoDB: key attributes (config, else DescribeTable).
    keys: tuple[str, ...] = ()
    #: How the export's files reach the warehouse (the stream's transport).
    transport: TransportSpec = DIRECT


@dataclass
class Applied:
    """What an applier did: rows, tables, and per-table failures (RDS)."""

    export_id: str
    rows: int = 0
    tables: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    already: bool = False
    #: Route, bytes moved, transfer and load jobs, seconds per stage (the run summary).
    transport: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


Applier = Callable[[ApplyContext, KnownExport], Applied]


def table_layout(settings: TableLayoutMixin) -> TableLayout | None:
    """The partitioning / clustering a stream's (or RDS table's) config asks for, if any."""
    spec = settings.partition_by
    if spec is None and not settings.cluster_by:
        return None
    return TableLayout(
        partition_column=spec.column if spec else None,
        granularity=spec.granularity if spec else "DAY",
        cluster_by=tuple(settings.cluster_by),
        expiration_days=spec.expiration_days if spec else None,
        require_filter=spec.require_filter if spec else False,
    )


def _apply_dynamodb(ctx: ApplyContext, export: KnownExport) -> Applied:
    """A full or incremental export in the stream's mode: ``load_dynamodb`` tells them apart
    and checks the incremental chain rule (gap, order) itself."""
    from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb

    assert isinstance(ctx.stream, DynamoDBStream) and export.location
    report = load_dynamodb(
        DynamoDBLoadRequest(
            export=export.location,
            table=dynamodb_destination(ctx.stream),
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


def _apply_rds_snapshot(ctx: ApplyContext, export: KnownExport) -> Applied:
    from aws2bq.runner.rds_load import RdsLoadRequest, load_rds

    assert isinstance(ctx.stream, RdsStream) and export.location
    report = load_rds(
        RdsLoadRequest(
            export=export.location,
            mode=Mode(ctx.stream.mode),
            soft_delete=ctx.stream.soft_delete,
            keys={k: tuple(t.keys) for k, t in ctx.stream.tables.items() if t.keys},
            table_modes={
                k: (
                    Mode(t.mode or ctx.stream.mode),
                    ctx.stream.soft_delete if t.soft_delete is None else t.soft_delete,
                )
                for k, t in ctx.stream.tables.items()
                if t.mode is not None or t.soft_delete is not None
            },
            warehouse=ctx.warehouse.url,
            table_name_template=ctx.stream.table_name_template,
            per_table=ctx.stream.per_table,
            aws=AwsTarget(ctx.config.aws.region, ctx.config.aws.profile),
            table_layouts={
                k: layout
                for k, t in ctx.stream.tables.items()
                if (layout := table_layout(t)) is not None
            },
            transport=ctx.transport,
            stream=ctx.stream.name,
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


#: (source, export kind, mode) → applier. A combination missing here is refused before any AWS
#: call (an incremental export in replace mode makes no sense).
APPLIERS: dict[tuple[str, str, str], Applier] = {
    ("dynamodb", "full", "replace"): _apply_dynamodb,
    ("rds", "snapshot", "replace"): _apply_rds_snapshot,
    # Full snapshots in merge / history mode: diffed against the table by key (issue 5).
    ("dynamodb", "full", "merge"): _apply_dynamodb,
    ("dynamodb", "full", "history"): _apply_dynamodb,
    ("rds", "snapshot", "merge"): _apply_rds_snapshot,
    ("rds", "snapshot", "history"): _apply_rds_snapshot,
    # Incremental exports: applied as a chain of change sets (issue 5).
    ("dynamodb", "incremental", "merge"): _apply_dynamodb,
    ("dynamodb", "incremental", "history"): _apply_dynamodb,
}


def register_applier(source: str, kind: str, mode: str, applier: Applier) -> None:
    """Make ``run`` able to apply ``kind`` exports of ``source`` streams in ``mode``."""
    APPLIERS[(source, kind, mode)] = applier


def required_appliers(stream: Stream) -> list[tuple[str, str, str]]:
    """The (source, kind, mode) combinations a stream needs."""
    if isinstance(stream, DynamoDBStream):
        kinds = ["full"] + (["incremental"] if stream.cadence == "incremental" else [])
        return [("dynamodb", k, stream.mode) for k in kinds]
    modes = {stream.mode} | {t.mode for t in stream.tables.values() if t.mode}
    return [("rds", "snapshot", m) for m in sorted(modes)]


def check_supported(stream: Stream) -> None:
    """Raise :class:`NotYetSupportedError` if the stream needs an applier that is missing."""
    missing = [r for r in required_appliers(stream) if r not in APPLIERS]
    if missing:
        what = ", ".join(f"{kind} exports in mode {mode!r}" for _, kind, mode in missing)
        raise NotYetSupportedError(
            f"stream {stream.name!r}: applying {what} is not supported yet (issue 5); "
            "nothing done for this stream",
            hint='use cadence = "full" and mode = "replace" for now',
        )
    if isinstance(stream, RdsStream):
        named = [k for k, t in stream.tables.items() if t.destination]
        if named:
            raise NotYetSupportedError(
                f"stream {stream.name!r}: per-table destination ({', '.join(named)}) is not "
                "supported by the scheduled runner yet; nothing done for this stream",
                hint="use table_name_template instead",
            )


# -- options ----------------------------------------------------------------------------------
def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunOptions:
    """Knobs of a run that tests and embedders change (defaults are production's)."""

    now: Callable[[], datetime] = _utcnow
    sleep: Callable[[float], None] = time.sleep
    #: None: the config's ``aws.max_attempts`` with the default backoff.
    retry: RetryPolicy | None = None
    poll: PollPolicy = field(default_factory=PollPolicy)
    #: MaxRecords of RDS Describe* calls (AWS: 20..100) and MaxResults of ListExports (1..25).
    rds_page_size: int = 100
    list_exports_page_size: int = 25
    #: An Aws to use instead of a new one (tests inspect its retries).
    aws: Aws | None = None


def run_streams(
    config: Config,
    *,
    streams: Sequence[str] | None = None,
    wait: bool = False,
    plan_only: bool = False,
    progress: Progress | None = None,
    timeout: float | timedelta | None = None,
    options: RunOptions | None = None,
) -> RunSummary:
    """Run (or plan) every named stream (default: all); see the module docstring.

    Args:
        config: the loaded configuration.
        streams: stream names (an unknown one raises ``ConfigError`` before anything runs).
        wait: poll started exports until they finish (or ``timeout``) and apply them.
        plan_only: discover and decide, but start and apply nothing.
        progress: where progress and log events go.
        timeout: with ``wait``, the most time spent waiting (default ``run.max_wait``).
        options: clock, sleep, retry and poll policies, page sizes.
    """
    started = time.monotonic()
    options = options or RunOptions()
    progress = progress or NullProgress()
    names = list(streams) if streams else list(config.streams)
    selected = [config.stream(n) for n in names]  # ConfigError for an unknown name
    if timeout is None:
        timeout = config.run.max_wait
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
    # The region is resolved once (config, AWS_REGION, boto3's chain) and given to every
    # client: none anywhere is a configuration error before any stream runs (exit 2).
    region = resolve_region(AwsTarget(config.aws.region, config.aws.profile))
    _check_warehouse(config.warehouse)
    aws = options.aws or Aws(
        region=region,
        profile=config.aws.profile,
        retry=options.retry or RetryPolicy(attempts=config.aws.max_attempts),
        sleep=options.sleep,
        progress=progress,
        rds_page_size=options.rds_page_size,
        list_exports_page_size=options.list_exports_page_size,
    )
    results = []
    for stream in selected:
        result = StreamResult(stream.name, stream.kind)
        progress.event("stream", stream=stream.name, kind=stream.kind, plan_only=plan_only)
        runner = _StreamRun(
            config, stream, aws, options, progress, plan_only, wait, seconds, result
        )
        try:
            runner.run()
        except BusyError as exc:
            result.status = "busy"
            result.notes.append(str(exc.message))
        except Aws2BqError as exc:
            result.fail(str(exc), config=exc.exit_code == 2)
        except Exception as exc:  # one stream's bug must not stop the others
            result.fail(f"unexpected {type(exc).__name__}: {exc}")
        progress.event(
            "stream done",
            stream=stream.name,
            status=result.status,
            applied=len(result.applied),
            started=len(result.started),
            error=result.error,
        )
        results.append(result)
    return RunSummary(
        results,
        wait=wait,
        plan_only=plan_only,
        seconds=time.monotonic() - started,
        warehouse=config.warehouse,
        warehouse_location=resolved_location(config.warehouse),
    )


def _check_warehouse(url: str) -> None:
    """Open the warehouse once before any stream: a path or credentials aws2bq cannot use is a
    configuration error of the whole run (exit 2), not a failure of every stream. Anything
    else (another runner holds it, a transient fault) is left to each stream to report."""
    try:
        connect(url).close()
    except ConfigError:
        raise
    except Aws2BqError:
        pass


# -- one stream -------------------------------------------------------------------------------
class _StreamRun:
    def __init__(
        self,
        config: Config,
        stream: Stream,
        aws: Aws,
        options: RunOptions,
        progress: Progress,
        plan_only: bool,
        wait: bool,
        timeout: float,
        result: StreamResult,
    ) -> None:
        self.config = config
        self.stream = stream
        self.aws = aws
        self.options = options
        self.progress = progress
        self.plan_only = plan_only
        self.wait = wait and not plan_only
        self.timeout = timeout
        self.result = result
        self.now = utc(options.now())
        self.keys: tuple[str, ...] = ()
        self.last_applied: datetime | None = None
        self.applied_ids: set[str] = set()
        #: DynamoDB: the newest full export applied (export time) or running (start time).
        self.last_full: datetime | None = None
        #: DynamoDB: a full export is running (an incremental chain waits for it).
        self.full_running = False

    # -- warehouse ---------------------------------------------------------------------------
    @contextmanager
    def warehouse(self) -> Iterator[Warehouse]:
        try:
            wh = connect(self.config.warehouse, self.config)
        except TransientError as exc:
            raise BusyError(
                f"another runner is applying stream {self.stream.name!r} ({exc.message}); "
                "nothing done"
            ) from exc
        try:
            yield wh
        finally:
            wh.close()

    def read_ledger(self) -> list[LedgerRow]:
        with self.warehouse() as wh:
            mine = rows_of(self.stream, read_ledger(wh))
            if self.plan_only:
                self.result.sql.append(wh.render(create_ledger(wh.capabilities)) + ";")
                if isinstance(self.stream, DynamoDBStream):
                    history = select_history(dynamodb_destination(self.stream))
                    self.result.sql.append(wh.render(history) + ";")
        self.applied_ids = {r.export_id for r in mine}
        self.last_applied = max((r.exported_at for r in mine), default=None)
        return mine

    # -- the flow ----------------------------------------------------------------------------
    def run(self) -> None:
        check_supported(self.stream)
        if isinstance(self.stream, DynamoDBStream):
            self._run_dynamodb(self.stream)
        else:
            self._run_rds(self.stream)

    def _run_dynamodb(self, s: DynamoDBStream) -> None:
        table_arn, table_keys = disc.describe_table(self.aws, s.table)
        self.keys = tuple(s.keys) or table_keys
        mine = self.read_ledger()
        exports = disc.dynamodb_exports(
            self.aws, table_arn, s.export_bucket, s.prefix, known=self.applied_ids
        )
        self._apply_ready(exports)
        self._check_latest_failed(exports)
        latest = max(
            [t for t in [self.last_applied, *(e.time or e.started for e in exports)] if t],
            default=None,
        )
        running = [e for e in exports if e.status == IN_PROGRESS]
        running_full = [e.started for e in running if e.kind == "full" and e.started]
        self.full_running = any(e.kind == "full" for e in running)
        self.last_full = max(
            [r.exported_at for r in mine if r.export_kind == "full"] + running_full, default=None
        )
        due = full_export_due(self.now, s.every, latest)
        if not due.due:
            self.result.notes.append(f"no export due: {due.reason}")
        else:
            started = self._start_dynamodb(s, table_arn, due.slot, due.reason)
            if started is not None:
                running.append(started)
        self._finish(
            running,
            lambda e: disc.dynamodb_export(disc.describe_dynamodb_export(self.aws, e.handle)),
        )

    def _start_dynamodb(
        self, s: DynamoDBStream, table_arn: str, slot: datetime, reason: str
    ) -> KnownExport | None:
        if s.cadence == "incremental" and self.last_applied is not None:
            if self.full_running:
                # The chain continues from the full export's time once it is applied.
                self.result.notes.append("no incremental export started: a full export runs")
                return None
            rebase = rebaseline_due(self.now, s.full_every, self.last_full)
            if not rebase.due:
                return self._start_incremental(s, table_arn, reason)
            slot, reason = rebase.slot, f"re-baseline (full_every): {rebase.reason}"
        token = client_token(s.name, table_arn, slot)
        request: dict[str, Any] = {
            "TableArn": table_arn,
            "S3Bucket": s.export_bucket,
            "S3Prefix": s.prefix,
            "ExportFormat": "DYNAMODB_JSON",
            "ExportType": "FULL_EXPORT",
            "S3SseAlgorithm": s.sse_algorithm,
            "ClientToken": token,
        }
        if s.kms_key_id:
            request["S3SseKmsKeyId"] = s.kms_key_id
        if s.export_bucket_owner:
            request["S3BucketOwner"] = s.export_bucket_owner
        entry = {
            "kind": "full",
            "slot": slot.isoformat(),
            "reason": reason,
            "client_token": token,
            "destination": f"s3://{s.export_bucket}/{s.prefix}/",
        }
        if self.plan_only:
            self.result.started.append({**entry, "export_id": None})
            return None
        description = self.aws.call(
            "dynamodb", "ExportTableToPointInTime", resource=table_arn, **request
        )["ExportDescription"]
        export = disc.dynamodb_export(description)
        self.result.started.append({**entry, "export_id": export.export_id})
        self.progress.event("export started", stream=s.name, export_id=export.export_id)
        crashpoint("run:started")
        return export

    def _start_incremental(
        self, s: DynamoDBStream, table_arn: str, reason: str
    ) -> KnownExport | None:
        """Start the incremental export that continues the applied chain.

        The window starts at the last applied export's time (exportToTime, or the full
        export's exportTime) and is ``s.every`` long, clipped to now; the ClientToken is
        derived from the stream, table and window, so a repeated run never duplicates it.
        Nothing starts while an apply of this run failed (the chain must not move past it).
        """
        assert self.last_applied is not None
        if self.result.error is not None:
            self.result.notes.append("no incremental export started: an apply failed")
            return None
        window = incremental_window(self.now, self.last_applied, s.every)
        if window is None:
            self.result.notes.append(
                f"no incremental export due: less than 15 minutes since "
                f"{self.last_applied.isoformat()}"
            )
            return None
        parts = ("dynamodb-incremental", s.name, table_arn, window.start, window.end)
        digest = hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()
        token = "aws2bq-" + digest[:32]
        request: dict[str, Any] = {
            "TableArn": table_arn,
            "S3Bucket": s.export_bucket,
            "S3Prefix": s.prefix,
            "ExportFormat": "DYNAMODB_JSON",
            "ExportType": "INCREMENTAL_EXPORT",
            "IncrementalExportSpecification": {
                "ExportFromTime": window.start,
                "ExportToTime": window.end,
                "ExportViewType": s.export_view_type,
            },
            "S3SseAlgorithm": s.sse_algorithm,
            "ClientToken": token,
        }
        if s.kms_key_id:
            request["S3SseKmsKeyId"] = s.kms_key_id
        if s.export_bucket_owner:
            request["S3BucketOwner"] = s.export_bucket_owner
        entry = {
            "kind": "incremental",
            "window": [window.start.isoformat(), window.end.isoformat()],
            "reason": reason,
            "client_token": token,
            "destination": f"s3://{s.export_bucket}/{s.prefix}/",
        }
        if self.plan_only:
            self.result.started.append({**entry, "export_id": None})
            return None
        description = self.aws.call(
            "dynamodb", "ExportTableToPointInTime", resource=table_arn, **request
        )["ExportDescription"]
        export = disc.dynamodb_export(description)
        self.result.started.append({**entry, "export_id": export.export_id})
        self.progress.event(
            "export started", stream=s.name, export_id=export.export_id, kind="incremental"
        )
        crashpoint("run:started")
        return export

    def _run_rds(self, s: RdsStream) -> None:
        self.read_ledger()
        exports = disc.rds_exports(self.aws, s.export_bucket, s.prefix)
        self._apply_ready(exports)
        self._check_latest_failed(exports)
        running = [e for e in exports if e.status == IN_PROGRESS]
        started = self._start_rds(s, exports)
        if started is not None:
            running.append(started)
        self._finish(running, lambda e: disc.describe_rds_export(self.aws, e.handle))

    def _start_rds(self, s: RdsStream, exports: list[KnownExport]) -> KnownExport | None:
        source = f"cluster {s.cluster}" if s.cluster else f"instance {s.instance}"
        if s.snapshot == "create_manual":
            self._create_manual_snapshot(s)
        snapshot_type = {
            "newest_automated": "automated",
            "newest_manual": "manual",
            "create_manual": "manual",
        }.get(s.snapshot)
        found = disc.snapshots(
            self.aws, instance=s.instance, cluster=s.cluster, snapshot_type=snapshot_type
        )
        candidate = choose_snapshot(
            found, s.snapshot, created_prefix=manual_snapshot_prefix(s.name)
        )
        if candidate is None:
            self.result.notes.append(
                f"no available {s.snapshot.replace('_', ' ')} snapshot of {source} yet "
                f"({len(found)} snapshot(s) seen); nothing to export"
            )
            return None
        attempted = {e.source: e for e in exports}
        if candidate.arn in attempted:
            task = attempted[candidate.arn]
            self.result.notes.append(
                f"newest snapshot {candidate.identifier} already has export task "
                f"{task.export_id} ({task.aws_status})"
            )
            return None
        assert candidate.created is not None
        exported_times = [e.time for e in exports if e.status != FAILED and e.time]
        last = max(
            [*exported_times, *([self.last_applied] if self.last_applied else [])], default=None
        )
        due = snapshot_export_due(self.now, s.every, last, candidate.created)
        if not due.due and s.snapshot != "create_manual":
            self.result.notes.append(f"no export due: {due.reason}")
            return None
        task_id = export_task_identifier(s.name, candidate.arn)
        entry = {
            "kind": "snapshot",
            "snapshot": candidate.identifier,
            "snapshot_time": candidate.created.isoformat(),
            "export_id": task_id,
            "destination": f"s3://{s.export_bucket}/{s.prefix}/{task_id}/",
        }
        limit = self.config.run.max_concurrent_rds_exports
        running = disc.rds_in_flight(self.aws)
        if len(running) >= limit:
            self.result.notes.append(
                f"deferred: {len(running)} RDS export tasks are already running in the account "
                f"(limit {limit}; AWS allows 5 at a time); export of {candidate.identifier} "
                "starts in a later run"
            )
            return None
        if self.plan_only:
            self.result.started.append(entry)
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
            response = self.aws.call("rds", "StartExportTask", resource=candidate.arn, **params)
        except AwsCallError as exc:
            if exc.code != "ExportTaskAlreadyExists":
                raise
            # Another runner started this very export (same deterministic identifier).
            self.result.notes.append(f"export task {task_id} was already started")
            return disc.describe_rds_export(self.aws, task_id)
        self.result.started.append(entry)
        self.progress.event("export started", stream=s.name, export_id=task_id)
        crashpoint("run:started")
        return disc.rds_export(response)

    def _create_manual_snapshot(self, s: RdsStream) -> None:
        prefix = manual_snapshot_prefix(s.name)
        own = [
            x
            for x in disc.snapshots(
                self.aws, instance=s.instance, cluster=s.cluster, snapshot_type="manual"
            )
            if x.identifier.startswith(prefix)
        ]
        slot = slot_start(self.now, s.every)
        newest = max((utc(x.created) for x in own if x.created), default=None)
        if newest is not None and newest >= slot:
            return
        if any(x.created is None for x in own):
            self.result.notes.append("a manual snapshot aws2bq created is still being created")
            return
        ident = manual_snapshot_identifier(s.name, slot)
        if self.plan_only:
            self.result.started.append({"kind": "manual snapshot", "snapshot": ident})
            return
        try:
            if s.cluster:
                self.aws.call(
                    "rds",
                    "CreateDBClusterSnapshot",
                    resource=f"cluster {s.cluster}",
                    DBClusterIdentifier=s.cluster,
                    DBClusterSnapshotIdentifier=ident,
                )
            else:
                self.aws.call(
                    "rds",
                    "CreateDBSnapshot",
                    resource=f"instance {s.instance}",
                    DBInstanceIdentifier=s.instance,
                    DBSnapshotIdentifier=ident,
                )
        except AwsCallError as exc:
            if exc.code not in ("DBSnapshotAlreadyExists", "DBClusterSnapshotAlreadyExistsFault"):
                raise
        self.result.notes.append(f"created manual snapshot {ident}")
        self.progress.event("snapshot created", stream=s.name, snapshot=ident)

    # -- shared steps ------------------------------------------------------------------------
    def _check_latest_failed(self, exports: list[KnownExport]) -> None:
        """The stream fails while its newest export (newer than what is applied) FAILED."""
        if not exports:
            return
        newest = max(exports, key=lambda e: e.started or e.time or datetime.min.replace(tzinfo=UTC))
        when = newest.started or newest.time
        if newest.status != FAILED:
            return
        if self.last_applied is not None and when is not None and when <= self.last_applied:
            return
        self.result.fail(
            f"export {newest.export_id} of stream {self.stream.name!r} "
            f"{newest.aws_status or 'FAILED'}: {newest.failure or 'no cause given'}"
        )

    def _apply_ready(self, exports: list[KnownExport]) -> None:
        """Apply the completed exports not yet applied, oldest first."""
        ready = [
            e for e in exports if e.status == COMPLETED and e.export_id not in self.applied_ids
        ]
        if not ready:
            return
        with self.warehouse() as wh:
            for export in sorted(ready, key=KnownExport.order_key):
                if not self._apply_one(wh, export):
                    return

    def _plan_changes(self, wh: Warehouse, export: KnownExport) -> None:
        """Merge / history: the apply SQL, with a stand-in for the export's rows (issue 5)."""
        from aws2bq.runner.change_modes import plan_change_sql, plan_targets

        source = "dynamodb" if isinstance(self.stream, DynamoDBStream) else "rds"
        for table, stream, keys, mode, soft in plan_targets(self.stream, self.keys):
            self.result.sql += plan_change_sql(
                wh, mode=mode, soft_delete=soft, table=table, stream=stream, keys=keys,
                source=source, export_id=export.export_id, export_kind=export.kind,
                exported_at=export.time,
            )  # fmt: skip

    def _apply_one(self, wh: Warehouse, export: KnownExport) -> bool:
        """Apply one export; False when it failed (later ones must wait: order matters)."""
        if (
            self.last_applied is not None
            and export.time is not None
            and export.time <= self.last_applied
        ):
            self.result.notes.append(
                f"export {export.export_id} ({export.time.isoformat()}) is superseded by the "
                f"applied export of {self.last_applied.isoformat()}; skipped"
            )
            return True
        entry = {
            "export_id": export.export_id,
            "kind": export.kind,
            "time": export.time.isoformat() if export.time else None,
            "location": export.location,
        }
        if self.plan_only:
            self.result.applied.append(entry)
            self.result.sql.append(
                f"-- apply {export.export_id}: stage the export's files from {export.location}, "
                + (
                    "profile them, then CREATE the typed table, swap it in and INSERT the ledger "
                    "row in one transaction (those statements depend on the data: generated "
                    "after staging)"
                    if self.stream.mode == "replace"
                    else f"profile and type them, then apply them in mode {self.stream.mode} "
                    "with the ledger row in one transaction (below, with a stand-in for the data)"
                )
            )
            self._plan_changes(wh, export)
            self._plan_transport(wh, export, entry)
            return True
        source = "dynamodb" if isinstance(self.stream, DynamoDBStream) else "rds"
        applier = APPLIERS[(source, export.kind, self.stream.mode)]
        ctx = ApplyContext(
            self.config, self.stream, wh, self.progress, self.keys, self.transport_spec()
        )
        wh.take_job_stats()  # what came before (ledger reads) is not this export's
        try:
            applied = applier(ctx, export)
        except TransferPending as exc:
            # Not a failure: the transfer goes on without us; a later run continues it.
            self.result.pending.append(
                {"export_id": export.export_id, "status": "transferring", **exc.progress}
            )
            self.result.notes.append(exc.message)
            return False
        except Aws2BqError as exc:
            if self._applied_meanwhile(wh, export):
                raise BusyError(
                    f"another runner applied export {export.export_id} of stream "
                    f"{self.stream.name!r} meanwhile; nothing done"
                ) from exc
            self.result.fail(f"export {export.export_id}: {exc}", config=exc.exit_code == 2)
            return False
        crashpoint("run:applied")
        # What each BigQuery job processed (issue 13): loads (bytes read) and statements
        # (bytes processed / billed); DuckDB reports none.
        jobs = [j.to_dict() for j in wh.take_job_stats()]
        self.result.applied.append(
            {
                **entry,
                "rows": applied.rows,
                "tables": applied.tables,
                "already": applied.already,
                "transport": applied.transport,
                "timings": applied.timings,
                "bytes_processed": sum(j["bytes_processed"] for j in jobs),
                "bytes_billed": sum(j["bytes_billed"] for j in jobs),
                "jobs": jobs,
            }
        )
        self.applied_ids.add(export.export_id)
        if export.time is not None:
            self.last_applied = max(export.time, self.last_applied or export.time)
        for failure in applied.failures:
            self.result.fail(failure)
        self.progress.event(
            "export applied", stream=self.stream.name, export_id=export.export_id, rows=applied.rows
        )
        return not applied.failures

    def transport_spec(self) -> TransportSpec:
        """The stream's transport with the ``[bigquery]`` settings of the GCS path; a run
        that does not wait never waits on a transfer either (Lambda)."""
        return TransportSpec.from_settings(
            self.config.transport_of(self.stream),
            self.config.bigquery,
            wait=self.wait,
            wait_seconds=self.timeout,
        )

    def _plan_transport(self, wh: Warehouse, export: KnownExport, entry: dict[str, Any]) -> None:
        """``plan``: the route, transfer and load jobs, bytes and egress cost of ``export``."""
        from aws2bq.runner.landing import plan_transport
        from aws2bq.warehouses.base import StagingBucket

        assert export.location
        try:
            if isinstance(self.stream, DynamoDBStream):
                from aws2bq.sources.dynamodb import read_export
                from aws2bq.sources.dynamodb_incremental import (
                    INCREMENTAL,
                    export_type,
                    read_incremental_export,
                )

                if export_type(export.location) == INCREMENTAL:
                    files = list(read_incremental_export(export.location).files)
                else:
                    files = list(read_export(export.location).files)
                stream = dynamodb_destination(self.stream)
            else:
                from aws2bq.sources.rds import read_export as read_rds_export

                files = [f for t in read_rds_export(export.location).tables for f in t.files]
                stream = self.stream.name
        except Aws2BqError as exc:
            entry["transport"] = {"error": f"cannot read the export's manifests: {exc.message}"}
            return
        entry["transport"] = plan_transport(
            self.transport_spec(),
            files,
            staging=isinstance(wh, StagingBucket),
            stream=stream,
            export_id=export.export_id,
        )

    def _applied_meanwhile(self, wh: Warehouse, export: KnownExport) -> bool:
        try:
            rows = rows_of(self.stream, read_ledger(wh))
        except Aws2BqError:
            return False
        return any(r.export_id == export.export_id for r in rows)

    def _finish(
        self, running: list[KnownExport], describe: Callable[[KnownExport], KnownExport]
    ) -> None:
        """With wait: poll the running exports and apply those that complete; else list them."""
        if self.wait and running:
            running = self._poll(running, describe)
        for export in running:
            self.result.pending.append(
                {"export_id": export.export_id, "status": export.aws_status or export.status}
            )
        if running:
            self.result.notes.append(
                f"{len(running)} export(s) still running; the next run applies them"
            )

    def _poll(
        self, running: list[KnownExport], describe: Callable[[KnownExport], KnownExport]
    ) -> list[KnownExport]:
        started = time.monotonic()
        slept = 0.0
        intervals = iter(poll_schedule(self.options.poll, self.timeout))
        while running:
            still: list[KnownExport] = []
            done: list[KnownExport] = []
            for export in running:
                now = describe(export)
                (still if now.status == IN_PROGRESS else done).append(now)
            for export in sorted(done, key=KnownExport.order_key):
                if export.status == FAILED:
                    self.result.fail(
                        f"export {export.export_id} of stream {self.stream.name!r} "
                        f"{export.aws_status or 'FAILED'}: {export.failure or 'no cause given'}"
                    )
                else:
                    with self.warehouse() as wh:
                        self._apply_one(wh, export)
            running = still
            if not running:
                break
            interval = next(intervals, None)
            if interval is None or max(slept, time.monotonic() - started) + interval > self.timeout:
                self.result.notes.append(
                    f"gave up waiting after {max(slept, time.monotonic() - started):.0f}s "
                    f"(timeout {self.timeout:.0f}s)"
                )
                break
            self.options.sleep(interval)
            slept += interval
        return running


__all__ = [
    "APPLIERS",
    "Applied",
    "ApplyContext",
    "BusyError",
    "NotYetSupportedError",
    "RunOptions",
    "RunSummary",
    "StreamResult",
    "register_applier",
    "run_streams",
]
