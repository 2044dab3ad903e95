"""Load the new objects under an S3 prefix / local folder into one table, exactly once.

The files source's three steps, each a function the runner's registry can call:

1. :func:`discover` — list the objects, read the stream's ledger rows, split the objects
   into new / applied / changed (:mod:`.ledger`); a changed object is reported by the
   ``on_changed`` policy: ``error`` (default: the load is refused, nothing applied) or
   ``warn`` (it is named in the report and a progress event, and skipped);
2. :func:`read_batch` — fetch, verify and parse every new object (:mod:`.reading`), check
   merge keys per object, unify the batch's types and write one normalised Parquet file per
   object into a scratch folder (:mod:`.arrow_types`);
3. :func:`apply_batch` — what is the source's own: land (transport) → stage (the
   warehouse's RDS Parquet stager) → count check → decide the types (plan_table; profile
   numbers) → typed SELECT → the ledger entry listing every object; the rest is the one
   apply path (:mod:`aws2bq.runner.apply`: staging always dropped, the append or change-set
   statements with schema evolution, ONE transaction with the ledger row, clean-up, column
   descriptions, crash points).

Modes: ``append`` INSERTs the batch's rows; ``merge`` upserts by the key: a batch row
replaces the table's row with the same key; within a batch the later object (ordered by
LastModified, then key) wins; a NULL or duplicate key within one object refuses the batch
naming the object; nothing is ever deleted (files carry no deletes).
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot.expressions as exp

from aws2bq import __version__
from aws2bq.aws_clients import AwsTarget
from aws2bq.core.apply import Mode
from aws2bq.core.change_sets import CHANGE_AT, OP, UPSERT
from aws2bq.core.ledger import LedgerEntry
from aws2bq.core.progress import NullProgress, Progress
from aws2bq.core.rds_sql import UnsupportedStorage
from aws2bq.core.rds_types import Engine, NumberProfile, RawType, TablePlan, plan_table
from aws2bq.core.schema import Role, TableSchema
from aws2bq.core.schema_evolution import evolve_schema
from aws2bq.core.transport import DIRECT, TransportSpec
from aws2bq.core.widening import Widening
from aws2bq.errors import (
    ConfigError,
    ExportError,
    TypeConversionError,
    ValueLossError,
)
from aws2bq.runner.apply import Prepared, Rows, Target, apply, apply_steps, staged, warehouse_for
from aws2bq.runner.context import failing_as
from aws2bq.runner.crashpoints import crashpoint
from aws2bq.runner.landing import land
from aws2bq.sources.blobs import ExportFile, LocalStore, miscounted
from aws2bq.sources.files import arrow_types as at
from aws2bq.sources.files.ledger import (
    Classified,
    FilesHistory,
    check_mode,
    classify,
    read_history,
)
from aws2bq.sources.files.listing import FileObject, FilesLocation, list_objects, open_location
from aws2bq.sources.files.options import SOURCE, FilesMode, Format, OnChanged, table_problem
from aws2bq.sources.files.reading import read_object
from aws2bq.warehouses import DEFAULT_URL, parse_url, rds_queries, resolved_location
from aws2bq.warehouses.base import RdsStaging, StagedRdsTable, TableRef, Warehouse


@dataclass(frozen=True)
class FilesLoadRequest:
    """What ``aws2bq load files`` (or a ``files`` stream) asks for."""

    source: str
    table: str
    format: Format
    mode: FilesMode = FilesMode.APPEND
    keys: tuple[str, ...] = ()
    warehouse: str = DEFAULT_URL
    on_changed: OnChanged = OnChanged.ERROR
    transport: TransportSpec = DIRECT
    #: The stream identity in the ledger (default ``files:<table>``).
    stream: str | None = None
    aws: AwsTarget = field(default_factory=AwsTarget)

    @property
    def stream_id(self) -> str:
        return self.stream or f"{SOURCE}:{self.table}"


@dataclass
class FilesLoadReport:
    """What one load did."""

    source: str
    table: str
    stream: str
    warehouse: str
    status: str = "applied"  # "applied" | "up_to_date"
    export_id: str = ""
    #: The newest LastModified of the objects applied (ISO 8601; the ledger's exported_at).
    exported_at: str = ""
    objects: list[str] = field(default_factory=list)
    skipped_applied: int = 0
    changed: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    bytes: int = 0
    schema_version: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    transport: dict[str, Any] = field(default_factory=dict)
    #: What the user should see although the load succeeded (e.g. no object under SOURCE).
    warnings: list[str] = field(default_factory=list)

    @property
    def warehouse_location(self) -> str:
        return resolved_location(self.warehouse)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "table": self.table,
            "stream": self.stream,
            "warehouse": self.warehouse,
            "warehouse_location": self.warehouse_location,
            "status": self.status,
            "export_id": self.export_id,
            "exported_at": self.exported_at,
            "objects": self.objects,
            "already_applied": self.skipped_applied,
            "changed": self.changed,
            "rows": self.rows,
            "bytes": self.bytes,
            "schema_version": self.schema_version,
            "columns": self.columns,
            "seconds": round(self.seconds, 3),
            "transport": self.transport,
            "warnings": self.warnings,
        }


@dataclass
class Discovered:
    """The objects of one load: where, which are new, and the stream's history."""

    location: FilesLocation
    classified: Classified
    history: FilesHistory


