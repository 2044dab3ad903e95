"""The native JSON scanner reads a chunk exactly as pyarrow's JSON reader does, or declines.

pyarrow is the oracle: Hypothesis draws DynamoDB JSON lines (every descriptor, nested maps and
lists, names and strings with escapes, surrogate pairs and NUL, ASCII-escaped or raw UTF-8,
with or without whitespace), pyarrow learns their schema as the stager does, and the scanner's
table must equal pyarrow's explicit-schema parse — and the scanner must not decline, or the
comparison would be empty. What the scanner must decline (pyarrow decides those) is listed
case by case.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws2bq.warehouses.duckdb import arrow_scan, arrow_stage
from aws2bq.warehouses.duckdb.arrow_scan import Plan

#: Every test but the last needs the compiled scanner; the last checks CI built it.
needs_scanner = pytest.mark.skipif(
    not arrow_scan.available(), reason="the native scanner is not compiled here"
)

NAMES = st.one_of(
    st.sampled_from(["pk", "sk", "name", "a", "b", "Item", "M", "S", "null"]),
    st.text(min_size=1, max_size=6),
)
STRINGS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        ['"', "\\", "/", "\b\f\n\r\t", "\x00", "é", "😀", "a\u2028b", "2024-01-01T00:00:00"]
    ),
)
NUMBERS = st.sampled_from(["0", "-1", "1.50", "1E+3", "123456789012345678901234567890"])


def _scalars() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda s: {"S": s}, STRINGS),
        st.builds(lambda n: {"N": n}, NUMBERS),
        st.builds(lambda b: {"B": b}, st.sampled_from(["AAE=", "", "aGVsbG8="])),
        st.builds(lambda b: {"BOOL": b}, st.booleans()),
        st.just({"NULL": True}),
        st.builds(lambda v: {"SS": v}, st.lists(STRINGS, max_size=3)),
        st.builds(lambda v: {"NS": v}, st.lists(NUMBERS, max_size=3)),
        st.builds(lambda v: {"BS": v}, st.lists(st.just("AAE="), max_size=2)),
    )


VALUES = st.recursive(
    _scalars(),
    lambda inner: st.one_of(
        st.builds(lambda m: {"M": m}, st.dictionaries(NAMES, inner, max_size=3)),
        st.builds(lambda v: {"L": v}, st.lists(inner, max_size=3)),
    ),
    max_leaves=8,
)
ITEMS = st.lists(st.dictionaries(NAMES, VALUES, max_size=5), min_size=1, max_size=24)


def _lines(items: list[dict[str, Any]], *, ascii_only: bool, spaced: bool) -> bytes:
    separators = (", ", ": ") if spaced else (",", ":")
    text = "".join(
        json.dumps({"Item": item}, ensure_ascii=ascii_only, separators=separators) + "\n"
        for item in items
    )
    return text.encode()


def _learned(data: pa.Buffer) -> pa.Schema:
    """The schema the stager learns from a chunk (pyarrow's inference, timestamps as text)."""
    learned = arrow_stage._Schema(native=False)
    arrow_stage._parse_chunk(data, learned)
    schema, _ = learned.known_plan()
    assert schema is not None
    return schema


@needs_scanner
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ITEMS, st.booleans(), st.booleans())
def test_the_scanner_reads_what_pyarrow_reads(
    items: list[dict[str, Any]], ascii_only: bool, spaced: bool
) -> None:
    data = pa.py_buffer(_lines(items, ascii_only=ascii_only, spaced=spaced))
    try:
        schema = _learned(data)
    except arrow_stage.Unsupported:
        return  # shapes the stager hands to DuckDB's read_json: never scanned
    expected = arrow_stage._read(data, schema, "error")
    scanned = Plan.of(schema).scan(data)
    assert scanned is not None, "declined lines pyarrow reads with the same schema"
    assert scanned.schema == expected.schema
    assert scanned.equals(expected), (scanned.to_pylist(), expected.to_pylist())
    scanned.validate(full=True)


@needs_scanner
def test_a_later_chunk_is_scanned_and_a_new_attribute_goes_to_pyarrow() -> None:
    learned = arrow_stage._Schema(native=True)
    first = pa.py_buffer(_lines([{"pk": {"S": "a"}}], ascii_only=True, spaced=False))
    arrow_stage._parse_chunk(first, learned)
    _, plan = learned.known_plan()
    assert plan is not None
    second = pa.py_buffer(_lines([{"pk": {"S": "b"}}], ascii_only=True, spaced=False))
    assert plan.scan(second) is not None
    third = pa.py_buffer(
        _lines([{"pk": {"S": "c"}, "n": {"N": "1"}}], ascii_only=True, spaced=False)
    )
    assert plan.scan(third) is None
    table = arrow_stage._parse_chunk(third, learned)  # pyarrow widens the schema
    assert table.column("Item").to_pylist() == [{"pk": {"S": "c"}, "n": {"N": "1"}}]
    _, widened = learned.known_plan()
    assert widened is not None and widened.scan(third) is not None
    arrow_stage._parse_chunk(second, learned)  # the widened schema reads the older lines too
    assert learned.parsed == {"native": 1, "pyarrow": 2}


