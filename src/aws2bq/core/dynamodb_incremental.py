"""Incremental DynamoDB exports: the chain rule and the change-set SQL (pure, no I/O).

An incremental export holds, per item changed in its window ``[exportFromTime,
exportToTime)``, one record (docs/export-formats.md §1)::

    {"Metadata":{"WriteTimestampMicros":{"N":"…"}},"Keys":{…},"NewImage":{…},"OldImage":{…}}

- a record with ``NewImage`` is an upsert (insert or update) to that image;
- a record without it is a delete — ``Keys`` + ``OldImage`` (NEW_AND_OLD_IMAGES) or ``Keys``
  only (NEW_IMAGE); the OldImage is never needed;
- several records for one key (AWS compacts, but files may repeat a key) are resolved by
  ``WriteTimestampMicros``: the latest wins; on a tie a delete wins, then the greatest
  NewImage text, so the outcome never depends on file order.

**Chain rule** (:func:`check_chain`). An incremental export applies on top of the last
applied export of the stream — a full export (state at ``exportTime``) or an incremental one
(state at ``exportToTime``), whose time the ledger keeps in ``exported_at``. With ``last``
that time, the export ``[from, to)`` is applied only if ``from ≤ last < to``:

- ``from > last`` is a **gap**: changes in ``[last, from)`` were never exported, so the table
  could silently miss them. Refused; the fix is a new full export.
- ``from < last`` is an **overlap**, accepted: a record carries the key's *last* write in the
  window; if that write is before ``last``, the key did not change in ``[last, to)`` and its
  state is already applied. Such records are dropped (``WriteTimestampMicros < last``), which
  makes an overlapping export apply exactly what a gap-free one would — in history mode too
  (no duplicate version). AWS and the runner round window bounds (a full export's
  ``exportTime`` carries microseconds, ``ExportFromTime`` may not), so an exact-equality rule
  would refuse chains that are in fact complete.
- ``to ≤ last``: everything in the export is already reflected — an **out-of-order** (older)
  export. Refused (the table never goes back in time).
- no export applied yet: refused — an incremental export needs a full export first.

The SQL is DuckDB-shaped (like :mod:`aws2bq.core.dynamodb_staged`): images are staged as
``MAP(VARCHAR, <descriptor struct>)``, so the typing SQL of full exports is reused on
``coalesce(NewImage, Keys)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlglot.expressions as exp

from aws2bq.core import dynamodb_staged
from aws2bq.core.capabilities import Capabilities
from aws2bq.core.schema import ColumnType, Kind, Role, TableSchema
from aws2bq.errors import ConfigError, ContractError, ExportError

#: The staged type of one incremental record (read_json ``columns``), DuckDB.
RECORD_COLUMNS: dict[str, str] = {
    "Metadata": "STRUCT(WriteTimestampMicros STRUCT(N VARCHAR))",
    "Keys": dynamodb_staged.ITEM_TYPE,
    "NewImage": dynamodb_staged.ITEM_TYPE,
    "OldImage": dynamodb_staged.ITEM_TYPE,
}

#: Columns of the deduplicated change table (one row per key).
ITEM = "Item"
DELETED = "_aws2bq_deleted_record"
MICROS = "_aws2bq_write_micros"
#: Change-set columns (the change-set contract).
OP = "_aws2bq_op"
CHANGE_AT = "_aws2bq_change_at"
UPSERT, DELETE = "upsert", "delete"

KIND_FULL, KIND_INCREMENTAL = "full", "incremental"


@dataclass(frozen=True)
class ChainLink:
    """One applied export of a stream, as the ledger records it."""

    export_id: str
    kind: str
    #: Full: exportTime; incremental: exportToTime (the state the table reflects after it).
    exported_at: datetime
    mode: str = ""


@dataclass(frozen=True)
class ChainDecision:
    """What to do with an incremental export: apply it (dropping records written before
    ``since``) or nothing (``already``)."""

    already: bool
    since: datetime | None = None
    previous: ChainLink | None = None


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def check_chain(
    applied: Sequence[ChainLink],
    *,
    stream: str,
    export_id: str,
    export_from: datetime,
    export_to: datetime,
    location: str,
) -> ChainDecision:
    """Decide whether the incremental export ``[export_from, export_to)`` may be applied.

    ``applied`` are the stream's applied exports in any order. Raises ``ExportError`` for a
    gap, an out-of-order export or an empty stream (see the module docstring).

    Example:
        >>> t0 = datetime(2024, 5, 1, tzinfo=UTC)
        >>> t1 = datetime(2024, 5, 1, 1, tzinfo=UTC)
        >>> check_chain([ChainLink("f", "full", t0)], stream="s", export_id="i",
        ...             export_from=t0, export_to=t1, location="x").since == t0
        True
    """
    if any(link.export_id == export_id for link in applied):
        return ChainDecision(already=True)
    fix = (
        f"start a new full export of the table, load it into {stream!r} "
        "(`aws2bq load dynamodb <full export> --mode merge`), then incremental exports from its "
        "exportTime"
    )
    if not applied:
        raise ExportError(
            f"incremental export {location} [{_iso(export_from)}, {_iso(export_to)}) cannot be "
            f"applied to {stream!r}: no export has been applied to it yet",
            hint=fix,
        )
    last = max(applied, key=lambda link: (link.exported_at, link.export_id))
    if export_from > last.exported_at:
        raise ExportError(
            f"gap in the export chain of {stream!r}: incremental export {location} starts at "
            f"exportFromTime {_iso(export_from)}, but the last applied export {last.export_id} "
            f"({last.kind}) ends at {_iso(last.exported_at)}; changes in between were never "
            "exported",
            hint=fix + " (or an incremental export from " + _iso(last.exported_at) + ")",
        )
    if export_to <= last.exported_at:
        raise ExportError(
            f"incremental export {location} [{_iso(export_from)}, {_iso(export_to)}) is out of "
            f"order: {stream!r} already reflects the source up to {_iso(last.exported_at)} "
            f"(export {last.export_id}, {last.kind})",
            hint="apply exports in time order; this one holds nothing newer — skip it",
        )
    return ChainDecision(already=False, since=last.exported_at, previous=last)


def check_mode(mode: str, previous: ChainLink | None, *, stream: str) -> None:
    """Incremental exports need ``merge`` or ``history``; history needs a history table."""
    if mode not in ("merge", "history"):
        raise ConfigError(
            f"an incremental export cannot be applied in mode {mode!r} to {stream!r}: it holds "
            "only the changes of its window, not the whole table",
            hint="use --mode merge or --mode history (replace takes a full export)",
        )
    if mode == "history" and previous is not None and previous.mode not in ("", "history"):
        raise ConfigError(
            f"{stream!r} was loaded in mode {previous.mode!r}; history mode needs the whole "
            "version history from its first export",
            hint="use --mode merge, or reload a full export in --mode history into a new table",
        )


def micros(value: datetime) -> int:
    """Microseconds since the epoch (exact, no float)."""
    delta = value.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


# -- SQL (DuckDB shape) -----------------------------------------------------------------------
def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def write_micros(metadata: exp.Expression | None = None) -> exp.Expression:
    """``CAST("Metadata"."WriteTimestampMicros"."N" AS BIGINT)``."""
    metadata = metadata if metadata is not None else _col("Metadata")
    ts = dynamodb_staged.field(dynamodb_staged.field(metadata, "WriteTimestampMicros"), "N")
    return exp.Cast(this=ts, to=exp.DataType.build("BIGINT"))


def bad_records_select(records: exp.Table) -> exp.Select:
    """``count(*)`` of records without a usable timestamp or Keys (must be 0)."""
    bad = exp.or_(
        exp.Is(this=write_micros(), expression=exp.null()),
        exp.Is(this=_col("Keys"), expression=exp.null()),
    )
    return exp.select(exp.Count(this=exp.Star())).from_(records).where(bad)


#: The descriptors a key attribute may have (DynamoDB keys are S, N or B).
KEY_DESCRIPTORS = ("S", "N", "B")


def unkeyed_records_select(records: exp.Table, keys: Sequence[str]) -> exp.Select:
    """``count(*)`` of records that cannot be keyed by ``keys`` (must be 0): a key attribute
    missing from ``Keys`` or not an S / N / B value (a NULL descriptor, a map…), or an upsert
    whose ``NewImage`` lacks it or holds another value than ``Keys``."""
    problems: list[exp.Expression] = []
    for k in keys:
        key = dynamodb_staged.attribute(_col("Keys"), k)
        typed = [
            exp.Not(this=exp.Is(this=dynamodb_staged.field(key.copy(), d), expression=exp.null()))
            for d in KEY_DESCRIPTORS
        ]
        problems.append(exp.Not(this=exp.Paren(this=exp.or_(*typed))))
        new = dynamodb_staged.attribute(_col("NewImage"), k)
        upsert = exp.Not(this=exp.Is(this=_col("NewImage"), expression=exp.null()))
        differs = exp.NullSafeNEQ(this=new, expression=key.copy())
        problems.append(exp.Paren(this=exp.And(this=upsert, expression=differs)))
    return exp.select(exp.Count(this=exp.Star())).from_(records).where(exp.or_(*problems))


def spilled_unkeyed_records_select(
    records: exp.Table,
    keys: Sequence[str],
    key_image: Mapping[str, tuple[str, dynamodb_staged.ValueShape]],
    new_image: Mapping[str, tuple[str, dynamodb_staged.ValueShape]],
) -> exp.Select:
    """:func:`unkeyed_records_select` over records staged as columns (DuckDB's Arrow stager).

    ``key_image`` / ``new_image``: attribute → (staged column, value shape) of the Keys and
    NewImage attributes; :data:`DELETED` marks records without a NewImage.
    """

    def part(col: str, of: dynamodb_staged.ValueShape, d: str) -> exp.Expression:
        return dynamodb_staged.shaped_field(_col(col), of, d)

    problems: list[exp.Expression] = []
    for k in keys:
        found = key_image.get(k)
        if found is None:  # no record's Keys holds it
            problems.append(exp.true())
            continue
        column, shape = found
        typed = [
            exp.Not(this=exp.Is(this=part(column, shape, d), expression=exp.null()))
            for d in KEY_DESCRIPTORS
        ]
        problems.append(exp.Not(this=exp.Paren(this=exp.or_(*typed))))
        image = new_image.get(k)
        if image is None:
            differs: exp.Condition = exp.true()
        else:
            new_column, new_shape = image
            differs = exp.or_(
                *(
                    exp.NullSafeNEQ(
                        this=part(new_column, new_shape, d), expression=part(column, shape, d)
                    )
                    for d in KEY_DESCRIPTORS
                )
            )
        upsert = exp.Not(this=_col(DELETED))
        problems.append(exp.Paren(this=exp.And(this=upsert, expression=exp.Paren(this=differs))))
    return exp.select(exp.Count(this=exp.Star())).from_(records).where(exp.or_(*problems))


def key_sets_select(records: exp.Table) -> exp.Select:
    """The distinct sets of attribute names found in ``Keys`` (sorted lists)."""
    names = exp.Anonymous(
        this="list_sort", expressions=[exp.Anonymous(this="map_keys", expressions=[_col("Keys")])]
    )
    return exp.select(names).from_(records).distinct()


def dedup_select(records: exp.Table, keys: Sequence[str], since: datetime | None) -> exp.Select:
    """One row per key: the latest record (``Item`` = NewImage, or Keys for a delete).

    Records written before ``since`` are dropped (already reflected: see :func:`check_chain`).
    Ties on the timestamp: a delete wins, then the greatest NewImage text.
    """
    if not keys:
        raise ContractError("deduplicating incremental records needs the key attributes")
    new_image, key_map = _col("NewImage"), _col("Keys")
    ts = write_micros()
    deleted = exp.Is(this=new_image.copy(), expression=exp.null())
    order = exp.Order(
        expressions=[
            exp.Ordered(this=ts.copy(), desc=True),
            exp.Ordered(this=deleted.copy(), desc=True),
            exp.Ordered(
                this=exp.Cast(this=new_image.copy(), to=exp.DataType.build("VARCHAR")),
                desc=True,
                nulls_first=False,
            ),
        ]
    )
    window = exp.Window(
        this=exp.RowNumber(),
        partition_by=[dynamodb_staged.attribute(key_map.copy(), k) for k in keys],
        order=order,
    )
    select = exp.select(
        exp.alias_(
            exp.Coalesce(this=new_image.copy(), expressions=[key_map.copy()]), ITEM, quoted=True
        ),
        exp.alias_(deleted, DELETED, quoted=True),
        exp.alias_(ts, MICROS, quoted=True),
    ).from_(records)
    if since is not None:
        select = select.where(exp.GTE(this=ts.copy(), expression=exp.Literal.number(micros(since))))
    return select.qualify(exp.EQ(this=window, expression=exp.Literal.number(1)))


def spilled_dedup_select(
    records: exp.Table,
    image_columns: Sequence[str],
    key_columns: Sequence[str],
    since_micros: int | None,
) -> exp.Select:
    """:func:`dedup_select` over records staged as columns (DuckDB's Arrow stager).

    ``records`` has one column per NewImage attribute (``image_columns``), one per Keys
    attribute, and :data:`MICROS` / :data:`DELETED`. One row per key (``key_columns``, the
    Keys columns of the key attributes) is kept — the latest write; ties: a delete, then the
    greatest text of the NewImage — with the image, key, time and delete columns.

    The NewImage's text is made only for records that share their key and write time with
    another record (found by a narrow ``GROUP BY``, joined back: nearly always none), not as
    a sort key of every record: that was half the time of the change set (1M records, 2.1 s).
    Every record of a tie is among them, so the order is the same.
    """
    if not key_columns:
        raise ContractError("deduplicating incremental records needs the key attributes")
    r, d = "_aws2bq_r", "_aws2bq_d"

    def since(table: str | None) -> exp.Expression:
        return exp.GTE(this=_col(MICROS, table), expression=exp.Literal.number(since_micros))

    # (key, write time) pairs written more than once: the only records a tie can involve.
    shared = (
        exp.select(*(_col(c) for c in key_columns), _col(MICROS))
        .from_(records.copy())
        .group_by(*(_col(c) for c in key_columns), _col(MICROS))
        .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
    )
    if since_micros is not None:
        shared = shared.where(since(None))
    order = [
        exp.Ordered(this=_col(MICROS, r), desc=True),
        exp.Ordered(this=_col(DELETED, r), desc=True),
    ]
    if image_columns:
        image = exp.Anonymous(this="row", expressions=[_col(c, r) for c in image_columns])
        tie_text = exp.Case(
            ifs=[
                exp.If(
                    this=exp.Not(this=exp.Is(this=_col(MICROS, d), expression=exp.null())),
                    true=exp.Cast(this=image, to=exp.DataType.build("VARCHAR")),
                )
            ]
        )
        order.append(exp.Ordered(this=tie_text, desc=True, nulls_first=False))
    window = exp.Window(
        this=exp.RowNumber(),
        partition_by=[_col(c, r) for c in key_columns],
        order=exp.Order(expressions=order),
    )
    # IS NOT DISTINCT FROM: GROUP BY and PARTITION BY put NULL keys together, so must this
    # (the runner refuses unkeyed records before this, but the query stands on its own).
    on = exp.and_(
        *(exp.NullSafeEQ(this=_col(c, r), expression=_col(c, d)) for c in (*key_columns, MICROS))
    )
    source = records.copy()
    source.set("alias", exp.TableAlias(this=exp.to_identifier(r, quoted=True)))
    select = (
        exp.select(
            *(_col(c, r) for c in image_columns),
            *(_col(c, r) for c in key_columns if c not in image_columns),
            _col(MICROS, r),
            _col(DELETED, r),
        )
        .from_(source)
        .join(shared.subquery(exp.to_identifier(d, quoted=True)), on=on, join_type="left")
    )
    if since_micros is not None:
        select = select.where(since(r))
    return select.qualify(exp.EQ(this=window, expression=exp.Literal.number(1)))


def change_time(micros_column: exp.Expression, caps: Capabilities) -> exp.Expression:
    """``WriteTimestampMicros`` as the warehouse's TIMESTAMP WITH TIME ZONE, exactly.

    DuckDB: ``to_timestamp(0) + to_microseconds(m)`` (no float on the way);
    BigQuery: ``TIMESTAMP_MICROS(m)``.
    """
    return caps.values.micros_timestamp(micros_column)


def data_schema(schema: TableSchema) -> TableSchema:
    """``schema`` without its SYSTEM columns (the change set carries data and key columns)."""
    columns = tuple(c for c in schema.columns if c.role is not Role.SYSTEM)
    return TableSchema(columns, schema.version, schema.keys)


def changes_select(
    typed: exp.Select, caps: Capabilities, source: exp.Table | None = None
) -> exp.Select:
    """Add ``_aws2bq_op`` and ``_aws2bq_change_at`` to the typed SELECT over the dedup table.

    ``typed`` must read the dedup table (:func:`dedup_select`'s columns); its projections are
    the schema's data columns (deletes: non-key columns are NULL, as Item holds only Keys).
    """
    op = exp.Case(
        ifs=[exp.If(this=_col(DELETED), true=exp.Literal.string(DELETE))],
        default=exp.Literal.string(UPSERT),
    )
    string = caps.data_type(ColumnType(Kind.STRING))
    result = typed.copy().select(
        exp.alias_(exp.Cast(this=op, to=string), OP, quoted=True),
        exp.alias_(change_time(_col(MICROS), caps), CHANGE_AT, quoted=True),
        copy=False,
    )
    if source is not None:
        result = result.from_(source, copy=False)
    return result