@dataclass
class Batch:
    """The new objects, read, verified and normalised into local Parquet files."""

    objects: list[FileObject]
    files: list[ExportFile]
    rows_per_object: dict[str, int]
    families: dict[str, at.Family]
    folder: tempfile.TemporaryDirectory[str]

    @property
    def export_id(self) -> str:
        """A deterministic id of the batch: the same objects give the same id."""
        text = "\n".join(f"{o.url}\t{o.etag}\t{o.size}" for o in self.objects)
        return "files-" + hashlib.sha256(text.encode()).hexdigest()[:24]

    @property
    def rows(self) -> int:
        return sum(self.rows_per_object.values())


def _check_request(request: FilesLoadRequest) -> None:
    problem = table_problem(request.table)
    if problem is not None:
        raise ConfigError(f"invalid table name {request.table!r}", hint=problem)
    if request.mode is FilesMode.APPEND and request.keys:
        raise ConfigError(
            "--key is for --mode merge (append inserts every row)",
            hint="pass --mode merge to upsert by the key, or drop --key",
        )


def discover(request: FilesLoadRequest, wh: Warehouse, progress: Progress) -> Discovered:
    """List the objects and split them by the exactly-once rule (module docstring, step 1)."""
    location = open_location(request.source, request.aws)
    history = read_history(wh, request.stream_id)
    check_mode(history, request.table, str(request.mode), request.keys)
    if request.mode is FilesMode.MERGE and not _keys(request, history):
        raise ConfigError(
            f"--mode merge into {request.table!r} needs the key column(s)",
            hint="pass --key COLUMN (repeatable)",
        )
    objects = list_objects(location)
    classified = classify(objects, history)
    progress.event(
        "objects found",
        source=location.url,
        objects=len(objects),
        new=len(classified.new),
        applied=len(classified.applied),
        changed=len(classified.changed),
    )
    if classified.changed:
        names = "; ".join(
            f"{o.url} (applied with ETag {b.etag}, {b.size:,} bytes; now {o.etag}, "
            f"{o.size:,} bytes)"
            for o, b in classified.changed[:10]
        )
        if request.on_changed is OnChanged.ERROR:
            raise ExportError(
                f"{len(classified.changed)} object(s) of {location.url} changed after they "
                f"were applied to {request.table!r}: {names}",
                hint="objects are applied exactly once and never reloaded; restore them, or "
                "load the new ones with --on-changed warn (in aws2bq.toml: "
                'on_changed = "warn"; the changed ones are then skipped)',
            )
        for obj, before in classified.changed:
            progress.event(
                "changed object skipped", object=obj.url, applied_etag=before.etag, etag=obj.etag
            )
    return Discovered(location, classified, history)


