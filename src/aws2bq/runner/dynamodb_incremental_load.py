"""Apply one incremental DynamoDB export to a table loaded from the same stream's chain.

verify (manifests, files) → chain check against the ledger (gap / out of order / empty
stream refused; the same export again is a no-op) → land the records → check counts per
file → keep the latest record per key → profile the NewImages → decide the schema → the
change set → :func:`aws2bq.core.change_apply.change_steps` (merge or history) + ledger row
in one transaction.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import sqlglot.expressions as exp

from aws2bq import __version__
from aws2bq.core import dynamodb_incremental as inc
from aws2bq.core.apply import ApplySteps, Mode
from aws2bq.core.dynamodb_types import decide_schema
from aws2bq.core.key_prune import (
    PRUNE_LIST_MAX,
    KeyFilter,
    key_bounds_select,
    key_filter,
    key_values_select,
)
from aws2bq.core.ledger import (
    LEDGER_TABLE,
    LedgerEntry,
    ledger_table,
)
from aws2bq.core.progress import Progress
from aws2bq.core.schema import TableSchema
from aws2bq.core.typed_staging import TypedStage, stage_typed_rows
from aws2bq.errors import ConfigError, ExportError
from aws2bq.runner.apply import (
    Prepared,
    Rows,
    Target,
    apply,
    apply_steps,
    ensure_ledger,
    staged,
    warehouse_for,
)
from aws2bq.runner.change_modes import run_after
from aws2bq.runner.context import failing_as
from aws2bq.runner.crashpoints import crashpoint
from aws2bq.runner.dynamodb_request import DynamoDBLoadRequest, LoadReport
from aws2bq.runner.key_checks import HINT
from aws2bq.runner.landing import land_export
from aws2bq.sources.dynamodb.export import check_staged_counts
from aws2bq.sources.dynamodb.incremental import IncrementalExport
from aws2bq.sources.dynamodb.lines import first_unkeyed_record
from aws2bq.warehouses.base import (
    DynamoDBIncrementalStaging,
    TableRef,
    Warehouse,
)


def _chain(
    wh: Warehouse, stream: str, dataset: str | None
) -> tuple[list[inc.ChainLink], TableSchema | None]:
    """The stream's applied exports and the schema after the newest one."""
    if not wh.table_exists(TableRef(LEDGER_TABLE, dataset)):
        return [], None
    col = exp.column
    select = (
        exp.select(
            col("export_id", quoted=True),
            col("export_kind", quoted=True),
            col("exported_at", quoted=True),
            col("mode", quoted=True),
            col("schema_json", quoted=True),
        )
        .from_(ledger_table(dataset))
        .where(exp.EQ(this=col("stream", quoted=True), expression=exp.Literal.string(stream)))
        .order_by(
            exp.Ordered(this=col("exported_at", quoted=True), desc=True),
            exp.Ordered(this=col("applied_at", quoted=True), desc=True),
        )
    )
    links: list[inc.ChainLink] = []
    schema: TableSchema | None = None
    for export_id, kind, exported_at, mode, schema_json in wh.query(select):
        when = exported_at if exported_at.tzinfo else exported_at.replace(tzinfo=UTC)
        links.append(inc.ChainLink(str(export_id), str(kind or ""), when, str(mode or "")))
        if schema is None and schema_json:
            schema = TableSchema.from_dict(json.loads(schema_json))
    return links, schema


