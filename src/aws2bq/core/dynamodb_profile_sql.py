"""The profile of staged DynamoDB items (DuckDB SQL): per attribute, counts per descriptor
and the number statistics of ``N`` values and ``NS`` elements.

The digit arithmetic is the number contract's one builder (:mod:`aws2bq.core.number_sql`);
NULL values (absent, ``{"NULL": true}``) are no evidence for any number statistic.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot.expressions as exp

from aws2bq.core.dynamodb_staged import (
    alias,
    field,
)
from aws2bq.core.dynamodb_types import DESCRIPTORS, AttributeStats, NumberStats
from aws2bq.core.number_sql import digit_counts, duckdb_captures, duckdb_struct
from aws2bq.core.number_text import plain_number_text
from aws2bq.core.sql_template import fill

INT64_MIN = -(2**63)


INT64_MAX = 2**63 - 1


def number_regexp(text: exp.Expression) -> exp.Expression:
    """``regexp_extract`` of a number's text into a struct (sign, i, f, e)."""
    return duckdb_struct(text)


def number_parts(
    text: exp.Expression, parts: exp.Expression | None = None
) -> tuple[exp.Expression, exp.Expression, exp.Expression]:
    """SQL for (integer digits, scale, fits int64) of a DynamoDB number's text (DuckDB).

    The digit arithmetic is :func:`aws2bq.core.number_sql.digit_counts`: ``0.0012`` → (0, 4),
    ``1.50`` → (1, 1), ``1.5E+3`` → (4, 0).
    """
    if parts is None:
        parts = number_regexp(text)
    counts = digit_counts(duckdb_captures(parts))
    # NULL (an absent attribute, a {"NULL": true} value) is no evidence: every statistic of
    # it is NULL, which aggregates skip (issue 10.1).
    # Compared as plain text (see plain_number_text).
    fits = fill(
        "CASE WHEN :t IS NULL THEN NULL WHEN :s = 0 AND :n <= 19 "
        "THEN coalesce(try_cast(:c AS DECIMAL(38, 0)) BETWEEN :lo AND :hi, FALSE) "
        "ELSE FALSE END",
        s=counts.scale,
        n=counts.integer_digits,
        t=text,
        c=plain_number_text(text),
        lo=exp.Literal.number(INT64_MIN),
        hi=exp.Literal.number(INT64_MAX),
    )
    return counts.integer_digits, counts.scale, fits


PROFILE_COLUMNS: tuple[str, ...] = (
    "attribute",
    *(f"count_{d}" for d in DESCRIPTORS),
    "n_count",
    "n_int_digits",
    "n_scale",
    "n_all_int64",
    "ns_count",
    "ns_int_digits",
    "ns_scale",
    "ns_all_int64",
)


def _number_aggregates(
    text: exp.Expression, parts: exp.Expression, prefix: str
) -> list[exp.Expression]:
    int_digits, scale, fits = number_parts(text, parts)
    return [
        alias(fill("count(:t)", t=text), prefix + "count", quoted=True),
        alias(fill("max(:x)", x=int_digits), prefix + "int_digits", quoted=True),
        alias(fill("max(:x)", x=scale), prefix + "scale", quoted=True),
        alias(fill("bool_and(:x)", x=fits), prefix + "all_int64", quoted=True),
    ]


def profile_select(stage: exp.Table, item_column: str = "Item") -> exp.Select:
    """One query: per attribute, counts per descriptor and number statistics (N and NS).

    Rows have the columns of :data:`PROFILE_COLUMNS`; parse them with :func:`read_profile`.
    """
    item = exp.column(item_column, quoted=True)
    entries = fill(
        "SELECT k, v, :np AS np FROM (SELECT e.key AS k, e.value AS v "
        "FROM (SELECT unnest(map_entries(:item)) AS e FROM :stage))",
        item=item,
        stage=stage,
        np=number_regexp(field(exp.column("v"), "N")),
    )
    v = exp.column("v", quoted=True)
    k = exp.column("k", quoted=True)
    counts = [
        alias(fill("count(:x)", x=field(v, d)), f"count_{d}", quoted=True) for d in DESCRIPTORS
    ]
    per_attribute = (
        exp.select(
            alias(k, "attribute", quoted=True),
            *counts,
            *_number_aggregates(field(v, "N"), exp.column("np"), "n_"),
        )
        .from_("entries")
        .group_by(k)
    )
    set_elements = fill(
        "SELECT k, x, :np AS np FROM (SELECT k, unnest((v).NS) AS x FROM entries "
        "WHERE (v).NS IS NOT NULL)",
        np=number_regexp(exp.column("x")),
    )
    per_set = (
        exp.select(
            alias(k, "attribute", quoted=True),
            *_number_aggregates(exp.column("x", quoted=True), exp.column("np"), "ns_"),
        )
        .from_("set_elements")
        .group_by(k)
    )
    a = exp.column
    select = (
        exp.select(
            a("attribute", "a", quoted=True),
            *(a(f"count_{d}", "a", quoted=True) for d in DESCRIPTORS),
            *(a(f"n_{s}", "a", quoted=True) for s in ("count", "int_digits", "scale", "all_int64")),
            *(
                a(f"ns_{s}", "s", quoted=True)
                for s in ("count", "int_digits", "scale", "all_int64")
            ),
        )
        .from_(alias(exp.to_table("per_attribute"), "a"))
        .join(
            alias(exp.to_table("per_set"), "s"),
            on=exp.EQ(
                this=a("attribute", "a", quoted=True), expression=a("attribute", "s", quoted=True)
            ),
            join_type="LEFT",
        )
        .order_by(a("attribute", "a", quoted=True))
        .with_("entries", as_=entries)
        .with_("set_elements", as_=set_elements)
        .with_("per_attribute", as_=per_attribute)
        .with_("per_set", as_=per_set)
    )
    return select


def read_profile(rows: Sequence[Sequence[object]]) -> dict[str, AttributeStats]:
    """Turn the rows of :func:`profile_select` into statistics per attribute.

    An attribute never present with a descriptor (a JSON ``null`` in every item, which
    DynamoDB JSON never has) has no statistics and so no column, as on the Arrow stager
    (:meth:`aws2bq.warehouses.duckdb.arrow_profile.Profile.result`)."""
    out: dict[str, AttributeStats] = {}
    nd = len(DESCRIPTORS)
    for row in rows:
        name = str(row[0])
        counts = {d: int(str(row[1 + i] or 0)) for i, d in enumerate(DESCRIPTORS)}
        if not any(counts.values()):
            continue
        n = _number_stats(row[1 + nd : 5 + nd])
        ns = _number_stats(row[5 + nd : 9 + nd])
        out[name] = AttributeStats(name, {d: c for d, c in counts.items() if c}, n, ns)
    return out


def _number_stats(values: Sequence[object]) -> NumberStats | None:
    count = int(str(values[0] or 0))
    if not count:
        return None
    return NumberStats(count, int(str(values[1])), int(str(values[2])), bool(values[3]))
