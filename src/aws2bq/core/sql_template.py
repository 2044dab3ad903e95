"""Constant SQL templates with ``:name`` placeholders, parsed once into sqlglot expressions.

The pure core writes its SQL as short templates in DuckDB's syntax (the language the
templates are read in, not necessarily the one they are rendered in: sqlglot renders the
parsed tree in any dialect). Values are substituted as expression nodes, never as text, so
no table, column, attribute name or value is ever formatted into SQL.
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

import sqlglot
import sqlglot.expressions as exp

#: The dialect the templates are written in.
TEMPLATE_DIALECT = "duckdb"

# Expressions that never need parentheses when substituted into a template; anything else
# (a binary operation, a CASE, …) is wrapped so the rendered SQL keeps the tree's meaning.
_ATOMIC = (
    exp.Column,
    exp.Literal,
    exp.Identifier,
    exp.Paren,
    exp.Table,
    exp.Func,
    exp.Cast,
    exp.DataType,
    exp.Lambda,
    exp.Bracket,
    exp.Dot,
    exp.Boolean,
    exp.Null,
    exp.Select,
    exp.Subquery,
    exp.Array,
)


def fill(template: str, **values: exp.Expression) -> exp.Expression:
    """Parse a constant template (DuckDB syntax) and fill its ``:name`` placeholders.

    Examples:
        >>> fill("length(:x) + 1", x=exp.column("a", quoted=True)).sql("bigquery")
        'LENGTH(`a`) + 1'
    """
    tree = _template(template)
    wrapped = {k: v if isinstance(v, _ATOMIC) else exp.Paren(this=v) for k, v in values.items()}
    return cast(exp.Expression, exp.replace_placeholders(tree.copy(), **wrapped))


@lru_cache(maxsize=256)
def _template(template: str) -> exp.Expression:
    return cast(exp.Expression, sqlglot.parse_one(template, read=TEMPLATE_DIALECT))
