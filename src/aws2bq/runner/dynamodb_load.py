"""Load one full DynamoDB export into a warehouse table.

verify (manifests, files) → land (stage, MD5 while streaming) → check counts per file →
profile → decide the schema → typed SELECT → apply + ledger in one transaction.
Nothing reaches the destination table or the ledger unless every check passed.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlglot.expressions as exp

from aws2bq import __version__
from aws2bq.core.apply import NEW_SUFFIX, Mode
from aws2bq.core.dynamodb_types import decide_schema
from aws2bq.core.ledger import LEDGER_TABLE, LedgerEntry, select_history
from aws2bq.core.progress import NullProgress, Progress
from aws2bq.core.replace_apply import replace_steps
from aws2bq.core.schema import TableSchema
from aws2bq.errors import ConfigError, ExportError
from aws2bq.runner.change_modes import (
    check_soft_delete,
    describe_columns,
    dynamodb_keys,
    first_write_split,
    run_after,
    snapshot_apply_steps,
)
from aws2bq.runner.context import failing_as
from aws2bq.runner.crashpoints import crashpoint

# Re-exported: callers import the request and the report with load_dynamodb.
from aws2bq.runner.dynamodb_request import DynamoDBLoadRequest as DynamoDBLoadRequest
from aws2bq.runner.dynamodb_request import LoadReport as LoadReport
from aws2bq.runner.key_checks import check_keys, dynamodb_finders
from aws2bq.runner.landing import land_export
from aws2bq.sources.dynamodb.export import DynamoDBExport, check_staged_counts, read_export
from aws2bq.warehouses import connect, parse_url
from aws2bq.warehouses.base import DynamoDBStaging, TableRef, Warehouse

# BigQuery table names: letters, marks, numbers, connectors, dashes, spaces; ≤1024 bytes.
_TABLE_NAME = re.compile(r"[\w\- ]+")


def _check_table_name(name: str) -> None:
    if not name or not _TABLE_NAME.fullmatch(name) or len(name.encode()) > 1024:
        raise ConfigError(
            f"invalid table name {name!r}",
            hint="use letters, digits, underscores, dashes or spaces (≤1024 bytes)",
        )
    if name.lower().startswith("_aws2bq_") or name.lower().endswith(NEW_SUFFIX):
        raise ConfigError(f"table name {name!r} is reserved for aws2bq's own tables")


@dataclass(frozen=True)
class _Applied:
    export_id: str
    exported_at: datetime
    schema: TableSchema


def _history(wh: Warehouse, stream: str, dataset: str | None) -> list[_Applied]:
    if not wh.table_exists(TableRef(LEDGER_TABLE, dataset)):
        return []
    rows = wh.query(select_history(stream, dataset))
    out = []
    for export_id, exported_at, schema_json, _, _ in rows:
        when = exported_at if exported_at.tzinfo else exported_at.replace(tzinfo=UTC)
        out.append(_Applied(str(export_id), when, TableSchema.from_dict(json.loads(schema_json))))
    return out


def load_dynamodb(
    request: DynamoDBLoadRequest,
    *,
    progress: Progress | None = None,
    warehouse: Warehouse | None = None,
) -> LoadReport:
    """Apply one full DynamoDB export to ``request.table`` (see module docstring)."""
    progress = progress or NullProgress()
    from aws2bq.sources.dynamodb.incremental import INCREMENTAL, export_type

    # Usage first (exit 2 before anything is read): the warehouse URL, the table name.
    if warehouse is None:
        parse_url(request.warehouse)
    _check_table_name(request.table)
    if export_type(request.export, request.aws) == INCREMENTAL:
        from aws2bq.runner.dynamodb_incremental_load import load_incremental_export

        return load_incremental_export(request, progress=progress, warehouse=warehouse)
    started = time.monotonic()
    timings: dict[str, float] = {}
    check_soft_delete(request.mode, request.soft_delete)
    _check_table_name(request.table)

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

    wh = warehouse or connect(request.warehouse)
    try:
        with failing_as(f"export {export.location} into table {request.table!r}"):
            report = _load(wh, export, request, progress, timings)
    finally:
        if warehouse is None:
            wh.close()
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
    dataset: str | None = None

    history = _history(wh, stream, dataset)
    if any(h.export_id == export.export_id for h in history):
        progress.event("already applied: nothing to do", export_id=export.export_id, table=stream)
        report.status = "already_applied"
        report.rows = export.item_count
        report.schema_version = history[0].schema.version
        return report
    if history and export.exported_at < history[0].exported_at and not request.force:
        raise ExportError(
            f"export {export.location} (exported {export.exported_at.isoformat()}) is older "
            f"than {history[0].export_id} (exported {history[0].exported_at.isoformat()}), "
            f"already applied to {stream!r}",
            hint="pass --force to load it anyway (the table will go back in time)",
        )
    previous = history[0].schema if history else None
    keys = dynamodb_keys(
        request.keys, previous, export.table_arn, request.mode, f"table {stream!r}", request.aws
    )

    landed = land_export(wh, request.transport, stream=stream, export=export, progress=progress)
    timings["transfer"] = landed.seconds
    t = time.monotonic()
    staged = wh.stage_dynamodb_export(landed.files, stream=stream, progress=progress)
    timings["stage"] = time.monotonic() - t
    crashpoint("staged")
    try:
        check_staged_counts(
            export.location,
            export.files,
            staged.rows_per_file,
            unit="items",
            redo="re-export the table",
        )
        t = time.monotonic()
        stats = wh.profile_dynamodb(staged)
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
        caps = wh.capabilities
        system_values: dict[str, exp.Expression] = {
            "_aws2bq_export_id": exp.Literal.string(export.export_id),
            "_aws2bq_exported_at": exp.Literal.string(export.exported_at.isoformat()),
        }
        typed = wh.dynamodb_typed_select(staged, decision.schema, system_values)
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
            rows_after=staged.rows,
            bytes=staged.bytes,
            schema=decision.schema,
            changes=changes,
            applied_at=datetime.now(UTC),
            duration_seconds=round(sum(timings.values()), 3),
            aws2bq_version=__version__,
        )
        if request.mode is Mode.REPLACE:
            steps = replace_steps(
                table=stream,
                dataset=dataset,
                schema=decision.schema,
                typed_rows=typed,
                entry=entry,
                caps=caps,
                table_exists=(columns := wh.table_columns(TableRef(stream, dataset))) is not None,
                layout=request.layout,
                previous=previous,
                existing=dict(columns or []),
                widening=wh.dynamodb_widening(),
                split=first_write_split(
                    wh,
                    request.layout,
                    decision.schema,
                    typed,
                    TableRef(stream, dataset),
                    replace=True,
                ),
            )
        else:
            steps = snapshot_apply_steps(
                wh,
                mode=request.mode,
                soft_delete=request.soft_delete,
                table=stream,
                dataset=dataset,
                schema=decision.schema,
                previous=previous,
                snapshot=typed,
                snapshot_time=export.exported_at,
                entry=entry,
                layout=request.layout,
                widening=wh.dynamodb_widening(),
            )
        t = time.monotonic()
        progress.start("apply", rows=staged.rows)
        try:
            for statement in steps.before:
                wh.execute(statement)
            crashpoint("apply:begin")
            wh.transaction(steps.transaction)
        finally:
            run_after(wh, [steps], progress)
        crashpoint("applied")
        landed.release(progress)
        describe_columns(wh, TableRef(stream, dataset), decision.schema)
        progress.advance("apply", rows=staged.rows)
        timings["apply"] = time.monotonic() - t
    finally:
        wh.drop_dynamodb_staging(staged)

    report.rows = staged.rows
    report.bytes = staged.bytes
    report.columns_added = list(decision.added)
    report.columns_widened = list(decision.widened)
    report.schema_version = decision.schema.version
    report.timings = timings
    report.transport = landed.report(staged.details)
    progress.event(
        "applied",
        table=stream,
        rows=staged.rows,
        columns_added=len(decision.added),
        columns_widened=len(decision.widened),
    )
    return report
