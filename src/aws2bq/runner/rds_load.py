"""Load an RDS / Aurora snapshot export into warehouse tables: all of them, or none.

Per exported table (stream ``rds:<db>.<table>`` / ``rds:<db>.<schema>.<table>``):
verify (export COMPLETE, table COMPLETE and not skipped, partitions complete, files present,
keys unique) → land the Parquet files (stage) → decide the types (originalTypeMappings +
storage + profiles of text-stored numbers) → typed SELECT → replace / merge / history
statements + the table's ledger row.

By default every table is verified and staged before any is applied, and the export's
tables change in **one transaction** with their ledger rows (BigQuery: one multi-statement
transaction; DDL it cannot run inside, such as creating a new table, runs before it). One bad
table refuses the export and nothing is applied. ``per_table`` (``--per-table``, config
``per_table = true``) applies each table in its own transaction instead: a table that fails
is reported (the CLI then exits with 1) and the others are applied, so the warehouse may mix
two snapshots. A table whose export is already in the ledger is left alone; an export older
than the one applied is refused unless forced.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import sqlglot.expressions as exp

from aws2bq import __version__
from aws2bq.aws_clients import AwsTarget
from aws2bq.core.apply import ApplySteps, Mode
from aws2bq.core.layout import TableLayout
from aws2bq.core.ledger import LedgerEntry
from aws2bq.core.progress import NullProgress, Progress
from aws2bq.core.rds_sql import UnsupportedStorage
from aws2bq.core.rds_types import Engine, NumberProfile, RawType, TablePlan, plan_table
from aws2bq.core.schema import ColumnType, TableSchema
from aws2bq.core.schema_evolution import evolve_schema
from aws2bq.core.transport import DIRECT, TransportSpec
from aws2bq.errors import (
    Aws2BqError,
    ConfigError,
    ExportError,
    TypeConversionError,
    ValueLossError,
)
from aws2bq.runner.apply import (
    Applied,
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
from aws2bq.runner.change_modes import (
    NoKeyError,
    check_soft_delete,
    require_keys,
)
from aws2bq.runner.context import failing_as
from aws2bq.runner.crashpoints import crashpoint
from aws2bq.runner.key_checks import check_keys
from aws2bq.runner.landing import land
from aws2bq.sources.rds.export import RdsExport, RdsTable, read_export
from aws2bq.sources.rds.names import table_name
from aws2bq.warehouses import DEFAULT_URL, parse_url, rds_queries, resolved_location
from aws2bq.warehouses.base import RawFile, RdsStaging, StagedRdsTable, TableRef, Warehouse


@dataclass(frozen=True)
class RdsLoadRequest:
    """What ``aws2bq load rds`` asks for."""

    export: str
    #: ``db``, ``db.table`` (PostgreSQL ``db.schema[.table]``); empty = every table.
    only: tuple[str, ...] = ()
    mode: Mode = Mode.REPLACE
    #: Primary key columns per target (``db.table`` → columns), for the merge/history modes.
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    warehouse: str = DEFAULT_URL
    force: bool = False
    #: Merge mode: keep deleted rows flagged (``_aws2bq_deleted``) instead of removing them.
    soft_delete: bool = False
    #: Per target (``db.table``): mode / soft delete overriding the request's (config).
    table_modes: Mapping[str, tuple[Mode, bool]] = field(default_factory=dict)
    #: Destination table name: ``{db}``, ``{schema}``, ``{table}``; None = the default
    #: (``{db}__{table}``, PostgreSQL ``{db}__{schema}__{table}``).
    table_name_template: str | None = None
    #: Per target (``db.table``): partitioning / clustering when the table is created (config).
    table_layouts: Mapping[str, TableLayout] = field(default_factory=dict)
    #: How the files reach the warehouse (direct, or staged in GCS; see core.transport).
    transport: TransportSpec = DIRECT
    #: The stream's name (its staged files land under it; ``aws2bq status`` looks there).
    stream: str = "rds"
    #: Apply each table in its own transaction, the good ones even if others fail (default:
    #: the whole export in one transaction, or nothing).
    per_table: bool = False
    #: Region and profile of the export's S3 reads (None: the environment's).
    aws: AwsTarget = field(default_factory=AwsTarget)


@dataclass
class TableReport:
    """What happened to one exported table."""

    target: str
    table: str
    stream: str
    status: str  # "applied" | "already_applied" | "failed"
    rows: int = 0
    files: int = 0
    bytes: int = 0
    schema_version: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    #: Columns widened because valid values did not fit their planned type (issue 10.4):
    #: ``{"column", "from", "to", "values", "example"}``.
    widened: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    #: Load jobs from gs:// run for this table, and found done from an earlier run.
    load_jobs: int = 0
    load_jobs_reused: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "table": self.table,
            "stream": self.stream,
            "status": self.status,
            "rows": self.rows,
            "files": self.files,
            "bytes": self.bytes,
            "schema_version": self.schema_version,
            "columns": self.columns,
            "widened": self.widened,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class RdsLoadReport:
    """What a load of one RDS export did."""

    export_id: str
    export_location: str
    warehouse: str
    snapshot_time: datetime
    tables: list[TableReport] = field(default_factory=list)
    seconds: float = 0.0
    #: How the files got there: route, bytes moved, transfer and load jobs, seconds.
    transport: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables if t.status == "applied")

    @property
    def failed(self) -> list[TableReport]:
        return [t for t in self.tables if t.status == "failed"]

    @property
    def warehouse_location(self) -> str:
        """The DuckDB file's absolute path / the BigQuery dataset the URL names."""
        return resolved_location(self.warehouse)

    def to_dict(self) -> dict[str, Any]:
        return {
            "export_id": self.export_id,
            "export": self.export_location,
            "warehouse": self.warehouse,
            "warehouse_location": self.warehouse_location,
            "snapshot_time": self.snapshot_time.isoformat(),
            "rows": self.rows,
            "failed": len(self.failed),
            "tables": [t.to_dict() for t in self.tables],
            "seconds": round(self.seconds, 3),
            "transport": self.transport,
        }


