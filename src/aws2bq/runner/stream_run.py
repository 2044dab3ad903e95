"""One stream's run (or plan), driven through its source.

The source (:mod:`aws2bq.sources`) discovers the stream's exports and starts new ones; this
module owns the steps every source shares, so their rules are the same everywhere:

* :meth:`StreamRun.read_ledger` — what the ledger says was applied (one view, keyed by the
  source's :class:`~aws2bq.sources.base.StreamIdentity`);
* :meth:`StreamRun.apply_ready` — apply every COMPLETED export not yet applied, oldest
  first; an export older than the last applied one is *superseded* and skipped; a failure
  stops the later ones (order matters); with ``plan_only``, the SQL and transport instead;
* :meth:`StreamRun.check_latest_failed` — the stream fails while its newest export FAILED;
* :meth:`StreamRun.finish` — with ``wait``, poll the running exports with growing
  intervals until they finish or the timeout passes, and apply them; else list them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from aws2bq.config.model import Config
from aws2bq.core.ledger import create_ledger, select_history
from aws2bq.core.progress import Progress
from aws2bq.core.transport import TransportSpec
from aws2bq.errors import Aws2BqError, TransferPending, TransientError
from aws2bq.runner.appliers import ApplyContext, applier_for, check_supported
from aws2bq.runner.aws import Aws
from aws2bq.runner.crashpoints import crashpoint
from aws2bq.runner.discovery import COMPLETED, FAILED, IN_PROGRESS, KnownExport
from aws2bq.runner.ledger_view import LedgerRow, read_ledger, rows_of
from aws2bq.runner.options import RunOptions
from aws2bq.runner.results import StreamResult
from aws2bq.runner.schedule import poll_schedule, utc
from aws2bq.sources import source_of
from aws2bq.sources.base import Source
from aws2bq.warehouses import connect
from aws2bq.warehouses.base import Warehouse


class BusyError(TransientError):
    """Another runner holds the stream (the warehouse is locked, or it applied meanwhile)."""


class StreamRun:
    """One stream's run: implements :class:`aws2bq.sources.base.StreamJob` for its source."""

    def __init__(
        self,
        config: Config,
        stream: Any,
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
        self.source: Source[Any] = source_of(stream)
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
        """The stream's ledger rows; sets ``applied_ids`` and ``last_applied`` (plan: shows
        the ledger's DDL and the history the apply reads)."""
        with self.warehouse() as wh:
            mine = rows_of(self.stream, read_ledger(wh))
            if self.plan_only:
                self.result.sql.append(wh.render(create_ledger(wh.capabilities)) + ";")
                for name in self.source.history_streams(self.stream):
                    self.result.sql.append(wh.render(select_history(name)) + ";")
        self.applied_ids = {r.export_id for r in mine}
        self.last_applied = max((r.exported_at for r in mine), default=None)
        return mine

    # -- the flow ----------------------------------------------------------------------------
    def run(self) -> None:
        """Check the stream can be served, then let its source discover, apply and start."""
        check_supported(self.stream)
        self.source.run(self, self.stream)

    # -- shared steps ------------------------------------------------------------------------
    def check_latest_failed(self, exports: list[KnownExport]) -> None:
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

    def apply_ready(self, exports: list[KnownExport]) -> None:
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
        from aws2bq.runner.change_modes import plan_change_sql

        for target in self.source.plan_targets(self.stream, self.keys):
            self.result.sql += plan_change_sql(
                wh, mode=target.mode, soft_delete=target.soft_delete, table=target.table,
                stream=target.ledger_stream, keys=target.keys, source=self.source.kind,
                export_id=export.export_id, export_kind=export.kind, exported_at=export.time,
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
        applier = applier_for(self.stream, export.kind)
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
            files = self.source.export_files(self.stream, export.location)
        except Aws2BqError as exc:
            entry["transport"] = {"error": f"cannot read the export's manifests: {exc.message}"}
            return
        entry["transport"] = plan_transport(
            self.transport_spec(),
            files,
            staging=isinstance(wh, StagingBucket),
            stream=self.source.destination(self.stream),
            export_id=export.export_id,
        )

    def _applied_meanwhile(self, wh: Warehouse, export: KnownExport) -> bool:
        try:
            rows = rows_of(self.stream, read_ledger(wh))
        except Aws2BqError:
            return False
        return any(r.export_id == export.export_id for r in rows)

    def finish(
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


__all__ = ["BusyError", "StreamRun"]
