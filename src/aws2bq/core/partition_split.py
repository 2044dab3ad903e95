"""Writes into a time-partitioned table, split so no statement modifies too many partitions.

BigQuery rejects a query or load job that modifies more than 4,000 partitions
(https://cloud.google.com/bigquery/quotas#partitioned_tables, "Maximum number of partitions
modified by a single job"); each statement of a script (and of a transaction) runs as its own
child job (https://cloud.google.com/bigquery/docs/multi-statement-queries). The first load of
a long history into a table partitioned by DAY (11 years) or HOUR (5.5 months) exceeds it.
Google's own answer is one DML statement per range of partitions
(https://gist.github.com/jaketf/90b562367edb52bd9d469c44918997d2): the rows are written by
several INSERTs (and a replace's DELETE by several DELETEs) in the same transaction, each on
a range of at most :data:`MAX_PARTITIONS_PER_JOB` − 2 partitions of the partition column
(the NULL and ``__UNPARTITIONED__`` partitions are the 2 spare, both in the first range).

MONTH and YEAR partitions never need it: BigQuery's time partitions span 1960–2159, at most
2,400 months (https://cloud.google.com/bigquery/docs/partitioned-tables#date_timestamp_partitioned_tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.schema import ColumnType, Kind
from aws2bq.errors import ContractError

#: https://cloud.google.com/bigquery/quotas#partitioned_tables
MAX_PARTITIONS_PER_JOB = 4000
#: The NULL and ``__UNPARTITIONED__`` partitions a range may also touch.
_SPARE = 2
_UNITS = {"HOUR": timedelta(hours=1), "DAY": timedelta(days=1)}


@dataclass(frozen=True)
class PartitionSplit:
    """Ranges of the partition ``column`` cut at ``bounds`` (ascending, at least one): the
    first range is ``column < bounds[0] OR column IS NULL``, the last ``column >= bounds[-1]``."""

    column: str
    bounds: tuple[exp.Expression, ...]

    def conditions(self, alias: str | None = None) -> list[exp.Expression]:
        """One condition per range; together they hold every row exactly once."""
        table = exp.to_identifier(alias, quoted=True) if alias else None
        column = exp.column(exp.to_identifier(self.column, quoted=True), table=table)
        out: list[exp.Expression] = []
        for i in range(len(self.bounds) + 1):
            parts: list[exp.Expression] = []
            if i > 0:
                parts.append(exp.GTE(this=column.copy(), expression=self.bounds[i - 1].copy()))
            if i < len(self.bounds):
                parts.append(exp.LT(this=column.copy(), expression=self.bounds[i].copy()))
            condition = cast(exp.Expression, exp.and_(*parts))
            if i == 0:
                condition = cast(
                    exp.Expression,
                    exp.or_(condition, exp.Is(this=column.copy(), expression=exp.null())),
                )
            out.append(condition)
        return out


def bounds_select(rows: exp.Query, column: str, table: exp.Table | None = None) -> exp.Select:
    """``SELECT MIN(column), MAX(column)`` over ``rows`` (and ``table``'s rows: a replace
    deletes those), for :func:`partition_split`."""
    name = exp.to_identifier(column, quoted=True)
    source: exp.Query = exp.select(exp.column(name.copy())).from_(
        exp.Subquery(this=rows.copy(), alias=exp.TableAlias(this=exp.to_identifier("_aws2bq_r")))
    )
    if table is not None:
        source = exp.union(source, exp.select(exp.column(name.copy())).from_(table.copy()),
                           distinct=False)  # fmt: skip
    return exp.select(exp.Min(this=exp.column(name.copy())), exp.Max(this=exp.column(name))).from_(
        exp.Subquery(this=source, alias=exp.TableAlias(this=exp.to_identifier("_aws2bq_b")))
    )


def _start(value: Any, unit: str) -> datetime:
    """``value`` (a date or datetime) truncated to its partition's start."""
    if isinstance(value, datetime):
        at: datetime = value
        if at.tzinfo is not None:  # TIMESTAMP partitions are UTC
            at = at.astimezone(UTC).replace(tzinfo=None)
        if unit == "HOUR":
            return at.replace(minute=0, second=0, microsecond=0)
        return at.replace(hour=0, minute=0, second=0, microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise ContractError(f"a partition bound must be a date or datetime, not {type(value).__name__}")


def _literal(at: datetime, ctype: ColumnType, caps: Capabilities) -> exp.Expression:
    if ctype.kind is Kind.DATE:
        text = at.date().isoformat()
    elif ctype.kind is Kind.TIMESTAMP:
        text = at.isoformat(sep=" ") + "+00:00"
    else:
        text = at.isoformat(sep=" ")
    return exp.Cast(this=exp.Literal.string(text), to=caps.data_type(ctype))


def partition_split(
    column: str,
    ctype: ColumnType,
    granularity: str,
    low: Any,
    high: Any,
    caps: Capabilities,
    *,
    max_partitions: int = MAX_PARTITIONS_PER_JOB,
) -> PartitionSplit | None:
    """The ranges splitting values from ``low`` to ``high`` (the rows' bounds, as the
    warehouse returned them: dates or datetimes) into at most ``max_partitions`` partitions
    each; None when one statement can write them all (or there are no values)."""
    unit = _UNITS.get(granularity.upper())
    if unit is None or low is None or high is None:
        return None
    width = max_partitions - _SPARE
    first = _start(low, granularity.upper())
    last = _start(high, granularity.upper())
    partitions = (last - first) // unit + 1
    if partitions <= width:
        return None
    bounds = []
    at = first + width * unit
    while at <= last:
        bounds.append(_literal(at, ctype, caps))
        at += width * unit
    return PartitionSplit(column, tuple(bounds))