def _selected(table: RdsTable, only: tuple[str, ...]) -> bool:
    if not only:
        return True
    names = table.folder_names
    prefixes = {".".join(names[:n]) for n in range(1, len(names) + 1)}
    return any(entry in prefixes for entry in only)


def _check_request(export: RdsExport, request: RdsLoadRequest) -> None:
    targets = [t.target for t in export.tables]
    for entry in request.only:
        if not any(_selected(t, (entry,)) for t in export.tables):
            raise ConfigError(
                f"--only {entry}: no such database or table in export {export.location}",
                hint=f"tables in the export: {', '.join(targets[:20]) or 'none'}",
            )
    for target, columns in request.keys.items():
        if target not in targets:
            raise ConfigError(
                f"--key {target}: no such table in export {export.location}",
                hint=f"tables in the export: {', '.join(targets[:20]) or 'none'}",
            )
        known = {c.name for c in export.table(target).columns}
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise ConfigError(
                f"--key {target}: column(s) {', '.join(unknown)} not in the table",
                hint=f"columns: {', '.join(sorted(known)[:30])}",
            )


def load_rds(
    request: RdsLoadRequest,
    *,
    progress: Progress | None = None,
    warehouse: Warehouse | None = None,
) -> RdsLoadReport:
    """Apply every (selected) table of one RDS export; see the module docstring.

    By default the export is applied **all or none**: every table is verified and staged
    first, then all of them change in one transaction (with their ledger rows), and any
    problem refuses the whole export (``ExportError`` / ``TypeConversionError``) with nothing
    applied. With ``request.per_table`` each table is applied on its own: a bad table is
    reported in the result (``failed``) and the others are applied.
    """
    progress = progress or NullProgress()
    started = time.monotonic()
    check_soft_delete(request.mode, request.soft_delete)
    if warehouse is None:
        parse_url(request.warehouse)  # a bad URL is a usage error, found before any read
    export = read_export(request.export, request.aws)
    _check_request(export, request)
    crashpoint("manifests")
    tables = [t for t in export.tables if _selected(t, request.only)]
    names = {t.target: table_name(t, request.table_name_template) for t in tables}
    clashes = {n for n in names.values() if list(names.values()).count(n) > 1}
    if clashes:
        raise ConfigError(
            f"several tables would be loaded into {', '.join(sorted(clashes))}",
            hint="use a --table-name-template that tells them apart",
        )
    progress.event(
        "export found",
        export=export.location,
        export_id=export.export_id,
        tables=len(tables),
        snapshot_time=export.snapshot_time.isoformat(),
    )
    with warehouse_for(request.warehouse, warehouse) as wh:
        report = RdsLoadReport(export.export_id, export.location, wh.url, export.snapshot_time)
        if not isinstance(wh, RdsStaging):
            raise ConfigError(f"the warehouse {wh.url} cannot load RDS exports")
        reports = [
            TableReport(t.target, names[t.target], f"rds:{t.target}", "applied") for t in tables
        ]
        with failing_as(f"export {export.location}"):
            # One landing for the export: the files of every table not applied yet.
            pending = [
                t
                for t in tables
                if t.problem is None
                and not already_applied(ledger_history(wh, f"rds:{t.target}"), export.export_id)
            ]
            landed = land(
                wh,
                request.transport,
                stream=request.stream,
                export_id=export.export_id,
                location=export.location,
                files=[f for t in pending for f in t.files],
                progress=progress,
            )
            by_key = {f.key: f for f in landed.files}
            files = {t.target: [by_key.get(f.key, f) for f in t.files] for t in tables}
            if request.per_table:
                _load_per_table(wh, export, tables, reports, request, progress, files)
            else:
                _load_all_or_none(wh, export, tables, reports, request, progress, files)
        report.tables.extend(reports)
        if not report.failed:
            landed.release(progress)
        report.transport = landed.report(
            {
                "load_jobs": sum(t.load_jobs for t in report.tables),
                "load_jobs_reused": sum(t.load_jobs_reused for t in report.tables),
            }
        )
    report.seconds = time.monotonic() - started
    return report


