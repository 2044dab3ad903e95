"""Small builders of the quoted names and conditions every generated apply statement uses.

Identifiers are always quoted (``exp.to_identifier(..., quoted=True)``), so no table or column
name is ever pasted into SQL text; shared by the change-set, schema-evolution, layout and
change-apply modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.schema import ColumnType, Kind

#: The alias every generated query gives the target table (see :func:`aliased`).
TARGET = "_aws2bq_t"

_TIMESTAMP = ColumnType(Kind.TIMESTAMP)


def q_id(name: str) -> exp.Identifier:
    """``name`` as a quoted identifier."""
    return exp.to_identifier(name, quoted=True)


def q_col(name: str, table: str | None = None) -> exp.Column:
    """``table.name`` (quoted)."""
    return exp.column(q_id(name), table=q_id(table) if table else None)


def q_table(name: str, dataset: str | None, alias: str | None = None) -> exp.Table:
    """``dataset.name [AS alias]`` (quoted)."""
    table = exp.table_(name, db=dataset, quoted=True)
    if alias:
        table.set("alias", exp.TableAlias(this=q_id(alias)))
    return table


def aliased(table: exp.Table, alias: str = TARGET) -> exp.Table:
    """``table`` under ``alias``. Every generated query names the target through an alias:
    unaliased, a table named like one of its columns reads as the table's row (a STRUCT) where
    the column was meant (GoogleSQL resolves a range variable before a column; issue 12
    fault 15). aws2bq's aliases start with ``_aws2bq_``, which no column name does."""
    out = table.copy()
    out.set("alias", exp.TableAlias(this=q_id(alias)))
    return out


def all_of(conditions: Sequence[exp.Expression]) -> exp.Expression:
    """The conditions joined by AND (TRUE for none)."""
    return cast(exp.Expression, exp.and_(*conditions)) if conditions else exp.true()


def keys_equal(keys: Sequence[str], left: str, right: str) -> exp.Expression:
    """``left.k = right.k`` for every key column ``k``."""
    return all_of([exp.EQ(this=q_col(k, left), expression=q_col(k, right)) for k in keys])


def text_equals(name: str, table: str | None, value: str) -> exp.Expression:
    """``table.name = 'value'``."""
    return exp.EQ(this=q_col(name, table), expression=exp.Literal.string(value))


def timestamp_literal(value: datetime, caps: Capabilities) -> exp.Expression:
    """``value`` as a TIMESTAMP of the dialect."""
    return exp.Cast(this=exp.Literal.string(value.isoformat()), to=caps.data_type(_TIMESTAMP))


def typed_null(ctype: ColumnType, caps: Capabilities) -> exp.Expression:
    """A NULL of ``ctype``."""
    return exp.Cast(this=exp.null(), to=caps.data_type(ctype))


def named(expression: exp.Expression, name: str) -> exp.Alias:
    """``expression AS name`` (quoted)."""
    return cast(exp.Alias, exp.alias_(expression, q_id(name)))