def read_batch(request: FilesLoadRequest, discovered: Discovered, progress: Progress) -> Batch:
    """Read, verify and normalise the new objects (module docstring, step 2).

    Two passes, one object in memory at a time: each object is read, verified and parked
    as parsed (Parquet, in the scratch folder) while the batch's types are gathered; then
    each is conformed to the batch's types and written as the file the warehouse stages."""
    objects = discovered.classified.new
    keys = _keys(request, discovered.history)
    folder = tempfile.TemporaryDirectory(prefix="aws2bq-files-")
    root = Path(folder.name)
    store = LocalStore(root)
    files: list[ExportFile] = []
    rows: dict[str, int] = {}
    try:
        progress.start("read", files=len(objects))
        seen: list[dict[str, at.Family]] = []
        for seq, obj in enumerate(objects):
            table = read_object(discovered.location.store, obj, request.format)
            if request.mode is FilesMode.MERGE:
                problem = at.key_problems(table, keys)
                if problem:
                    raise ExportError(
                        f"object {obj.url} cannot be merged by key {', '.join(keys)}: {problem}",
                        hint="nothing was applied; every row of an object needs its own "
                        "non-NULL key (a later object may repeat a key: it then wins)",
                    )
            seen.append(at.families_of(table))
            pq.write_table(table, root / f"parsed-{seq:06d}.parquet")
            progress.advance("read", files=1, bytes=obj.size)
            crashpoint("download")
        families = at.unify(seen)
        if clashes := at.case_clashes(list(families)):
            raise ExportError(
                f"{discovered.location.url}: the objects name columns that differ only in "
                f"case: {'; '.join(clashes)}",
                hint="nothing was applied; warehouses compare column names ignoring case",
            )
        if at.OBJECT_SEQ in families:
            raise ExportError(
                f"{discovered.location.url}: a column is named {at.OBJECT_SEQ!r}, which aws2bq "
                "uses to order the objects of a load",
                hint="nothing was applied; rename that column in the objects",
            )
        for seq, obj in enumerate(objects):
            parsed = root / f"parsed-{seq:06d}.parquet"
            try:
                conformed = at.conform(pq.read_table(parsed), families, seq)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ExportError(
                    f"object {obj.url}: its values cannot be written as the batch's types: {exc}",
                    hint="nothing was applied; report the file's shape to aws2bq",
                ) from None
            parsed.unlink()
            name = f"{seq:06d}.parquet"
            pq.write_table(conformed, root / name)
            size = (root / name).stat().st_size
            files.append(ExportFile(store, name, None, conformed.num_rows, size, export=obj.url))
            rows[obj.key] = conformed.num_rows
    except BaseException:
        folder.cleanup()
        raise
    return Batch(list(objects), files, rows, families, folder)


def _keys(request: FilesLoadRequest, history: FilesHistory) -> tuple[str, ...]:
    return request.keys or (history.schema.keys if history.schema is not None else ())


def load_files(
    request: FilesLoadRequest,
    *,
    progress: Progress | None = None,
    warehouse: Warehouse | None = None,
) -> FilesLoadReport:
    """Discover, read and apply the new objects (module docstring); all or nothing.

    Raises ``ConfigError`` (bad request, unknown folder / bucket, a warehouse that cannot
    stage Parquet), ``ExportError`` (an object changed, vanished or unreadable; a bad key)
    or ``TypeConversionError`` (a column whose type cannot widen); nothing is applied then.
    """
    progress = progress or NullProgress()
    started = time.monotonic()
    _check_request(request)
    if warehouse is None:
        parse_url(request.warehouse)
    with warehouse_for(request.warehouse, warehouse) as wh:
        report = FilesLoadReport(request.source, request.table, request.stream_id, wh.url)
        if not isinstance(wh, RdsStaging):
            raise ConfigError(f"the warehouse {wh.url} cannot load Parquet files")
        found = discover(request, wh, progress)
        report.skipped_applied = len(found.classified.applied)
        report.changed = [
            {"key": o.key, "etag": o.etag, "size": o.size, "applied_etag": b.etag}
            for o, b in found.classified.changed
        ]
        if not found.classified.new:
            if empty := found.classified.empty_warning(found.location.url):
                report.warnings.append(empty)
                progress.event(empty, table=request.table)
            report.status = "up_to_date"
            progress.event("no new object: nothing to do", table=request.table)
            report.schema_version = found.history.schema.version if found.history.schema else 0
            return report
        batch = read_batch(request, found, progress)
        try:
            with failing_as(f"{found.location.url} into table {request.table!r}"):
                apply_batch(request, wh, found, batch, report, progress)
        finally:
            batch.folder.cleanup()
    report.seconds = time.monotonic() - started
    return report