class OlderExportError(ExportError):
    """The export is older than the one already applied to a table (``--force`` loads it)."""


@dataclass
class _Prepared:
    """One table, staged and typed, with the statements that apply it."""

    table: RdsTable
    report: TableReport
    staged: StagedRdsTable
    plan: TablePlan
    schema: TableSchema
    steps: ApplySteps


def _pending(
    wh: Warehouse,
    export: RdsExport,
    table: RdsTable,
    report: TableReport,
    request: RdsLoadRequest,
    progress: Progress,
) -> list[Applied] | None:
    """The table's ledger history if it must be applied; None if the export is in it already.

    Raises ``ExportError`` for an export older than the applied one (unless forced) or for a
    table the export could not deliver (:attr:`RdsTable.problem`), and ``NoKeyError`` when
    the mode needs a key nobody gave.
    """
    where = f"export {export.location}: table {table.target}"
    history = ledger_history(wh, report.stream)
    if already_applied(history, export.export_id):
        progress.event("already applied: nothing to do", table=table.target)
        report.status = "already_applied"
        report.schema_version = history[0].schema.version
        return None
    check_not_older(
        history,
        export.snapshot_time,
        force=request.force,
        refuse=lambda newest: OlderExportError(
            f"{where}: snapshot time {export.snapshot_time.isoformat()} is older than that of "
            f"{newest.export_id} ({newest.exported_at.isoformat()}), already applied "
            f"to {report.table!r}",
            hint="pass --force to load it anyway (the table will go back in time)",
        ),
    )
    if table.problem is not None:
        raise ExportError(f"{where} cannot be loaded: {table.problem}")
    mode, _ = request.table_modes.get(table.target, (request.mode, request.soft_delete))
    require_keys(
        request.keys.get(table.target, ()) or (history[0].schema.keys if history else ()),
        mode,
        where,
        f"pass --key {table.target}=COLUMN[,COLUMN...] or use --mode replace",
    )
    return history


