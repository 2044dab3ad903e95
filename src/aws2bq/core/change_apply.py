"""Apply a change set (upserts and deletes by key) in merge, soft-delete merge or history mode.

A *change set* (:mod:`aws2bq.core.change_sets`) is a SELECT with every non-system column of
the target schema, ``_aws2bq_op`` and ``_aws2bq_change_at``. :func:`change_steps` turns one
into statements:

* ``merge``: one MERGE (upsert + hard delete) where the dialect has MERGE, else
  DELETE + INSERT from a materialised change set;
* ``merge`` with ``soft_delete``: the MERGE keeps deleted rows with ``_aws2bq_deleted`` and
  ``_aws2bq_deleted_at``; an upsert of a deleted key revives the row;
* ``history`` (SCD2): one row per version with ``_valid_from`` / ``_valid_to`` /
  ``_is_current`` / ``_is_deleted``; validity is the change time, never the load time. An
  upsert closes the current version (live or deletion marker) and opens a new one; a delete
  closes the live version and opens a *deletion marker* (``_is_deleted``, the last values
  kept); a re-insert after a delete closes the marker. A change not newer than the key's
  current version is ignored, so history never goes back in time.

Schema evolution (:mod:`aws2bq.core.schema_evolution`: added / widened columns) is applied
first (inside the transaction when DDL is transactional, else in ``before``); no existing
row, hence no history, is dropped. How a dialect is driven is data
(:mod:`aws2bq.core.change_features`), never its name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import sqlglot.expressions as exp

from aws2bq.core.apply import ApplySteps, Mode, column_comments
from aws2bq.core.capabilities import Capabilities
from aws2bq.core.change_features import features
from aws2bq.core.change_sets import (
    CHANGE_AT,
    DELETE,
    DELETED,
    DELETED_AT,
    IS_CURRENT,
    IS_DELETED,
    OP,
    UPSERT,
    VALID_FROM,
    VALID_TO,
    data_columns,
    dedup_changes,
    key_names,
    mode_columns,
)
from aws2bq.core.key_prune import KeyFilter
from aws2bq.core.layout import TableLayout, key_clustered, layout_properties, table_types
from aws2bq.core.ledger import LedgerEntry, create_ledger, insert_entry
from aws2bq.core.partition_split import PartitionSplit
from aws2bq.core.schema import Column, ColumnType, Kind, Role, TableSchema
from aws2bq.core.schema_evolution import evolution_steps
from aws2bq.core.sql_parts import (
    TARGET,
    all_of,
    keys_equal,
    named,
    q_col,
    q_id,
    q_table,
    text_equals,
    timestamp_literal,
    typed_null,
)
from aws2bq.core.widening import Widening
from aws2bq.errors import ContractError

#: The materialised change set (a temporary table, dropped in the same transaction).
CHANGES_TABLE = "_aws2bq_changes"

_TIMESTAMP = ColumnType(Kind.TIMESTAMP)
_SOURCE = "_aws2bq_s"


def system_values(schema: TableSchema, entry: LedgerEntry, caps: Capabilities) -> dict[str, Any]:
    """Values of the system columns for rows written by ``entry``'s export."""
    known: dict[str, exp.Expression] = {
        "_aws2bq_export_id": exp.Literal.string(entry.export_id),
        "_aws2bq_exported_at": timestamp_literal(entry.exported_at, caps),
    }
    return {
        c.name: known.get(c.name, typed_null(c.type, caps))
        for c in schema.columns
        if c.role is Role.SYSTEM
    }


def _check_names(schema: TableSchema, mode: Mode, soft_delete: bool) -> None:
    reserved = {OP, CHANGE_AT, *(n for n, _ in mode_columns(mode, soft_delete))}
    clash = sorted(c.name for c in schema.columns if c.name in reserved)
    if clash:
        raise ContractError(
            f"column(s) {', '.join(clash)} clash with aws2bq's {mode} bookkeeping columns"
        )


def create_target(
    table: str,
    dataset: str | None,
    schema: TableSchema,
    mode: Mode,
    soft_delete: bool,
    caps: Capabilities,
    *,
    layout: TableLayout | None = None,
    exists: bool = False,
) -> exp.Create:
    """``CREATE TABLE`` of a merged / history table: schema columns then the mode's."""
    columns = [
        exp.ColumnDef(this=q_id(c.name), kind=caps.data_type(c.type)) for c in schema.columns
    ] + [
        exp.ColumnDef(this=q_id(n), kind=caps.data_type(t))
        for n, t in mode_columns(mode, soft_delete)
    ]
    return exp.Create(
        this=exp.Schema(this=q_table(table, dataset), expressions=cast(list[Any], columns)),
        kind="TABLE",
        exists=exists,
        properties=layout_properties(
            key_clustered(layout, schema, caps),
            features(caps),
            table_types(schema, mode_columns(mode, soft_delete)),
        ),
    )


