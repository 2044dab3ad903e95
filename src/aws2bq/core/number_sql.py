"""The number contract's digit arithmetic, built once as sqlglot expressions.

A number's text (``-012.50``, ``1.5E+3``) is profiled by its significant digits left and
right of the point after the exponent is applied: integer digits and scale (``0.0012`` →
(0, 4), ``1.50`` → (1, 1), ``1.5E+3`` → (4, 0)); leading and trailing zeros do not count
(DynamoDB trims them too: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number). The type decision reads
these statistics (:class:`aws2bq.core.dynamodb_types.NumberStats`,
:class:`aws2bq.core.rds_types.NumberProfile`).

How the text is taken apart differs per dialect — DuckDB extracts one struct of named
groups, BigQuery one ``REGEXP_EXTRACT`` per group — and each dialect gives that as
:class:`NumberCaptures`. Everything after is the one builder here, written as templates
(:mod:`aws2bq.core.sql_template`) and rendered in whichever dialect the caller renders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import sqlglot.expressions as exp

from aws2bq.core.sql_template import fill

#: A number's text: sign, integer digits, optional fraction, optional exponent (the named
#: groups ``sign``, ``i``, ``f``, ``e``).
NUMBER_PATTERN = r"^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$"


@dataclass(frozen=True)
class NumberCaptures:
    """The groups of :data:`NUMBER_PATTERN` as a dialect extracts them (text expressions).

    ``integer``: the digits before the point (``''`` when none); ``fraction``: after it
    (NULL or ``''`` when none); ``exponent``: the exponent's text (NULL or ``''`` when none).
    """

    integer: exp.Expression
    fraction: exp.Expression
    exponent: exp.Expression


@dataclass(frozen=True)
class DigitCounts:
    """SQL for the statistics of one number (INTEGER expressions; 0 for a zero)."""

    #: Significant digits before the point once the exponent is applied.
    integer_digits: exp.Expression
    #: Significant digits after the point once the exponent is applied.
    scale: exp.Expression


def digit_counts(captures: NumberCaptures) -> DigitCounts:
    """Integer digits and scale of a number from its captured groups.

    Examples:
        >>> c = NumberCaptures(exp.column("i"), exp.column("f"), exp.column("e"))
        >>> "GREATEST" in digit_counts(c).scale.sql("bigquery")
        True
    """
    i = fill("ltrim(:i, '0')", i=captures.integer)
    f = fill("rtrim(coalesce(:f, ''), '0')", f=captures.fraction)
    e = fill("coalesce(try_cast(nullif(:e, '') AS INTEGER), 0)", e=captures.exponent)
    digits = fill(":i || :f", i=i, f=f)
    point = fill("length(:i) + :e", i=i, e=e)
    leading = fill("length(:d) - length(ltrim(:d, '0'))", d=digits)
    integer_digits = fill(
        "CASE WHEN ltrim(:d, '0') = '' THEN 0 ELSE greatest(:p - :z, 0) END",
        d=digits,
        p=point,
        z=leading,
    )
    scale = fill(
        "CASE WHEN ltrim(:d, '0') = '' THEN 0 ELSE greatest(length(rtrim(:d, '0')) - :p, 0) END",
        d=digits,
        p=point,
    )
    return DigitCounts(integer_digits, scale)


def duckdb_struct(text: exp.Expression) -> exp.Expression:
    """DuckDB: ``regexp_extract`` of a number's text into one struct (sign, i, f, e)."""
    return fill(
        "regexp_extract(:t, :p, ['sign', 'i', 'f', 'e'])",
        t=text,
        p=exp.Literal.string(NUMBER_PATTERN),
    )


def duckdb_captures(parts: exp.Expression) -> NumberCaptures:
    """DuckDB: the groups of a :func:`duckdb_struct` (or of an expression naming it)."""

    def group(name: str) -> exp.Expression:
        return exp.Dot(this=exp.Paren(this=parts.copy()), expression=exp.to_identifier(name))

    return NumberCaptures(integer=group("i"), fraction=group("f"), exponent=group("e"))


def bigquery_captures(text: exp.Expression) -> NumberCaptures:
    """BigQuery: one ``REGEXP_EXTRACT`` per group (GoogleSQL has no named-group struct)."""

    def group(pattern: str) -> exp.Expression:
        return exp.RegexpExtract(this=text.copy(), expression=exp.Literal.string(pattern))

    return NumberCaptures(
        integer=group(r"^[+-]?([0-9]*)"),
        fraction=group(r"\.([0-9]*)"),
        exponent=group(r"[eE]([+-]?[0-9]+)$"),
    )


#: How each dialect (sqlglot name) takes a number's text apart.
CAPTURES: Mapping[str, Callable[[exp.Expression], NumberCaptures]] = MappingProxyType(
    {"duckdb": lambda text: duckdb_captures(duckdb_struct(text)), "bigquery": bigquery_captures}
)
