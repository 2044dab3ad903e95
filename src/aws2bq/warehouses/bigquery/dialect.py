"""The SQL text aws2bq sends to BigQuery: sqlglot's ``bigquery`` dialect, identifiers quoted
as GoogleSQL's lexical rules say.

A quoted identifier "has the same escape sequences as string literals"
(https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#quoted_identifiers,
#escape_sequences): a backtick inside it is ``\\```, a backslash ``\\\\``. sqlglot 30 doubles
the backtick (``a``b`` — a syntax error in GoogleSQL) and writes a backslash as it is (read
back as the start of an escape: ``a\\b`` is ``a`` + backspace). Everything else renders as
sqlglot renders it.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot.expressions as exp
from sqlglot.dialects.bigquery import BigQuery

#: Characters a quoted identifier cannot hold as they are.
_NEEDS_ESCAPE = re.compile(r"[`\\\x00-\x1f\x7f]")
_ESCAPES = {"`": "\\`", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote_identifier(name: str) -> str:
    """``name`` as a GoogleSQL quoted identifier (backticks, escapes where needed)."""

    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        return _ESCAPES.get(char) or f"\\x{ord(char):02x}"

    return f"`{_NEEDS_ESCAPE.sub(escape, name)}`"


#: sqlglot types ``Dialect.Generator`` as a class variable: subclassed through ``Any``.
_Generator: Any = BigQuery.Generator


class Aws2bqBigQuery(BigQuery):
    """sqlglot's BigQuery dialect with :func:`quote_identifier` for identifiers."""

    class Generator(_Generator):  # type: ignore[misc]
        def identifier_sql(self, expression: exp.Identifier) -> str:
            if _NEEDS_ESCAPE.search(expression.name):
                return quote_identifier(expression.name)
            return str(super().identifier_sql(expression))


DIALECT = Aws2bqBigQuery()


def render(statement: exp.Expression) -> str:
    """The GoogleSQL text of ``statement``."""
    return DIALECT.generate(statement)
