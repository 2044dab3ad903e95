"""Load one full DynamoDB export into a warehouse table.

verify (manifests, files) → land (stage, MD5 while streaming) → check counts per file →
profile → decide the schema → typed SELECT → apply + ledger in one transaction
(:mod:`aws2bq.runner.apply`). Nothing reaches the destination table or the ledger unless
every check passed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import sqlglot.expressions as exp

from aws2bq import __version__
from aws2bq.core.dynamodb_types import decide_schema
from aws2bq.core.ledger import LedgerEntry
from aws2bq.core.progress import Progress
from aws2bq.errors import ConfigError, ExportError
from aws2bq.runner.apply import (
    Prepared,
    Rows,
    Target,
    already_applied,
    apply,
    apply_steps,
    check_not_older,
    ledger_history,
    staged,
    warehouse_for,
)
from aws2bq.runner.change_modes import check_soft_delete, dynamodb_keys
from aws2bq.runner.context import failing_as
from aws2bq.runner.crashpoints import crashpoint
from aws2bq.runner.dynamodb_request import DynamoDBLoadRequest, LoadReport
from aws2bq.runner.key_checks import check_keys, dynamodb_finders
from aws2bq.runner.landing import land_export
from aws2bq.sources.dynamodb.export import DynamoDBExport, check_staged_counts, read_export
from aws2bq.warehouses.base import DynamoDBStaging, TableRef, Warehouse


def load_full_export(
    request: DynamoDBLoadRequest,
    *,
    progress: Progress,
    warehouse: Warehouse | None = None,
) -> LoadReport:
    """``aws2bq load dynamodb`` on a full export: read, verify, apply (module docstring)."""
    started = time.monotonic()
    timings: dict[str, float] = {}
    check_soft_delete(request.mode, request.soft_delete)

    t = time.monotonic()
    export = read_export(request.export, request.aws)
    timings["manifests"] = time.monotonic() - t
    crashpoint("manifests")
    progress.event(
        "export found",
        export=export.location,
        export_id=export.export_id,
        items=export.item_count,
        files=len(export.files),
    )

    with (
        warehouse_for(request.warehouse, warehouse) as wh,
        failing_as(f"export {export.location} into table {request.table!r}"),
    ):
        report = _load(wh, export, request, progress, timings)
    report.seconds = time.monotonic() - started
    return report


def _load(
    wh: Warehouse,
    export: DynamoDBExport,
    request: DynamoDBLoadRequest,
    progress: Progress,
    timings: dict[str, float],
) -> LoadReport:
    stream = request.table
    report = LoadReport(
        stream, export.export_id, export.location, wh.url, "applied", files=len(export.files)
    )
    if not isinstance(wh, DynamoDBStaging):
        raise ConfigError(f"the warehouse {wh.url} cannot load DynamoDB exports")
    ref = TableRef(stream, None)

    history = ledger_history(wh, stream, ref.dataset)
    if already_applied(history, export.export_id):
        progress.event("already applied: nothing to do", export_id=export.export_id, table=stream)
        report.status = "already_applied"
        report.rows = export.item_count
        report.schema_version = history[0].schema.version
        return report
    check_not_older(
        history,
        export.exported_at,
        force=request.force,
        refuse=lambda newest: ExportError(
            f"export {export.location} (exported {export.exported_at.isoformat()}) is older "
            f"than {newest.export_id} (exported {newest.exported_at.isoformat()}), "
            f"already applied to {stream!r}",
            hint="pass --force to load it anyway (the table will go back in time)",
        ),
    )
    previous = history[0].schema if history else None
    keys = dynamodb_keys(
        request.keys, previous, export.table_arn, request.mode, f"table {stream!r}", request.aws
    )

    landed = land_export(wh, request.transport, stream=stream, export=export, progress=progress)
    timings["transfer"] = landed.seconds
    t = time.monotonic()
    with staged(
        lambda: wh.stage_dynamodb_export(landed.files, stream=stream, progress=progress),
        wh.drop_dynamodb_staging,
    ) as staging:
        timings["stage"] = time.monotonic() - t
        check_staged_counts(
            export.location,
            export.files,
            staging.rows_per_file,
            unit="items",
            redo="re-export the table",
        )
        t = time.monotonic()
        stats = wh.profile_dynamodb(staging)
        timings["profile"] = time.monotonic() - t
        decision = decide_schema(
            previous,
            stats,
            keys=keys,
            names=wh.capabilities.column_names,
        )
        if decision.missing_keys and export.item_count:
            raise ConfigError(
                f"key attribute(s) {', '.join(decision.missing_keys)} not found in export "
                f"{export.location}",
                hint=f"attributes present: {', '.join(sorted(stats)[:20])}",
            )
        system_values: dict[str, exp.Expression] = {
            "_aws2bq_export_id": exp.Literal.string(export.export_id),
            "_aws2bq_exported_at": exp.Literal.string(export.exported_at.isoformat()),
        }
        typed = wh.dialect.dynamodb_typed_select(staging, decision.schema, system_values)
        unkeyed, places = dynamodb_finders(export.files, decision.schema.keys)
        check_keys(
            wh,
            typed,
            decision.schema,
            what=f"export {export.location}",
            unit="item",
            find_unkeyed=unkeyed,
            find_places=places,
        )
        crashpoint("typed")
        changes = {"added": list(decision.added), "widened": [list(w) for w in decision.widened]}
        entry = LedgerEntry(
            stream=stream,
            source="dynamodb",
            export_id=export.export_id,
            export_arn=export.export_arn,
            export_kind="full",
            export_location=export.location,
            exported_at=export.exported_at,
            mode=str(request.mode),
            files=len(export.files),
            manifest_items=export.item_count,
            rows_after=staging.rows,
            bytes=staging.bytes,
            schema=decision.schema,
            changes=changes,
            applied_at=datetime.now(UTC),
            duration_seconds=round(sum(timings.values()), 3),
            aws2bq_version=__version__,
        )
        target = Target(
            table=ref,
            mode=request.mode,
            schema=decision.schema,
            previous=previous,
            entry=entry,
            soft_delete=request.soft_delete,
            layout=request.layout,
            widening=wh.dialect.dynamodb_widening(),
        )
        steps = apply_steps(wh, target, typed, Rows.SNAPSHOT, snapshot_time=export.exported_at)
        t = time.monotonic()
        apply(wh, [Prepared(ref, decision.schema, steps)], progress, rows=staging.rows)
        landed.release(progress)
        timings["apply"] = time.monotonic() - t

    report.rows = staging.rows
    report.bytes = staging.bytes
    report.columns_added = list(decision.added)
    report.columns_widened = list(decision.widened)
    report.schema_version = decision.schema.version
    report.timings = timings
    report.transport = landed.report(staging.details)
    progress.event(
        "applied",
        table=stream,
        rows=staging.rows,
        columns_added=len(decision.added),
        columns_widened=len(decision.widened),
    )
    return report