def _plan(
    wh: RdsStaging,
    staged: StagedRdsTable,
    batch: Batch,
    keys: Sequence[str],
    previous: TableSchema | None,
    names: Any,
) -> TablePlan:
    raws: dict[str, list[RawType]] = {}
    for source in staged.sources:
        for name, raw in source.raws.items():
            raws.setdefault(name, []).append(raw)
    columns = at.source_columns(batch.families)
    profiles: dict[str, NumberProfile] = {}

    def decide() -> TablePlan:
        return plan_table(
            Engine.POSTGRES,
            columns,
            raws,
            keys=keys,
            profiles=profiles,
            names=names,
            previous=previous,
        )

    plan = decide()
    profiled = [p.source.name for p in plan.columns if p.needs_profile]
    if profiled and staged.sources:
        profiles = wh.profile_rds_numbers(staged, profiled)
        plan = decide()
    return plan


def apply_batch(
    request: FilesLoadRequest,
    wh: Warehouse,
    found: Discovered,
    batch: Batch,
    report: FilesLoadReport,
    progress: Progress,
) -> None:
    """Stage, type and apply the batch with its ledger row (module docstring, step 3)."""
    assert isinstance(wh, RdsStaging)
    where = f"{found.location.url} → {request.table!r}"
    landed = land(
        wh,
        request.transport,
        stream=request.stream_id,
        export_id=batch.export_id,
        location=found.location.url,
        files=batch.files,
        progress=progress,
    )
    stage = partial(wh.stage_rds_table, landed.files, stream=request.stream_id, progress=progress)
    with staged(stage, wh.drop_rds_staging) as staging:
        _check_counts(staging, batch, where)
        previous = found.history.schema
        keys = _keys(request, found.history) if request.mode is FilesMode.MERGE else ()
        plan = _plan(wh, staging, batch, keys, previous, wh.capabilities.column_names)
        seq_name = plan.by_source()[at.OBJECT_SEQ].column.name
        batch_schema = TableSchema(
            tuple(c for c in plan.schema.columns if c.source_name != at.OBJECT_SEQ),
            1,
            plan.schema.keys,
        )
        schema = evolve_schema(previous, batch_schema)
        exported_at = max(o.last_modified for o in batch.objects)
        system = {
            "_aws2bq_export_id": exp.Literal.string(batch.export_id),
            "_aws2bq_exported_at": exp.Literal.string(exported_at.isoformat()),
        }
        try:
            typed = rds_queries.typed_select(wh, staging, plan, system, Engine.POSTGRES)
        except UnsupportedStorage as exc:
            raise ExportError(f"{where}: {exc}") from exc
        rows = _conformed_rows(typed, batch_schema, schema, seq_name, wh.capabilities, where)
        target = Target(
            table=TableRef(request.table),
            # Append ignores the mode (Rows.NEW); merge upserts by key and never deletes.
            mode=Mode.MERGE,
            schema=schema,
            previous=previous,
            entry=_entry(request, found, batch, schema, exported_at, keys),
        )
        kind = Rows.CHANGES if request.mode is FilesMode.MERGE else Rows.NEW
        steps = apply_steps(wh, target, rows, kind)
        crashpoint("typed")

        def explain_loss(exc: ValueLossError) -> None:
            losses = rds_queries.losses(wh, staging, plan, Engine.POSTGRES)
            details = "; ".join(
                f"column {c!r}: {n} value(s) cannot be converted exactly, e.g. {e!r}"
                for c, n, e in losses
            )
            raise TypeConversionError(
                f"{where}: {details or exc}",
                hint="nothing was loaded; fix the values in the objects",
            ) from exc

        apply(
            wh,
            [Prepared(target.table, schema, steps)],
            progress,
            rows=batch.rows,
            explain_loss=explain_loss,
        )
        report.export_id = batch.export_id
        report.exported_at = exported_at.isoformat()
        report.objects = [o.key for o in batch.objects]
        report.rows = batch.rows
        report.bytes = sum(o.size for o in batch.objects)
        report.schema_version = schema.version
        report.columns = {c.name: str(c.type) for c in schema.columns}
        progress.event("applied", table=request.table, rows=batch.rows)
    landed.release(progress)
    report.transport = landed.report(staging.details)