def _insert(target: exp.Table, names: Sequence[str], rows: exp.Query) -> exp.Insert:
    return exp.insert(
        rows, cast(Any, exp.Schema(this=target.copy(), expressions=[q_id(n) for n in names]))
    )


def _first_load(
    target: exp.Table,
    schema: TableSchema,
    changes: exp.Select,
    mode: Mode,
    soft_delete: bool,
    system: Mapping[str, exp.Expression],
    caps: Capabilities,
    where: exp.Expression | None = None,
) -> exp.Insert:
    """Into an empty table: every upsert is a new row (a delete of an unknown key is moot).
    ``where``: only the changes it holds (a range of :class:`PartitionSplit`)."""
    values: list[exp.Expression] = []
    names: list[str] = []
    for c in schema.columns:
        names.append(c.name)
        values.append(system[c.name].copy() if c.name in system else q_col(c.name, _SOURCE))
    values += _mode_values(mode, soft_delete, caps, deleted=exp.false())
    names += [n for n, _ in mode_columns(mode, soft_delete)]
    rows = (
        exp.select(*values)
        .from_(exp.Subquery(this=changes, alias=exp.TableAlias(this=q_id(_SOURCE))))
        .where(text_equals(OP, _SOURCE, UPSERT))
    )
    if where is not None:
        rows = rows.where(where)
    return _insert(target, names, rows)


def _mode_values(
    mode: Mode, soft_delete: bool, caps: Capabilities, *, deleted: exp.Expression
) -> list[exp.Expression]:
    """Values of the mode's bookkeeping columns for a new row written from the source row."""
    if mode is Mode.HISTORY:
        return [q_col(CHANGE_AT, _SOURCE), typed_null(_TIMESTAMP, caps), exp.true(), deleted]
    if soft_delete:
        return [exp.false(), typed_null(_TIMESTAMP, caps)]
    return []


def _merge(
    target_name: str,
    dataset: str | None,
    schema: TableSchema,
    changes: exp.Select,
    soft_delete: bool,
    system: Mapping[str, exp.Expression],
    caps: Capabilities,
    prune: KeyFilter | None = None,
) -> exp.Merge:
    """One MERGE: upserts update / insert, deletes delete (or flag, with soft delete)."""
    keys = key_names(schema)
    target = q_table(target_name, dataset, alias=TARGET)
    source = exp.Subquery(this=changes, alias=exp.TableAlias(this=q_id(_SOURCE)))

    def value(c: Column) -> exp.Expression:
        return system[c.name].copy() if c.name in system else q_col(c.name, _SOURCE)

    updates = [
        exp.EQ(this=q_col(c.name), expression=value(c))
        for c in schema.columns
        if c.name not in keys
    ]
    insert_names = [c.name for c in schema.columns]
    insert_values = [value(c) for c in schema.columns]
    if soft_delete:
        updates += [
            exp.EQ(this=q_col(DELETED), expression=exp.false()),
            exp.EQ(this=q_col(DELETED_AT), expression=typed_null(_TIMESTAMP, caps)),
        ]
        insert_names += [DELETED, DELETED_AT]
        insert_values += [exp.false(), typed_null(_TIMESTAMP, caps)]
    is_delete = text_equals(OP, _SOURCE, DELETE)
    whens: list[exp.When] = []
    if soft_delete:
        flag = [
            exp.EQ(this=q_col(DELETED), expression=exp.true()),
            exp.EQ(this=q_col(DELETED_AT), expression=q_col(CHANGE_AT, _SOURCE)),
            *[exp.EQ(this=q_col(n), expression=v.copy()) for n, v in system.items()],
        ]
        whens.append(
            exp.When(
                matched=True,
                source=False,
                condition=exp.and_(is_delete, exp.Not(this=q_col(DELETED, TARGET))),
                then=exp.Update(expressions=flag),
            )
        )
    else:
        whens.append(exp.When(matched=True, source=False, condition=is_delete,
                              then=exp.var("DELETE")))  # fmt: skip
    whens.append(
        exp.When(
            matched=True,
            source=False,
            condition=text_equals(OP, _SOURCE, UPSERT),
            then=exp.Update(expressions=updates),
        )
    )
    whens.append(
        exp.When(
            matched=False,
            source=False,
            condition=text_equals(OP, _SOURCE, UPSERT),
            then=exp.Insert(
                this=exp.Tuple(expressions=[q_id(n) for n in insert_names]),
                expression=exp.Tuple(expressions=insert_values),
            ),
        )
    )
    on = keys_equal(keys, TARGET, _SOURCE)
    if prune is not None:
        # Every change's key meets it: the ON clause keeps its meaning (no NOT MATCHED BY
        # SOURCE clause), and BigQuery reads only the target blocks it can match.
        on = cast(exp.Expression, exp.and_(on, prune.condition(TARGET)))
    return exp.Merge(
        this=target,
        using=source,
        on=on,
        whens=exp.Whens(expressions=whens),
    )


