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


# Spellings DuckDB's casts misread or refuse: an exponent form's digits are rounded to the
# type's width before the exponent is applied (values from a fuzz run; see plain_number_text).
# The first three were misread by the former route through DECIMAL(38, 0); the fourth is
# rounded silently by a cast to DECIMAL; the fifth is refused by a cast to BIGINT; the last
# three are plain controls.
MISREAD = [
    ("0.000000000000000000000000000000000000001E+39", "BIGINT", "1"),
    ("-0.0000000000000000000000004518178893585726255e43", "BIGINT", "-4518178893585726255"),
    ("0.0000000000000000000000000922337203685477580E+43", "BIGINT", "922337203685477580"),
    ("0.0000000000000000000000000003437219195127747e38", "DECIMAL(38, 9)", "34372191951.27747"),
    ("2624867767967583412000e-3", "BIGINT", "2624867767967583412"),
    ("1.5E+3", "DECIMAL(38, 9)", "1500"),
    ("00012.500", "DECIMAL(38, 9)", "12.5"),
    ("-9223372036854775808", "BIGINT", "-9223372036854775808"),
]


@pytest.mark.parametrize(("text", "sql_type", "value"), MISREAD)
def test_plain_number_text_reads_every_spelling_exactly(
    text: str, sql_type: str, value: str
) -> None:
    from aws2bq.core.number_text import plain_number_text

    con = duckdb.connect()
    con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")  # as the warehouse does
    plain = plain_number_text(exp.Literal.string(text)).sql("duckdb")
    (read,) = con.execute(f"SELECT CAST({plain} AS {sql_type})").fetchone()  # type: ignore[misc]
    assert Decimal(read) == Decimal(text) == Decimal(value)
