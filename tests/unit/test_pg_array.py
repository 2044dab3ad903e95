"""The PostgreSQL array-literal parser: the Python function (DuckDB) and the JavaScript UDF
(BigQuery) give the same JSON for the same text, and the text PostgreSQL writes parses back
to the values it was given (tests/integration/field/test_pg_array_oracle.py checks that
against a real server)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aws2bq.core.pg_array import JS_FUNCTION_BODY, array_json

CASES: list[tuple[str, str, Any]] = [
    ("{}", "int", []),
    ("{1,2,3}", "int", [1, 2, 3]),
    ("{1,NULL,3}", "int", [1, None, 3]),
    ("{{1,2},{3,4}}", "int", [[1, 2], [3, 4]]),
    ("[0:1]={1,2}", "int", {"lower_bounds": [0], "values": [1, 2]}),
    ("[1:1][-2:-1]={{7,8}}", "int", {"lower_bounds": [1, -2], "values": [[7, 8]]}),
    ("[1:2]={5,6}", "int", [5, 6]),
    ("{t,f,NULL}", "bool", [True, False, None]),
    ("{1.5,NaN,-Infinity,1e+30,-0}", "float", [1.5, "NaN", "-Infinity", 1e30, -0.0]),
    ('{"a,b",c,"NULL",NULL,"",null}', "text", ["a,b", "c", "NULL", None, "", None]),
    ('{"say \\"hi\\"","back\\\\slash","{x}"}', "text", ['say "hi"', "back\\slash", "{x}"]),
    ("{ spaced , x y }", "text", ["spaced", "x y"]),
    ('{"名前","é"}', "text", ["名前", "é"]),
    ("{(1,1),(0,0);(2,2),(1,1)}", "text", None),  # box: ';' delimiter (below)
]
INVALID: list[tuple[str, str]] = [
    ("", "int"),
    ("{1,2", "int"),
    ("{1,,2}", "int"),
    ("{1,x}", "int"),
    ("{01}", "int"),
    ("{1} trailing", "int"),
    ('{"a}', "text"),
    ("{maybe}", "bool"),
    ("{1.}", "float"),
    ("not an array", "text"),
]


@pytest.fixture(scope="module")
def js() -> Any:
    mini_racer = pytest.importorskip("py_mini_racer")
    ctx = mini_racer.MiniRacer()
    ctx.eval("function parse(text, kind, delimiter) {" + JS_FUNCTION_BODY + "}")
    return ctx


@pytest.mark.parametrize(("text", "kind", "expected"), [c for c in CASES if c[2] is not None])
def test_literals_parse_to_json_keeping_every_value(
    js: Any, text: str, kind: str, expected: Any
) -> None:
    python = array_json(text, kind)
    assert python is not None and json.loads(python) == expected
    assert js.call("parse", text, kind, ",") == python


def test_box_arrays_use_their_own_delimiter(js: Any) -> None:
    text = "{(1,1),(0,0);(2,2),(1,1)}"
    expected = '["(1,1),(0,0)","(2,2),(1,1)"]'
    assert array_json(text, "text", ";") == expected == js.call("parse", text, "text", ";")


@pytest.mark.parametrize(("text", "kind"), INVALID)
def test_invalid_literals_give_none(js: Any, text: str, kind: str) -> None:
    assert array_json(text, kind) is None
    assert js.call("parse", text, kind, ",") is None


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.text(alphabet=st.characters(exclude_categories=["Cs"]))),
        max_size=6,
    )
)
def test_python_and_javascript_agree_on_any_quoted_text_array(values: list[str | None]) -> None:
    from py_mini_racer import MiniRacer

    ctx = MiniRacer()
    ctx.eval("function parse(text, kind, delimiter) {" + JS_FUNCTION_BODY + "}")
    text = "{" + ",".join("NULL" if v is None else _quote(v) for v in values) + "}"
    python = array_json(text, "text")
    assert python is not None and json.loads(python) == values
    assert json.loads(ctx.call("parse", text, "text", ",")) == values