SCHEMA_LINE = '{"Item":{"pk":{"S":"a"},"l":{"L":[{"S":"x"}]},"b":{"BOOL":true}}}\n'


@pytest.mark.parametrize(
    ("case", "line"),
    [
        ("a field the schema lacks", '{"Item":{"zz":{"S":"a"}}}'),
        ("a descriptor the schema lacks", '{"Item":{"pk":{"N":"1"}}}'),
        ("a number where a string is", '{"Item":{"pk":{"S":1}}}'),
        ("a string where a boolean is", '{"Item":{"b":{"BOOL":"true"}}}'),
        ("an object where a list is", '{"Item":{"l":{"L":{}}}}'),
        ("a duplicate member", '{"Item":{"pk":{"S":"a"},"pk":{"S":"b"}}}'),
        ("a truncated line", '{"Item":{"pk":{"S":"a"}}'),
        ("trailing bytes", '{"Item":{"pk":{"S":"a"}}} x'),
        ("a bad escape", '{"Item":{"pk":{"S":"a\\x"}}}'),
        ("a lone high surrogate", '{"Item":{"pk":{"S":"\\ud83d"}}}'),
        ("a lone low surrogate", '{"Item":{"pk":{"S":"\\ude00"}}}'),
        ("a raw control character", '{"Item":{"pk":{"S":"a\tb"}}}'),
        ("a line that is not an object", '["Item"]'),
        ("a misspelt literal", '{"Item":{"b":{"BOOL":tru}}}'),
        ("a missing colon", '{"Item":{"pk"{"S":"a"}}}'),
    ],
)
@needs_scanner
def test_the_scanner_declines_what_it_is_not_sure_of(case: str, line: str) -> None:
    schema = _learned(pa.py_buffer(SCHEMA_LINE.encode()))
    plan = Plan.of(schema)
    assert plan.scan(pa.py_buffer(SCHEMA_LINE.encode())) is not None
    assert plan.scan(pa.py_buffer((SCHEMA_LINE + line + "\n").encode())) is None, case


@needs_scanner
def test_an_always_empty_list_is_read_and_a_first_element_declined() -> None:
    schema = _learned(pa.py_buffer(b'{"Item":{"l":{"L":[]}}}\n'))
    plan = Plan.of(schema)
    assert plan.scan(pa.py_buffer(b'{"Item":{"l":{"L":[]}}}\n{"Item":{}}\n')) is not None
    assert plan.scan(pa.py_buffer(b'{"Item":{"l":{"L":[{"S":"a"}]}}}\n')) is None


@needs_scanner
def test_nulls_and_absent_members_read_as_pyarrow_reads_them() -> None:
    lines = (
        b'{"Item":{"a":{"S":"x"},"m":{"M":{"k":{"N":"1"}}}}}\n'
        b'{"Item":{"a":null,"m":{"M":null}}}\n'
        b'{"Item":{}}\n'
        b'{"Item":null}\n'
        b' \n{ "Item" : { "m" : { "M" : { } } } }\r\n'
    )
    data = pa.py_buffer(lines)
    schema = _learned(data)
    scanned = Plan.of(schema).scan(data)
    assert scanned is not None
    assert scanned.equals(arrow_stage._read(data, schema, "error"))
    assert scanned.num_rows == 5


@needs_scanner
@pytest.mark.parametrize("valid", [1, 7, 8, 9, 16, 17, 100])
def test_a_first_null_after_many_valid_values_keeps_their_bits(valid: int) -> None:
    # A node keeps no validity bitmap until its first null, then writes the bits of the
    # valid slots before it (whole bytes and a partial one).
    items = [{"a": {"S": str(i)}, "m": {"M": {"x": {"N": str(i)}}}} for i in range(valid)]
    items += [{"m": {"M": {}}}, {"a": {"S": "last"}, "m": {"NULL": True}}]
    data = pa.py_buffer(_lines(items, ascii_only=True, spaced=False))
    schema = _learned(data)
    scanned = Plan.of(schema).scan(data)
    assert scanned is not None
    assert scanned.equals(arrow_stage._read(data, schema, "error"))
    scanned.validate(full=True)
    column = scanned.column("Item").combine_chunks()
    assert column.field("a").null_count == 1
    assert column.field("m").field("M").field("x").null_count == 2


