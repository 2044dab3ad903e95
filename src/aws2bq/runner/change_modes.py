"""Merge and history modes for full snapshots (RDS exports, DynamoDB full exports).

The loaders call :func:`snapshot_apply_steps` instead of ``replace_steps`` when the mode is
not ``replace``: the typed snapshot is diffed against the table by key inside the warehouse
(:func:`aws2bq.core.change_sets.snapshot_changes`) and the change set applied with the
ledger row in one transaction (:func:`aws2bq.core.change_apply.change_steps`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import sqlglot.expressions as exp

from aws2bq import __version__
from aws2bq.aws_clients import AwsTarget
from aws2bq.core.apply import ApplySteps, Mode
from aws2bq.core.capabilities import Capabilities
from aws2bq.core.change_apply import change_steps
from aws2bq.core.change_features import features
from aws2bq.core.change_sets import (
    CHANGE_AT,
    OP,
    mode_columns,
    placeholder_changes,
    snapshot_changes,
)
from aws2bq.core.layout import TableLayout
from aws2bq.core.ledger import LEDGER_TABLE, LedgerEntry, select_history
from aws2bq.core.partition_split import PartitionSplit, bounds_select, partition_split
from aws2bq.core.progress import Progress
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.core.typed_staging import stage_typed_rows
from aws2bq.core.widening import Widening
from aws2bq.errors import Aws2BqError, ConfigError
from aws2bq.warehouses.base import ColumnDescriptions, TableRef, Warehouse


class NoKeyError(Aws2BqError):
    """Merge / history asked for a table whose key is unknown (only replace is possible)."""


def require_keys(keys: tuple[str, ...], mode: Mode, what: str, how: str) -> None:
    """Fail ``what`` unless it has key columns in a mode that needs them."""
    if mode is not Mode.REPLACE and not keys:
        raise NoKeyError(
            f"{what}: mode {mode} needs the table's primary key, and none is known; "
            "only --mode replace is possible without one",
            hint=how,
        )


def check_soft_delete(mode: Mode, soft_delete: bool) -> None:
    if soft_delete and mode is not Mode.MERGE:
        raise ConfigError(
            f"--soft-delete applies to --mode merge, not {mode}",
            hint="history mode always keeps deleted rows (_is_deleted)",
        )


def first_write_split(
    wh: Warehouse,
    layout: TableLayout | None,
    schema: TableSchema,
    rows: exp.Query,
    table: TableRef,
    *,
    replace: bool,
) -> PartitionSplit | None:
    """How to split the writes of a first load (or of any replace) into a table partitioned
    by a data column, so no statement modifies more partitions than BigQuery allows (issue 12
    fault 8; :mod:`aws2bq.core.partition_split`). One ``MIN``/``MAX`` query over the rows
    (and, for a replace, the table's rows it deletes), only for HOUR / DAY partitions on a
    warehouse with partitioning; None when one statement can write them all."""
    if layout is None or not layout.partition_column or not features(wh.capabilities).partitioning:
        return None
    if layout.granularity.upper() not in ("HOUR", "DAY"):
        return None
    exists = wh.table_exists(table)
    if exists and not replace:
        return None  # later merges write the changed rows' partitions only
    column = next((c for c in schema.columns if c.name == layout.partition_column
                   and c.role is not Role.SYSTEM), None)  # fmt: skip
    if column is None:
        return None  # a system / mode column: one value per load
    target = exp.table_(table.name, db=table.dataset, quoted=True) if exists else None
    rows_bounds = wh.query(bounds_select(rows, column.name, target))
    low, high = rows_bounds[0] if rows_bounds else (None, None)
    return partition_split(column.name, column.type, layout.granularity, low, high,
                           wh.capabilities)  # fmt: skip


def snapshot_apply_steps(
    wh: Warehouse,
    *,
    mode: Mode,
    soft_delete: bool,
    table: str,
    dataset: str | None,
    schema: TableSchema,
    previous: TableSchema | None,
    snapshot: exp.Query,
    snapshot_time: datetime,
    entry: LedgerEntry,
    layout: TableLayout | None = None,
    widening: Widening | None = None,
    snapshot_types: Mapping[str, ColumnType] | None = None,
) -> ApplySteps:
    """Statements applying a full typed snapshot in merge / history mode (see module doc).

    ``widening`` converts the values of widened columns (default: the warehouse's plain
    one); ``snapshot_types`` the snapshot's own column types where they differ."""
    ref = TableRef(table, dataset)
    existing = wh.table_columns(ref)
    if existing is not None:
        have = {name for name, _ in existing}
        missing = [n for n, _ in mode_columns(mode, soft_delete) if n not in have]
        if missing:
            raise ConfigError(
                f"table {table!r} was not loaded in mode {mode}"
                f"{' with soft delete' if soft_delete else ''}: it lacks {', '.join(missing)}",
                hint="keep the table's mode, or load into a new table (the existing rows are "
                "not converted)",
            )
    exists = existing is not None
    caps = wh.capabilities
    split = None if exists else first_write_split(wh, layout, schema, snapshot, ref, replace=False)
    # Wide tables: the typed rows go into a table of their own first, so the apply script
    # names columns instead of carrying every conversion (issue 12.12).
    stage = None
    if wh.typed_staging_hours is not None:
        stage = stage_typed_rows(
            snapshot, table=table, dataset=dataset, hours=wh.typed_staging_hours
        )
        snapshot = stage.rows
    changes = snapshot_changes(
        mode=mode,
        soft_delete=soft_delete,
        table=table,
        dataset=dataset,
        schema=schema,
        snapshot=snapshot,
        changed_at=snapshot_time,
        caps=caps,
        table_exists=exists,
        snapshot_types=snapshot_types,
        widening=widening,
    )
    steps = change_steps(
        mode=mode,
        soft_delete=soft_delete,
        table=table,
        dataset=dataset,
        schema=schema,
        changes=changes,
        entry=entry,
        caps=caps,
        table_exists=exists,
        previous=previous if exists else None,
        layout=layout,
        widening=widening,
        split=split,
        existing=dict(existing) if existing is not None else None,
    )
    if stage is None:
        return steps
    return ApplySteps(
        before=[stage.create, *steps.before],
        transaction=steps.transaction,
        after=[stage.drop, *steps.after],
    )


def run_after(wh: Warehouse, steps: Sequence[ApplySteps], progress: Progress) -> None:
    """Run the ``after`` statements of ``steps`` (clean-up: a failure is reported, not
    raised; what they drop expires on its own)."""
    for statement in (s for step in steps for s in step.after):
        try:
            wh.execute(statement)
        except Aws2BqError as exc:
            progress.event("clean-up failed", error=str(exc)[:300])


def describe_columns(wh: Warehouse, table: TableRef, schema: TableSchema) -> None:
    """Give ``table``'s columns the descriptions of ``schema`` (the source names).

    For warehouses with the :class:`ColumnDescriptions` ability (BigQuery), whose
    ``COMMENT ON COLUMN`` cannot run in the apply transaction: called after the commit, it
    changes only the descriptions that differ. Elsewhere the apply steps comment the columns.
    """
    if not isinstance(wh, ColumnDescriptions):
        return
    current = wh.column_descriptions(table)
    # As the warehouse stores it (BigQuery: at most 1,024 characters), so a long name is not
    # patched again on every load.
    described = {c.name: wh.capabilities.description(c.description) for c in schema.columns}
    wanted = {n: d for n, d in described.items() if n in current and current[n] != d}
    if wanted:
        wh.set_column_descriptions(table, wanted)


def dynamodb_keys(
    keys: tuple[str, ...],
    previous: TableSchema | None,
    table_arn: str,
    mode: Mode,
    where: str,
    aws: AwsTarget | None = None,
) -> tuple[str, ...]:
    """Key attributes for a DynamoDB load: ``--key``, else the table's schema so far, else
    DescribeTable's KeySchema (merge / history only; a failure there names the fix)."""
    if keys or mode is Mode.REPLACE:
        return keys
    if previous is not None and previous.keys:
        return previous.keys
    found: tuple[str, ...] = ()
    if table_arn:
        from aws2bq.runner.aws import Aws
        from aws2bq.sources.dynamodb.discovery import describe_table

        try:
            target = aws or AwsTarget()
            _, found = describe_table(Aws(region=target.region, profile=target.profile), table_arn)
        except Aws2BqError:
            found = ()
    require_keys(found, mode, where, "pass --key PARTITION_KEY [--key SORT_KEY]")
    return found


#: Where a plan's stand-in SQL reads the export's rows (staged only when the export is applied).
PLAN_STAGING = "_aws2bq_staging"


def plan_change_sql(
    wh: Warehouse,
    *,
    mode: Mode,
    soft_delete: bool,
    table: str,
    stream: str,
    keys: tuple[str, ...],
    source: str,
    export_id: str,
    export_kind: str,
    exported_at: datetime | None,
) -> list[str]:
    """The apply statements of one export in merge / history mode, without its data (plans).

    The columns are the table's schema so far (from the ledger), else the key columns (typed
    STRING here) plus the system columns: the real statements, generated after staging, add
    the export's own columns. Full exports are diffed against the table
    (:func:`snapshot_changes` over the stand-in staging table); incremental ones read the
    change set from it (:func:`placeholder_changes`).
    """
    caps = wh.capabilities
    schema = _planned_schema(wh, stream, keys)
    exists = wh.table_exists(TableRef(table))
    at = exported_at or datetime(1970, 1, 1, tzinfo=UTC)
    staging = exp.table_(PLAN_STAGING, quoted=True)
    if export_kind == "incremental":
        changes = placeholder_changes(schema, caps)
    else:
        changes = snapshot_changes(mode=mode, soft_delete=soft_delete, table=table, dataset=None,
                                   schema=schema, snapshot=exp.select("*").from_(staging),
                                   changed_at=at, caps=caps, table_exists=exists)  # fmt: skip
    entry = LedgerEntry(stream, source, export_id, "", export_kind, "", at, str(mode), 0, 0, 0, 0,
                        schema, {}, at, 0.0, __version__)  # fmt: skip
    steps = change_steps(mode=mode, soft_delete=soft_delete, table=table, dataset=None,
                         schema=schema, changes=changes, entry=entry, caps=caps,
                         table_exists=exists)  # fmt: skip
    note = (
        f"-- apply {export_id} in mode {mode}{' with soft delete' if soft_delete else ''}: "
        f"{PLAN_STAGING} stands for the staged, typed export; columns "
        + ("of the table so far" if schema.version else "known after staging (keys shown)")
    )
    stand_in = _empty_staging(schema, caps)
    out = [note]
    for statement in steps.before:
        out += [wh.render(statement) + ";", *_dry_run(wh, [statement], stand_in)]
    out += [
        "BEGIN TRANSACTION;",
        *(wh.render(s) + ";" for s in steps.transaction),
        "COMMIT TRANSACTION;",
        *_dry_run(wh, steps.transaction, stand_in, script=True),
    ]
    return out


def _empty_staging(schema: TableSchema, caps: Capabilities) -> exp.Expression:
    """A relation with the staged export's columns and no rows: stands for
    :data:`PLAN_STAGING` in a dry run, so BigQuery reports what the statement reads from the
    target tables (the export's own rows are staged only when it is applied)."""
    columns = [
        exp.alias_(exp.Cast(this=exp.null(), to=caps.data_type(c.type)), c.name, quoted=True)
        for c in schema.columns
        if c.role is not Role.SYSTEM
    ]
    columns += [
        exp.alias_(exp.Cast(this=exp.null(), to=caps.data_type(ColumnType(Kind.STRING))), OP,
                   quoted=True),
        exp.alias_(exp.Cast(this=exp.null(), to=caps.data_type(ColumnType(Kind.TIMESTAMP))),
                   CHANGE_AT, quoted=True),
    ]  # fmt: skip
    return exp.Subquery(this=exp.select(*columns).limit(0))


def _dry_run(
    wh: Warehouse,
    statements: list[exp.Expression],
    stand_in: exp.Expression,
    *,
    script: bool = False,
) -> list[str]:
    """``-- dry run: N bytes`` for the statements (a warehouse that can say: BigQuery), the
    stand-in staging in place of :data:`PLAN_STAGING`; the reason when it cannot run."""

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name == PLAN_STAGING and not node.db:
            out = stand_in.copy()
            out.set("alias", node.args.get("alias") or exp.TableAlias(this=node.this.copy()))
            return out
        return node

    texts = [wh.render(s.copy().transform(swap)) for s in statements]
    sql = (
        "BEGIN TRANSACTION;\n" + ";\n".join(texts) + ";\nCOMMIT TRANSACTION;"
        if script
        else texts[0]
    )
    what = "the transaction" if script else "the statement above"
    try:
        processed = wh.dry_run(sql)
    except Aws2BqError as exc:
        return [f"-- dry run of {what}: refused: {exc.message.splitlines()[0][:300]}"]
    if processed is None:
        return []
    return [f"-- dry run: {what} will process {processed:,} bytes"]


def _planned_schema(wh: Warehouse, stream: str, keys: tuple[str, ...]) -> TableSchema:
    """The stream's schema from its latest ledger row, else keys + system columns (version 0)."""
    if wh.table_exists(TableRef(LEDGER_TABLE)):
        rows = wh.query(select_history(stream))
        if rows:
            found = TableSchema.from_dict(json.loads(rows[0][2]))
            if found.keys:
                return found
    string = ColumnType(Kind.STRING)
    columns = [Column(k, string, k, Role.KEY) for k in keys]
    columns += [
        Column("_aws2bq_export_id", string, "_aws2bq_export_id", Role.SYSTEM),
        Column("_aws2bq_exported_at", ColumnType(Kind.TIMESTAMP), "_aws2bq_exported_at",
               Role.SYSTEM),
    ]  # fmt: skip
    return TableSchema(tuple(columns), 0, keys)