def _count_load_jobs(report: TableReport, staged: StagedRdsTable) -> None:
    """Load jobs the stager ran from gs:// (and found done from an earlier run)."""
    report.load_jobs = int(staged.details.get("load_jobs", 0))
    report.load_jobs_reused = int(staged.details.get("load_jobs_reused", 0))


def _load_all_or_none(
    wh: Warehouse,
    export: RdsExport,
    tables: list[RdsTable],
    reports: list[TableReport],
    request: RdsLoadRequest,
    progress: Progress,
    files: Mapping[str, Sequence[RawFile]],
) -> None:
    """Verify and stage every table, then apply them all in one transaction (or none).

    ``files`` are each table's files as the transport landed them (by target)."""
    assert isinstance(wh, RdsStaging)
    todo: list[tuple[RdsTable, TableReport, list[Applied]]] = []
    problems: list[str] = []
    for table, report in zip(tables, reports, strict=True):
        if table.skipped:
            # Not part of the snapshot AWS wrote: reported (exit 1), the others still apply.
            report.status = "failed"
            report.error = f"export {export.location}: table {table.target}: {table.problem}"
            progress.event("table skipped by AWS", table=table.target, reason=table.problem)
            continue
        try:
            history = _pending(wh, export, table, report, request, progress)
        except OlderExportError:
            raise
        except (ExportError, NoKeyError) as exc:
            problems.append(exc.message.removeprefix(f"export {export.location}: "))
            continue
        if history is not None:
            todo.append((table, report, history))
    if problems:
        raise ExportError(
            f"export {export.location}: {len(problems)} of "
            f"{sum(1 for t in tables if not t.skipped)} table(s) cannot be loaded, so none "
            f"is: {'; '.join(problems)}",
            hint="an RDS export is applied all or none; fix or re-run the export (or pass "
            "--per-table to apply the other tables alone)",
        )
    prepared: list[_Prepared] = []
    # Every table staged stays until the one transaction is over, whatever happens.
    with ExitStack() as stack:
        for table, report, history in todo:
            t0 = time.monotonic()
            staging = stack.enter_context(
                staged(
                    partial(
                        wh.stage_rds_table,
                        files[table.target],
                        stream=report.stream,
                        progress=progress,
                    ),
                    wh.drop_rds_staging,
                )
            )
            _count_load_jobs(report, staging)
            prepared.append(
                _prepare(wh, export, table, staging, report, request, history, progress)
            )
            report.seconds = time.monotonic() - t0
        if not prepared:
            return
        _execute(wh, export, prepared, progress)


def _widen_to_fit(
    wh: Warehouse,
    staged: StagedRdsTable,
    plan: TablePlan,
    replan: Callable[[Mapping[str, ColumnType]], TablePlan],
    engine: Engine,
    target: str,
    report: TableReport,
    progress: Progress,
) -> TablePlan:
    """The plan with every column whose valid values do not fit its type widened.

    A source value the planned type cannot hold (a 2-D or bounds-decorated PostgreSQL array,
    a BC date on BigQuery, a PostgreSQL time of 24:00:00 on BigQuery …) widens its column to
    the next of :meth:`ColumnPlan.wider_types` — JSON keeping the nesting, then the exact
    text — and the widening is reported; the table is never refused for valid data. A
    column with no wider type keeps it, and the apply reports the values it cannot convert.
    """
    if not staged.sources:
        return plan
    widened: dict[str, ColumnType] = {}
    for _ in range(3):  # ARRAY → JSON → exact text: at most two steps, then a check
        by_name = {p.column.name: p for p in plan.columns}
        changes: dict[str, ColumnType] = {}
        for name, count, example in rds_queries.losses(wh, staged, plan, engine):
            column = by_name[name]
            wider = column.widening()
            if wider is None:
                continue
            changes[column.source.name] = wider
            report.widened.append(
                {
                    "column": column.source.name,
                    "from": str(column.column.type),
                    "to": str(wider),
                    "values": count,
                    "example": example,
                }
            )
            progress.event(
                "column widened",
                table=target,
                column=column.source.name,
                to=str(wider),
                values=count,
                example=example[:200],
            )
        if not changes:
            return plan
        widened.update(changes)
        plan = replan(widened)
    return plan


