"""Partitioning and clustering of a destination table (``PARTITION BY`` / ``CLUSTER BY``).

A :class:`TableLayout` comes from the stream's config; :func:`layout_properties` renders it
for a ``CREATE TABLE`` where the dialect has partitioning (BigQuery) and ignores it elsewhere;
:func:`key_clustered` clusters a table by its key when the layout names no clustering.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.change_features import ChangeFeatures, features
from aws2bq.core.schema import ColumnType, Kind, TableSchema
from aws2bq.core.sql_parts import q_col
from aws2bq.errors import ContractError


@dataclass(frozen=True)
class TableLayout:
    """Partitioning / clustering of a target table (applied where the dialect has them).

    DuckDB has neither: the whole layout, expiration and filter requirement included, is
    ignored there (rows are kept whatever their age; queries need no filter).
    """

    partition_column: str | None = None
    #: ``HOUR`` / ``DAY`` / ``MONTH`` / ``YEAR``.
    granularity: str = "DAY"
    cluster_by: tuple[str, ...] = field(default=())
    #: BigQuery deletes partitions older than this many days (``partition_expiration_days``);
    #: None: kept.
    expiration_days: int | None = None
    #: Queries must filter on the partition column (``require_partition_filter``).
    require_filter: bool = False


#: Time units a partition column of each kind can be truncated to, and how (BigQuery's
#: allowed partition expressions: https://cloud.google.com/bigquery/docs/reference/
#: standard-sql/data-definition-language#partition_expression). DATE by DAY is the bare
#: column; ``DATE(x)`` of a DATE, ``TIMESTAMP_TRUNC`` of a DATETIME and ``DATE_TRUNC(x, DAY)``
#: are refused by BigQuery.
_PARTITION_UNITS: Mapping[Kind, Mapping[str, str | None]] = MappingProxyType(
    {
        Kind.DATE: {"DAY": None, "MONTH": "DATE_TRUNC", "YEAR": "DATE_TRUNC"},
        Kind.TIMESTAMP: {"HOUR": "TIMESTAMP_TRUNC", "DAY": "DATE", "MONTH": "TIMESTAMP_TRUNC",
                         "YEAR": "TIMESTAMP_TRUNC"},
        Kind.DATETIME: {"HOUR": "DATETIME_TRUNC", "DAY": "DATE", "MONTH": "DATETIME_TRUNC",
                        "YEAR": "DATETIME_TRUNC"},
    }
)  # fmt: skip


def partition_expression(column: str, ctype: ColumnType, granularity: str) -> exp.Expression:
    """The ``PARTITION BY`` expression of ``column`` (of type ``ctype``) by ``granularity``.

    Raises:
        ContractError: the column's type cannot be partitioned by time at that granularity
            (e.g. a STRING column, or HOUR on a DATE column).
    """
    unit = granularity.upper()
    units = _PARTITION_UNITS.get(ctype.kind, {}) if not ctype.repeated else {}
    if unit not in units:
        allowed = ", ".join(f"{k.value} by {'/'.join(u)}" for k, u in _PARTITION_UNITS.items())
        raise ContractError(
            f"cannot partition by column {column!r} ({ctype.kind.value}"
            f"{' array' if ctype.repeated else ''}) at {unit}: BigQuery partitions by "
            f"{allowed}"
        )
    function = units[unit]
    if function is None:
        return q_col(column)
    if function == "DATE":
        return exp.Anonymous(this="DATE", expressions=[q_col(column)])
    return exp.Anonymous(this=function, expressions=[q_col(column), exp.var(unit)])


def layout_properties(
    layout: TableLayout | None,
    feats: ChangeFeatures,
    types: Mapping[str, ColumnType] | None = None,
) -> exp.Properties | None:
    """``PARTITION BY`` / ``CLUSTER BY`` / ``OPTIONS(partition_expiration_days,
    require_partition_filter)`` of a ``CREATE TABLE`` (None where the dialect has none).

    ``types`` are the table's column types (the partition expression depends on the column's
    type: :func:`partition_expression`).

    Raises:
        ContractError: the partition column is not among ``types`` or cannot be partitioned.
    """
    if layout is None or not feats.partitioning:
        return None
    props: list[exp.Expression] = []
    if layout.partition_column:
        known = types or {}
        if layout.partition_column not in known:
            raise ContractError(
                f"partition column {layout.partition_column!r} is not a column of the table "
                f"(columns: {', '.join(sorted(known)) or 'unknown'})"
            )
        part = partition_expression(
            layout.partition_column, known[layout.partition_column], layout.granularity
        )
        props.append(exp.PartitionedByProperty(this=part))
    if layout.cluster_by:
        props.append(exp.ClusterProperty(expressions=[q_col(c) for c in layout.cluster_by]))
    if layout.partition_column:
        # https://cloud.google.com/bigquery/docs/reference/standard-sql/
        # data-definition-language#table_option_list
        if layout.expiration_days is not None:
            days = exp.Literal.number(layout.expiration_days)
            props.append(exp.Property(this=exp.var("partition_expiration_days"), value=days))
        if layout.require_filter:
            props.append(exp.Property(this=exp.var("require_partition_filter"), value=exp.true()))
    return exp.Properties(expressions=props) if props else None


def table_types(
    schema: TableSchema, extra: Sequence[tuple[str, ColumnType]] = ()
) -> dict[str, ColumnType]:
    """Column name → type of a table holding ``schema`` and the mode's ``extra`` columns."""
    return {**{c.name: c.type for c in schema.columns}, **dict(extra)}


def key_clustered(
    layout: TableLayout | None, schema: TableSchema, caps: Capabilities
) -> TableLayout | None:
    """``layout``, clustered by the table's key columns when it names no clustering (issue 12
    fault 17): merge and history statements join the target by key, and a clustered table
    lets BigQuery read only the blocks of the keys a statement filters on
    (https://cloud.google.com/bigquery/docs/clustered-tables). Keys of a kind clustering does
    not take (FLOAT64, BYTES, JSON, arrays) end the list; at most the dialect's maximum."""
    feats = features(caps)
    if not feats.cluster_kinds or (layout is not None and layout.cluster_by):
        return layout
    by_source = schema.by_source()
    columns: list[str] = []
    for key in schema.keys:
        column = by_source.get(key)
        if column is None or column.type.repeated or column.type.kind not in feats.cluster_kinds:
            break
        columns.append(column.name)
    if not columns:
        return layout
    return replace(layout or TableLayout(), cluster_by=tuple(columns[: feats.max_cluster_columns]))