def load_incremental(
    wh: Warehouse,
    export: IncrementalExport,
    request: DynamoDBLoadRequest,
    progress: Progress,
    timings: dict[str, float],
) -> LoadReport:
    """Apply ``export`` to ``request.table`` (see the module docstring)."""
    stream = request.table
    dataset: str | None = None
    ref = TableRef(stream, dataset)
    report = LoadReport(
        stream, export.export_id, export.location, wh.url, "applied", files=len(export.files)
    )
    inc.check_mode(str(request.mode), None, stream=stream)
    if not isinstance(wh, DynamoDBIncrementalStaging):
        raise ConfigError(f"the warehouse {wh.url} cannot load incremental DynamoDB exports")
    links, previous = _chain(wh, stream, dataset)
    decision = inc.check_chain(
        links,
        stream=stream,
        export_id=export.export_id,
        export_from=export.export_from,
        export_to=export.export_to,
        location=export.location,
    )
    if decision.already:
        progress.event("already applied: nothing to do", export_id=export.export_id, table=stream)
        report.status = "already_applied"
        report.schema_version = previous.version if previous else 0
        return report
    inc.check_mode(str(request.mode), decision.previous, stream=stream)

    landed = land_export(wh, request.transport, stream=stream, export=export, progress=progress)
    timings["transfer"] = landed.seconds
    t = time.monotonic()
    with staged(
        lambda: wh.stage_dynamodb_incremental(landed.files, stream=stream, progress=progress),
        wh.drop_dynamodb_incremental_staging,
    ) as staging:
        timings["stage"] = time.monotonic() - t
        typed_stage: TypedStage | None = None
        try:
            check_staged_counts(
                export.location,
                export.files,
                staging.rows_per_file,
                unit="records",
                redo="export the window again",
            )
            key_sets = wh.dynamodb_record_keys(staging)
            keys = tuple(request.keys) or (previous.keys if previous else ())
            if not keys and len(key_sets) == 1:
                keys = key_sets[0]
            if not keys:
                raise ConfigError(
                    f"the key attributes of {stream!r} are not known",
                    hint="pass --key ATTR (partition key, then sort key)",
                )
            unkeyed = wh.unkeyed_dynamodb_records(staging, keys)
            if unkeyed:
                located = first_unkeyed_record(export.files, keys)
                where = (
                    f"data file {located[0][0]} line {located[0][1]} {located[1]}"
                    if located
                    else f"{unkeyed} record(s) cannot be keyed by {', '.join(keys)}"
                )
                raise ExportError(
                    f"export {export.location}: {where}; a change without its key "
                    f"({', '.join(keys)}) cannot be applied",
                    hint=HINT,
                )
            for found in key_sets:
                if set(found) != set(keys):
                    raise ExportError(
                        f"export {export.location}: records are keyed by {', '.join(found)}, but "
                        f"{stream!r} is keyed by {', '.join(keys)}",
                        hint="pass the table's key attributes with --key",
                    )
            t = time.monotonic()
            kept = wh.dedup_dynamodb_changes(staging, keys=keys, since=decision.since)
            stats = wh.profile_dynamodb_changes(staging)
            timings["profile"] = time.monotonic() - t
            schema_decision = decide_schema(
                previous, stats, keys=keys, names=wh.capabilities.column_names
            )
            changes_sql = wh.dialect.dynamodb_changes_select(staging, schema_decision.schema)
            if wh.typed_staging_hours is not None:
                # Wide tables: the typed change set in a table of its own first, so the apply
                # script names columns instead of carrying every conversion (issue 12.12).
                typed_stage = stage_typed_rows(
                    changes_sql, table=stream, dataset=dataset, hours=wh.typed_staging_hours
                )
                wh.execute(typed_stage.create)
                changes_sql = typed_stage.rows
            crashpoint("typed")
            entry = LedgerEntry(
                stream=stream,
                source="dynamodb",
                export_id=export.export_id,
                export_arn=export.export_arn,
                export_kind=inc.KIND_INCREMENTAL,
                export_location=export.location,
                exported_at=export.export_to,
                mode=str(request.mode),
                files=len(export.files),
                manifest_items=export.item_count,
                rows_after=kept,
                bytes=staging.bytes,
                schema=schema_decision.schema,
                changes={
                    "added": list(schema_decision.added),
                    "widened": [list(w) for w in schema_decision.widened],
                    "view_type": export.view_type,
                    "records": staging.rows,
                    "changes": kept,
                },
                applied_at=datetime.now(UTC),
                duration_seconds=round(sum(timings.values()), 3),
                aws2bq_version=__version__,
                export_from=export.export_from,
                export_to=export.export_to,
            )
            target = Target(
                table=ref,
                mode=Mode(request.mode),
                schema=schema_decision.schema,
                previous=previous,
                entry=entry,
                soft_delete=request.soft_delete,
                layout=request.layout,
                widening=wh.dialect.dynamodb_widening(),
            )
            steps = apply_steps(
                wh, target, changes_sql, Rows.CHANGES, prune=_prune(wh, changes_sql, target.schema)
            )
            t = time.monotonic()
            ensure_ledger(wh, dataset)
            apply(wh, [Prepared(ref, target.schema, steps)], progress, rows=kept)
            landed.release(progress)
            timings["apply"] = time.monotonic() - t
        finally:
            if typed_stage is not None:
                run_after(wh, [ApplySteps(after=[typed_stage.drop])], progress)

    report.rows = kept
    report.bytes = staging.bytes
    report.columns_added = list(schema_decision.added)
    report.columns_widened = list(schema_decision.widened)
    report.schema_version = schema_decision.schema.version
    report.timings = timings
    report.transport = landed.report(staging.details)
    progress.event(
        "applied",
        table=stream,
        changes=kept,
        window=f"[{export.export_from.isoformat()}, {export.export_to.isoformat()})",
        columns_added=len(schema_decision.added),
    )
    return report


def load_incremental_export(
    request: DynamoDBLoadRequest,
    *,
    progress: Progress,
    warehouse: Warehouse | None = None,
) -> LoadReport:
    """``aws2bq load dynamodb`` on an incremental export: read, verify, apply."""
    from aws2bq.sources.dynamodb.incremental import read_incremental_export

    started = time.monotonic()
    timings: dict[str, float] = {}
    inc.check_mode(str(request.mode), None, stream=request.table)
    t = time.monotonic()
    export = read_incremental_export(request.export, request.aws)
    timings["manifests"] = time.monotonic() - t
    crashpoint("manifests")
    progress.event(
        "export found",
        export=export.location,
        export_id=export.export_id,
        kind=inc.KIND_INCREMENTAL,
        window=f"[{export.export_from.isoformat()}, {export.export_to.isoformat()})",
        view=export.view_type,
        records=export.item_count,
        files=len(export.files),
    )
    with (
        warehouse_for(request.warehouse, warehouse) as wh,
        failing_as(f"export {export.location} into table {request.table!r}"),
    ):
        report = load_incremental(wh, export, request, progress, timings)
    report.seconds = time.monotonic() - started
    return report


def _prune(wh: Warehouse, changes: exp.Select, schema: TableSchema) -> KeyFilter | None:
    """The constant key filter the change set allows (issue 12 fault 17): the changed keys
    themselves when few, else their range; the target's other blocks are not read."""
    if not schema.keys:
        return None
    ((low, high, count),) = wh.query(key_bounds_select(changes, schema))
    values = None
    if count and count <= PRUNE_LIST_MAX:
        values = [row[0] for row in wh.query(key_values_select(changes, schema))]
    return key_filter(schema, (low, high, count), values)