def _check_counts(staging: StagedRdsTable, batch: Batch, where: str) -> None:
    """Refuse the batch when the warehouse staged other row counts than each object holds."""
    wrong = [
        f"{f.export}: {got:,} staged of {f.expected_rows:,}"
        for f, got in miscounted(batch.files, staging.rows_per_file)
    ]
    if wrong:
        raise ExportError(
            f"{where}: the warehouse staged other row counts than the objects hold: "
            f"{'; '.join(wrong[:5])}",
            hint="nothing was applied; run the load again",
        )


def _entry(
    request: FilesLoadRequest,
    found: Discovered,
    batch: Batch,
    schema: TableSchema,
    exported_at: datetime,
    keys: Sequence[str],
) -> LedgerEntry:
    """The batch's ledger row: every object applied (its location, ETag, size and rows), and
    the mode and keys the table is loaded with (a later load must use the same)."""
    return LedgerEntry(
        stream=request.stream_id,
        source=SOURCE,
        export_id=batch.export_id,
        export_arn="",
        export_kind="objects",
        export_location=found.location.url,
        exported_at=exported_at,
        mode=str(request.mode),
        files=len(batch.objects),
        manifest_items=batch.rows,
        rows_after=batch.rows,
        bytes=sum(o.size for o in batch.objects),
        schema=schema,
        changes={
            "table": request.table,
            "format": str(request.format),
            "mode": str(request.mode),
            "keys": list(keys),
            "objects": [
                {**o.identity(), "rows": batch.rows_per_object[o.key]} for o in batch.objects
            ],
        },
        applied_at=datetime.now(UTC),
        duration_seconds=0.0,
        aws2bq_version=__version__,
    )


def _alias(value: exp.Expression, name: str) -> exp.Expression:
    return exp.Alias(this=value, alias=exp.to_identifier(name, quoted=True))


def _conformed_rows(
    typed: exp.Query,
    batch_schema: TableSchema,
    schema: TableSchema,
    seq_name: str,
    caps: Any,
    where: str,
) -> exp.Select:
    """The batch's typed rows in the table's (evolved) types: every column of ``schema``
    (NULL when the batch lacks it; the system columns as the typed SELECT made them, which an
    append inserts and a merge ignores), then the change-set columns (``upsert``, and the
    object's place in the batch as the change time: the later object wins a merge)."""
    widening = Widening(caps)
    have = {c.name: c for c in batch_schema.columns}
    values: list[exp.Expression] = []
    for column in schema.columns:
        if column.role is Role.SYSTEM:
            if column.name in have:
                values.append(
                    _alias(exp.column(column.name, table="_aws2bq_b", quoted=True), column.name)
                )
            continue
        before = have.get(column.name)
        if before is None:
            value: exp.Expression = exp.Cast(this=exp.null(), to=caps.data_type(column.type))
        else:
            try:
                value = widening.value(
                    exp.column(column.name, table="_aws2bq_b", quoted=True),
                    before.type,
                    column.type,
                )
            except ValueError as exc:
                raise TypeConversionError(
                    f"{where}: column {column.source_name!r} cannot widen from "
                    f"{before.type} to {column.type}: {exc}",
                    hint="nothing was loaded; a column cannot hold both scalars and arrays",
                ) from exc
        values.append(_alias(value, column.name))
    values.append(_alias(exp.Literal.string(UPSERT), OP))
    change_at = exp.UnixToTime(this=exp.column(seq_name, table="_aws2bq_b", quoted=True))
    values.append(_alias(change_at, CHANGE_AT))
    return exp.select(*values).from_(
        exp.Subquery(this=typed, alias=exp.TableAlias(this=exp.to_identifier("_aws2bq_b")))
    )