def _load_per_table(
    wh: Warehouse,
    export: RdsExport,
    tables: list[RdsTable],
    reports: list[TableReport],
    request: RdsLoadRequest,
    progress: Progress,
    files: Mapping[str, Sequence[RawFile]],
) -> None:
    """``--per-table``: each table in its own transaction; a failed table is reported and
    the others are still applied (the warehouse may then mix snapshots across tables)."""
    assert isinstance(wh, RdsStaging)
    for table, report in zip(tables, reports, strict=True):
        t0 = time.monotonic()
        try:
            history = _pending(wh, export, table, report, request, progress)
            if history is not None:
                stage = partial(
                    wh.stage_rds_table, files[table.target], stream=report.stream, progress=progress
                )
                with staged(stage, wh.drop_rds_staging) as staging:
                    _count_load_jobs(report, staging)
                    with failing_as(f"export {export.location}: table {table.target}"):
                        one = _prepare(
                            wh, export, table, staging, report, request, history, progress
                        )
                        _execute(wh, export, [one], progress)
        except Aws2BqError as exc:
            if isinstance(exc, ConfigError) and not isinstance(exc, TypeConversionError):
                raise
            report.status = "failed"
            report.error = str(exc)
            progress.event("table failed", table=table.target, error=exc.message)
        report.seconds = time.monotonic() - t0


