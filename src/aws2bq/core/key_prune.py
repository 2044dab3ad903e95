"""Key pruning: a constant filter on the target's leading key that every change meets.

On a table clustered by the key, BigQuery reads only the blocks a constant filter can match
(issue 12 fault 17), so merge and history statements read the changed keys' blocks only.
The runner reads the change set's bounds (:func:`key_bounds_select`, :func:`key_values_select`)
and builds the filter (:func:`key_filter`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlglot.expressions as exp

from aws2bq.core.change_sets import key_names
from aws2bq.core.schema import TableSchema
from aws2bq.core.sql_parts import q_col, q_id

#: Most distinct keys listed as constants in a pruning filter; beyond, a range.
PRUNE_LIST_MAX = 1000


@dataclass(frozen=True)
class KeyFilter:
    """A constant condition on the target's leading key column that every key of a change
    set meets (issue 12 fault 17). On a table clustered by the key, BigQuery reads only the
    blocks a constant filter can match (a join or subquery filter prunes nothing:
    https://cloud.google.com/bigquery/docs/querying-clustered-tables), so merge and history
    statements read the changed keys' blocks instead of the whole table."""

    column: str
    #: The distinct values (at most :data:`PRUNE_LIST_MAX`), or None: use the range.
    values: tuple[exp.Expression, ...] | None
    low: exp.Expression | None = None
    high: exp.Expression | None = None

    def condition(self, alias: str | None = None) -> exp.Expression:
        column = q_col(self.column, alias)
        if self.values is not None:
            return exp.In(this=column, expressions=[v.copy() for v in self.values])
        assert self.low is not None and self.high is not None
        return exp.Between(this=column, low=self.low.copy(), high=self.high.copy())


def key_bounds_select(changes: exp.Query, schema: TableSchema) -> exp.Select:
    """``SELECT MIN(k), MAX(k), COUNT(DISTINCT k)`` of the change set's leading key column."""
    key = key_names(schema)[0]
    return exp.select(
        exp.Min(this=q_col(key)),
        exp.Max(this=q_col(key)),
        exp.Count(this=exp.Distinct(expressions=[q_col(key)])),
    ).from_(exp.Subquery(this=changes.copy(), alias=exp.TableAlias(this=q_id("_aws2bq_c"))))


def key_values_select(changes: exp.Query, schema: TableSchema) -> exp.Select:
    """The change set's distinct leading-key values (at most :data:`PRUNE_LIST_MAX`)."""
    key = key_names(schema)[0]
    return (
        exp.select(q_col(key))
        .distinct()
        .from_(exp.Subquery(this=changes.copy(), alias=exp.TableAlias(this=q_id("_aws2bq_c"))))
        .order_by(q_col(key))
        .limit(PRUNE_LIST_MAX)
    )


def _constant(value: Any) -> exp.Expression | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    return None  # other kinds are not pruned on (a literal of their exact type is needed)


def key_filter(
    schema: TableSchema, bounds: Sequence[Any], values: Sequence[Any] | None = None
) -> KeyFilter | None:
    """The pruning filter from :func:`key_bounds_select`'s row (and, when the count is at
    most :data:`PRUNE_LIST_MAX`, :func:`key_values_select`'s values); None: no pruning (an
    empty change set, or a key kind without a plain literal)."""
    low, high, count = bounds
    key = key_names(schema)[0]
    if not count or low is None or high is None:
        return None
    if values is not None and 0 < len(values) == count <= PRUNE_LIST_MAX:
        constants = [_constant(v) for v in values]
        if all(c is not None for c in constants):
            return KeyFilter(key, tuple(cast(list[exp.Expression], constants)))
    lo, hi = _constant(low), _constant(high)
    if lo is None or hi is None:
        return None
    return KeyFilter(key, None, lo, hi)
