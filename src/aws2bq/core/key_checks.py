"""Every row of a snapshot or change set has one non-NULL key, and no key appears twice.

A full export is a snapshot of a table whose items (rows) each have a primary key: a row
without its key cannot be merged (merge would drop it and delete the key's current row) and a
key seen twice has no single value (merge would keep one of the two at random). An
incremental export's change set must likewise hold one change per key. One query over the
typed rows finds both (pure SQL builder here; the runner runs it and names the culprits)::

    SELECT k1, k2, COUNT(*) FROM (<typed rows>) GROUP BY k1, k2
    HAVING COUNT(*) > 1 OR k1 IS NULL OR k2 IS NULL
    ORDER BY <a NULL key first>, COUNT(*) DESC, k1, k2 LIMIT 3

Only the key columns are projected, so the warehouse computes nothing else of the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import sqlglot.expressions as exp

from aws2bq.core.schema import Kind, TableSchema
from aws2bq.errors import ContractError

#: Kinds a key column cannot have: not comparable for equality in every warehouse, and never
#: the type of a DynamoDB key (S, N or B) or of a sensible primary key.
UNKEYABLE = frozenset({Kind.JSON, Kind.GEOGRAPHY, Kind.FLOAT64})
_COUNT = "_aws2bq_key_count"


@dataclass(frozen=True)
class KeyProblems:
    """What the check found: how many rows lack a key, and keys seen more than once."""

    #: Rows whose key (some key column) is NULL.
    unkeyed: int = 0
    #: (key values, in key order; number of rows) of duplicated keys, most frequent first.
    duplicates: list[tuple[tuple[Any, ...], int]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.unkeyed or self.duplicates)


def key_columns(schema: TableSchema) -> list[str]:
    """Destination names of ``schema``'s key columns, in key order (empty: no keys)."""
    by_source = schema.by_source()
    return [by_source[k].name for k in schema.keys if k in by_source]


def unkeyable_columns(schema: TableSchema) -> list[str]:
    """Source names of key columns whose type cannot be a key (JSON, GEOGRAPHY, FLOAT64)."""
    by_source = schema.by_source()
    return [
        k
        for k in schema.keys
        if k in by_source and (by_source[k].type.kind in UNKEYABLE or by_source[k].type.repeated)
    ]


def key_problems_select(rows: exp.Query, keys: Sequence[str], limit: int = 3) -> exp.Select:
    """The query of the module docstring over ``rows`` (a typed SELECT), keyed by ``keys``
    (destination column names)."""
    if not keys:
        raise ContractError("a key check needs the key columns")

    def col(name: str) -> exp.Column:
        return exp.column(exp.to_identifier(name, quoted=True))

    nulls = [exp.Is(this=col(k), expression=exp.null()) for k in keys]
    any_null = cast(exp.Expression, exp.or_(*nulls)) if len(nulls) > 1 else nulls[0]
    count = exp.Count(this=exp.Star())
    source = exp.Subquery(
        this=rows.copy(), alias=exp.TableAlias(this=exp.to_identifier("_aws2bq_k"))
    )
    return (
        exp.select(*[col(k) for k in keys], exp.alias_(count.copy(), _COUNT, quoted=True))
        .from_(source)
        .group_by(*[col(k) for k in keys])
        .having(exp.or_(exp.GT(this=count.copy(), expression=exp.Literal.number(1)), any_null))
        .order_by(
            exp.Ordered(this=exp.Paren(this=any_null.copy()), desc=True),
            exp.Ordered(this=count.copy(), desc=True),
            *[exp.Ordered(this=col(k), nulls_first=True) for k in keys],
        )
        .limit(limit)
    )


def read_key_problems(result: Sequence[Sequence[Any]]) -> KeyProblems:
    """Turn the rows of :func:`key_problems_select` into :class:`KeyProblems`."""
    unkeyed = 0
    duplicates: list[tuple[tuple[Any, ...], int]] = []
    for row in result:
        values, count = tuple(row[:-1]), int(row[-1])
        if any(v is None for v in values):
            unkeyed += count
        else:
            duplicates.append((values, count))
    return KeyProblems(unkeyed, duplicates)
