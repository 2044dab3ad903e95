"""The profile computed on Arrow chunks: digits exactly as the SQL profile, present values only."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest
import sqlglot.expressions as exp
from hypothesis import given, settings
from hypothesis import strategies as st

from aws2bq.core import dynamodb_profile_sql
from aws2bq.core.dynamodb_types import AttributeStats, NumberStats
from aws2bq.warehouses.duckdb.arrow_profile import NumberAcc, Profile, number_acc, number_parts

EXAMPLES = {
    "0": (0, 0, True),
    "-0": (0, 0, True),
    "007": (1, 0, True),
    "0.0012": (0, 4, False),
    "1.50": (1, 1, False),
    "1.5E+3": (4, 0, True),
    "1.5e-3": (0, 4, False),
    "+12": (2, 0, True),
    "9223372036854775807": (19, 0, True),
    "-9223372036854775808": (19, 0, True),
    "9223372036854775808": (19, 0, False),
    "12345678901234567890123": (23, 0, False),
    "1E+125": (126, 0, False),
    "1E-130": (0, 130, False),
    "100.000": (3, 0, True),
}


@pytest.mark.parametrize(("text", "expected"), EXAMPLES.items())
def test_number_parts_examples(text: str, expected: tuple[int, int, bool]) -> None:
    assert number_parts(text) == expected
    digits, scale, fits = expected
    assert number_acc(pa.array([text])) == NumberAcc(1, digits, scale, fits)


def _sql_parts(texts: list[str]) -> list[tuple[int, int, bool]]:
    """The SQL profile's digit arithmetic (dynamodb_profile_sql.number_parts) run in DuckDB."""
    t = exp.column("t")
    digits, scale, fits = dynamodb_profile_sql.number_parts(t)
    select = exp.select(digits, scale, fits).from_(exp.to_table("v"))
    con = duckdb.connect()
    con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")  # as the warehouse does
    try:
        con.register("v", pa.table({"t": pa.array(texts, pa.string())}))
        return [
            (int(a), int(b), bool(c)) for a, b, c in con.execute(select.sql("duckdb")).fetchall()
        ]
    finally:
        con.close()


def test_examples_agree_with_the_sql_profile() -> None:
    texts = list(EXAMPLES)
    assert _sql_parts(texts) == [EXAMPLES[t] for t in texts]


# DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 .. 9.99E+125.
_mantissa = st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1)
_exponent = st.integers(min_value=-130, max_value=88)


@st.composite
def number_texts(draw: st.DrawFn) -> str:
    value = Decimal(draw(_mantissa)).scaleb(draw(_exponent))
    style = draw(st.sampled_from(["plain", "sci", "padded"]))
    if style == "sci":
        return f"{value:E}"
    text = f"{value:f}"
    if style == "padded" and "." in text:
        return text + "0" * draw(st.integers(0, 3))
    return text


@settings(max_examples=60, deadline=None)
@given(st.lists(number_texts(), min_size=1, max_size=30))
def test_vectorized_stats_equal_the_exact_reference(texts: list[str]) -> None:
    expected = NumberAcc()
    for text in texts:
        digits, scale, fits = number_parts(text)
        expected.add(NumberAcc(1, digits, scale, fits))
    assert number_acc(pa.array(texts)) == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=-(2**64), max_value=2**64), min_size=1, max_size=30))
def test_integers_take_the_fast_path_and_agree(values: list[int]) -> None:
    texts = [str(v) for v in values]
    fits = all(-(2**63) <= v < 2**63 for v in values)
    digits = max(len(str(abs(v))) if v else 0 for v in values)
    assert number_acc(pa.array(texts)) == NumberAcc(len(texts), digits, 0, fits)


_digits = st.text(alphabet="0123456789", min_size=1, max_size=24)


@st.composite
def plain_texts(draw: st.DrawFn) -> str:
    """``-?digits[.digits]`` with leading and trailing zeros: the counted-around-the-point path."""
    sign = draw(st.sampled_from(["", "-"]))
    fraction = draw(st.one_of(st.just(""), _digits.map(lambda d: "." + d)))
    return sign + draw(_digits) + fraction


@settings(max_examples=80, deadline=None)
@given(st.lists(plain_texts(), min_size=1, max_size=30))
def test_plain_numbers_are_counted_as_the_exact_reference(texts: list[str]) -> None:
    expected = NumberAcc()
    for text in texts:
        digits, scale, fits = number_parts(text)
        expected.add(NumberAcc(1, digits, scale, fits))
    assert number_acc(pa.array(texts)) == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["-012.30", "0.0012"], NumberAcc(2, 2, 4, False)),
        (["5.00", "-0.000", "00"], NumberAcc(3, 1, 0, True)),
        (["9223372036854775807.0"], NumberAcc(1, 19, 0, True)),
        (["9223372036854775808.00"], NumberAcc(1, 19, 0, False)),
    ],
)
def test_plain_number_examples(texts: list[str], expected: NumberAcc) -> None:
    assert number_acc(pa.array(texts)) == expected


VALUE = pa.struct(
    [("N", pa.string()), ("NULL", pa.bool_()), ("NS", pa.list_(pa.string())), ("S", pa.string())]
)


def test_absent_and_null_values_are_not_evidence() -> None:
    # qty: N 5, N 7, {"NULL": true}, absent → the numbers of the two present values only.
    qty = pa.array(
        [{"N": "5"}, {"N": "7"}, {"NULL": True}, None, {"NS": ["1", "2.5"]}, {"S": "x"}],
        VALUE,
    )
    profile = Profile()
    profile.add_columns([("qty", qty)])
    stats = profile.result()["qty"]
    assert stats == AttributeStats(
        "qty",
        {"S": 1, "N": 2, "NULL": 1, "NS": 1},
        NumberStats(2, 1, 0, True),
        NumberStats(2, 1, 1, False),
    )


def test_an_attribute_never_present_is_not_profiled() -> None:
    profile = Profile()
    profile.add_columns([("gone", pa.array([None, None], VALUE))])
    assert profile.result() == {}


def test_chunks_merge() -> None:
    first, second = Profile(), Profile()
    first.add_columns([("n", pa.array([{"N": "1"}, None], VALUE))])
    second.add_columns([("n", pa.array([{"N": "1.25"}, {"NULL": True}], VALUE))])
    first.merge(second)
    assert first.result()["n"] == AttributeStats(
        "n", {"N": 2, "NULL": 1}, NumberStats(2, 1, 2, False)
    )
