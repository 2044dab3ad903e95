"""The one apply path every source and mode goes through, from the ledger check to the commit.

A loader (DynamoDB full / incremental export, RDS snapshot export, and any later source)
keeps only what its source decides — how its files are staged and counted, how its types
are decided, what its ledger row says — and hands the rest to this module, in this order:

1. :func:`ledger_history` / :func:`check_not_older`: the stream's applied exports; the same
   export again is a no-op, an older one is refused unless forced;
2. :func:`staged`: the source's staging area, made and always dropped (crash point
   ``staged``);
3. :func:`apply_steps`: the statements of the mode (replace, merge / history of a snapshot,
   merge / history of a change set, or an append of new rows) with the ledger row;
4. :func:`apply`: ``before`` statements, crash point ``apply:begin``, ONE transaction for
   every destination with its ledger row, the clean-up, crash point ``applied``, the column
   descriptions.

What differs between sources is data (:class:`Rows`, the ledger entry) or small callables
(the staging functions, the explanation of a value loss); this module never asks which
source it serves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import sqlglot.expressions as exp

from aws2bq.core.append_apply import append_steps
from aws2bq.core.apply import ApplySteps, Mode
from aws2bq.core.change_apply import change_steps
from aws2bq.core.key_prune import KeyFilter
from aws2bq.core.layout import TableLayout
from aws2bq.core.ledger import (
    LEDGER_TABLE,
    LedgerEntry,
    create_ledger,
    select_history,
    upgrade_ledger,
)
from aws2bq.core.progress import Progress
from aws2bq.core.replace_apply import replace_steps
from aws2bq.core.schema import ColumnType, TableSchema
from aws2bq.core.widening import Widening
from aws2bq.errors import Aws2BqError, ContractError, ValueLossError
from aws2bq.runner.change_modes import (
    describe_columns,
    first_write_split,
    run_after,
    snapshot_apply_steps,
)
from aws2bq.runner.crashpoints import crashpoint
from aws2bq.warehouses import connect
from aws2bq.warehouses.base import TableRef, Warehouse

S = TypeVar("S")


@dataclass(frozen=True)
class Applied:
    """One export the ledger says was applied to a stream (newest first in a history)."""

    export_id: str
    exported_at: datetime
    schema: TableSchema
    #: When the ledger row was written (None where a caller built the entry by hand).
    applied_at: datetime | None = None
    #: The ledger row's ``changes_json`` (read with ``ledger_history(..., changes=True)``;
    #: else empty): what the source recorded, e.g. the objects of a files load.
    changes: Mapping[str, Any] = field(default_factory=dict)
    #: The ledger row's apply mode (read with ``changes=True``; else None).
    mode: str | None = None


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@contextmanager
def warehouse_for(url: str, given: Warehouse | None) -> Iterator[Warehouse]:
    """The warehouse a load works in: ``given`` as it is (its owner closes it), else a
    connection to ``url``, closed when the load ends however it ends."""
    if given is not None:
        yield given
        return
    with connect(url) as wh:
        yield wh


def ledger_history(
    wh: Warehouse, stream: str, dataset: str | None = None, *, changes: bool = False
) -> list[Applied]:
    """The exports applied to ``stream``, newest export first (empty without a ledger);
    with ``changes``, each with its ledger row's ``changes_json`` decoded."""
    if not wh.table_exists(TableRef(LEDGER_TABLE, dataset)):
        return []
    out = []
    for row in wh.query(select_history(stream, dataset, changes=changes)):
        export_id, exported_at, schema_json, _, applied_at = row[:5]
        recorded = json.loads(row[5] or "{}") if changes else {}
        out.append(
            Applied(
                str(export_id),
                _utc(exported_at),
                TableSchema.from_dict(json.loads(schema_json)),
                _utc(applied_at) if applied_at is not None else None,
                recorded if isinstance(recorded, dict) else {},
                str(row[6]) if changes and row[6] else None,
            )
        )
    return out


def already_applied(history: Sequence[Applied], export_id: str) -> bool:
    """Whether ``export_id`` is in ``history`` (applying it again is a no-op)."""
    return any(h.export_id == export_id for h in history)


def check_not_older(
    history: Sequence[Applied],
    exported_at: datetime,
    *,
    force: bool,
    refuse: Callable[[Applied], Aws2BqError],
) -> None:
    """Raise ``refuse(newest)`` when ``exported_at`` is older than the newest applied export
    (unless ``force``): an older export never overwrites newer data by accident."""
    if history and exported_at < history[0].exported_at and not force:
        raise refuse(history[0])


@contextmanager
def staged(stage: Callable[[], S], drop: Callable[[S], None]) -> Iterator[S]:
    """The source's staging area (``stage()``), dropped however the block ends."""
    area = stage()
    crashpoint("staged")
    try:
        yield area
    finally:
        drop(area)


class Rows(StrEnum):
    """What a source's typed query holds."""

    #: Every row of the table as the source has it now (a full export, a snapshot).
    SNAPSHOT = "snapshot"
    #: Upserts and deletes by key (a change set: ``_aws2bq_op``, ``_aws2bq_change_at``).
    CHANGES = "changes"
    #: Rows to add as they are (an append: new log lines; no key, whatever the mode).
    NEW = "new"