def _prepare(
    wh: Warehouse,
    export: RdsExport,
    table: RdsTable,
    staged: StagedRdsTable,
    report: TableReport,
    request: RdsLoadRequest,
    history: list[Applied],
    progress: Progress,
) -> _Prepared:
    """Decide the table's types and build its apply statements (nothing is changed yet)."""
    assert isinstance(wh, RdsStaging)
    where = f"export {export.location}: table {table.target}"
    known = {c.name for c in table.columns}
    raws: dict[str, list[RawType]] = {}
    for source in staged.sources:
        extra = sorted(set(source.raws) - known)
        if extra:
            raise ExportError(
                f"{where}: the Parquet files hold column(s) {', '.join(extra)} that "
                "export_tables_info does not list",
                hint="the export's metadata and files disagree; re-run the export task",
            )
        # A column the export's own metadata declares must be in every file: a file without
        # it would turn its values into NULLs (a column really dropped at the source is
        # absent from originalTypeMappings too, and keeps its values by the schema rules).
        lacking = [c.name for c in table.columns if c.name not in source.raws]
        if lacking:
            files = ", ".join(source.files[:3]) + (" …" if len(source.files) > 3 else "")
            raise ExportError(
                f"{where}: export_tables_info declares column(s) {', '.join(lacking)} but "
                f"data file(s) {files or '(unnamed)'} lack them",
                hint="the export's metadata and files disagree; re-run the export task",
            )
        for name, raw in source.raws.items():
            raws.setdefault(name, []).append(raw)
    keys = request.keys.get(table.target, ()) or (history[0].schema.keys if history else ())
    mode, soft_delete = request.table_modes.get(table.target, (request.mode, request.soft_delete))
    caps = wh.capabilities
    previous = history[0].schema if history else None
    profiles: dict[str, NumberProfile] = {}

    def replan(widened: Mapping[str, ColumnType]) -> TablePlan:
        return plan_table(
            export.engine,
            table.columns,
            raws,
            keys=keys,
            profiles=profiles,
            names=caps.column_names,
            previous=previous,
            widened=widened,
        )

    plan = replan({})
    profiled = [p.source.name for p in plan.columns if p.needs_profile]
    if profiled and staged.sources:
        profiles = wh.profile_rds_numbers(staged, profiled)
        plan = replan({})
    plan = _widen_to_fit(wh, staged, plan, replan, export.engine, table.target, report, progress)
    # A replace rebuilds the table from this snapshot; merge / history keep every column.
    schema = evolve_schema(previous, plan.schema, keep_dropped=mode is not Mode.REPLACE)
    system_values: dict[str, exp.Expression] = {
        "_aws2bq_export_id": exp.Literal.string(export.export_id),
        "_aws2bq_exported_at": exp.Literal.string(export.snapshot_time.isoformat()),
    }
    try:
        typed = rds_queries.typed_select(wh, staged, plan, system_values, export.engine)
    except UnsupportedStorage as exc:
        raise ExportError(f"{where}: {exc}") from exc
    # A snapshot keyed for merge / history (or a replace given --key): one row per key.
    check_keys(wh, typed, plan.schema, what=where, unit="row")
    crashpoint("typed")
    entry = LedgerEntry(
        stream=report.stream,
        source="rds",
        export_id=export.export_id,
        export_arn=export.source_arn,
        export_kind="snapshot",
        export_location=export.location,
        exported_at=export.snapshot_time,
        mode=str(mode),
        files=len(table.files),
        manifest_items=staged.rows,
        rows_after=staged.rows,
        bytes=staged.bytes,
        schema=schema,
        changes={
            "target": table.target,
            "table": report.table,
            "engine": str(export.engine),
            **({"widened": report.widened} if report.widened else {}),
        },
        applied_at=datetime.now(UTC),
        duration_seconds=0.0,
        aws2bq_version=__version__,
    )
    target = Target(
        table=TableRef(report.table),
        mode=mode,
        schema=schema,
        previous=previous,
        entry=entry,
        soft_delete=soft_delete,
        layout=request.table_layouts.get(table.target),
    )
    steps = apply_steps(
        wh,
        target,
        typed,
        Rows.SNAPSHOT,
        snapshot_time=export.snapshot_time,
        snapshot_types={c.name: c.type for c in plan.schema.columns},
    )
    return _Prepared(table, report, staged, plan, schema, steps)


def _execute(
    wh: Warehouse, export: RdsExport, prepared: list[_Prepared], progress: Progress
) -> None:
    """Apply the prepared tables in ONE transaction with their ledger rows.

    ``before`` statements (DDL a warehouse cannot run in a transaction: BigQuery) run first,
    each safe alone. A value a conversion cannot hold exactly aborts the transaction; the
    error then names the table, column and an example.
    """
    assert isinstance(wh, RdsStaging)
    rows = sum(p.staged.rows for p in prepared)

    def explain_loss(exc: ValueLossError) -> None:
        for p in prepared:
            losses = rds_queries.losses(wh, p.staged, p.plan, export.engine)
            if losses:
                by_name = {c.name: c for c in p.schema.columns}
                details = "; ".join(
                    f"column {by_name[c].source_name!r} → {by_name[c].type}: {n} value(s) "
                    f"cannot be converted exactly, e.g. {example!r}"
                    for c, n, example in losses
                )
                raise TypeConversionError(
                    f"export {export.location}: table {p.table.target}: {details}",
                    hint="nothing was loaded; fix the values at the source or report the type "
                    "to aws2bq",
                ) from exc

    apply(
        wh,
        [Prepared(TableRef(p.report.table), p.schema, p.steps) for p in prepared],
        progress,
        rows=rows,
        explain_loss=explain_loss,
    )
    for p in prepared:
        p.report.rows = p.staged.rows
        p.report.files = len(p.table.files)
        p.report.bytes = p.staged.bytes
        p.report.schema_version = p.schema.version
        p.report.columns = {c.name: str(c.type) for c in p.schema.columns}
        progress.event("applied", table=p.report.table, rows=p.staged.rows)