def _materialise(changes: exp.Select) -> exp.Create:
    return exp.Create(
        this=exp.table_(CHANGES_TABLE, quoted=True),
        kind="TABLE",
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        expression=changes,
    )


def _drop_changes() -> exp.Drop:
    return exp.Drop(this=exp.table_(CHANGES_TABLE, quoted=True), kind="TABLE", exists=True)


def _delete_insert(
    target_name: str,
    dataset: str | None,
    schema: TableSchema,
    changes: exp.Select,
    system: Mapping[str, exp.Expression],
    caps: Capabilities,
) -> list[exp.Expression]:
    """Hard-delete merge without MERGE: delete every changed key, insert the upserts."""
    keys = key_names(schema)
    target = q_table(target_name, dataset)
    staged = exp.table_(CHANGES_TABLE, quoted=True)
    exists = exp.Exists(
        this=exp.select(exp.Literal.number(1))
        .from_(q_table(CHANGES_TABLE, None, alias=_SOURCE))
        .where(all_of([exp.EQ(this=q_col(k, _SOURCE), expression=q_col(k, TARGET)) for k in keys]))
    )
    del staged
    return [
        _materialise(changes),
        exp.delete(q_table(target_name, dataset, alias=TARGET), where=exists),
        _first_load(
            target,
            schema,
            exp.select("*").from_(exp.table_(CHANGES_TABLE, quoted=True)),
            Mode.MERGE,
            False,
            system,
            caps,
        ),
        _drop_changes(),
    ]


def _history(
    target_name: str,
    dataset: str | None,
    schema: TableSchema,
    changes: exp.Select,
    system: Mapping[str, exp.Expression],
    caps: Capabilities,
    prune: KeyFilter | None = None,
) -> list[exp.Expression]:
    """SCD2: close the current versions the changes touch, then add the new versions."""
    keys = key_names(schema)
    others = [c for c in data_columns(schema) if c.name not in keys]
    cur = "_aws2bq_cur"
    ch = "_aws2bq_ch"
    # The changes that do something, with the values a deletion marker keeps (the closed
    # version's) and whether a current version exists to close.
    projection: list[exp.Expression] = [named(q_col(k, ch), k) for k in keys]
    for c in others:
        projection.append(
            named(
                exp.Case(
                    ifs=[exp.If(this=text_equals(OP, ch, DELETE), true=q_col(c.name, cur))],
                    default=q_col(c.name, ch),
                ),
                c.name,
            )
        )
    projection += [q_col(OP, ch), q_col(CHANGE_AT, ch)]
    absent = exp.Is(this=q_col(keys[0], cur), expression=exp.null())
    live_or_upsert = exp.or_(text_equals(OP, ch, UPSERT), exp.Not(this=q_col(IS_DELETED, cur)))
    newer = exp.GT(this=q_col(CHANGE_AT, ch), expression=q_col(VALID_FROM, cur))
    current = (
        exp.select(*[q_col(c.name) for c in data_columns(schema)], q_col(VALID_FROM),
                   q_col(IS_DELETED))
        .from_(q_table(target_name, dataset, alias=TARGET))
        .where(q_col(IS_CURRENT) if prune is None
               else exp.and_(q_col(IS_CURRENT), prune.condition()))
    )  # fmt: skip
    effective = (
        exp.select(*projection)
        .from_(exp.Subquery(this=changes, alias=exp.TableAlias(this=q_id(ch))))
        .join(
            exp.Subquery(this=current, alias=exp.TableAlias(this=q_id(cur))),
            on=keys_equal(keys, ch, cur),
            join_type="LEFT",
        )
        .where(
            exp.or_(
                exp.and_(absent, text_equals(OP, ch, UPSERT)),
                exp.and_(exp.Not(this=absent), newer, live_or_upsert),
            )
        )
    )
    target = q_table(target_name, dataset)
    close = exp.Update(
        this=q_table(target_name, dataset, alias=TARGET),
        expressions=[
            exp.EQ(this=q_col(VALID_TO), expression=q_col(CHANGE_AT, _SOURCE)),
            exp.EQ(this=q_col(IS_CURRENT), expression=exp.false()),
        ],
        from_=exp.From(this=q_table(CHANGES_TABLE, None, alias=_SOURCE)),
        where=exp.Where(
            this=exp.and_(
                all_of([exp.EQ(this=q_col(k, TARGET), expression=q_col(k, _SOURCE)) for k in keys]),
                q_col(IS_CURRENT, TARGET),
                *([prune.condition(TARGET)] if prune is not None else []),
            )
        ),
    )
    names = [c.name for c in schema.columns] + [n for n, _ in mode_columns(Mode.HISTORY, False)]
    values: list[exp.Expression] = [
        system[c.name].copy() if c.name in system else q_col(c.name, _SOURCE)
        for c in schema.columns
    ]
    values += _mode_values(Mode.HISTORY, False, caps, deleted=text_equals(OP, _SOURCE, DELETE))
    add = _insert(
        target,
        names,
        exp.select(*values).from_(q_table(CHANGES_TABLE, None, alias=_SOURCE)),
    )
    return [_materialise(effective), close, add, _drop_changes()]