@needs_scanner
def test_a_schema_with_other_types_has_no_plan() -> None:
    with pytest.raises(ValueError, match="does not read"):
        Plan.of(pa.schema([("Item", pa.struct([("n", pa.int64())]))]))
    assert arrow_scan.plan_for(pa.schema([("x", pa.float64())])) is None


@needs_scanner
def test_a_malformed_spec_is_refused() -> None:
    from aws2bq.warehouses.duckdb._json_scan import scan

    with pytest.raises(ValueError, match="spec"):
        scan(b"{}", [])
    with pytest.raises(ValueError, match="spec"):
        scan(b"{}", [(0, (0,), (b"a",))])  # a node its own child
    with pytest.raises(ValueError, match="spec"):
        scan(b"{}", [(9, (), ())])
    with pytest.raises(ValueError, match="spec"):  # a node with two parents
        scan(b"{}", [(0, (1, 2), (b"a", b"b")), (0, (2,), (b"c",)), (1, (), ())])
    chain = [(0, (i + 1,), (b"a",)) for i in range(300)] + [(1, (), ())]
    with pytest.raises(ValueError, match="spec"):  # deeper than the scanner recurses
        scan(b"{}", chain)


@needs_scanner
def test_an_empty_chunk_is_declined_as_pyarrow_refuses_it() -> None:
    plan = Plan.of(pa.schema([("Item", pa.struct([("a", pa.string())]))]))
    assert plan.scan(pa.py_buffer(b"")) is None
    with pytest.raises(pa.ArrowInvalid):
        arrow_stage._read(pa.py_buffer(b""), plan.schema, "error")


@pytest.mark.skipif(
    sys.platform != "linux" or os.environ.get("CI") != "true",
    reason="CI (.ci/run) builds the scanner on Linux; elsewhere it is optional",
)
def test_the_scanner_is_built_in_ci() -> None:
    # The install compiles it (setup.py, optional); in CI a lost compiler must not quietly
    # make every DuckDB load slower at parsing and leave the scanner's tests skipped.
    assert arrow_scan.available()


@pytest.mark.parametrize("native", [True, False])
@pytest.mark.parametrize(
    ("value", "where"),
    [
        ('{"SS":[null,"a"]}', "Item.v.SS[0]"),
        ('{"SS":["a",null]}', "Item.v.SS[1]"),
        ('{"L":[null]}', "Item.v.L[0]"),
        ('{"L":[{"S":"a"},null]}', "Item.v.L[1]"),
        ('{"L":[{"M":{"x y":{"NS":["1",null]}}}]}', 'Item.v.L[0].M["x y"].NS[1]'),
    ],
)
def test_a_list_holding_null_is_refused_naming_its_line(
    native: bool, value: str, where: str
) -> None:
    # Never in DynamoDB JSON; pyarrow's inference reads a leading null into invalid arrays
    # (apache/arrow#51305) that failed later as "a bug in aws2bq".
    # A "\r" between tokens is JSON whitespace, not a line break (the line numbers say so).
    good = b'{"Item":{"v":{"SS":["x"]},\r"w":{"L":[{"S":"y"}]}}}\n'
    learned = arrow_stage._Schema(native=native and arrow_scan.available())
    arrow_stage._parse_chunk(pa.py_buffer(good), learned)
    for fresh in (False, True):  # the learned schema (the scanner) / inference
        target = arrow_stage._Schema(native=native) if fresh else learned
        chunk = good + b"\n" + ('{"Item":{"v":' + value + "}}\n").encode()
        with pytest.raises(arrow_stage._BadFile, match="null element") as caught:
            arrow_stage._parse_chunk(pa.py_buffer(chunk), target)
        assert caught.value.line == 3 and where in str(caught.value)
        assert caught.value.hint is not None and "altered" in caught.value.hint


@pytest.mark.parametrize("native", [True, False])
def test_a_chunk_starting_with_null_is_refused_at_its_first_line(native: bool) -> None:
    # pyarrow dereferences a NULL pointer on it (apache/arrow#47409): never handed over.
    learned = arrow_stage._Schema(native=native)
    arrow_stage._parse_chunk(pa.py_buffer(b'{"Item":{"a":{"S":"x"}}}\n'), learned)
    with pytest.raises(arrow_stage._BadFile, match="null") as caught:
        arrow_stage._parse_chunk(pa.py_buffer(b' null\n{"Item":{"a":{"S":"y"}}}\n'), learned)
    assert caught.value.line == 1
