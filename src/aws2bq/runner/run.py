"""``aws2bq run`` and ``aws2bq plan``: the scheduled job, one stream after the other.

For each stream, its source (:mod:`aws2bq.sources`, found by the stream's ``kind``):

1. **discovers** the exports AWS already made for it, and the runner reads what the ledger
   says was applied (:mod:`aws2bq.runner.ledger_view`);
2. the runner **applies** every COMPLETED export not yet in the ledger, oldest first (an
   export older than the last applied one is *superseded* and skipped), through the applier
   registered for (source, export kind, mode) — see :mod:`aws2bq.runner.appliers`;
3. the source **starts** a new export when the cadence says one is due
   (:mod:`aws2bq.runner.schedule`), with a deterministic ClientToken / ExportTaskIdentifier
   so a repeat never duplicates (:mod:`aws2bq.sources.dynamodb.trigger`,
   :mod:`aws2bq.sources.rds.trigger`);
4. with ``wait``, the runner **polls** the running exports with growing intervals until they
   finish or the timeout passes, and applies them; without it, returns (the next run picks
   them up). The shared steps are :class:`aws2bq.runner.stream_run.StreamRun`'s.

One stream failing never stops the others; :class:`RunSummary` says per stream what
happened, and ``failed`` lists the streams that failed (CLI exit code 1). With
``plan_only`` nothing is started or applied: the summary lists what would be, with the SQL.

A stream needing an applier that is missing fails with a "not supported yet" message and
nothing is done for it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta

from aws2bq.aws_clients import AwsTarget, resolve_region
from aws2bq.config.model import Config
from aws2bq.core.progress import NullProgress, Progress
from aws2bq.errors import Aws2BqError, ConfigError
from aws2bq.runner.appliers import (
    APPLIERS,
    Applied,
    Applier,
    ApplyContext,
    NotYetSupportedError,
    check_supported,
    register_applier,
    required_appliers,
    table_layout,
)
from aws2bq.runner.aws import Aws
from aws2bq.runner.options import RunOptions
from aws2bq.runner.results import RunSummary, StreamResult
from aws2bq.runner.schedule import RetryPolicy
from aws2bq.runner.stream_run import BusyError, StreamRun
from aws2bq.sources import source_of
from aws2bq.warehouses import connect, resolved_location


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
    # client: none anywhere is a configuration error before any stream runs (exit 2), when a
    # selected stream calls AWS (streams of local files do not).
    region = config.aws.region
    if any(source_of(s).needs_aws(s) for s in selected):
        region = resolve_region(AwsTarget(config.aws.region, config.aws.profile))
    _check_warehouse(config)
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
        runner = StreamRun(config, stream, aws, options, progress, plan_only, wait, seconds, result)
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


def _check_warehouse(config: Config) -> None:
    """Open the warehouse once before any stream: a path or credentials aws2bq cannot use is a
    configuration error of the whole run (exit 2), not a failure of every stream. Anything
    else (another runner holds it, a transient fault) is left to each stream to report.
    Opened with the config, as the streams open it (``[bigquery]``: credentials, endpoint)."""
    try:
        connect(config.warehouse, config).close()
    except ConfigError:
        raise
    except Aws2BqError:
        pass


__all__ = [
    "APPLIERS",
    "Applied",
    "Applier",
    "ApplyContext",
    "BusyError",
    "NotYetSupportedError",
    "RunOptions",
    "RunSummary",
    "StreamResult",
    "check_supported",
    "register_applier",
    "required_appliers",
    "run_streams",
    "table_layout",
]