@dataclass(frozen=True)
class Target:
    """Where one destination's rows go, and how (the parts of a load every mode needs)."""

    table: TableRef
    mode: Mode
    schema: TableSchema
    #: The table's schema after the stream's last applied export (None: first load).
    previous: TableSchema | None
    entry: LedgerEntry
    soft_delete: bool = False
    layout: TableLayout | None = None
    #: Converts the values of widened columns (None: the warehouse's plain widening).
    widening: Widening | None = None


def apply_steps(
    wh: Warehouse,
    target: Target,
    rows: exp.Query,
    kind: Rows,
    *,
    snapshot_time: datetime | None = None,
    snapshot_types: Mapping[str, ColumnType] | None = None,
    prune: KeyFilter | None = None,
) -> ApplySteps:
    """The statements applying ``rows`` to ``target`` in its mode, with its ledger row.

    ``kind`` :attr:`Rows.NEW` appends the rows whatever the mode
    (:func:`aws2bq.core.append_apply.append_steps`); otherwise
    ``replace`` makes the table equal to a snapshot; ``merge`` / ``history`` diff a snapshot
    against the table by key (at ``snapshot_time``; ``snapshot_types``: the snapshot's own
    column types where they differ from the schema's) or apply a change set (``prune``:
    :func:`aws2bq.core.key_prune.key_filter`). Raises ``ContractError`` for a change set in
    replace mode (a source's bug).
    """
    ref = target.table
    if kind is Rows.NEW:
        columns = wh.table_columns(ref)
        return append_steps(
            table=ref.name,
            dataset=ref.dataset,
            schema=target.schema,
            rows=rows,
            entry=target.entry,
            caps=wh.capabilities,
            table_exists=columns is not None,
            previous=target.previous,
            layout=target.layout,
            widening=target.widening,
            existing=dict(columns or []),
        )
    if target.mode is Mode.REPLACE:
        if kind is not Rows.SNAPSHOT:
            raise ContractError("replace mode needs a snapshot, not a change set")
        columns = wh.table_columns(ref)
        return replace_steps(
            table=ref.name,
            dataset=ref.dataset,
            schema=target.schema,
            typed_rows=rows,  # type: ignore[arg-type]  # an RDS UNION when files differ
            entry=target.entry,
            caps=wh.capabilities,
            table_exists=columns is not None,
            layout=target.layout,
            previous=target.previous,
            existing=dict(columns or []),
            widening=target.widening,
            split=first_write_split(wh, target.layout, target.schema, rows, ref, replace=True),
        )
    if kind is Rows.SNAPSHOT:
        if snapshot_time is None:
            raise ContractError("a snapshot applied by key needs its snapshot time")
        return snapshot_apply_steps(
            wh,
            mode=target.mode,
            soft_delete=target.soft_delete,
            table=ref.name,
            dataset=ref.dataset,
            schema=target.schema,
            previous=target.previous,
            snapshot=rows,
            snapshot_time=snapshot_time,
            entry=target.entry,
            layout=target.layout,
            widening=target.widening,
            snapshot_types=snapshot_types,
        )
    columns = wh.table_columns(ref)
    return change_steps(
        mode=target.mode,
        soft_delete=target.soft_delete,
        table=ref.name,
        dataset=ref.dataset,
        schema=target.schema,
        changes=rows,  # type: ignore[arg-type]  # a change set is a SELECT
        entry=target.entry,
        caps=wh.capabilities,
        table_exists=columns is not None,
        previous=target.previous,
        existing=dict(columns or []),
        layout=target.layout,
        widening=target.widening,
        prune=prune,
    )


def ensure_ledger(wh: Warehouse, dataset: str | None = None) -> None:
    """Create the ledger table if missing and add the columns a newer aws2bq records."""
    caps = wh.capabilities
    wh.execute(create_ledger(caps, dataset))
    columns = wh.table_columns(TableRef(LEDGER_TABLE, dataset)) or []
    for statement in upgrade_ledger(caps, dataset, [name for name, _ in columns]):
        wh.execute(statement)


@dataclass(frozen=True)
class Prepared:
    """One destination ready to apply: its table, the schema it ends with, its statements."""

    table: TableRef
    schema: TableSchema
    steps: ApplySteps


def apply(
    wh: Warehouse,
    prepared: Sequence[Prepared],
    progress: Progress,
    *,
    rows: int,
    explain_loss: Callable[[ValueLossError], None] | None = None,
) -> None:
    """Apply every destination of ``prepared`` in ONE transaction with their ledger rows.

    ``before`` statements (DDL a warehouse cannot run in a transaction: BigQuery) run first,
    each safe alone; ``after`` (clean-up) runs however the transaction ends. A value a
    conversion cannot hold exactly aborts the transaction (:class:`ValueLossError`):
    ``explain_loss`` may raise a clearer error naming the values (else it is raised as is).
    Once committed, the column descriptions are set where they cannot be in the transaction.
    ``rows`` is what the progress reports.
    """
    progress.start("apply", rows=rows)
    try:
        try:
            for p in prepared:
                for statement in p.steps.before:
                    wh.execute(statement)
            crashpoint("apply:begin")
            wh.transaction([s for p in prepared for s in p.steps.transaction])
        finally:
            run_after(wh, [p.steps for p in prepared], progress)
    except ValueLossError as exc:
        if explain_loss is not None:
            explain_loss(exc)
        raise
    crashpoint("applied")
    for p in prepared:
        describe_columns(wh, p.table, p.schema)
    progress.advance("apply", rows=rows)