def change_steps(
    *,
    mode: Mode,
    soft_delete: bool,
    table: str,
    dataset: str | None,
    schema: TableSchema,
    changes: exp.Select,
    entry: LedgerEntry,
    caps: Capabilities,
    table_exists: bool,
    previous: TableSchema | None = None,
    layout: TableLayout | None = None,
    widening: Widening | None = None,
    prune: KeyFilter | None = None,
    split: PartitionSplit | None = None,
    existing: Mapping[str, str] | None = None,
) -> ApplySteps:
    """Statements applying a change set to ``table`` in ``mode``, with ``entry``'s ledger row.

    ``previous`` is the table's schema before this export (from the ledger): columns it lacks
    are added and changed types widened before the data changes. ``layout`` partitions and
    clusters the table when it is created (where the dialect can; by default by the key).
    ``prune`` (:func:`key_filter`) limits the target rows the merge / history statements read
    to those the change set's keys can match. ``split`` writes a first load by ranges of
    the partition column (a data column), each within the partitions one statement may
    modify (:mod:`aws2bq.core.partition_split`). ``existing``: the table's column types as
    the warehouse reports them (:func:`evolution_steps`). ``before`` holds the
    statements that must run outside the transaction (DDL where it is not transactional);
    ``transaction`` runs as one unit and includes the ledger row.
    """
    if mode is Mode.REPLACE:
        raise ContractError("change_steps applies merge and history modes; use replace_steps")
    if mode is Mode.HISTORY and soft_delete:
        raise ContractError("soft_delete applies to merge mode (history always keeps deletes)")
    feats = features(caps)
    _check_names(schema, mode, soft_delete)
    key_names(schema)
    target = q_table(table, dataset)
    extra = mode_columns(mode, soft_delete)
    system = system_values(schema, entry, caps)
    deduped = dedup_changes(changes, schema)

    ddl: list[exp.Expression] = []
    if not table_exists:
        ddl.append(create_target(table, dataset, schema, mode, soft_delete, caps, layout=layout,
                                 exists=not caps.transactional_ddl))  # fmt: skip
        if caps.transactional_ddl:
            ddl += column_comments(target, schema)
    else:
        ddl += evolution_steps(target, previous, schema, caps, extra, widening, layout, existing)

    data: list[exp.Expression]
    if not table_exists and split is not None:
        data = [
            _first_load(target, schema, deduped.copy(), mode, soft_delete, system, caps, where)
            for where in split.conditions(_SOURCE)
        ]
    elif not table_exists:
        data = [_first_load(target, schema, deduped, mode, soft_delete, system, caps)]
    elif mode is Mode.HISTORY:
        data = _history(table, dataset, schema, deduped, system, caps, prune)
    elif feats.merge:
        data = [_merge(table, dataset, schema, deduped, soft_delete, system, caps, prune)]
    elif not soft_delete:
        data = _delete_insert(table, dataset, schema, deduped, system, caps)
    else:
        raise ContractError(f"{caps.name}: soft-delete merge needs MERGE")

    ledger = insert_entry(entry, caps, dataset)
    if caps.transactional_ddl:
        return ApplySteps(
            before=[], transaction=[*ddl, create_ledger(caps, dataset), *data, ledger]
        )
    return ApplySteps(before=[*ddl, create_ledger(caps, dataset)], transaction=[*data, ledger])
