"""The number contract's digit arithmetic is built once (core.number_sql) for every dialect."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
import sqlglot.expressions as exp

from aws2bq.core.number_sql import CAPTURES, bigquery_captures, digit_counts
from aws2bq.warehouses.bigquery import dynamodb_sql as bigquery_sql


def _reference(text: str) -> tuple[int, int]:
    """Significant digits before / after the point, from Python's Decimal."""
    value = Decimal(text)
    if value == 0:
        return 0, 0
    _, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)
    point = len(digits) + exponent
    return max(point, 0), max(len(digits) - point, 0)


@pytest.mark.parametrize(
    "text",
    ["0", "-0.00", "007", "1.50", "0.0012", "1.5E+3", "100E-2", "-1E-130", "9.99E+125", ".5"],
)
def test_digit_counts_in_duckdb_match_decimal(text: str) -> None:
    counts = digit_counts(CAPTURES["duckdb"](exp.Literal.string(text)))
    sql = exp.select(counts.integer_digits, counts.scale).sql("duckdb")
    assert duckdb.connect().execute(sql).fetchone() == _reference(text)


def test_bigquery_profile_uses_the_shared_arithmetic() -> None:
    profile = bigquery_sql.profile_select(exp.to_table("stage", quoted=True))
    shared = digit_counts(bigquery_captures(exp.column("t")))
    rendered = profile.sql("bigquery")
    assert shared.integer_digits.sql("bigquery") in rendered
    assert shared.scale.sql("bigquery") in rendered
