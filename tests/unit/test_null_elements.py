"""A list or set holding null, which DynamoDB JSON never has: the SQL check the ``read_json``
stager runs (and BigQuery's, with the same tokens) against the locator that names the line
(:func:`aws2bq.sources.dynamodb.lines.null_element`), on JSON text that tries to fool a
regular expression: ``null`` inside strings, escaped quotes, backslashes, spacing."""

from __future__ import annotations

import duckdb
import orjson
import pytest
import sqlglot.expressions as exp
from hypothesis import given, settings
from hypothesis import strategies as st

from aws2bq.core.dynamodb_staged import json_holds_null_element
from aws2bq.sources.dynamodb.lines import null_element

# Strings made of the characters that matter to the tokens.
TRICKY = st.text(alphabet=['"', "\\", ",", "[", "]", "n", "u", "l", " ", "{", ":", "é"], max_size=8)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")  # as the warehouse does (client.py)
    return con


def _sql_says(con: duckdb.DuckDBPyConnection, text: str) -> bool:
    check = json_holds_null_element(exp.Literal.string(text))
    ((found,),) = con.execute(exp.select(check).sql(dialect="duckdb")).fetchall()
    return bool(found)


def _has_null_element(value: object) -> bool:
    # A list anywhere holding None, as the loader's locator sees it (it names the first).
    return null_element({"line": value}) is not None


@settings(max_examples=300, deadline=None)
@given(value=JSON, spaced=st.booleans())
def test_the_sql_check_agrees_with_the_locator(
    con: duckdb.DuckDBPyConnection, value: object, spaced: bool
) -> None:
    text = orjson.dumps(value).decode()
    if spaced:  # read_json compacts JSON values; a file or a BigQuery value may not be
        text = text.replace(",", " , ").replace("[", "[ ")
    assert _sql_says(con, text) == _has_null_element(value), text


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ('[{"S":"a"},null]', True),
        ("[null]", True),
        ('{"a":null}', False),  # a member, not an element
        ('["x,null]"]', False),  # inside a string
        ('["a\\",null"]', False),  # after an escaped quote, still inside the string
        ('["a\\\\",null]', True),  # an escaped backslash ends the string
        ('{"M":{"x":{"L":[ {"S":"y"} , null ]}}}', True),
        ('{"nullable":[1]}', False),
    ],
)
def test_the_cases_a_regular_expression_gets_wrong(
    con: duckdb.DuckDBPyConnection, text: str, holds: bool
) -> None:
    assert _sql_says(con, text) is holds
    assert _has_null_element(orjson.loads(text)) is holds


def test_the_locator_names_the_place() -> None:
    line = {"Item": {"ok": {"L": [{"NULL": True}]}, "a b": {"M": {"x": {"SS": ["s", None]}}}}}
    assert null_element(line) == 'Item["a b"].M.x.SS[1]'
    assert null_element({"Item": {"m": {"M": {"gone": None}}}}) is None
