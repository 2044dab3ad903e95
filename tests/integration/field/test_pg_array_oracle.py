"""The array-literal parser against PostgreSQL itself (issue 12.4): values chosen by hypothesis
go into a real server as arrays, PostgreSQL prints them (``array_out``, what RDS exports
hold), and the parser must give back exactly the values that went in."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws2bq.core.pg_array import array_json

pytestmark = pytest.mark.postgres

# PostgreSQL text cannot hold NUL; everything else (quotes, braces, commas, backslashes,
# spaces, the word NULL, other scripts) can.
TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
SCALARS: dict[str, tuple[str, st.SearchStrategy[Any]]] = {
    "text": ("text", st.one_of(TEXT, st.sampled_from(["NULL", "null", "", " x ", "{}", "a,b"]))),
    "int": ("bigint", st.integers(min_value=-(2**63), max_value=2**63 - 1)),
    "bool": ("boolean", st.booleans()),
    "float": ("double precision", st.floats(allow_nan=False, width=64)),
}


def _arrays(element: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    flat = st.lists(st.one_of(st.none(), element), max_size=5)
    rows = st.integers(min_value=1, max_value=3).flatmap(
        lambda n: st.lists(st.lists(st.one_of(st.none(), element), min_size=n, max_size=n),
                           min_size=1, max_size=3)
    )  # fmt: skip
    return st.one_of(flat, rows)


def _expected(value: Any, kind: str) -> Any:
    if isinstance(value, list):
        return [_expected(v, kind) for v in value]
    if kind == "float" and value is not None and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


@pytest.mark.parametrize("kind", sorted(SCALARS))
def test_postgres_output_parses_back_to_the_values(postgres, kind: str) -> None:  # type: ignore[no-untyped-def]
    pg_type, element = SCALARS[kind]
    conn = postgres.connect()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_arrays(element))
    def check(values: list[Any]) -> None:
        with conn.cursor() as cur:
            cur.execute(f"SELECT (%s::{pg_type}[])::text", (values,))
            (text,) = cur.fetchone()
        parsed = array_json(text, kind)
        assert parsed is not None, text
        assert json.loads(parsed) == _expected(values, kind), text

    try:
        check()
        # Lower bounds other than 1 are kept (PostgreSQL prints a dimension decoration).
        if kind in ("int", "float"):
            with conn.cursor() as cur:
                cur.execute(f"SELECT ('[0:1]={{1,2}}'::{pg_type}[])::text")
                (text,) = cur.fetchone()
            assert json.loads(array_json(text, kind) or "null") == {
                "lower_bounds": [0], "values": [1, 2]}  # fmt: skip
    finally:
        conn.close()
