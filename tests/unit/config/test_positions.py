"""The TOML key → line scanner: every TOML construct that can hold a key."""

from __future__ import annotations

import tomllib

import pytest

from aws2bq.config.positions import key_lines, line_of

DOC = '''# comment with "quotes" and [brackets]
warehouse = "duckdb:///x.duckdb"  # trailing comment
a.b."c.d" = 1

[streams.orders]
table = "Orders"
keys = [
  "pk",  # a comment inside an array
  "sk",
]
note = """multi
line ] } with "quotes" and \\""" escaped"""
lit = \'\'\'x = 1
[not.a.table]\'\'\'
after = true

[streams."shop.db".tables."shop.orders"]
mode = 'merge'
partition_by = { column = "created_at", nested.deep = [1, { q = 2 }] }
"key with \\u00e9" = 1

[[arr]]
name = "one"
[arr.sub]
v = 1
[[arr]]
name = "two"
[[arr.items]]
k = 1
[[arr.items]]
k = 2
when = 1979-05-27 07:32:00
'''


@pytest.fixture(scope="module")
def lines() -> dict[tuple[str | int, ...], int]:
    tomllib.loads(DOC)  # the scanner assumes valid TOML; make sure the fixture is
    return key_lines(DOC)


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("warehouse",), 2),
        (("a", "b", "c.d"), 3),
        (("a", "b"), 3),
        (("streams", "orders"), 5),
        (("streams", "orders", "table"), 6),
        (("streams", "orders", "keys"), 7),
        (("streams", "orders", "keys", 1), 9),
        (("streams", "orders", "note"), 11),
        (("streams", "orders", "lit"), 13),
        (("streams", "orders", "after"), 15),
        (("streams", "shop.db", "tables", "shop.orders"), 17),
        (("streams", "shop.db", "tables", "shop.orders", "mode"), 18),
        (("streams", "shop.db", "tables", "shop.orders", "partition_by", "column"), 19),
        (("streams", "shop.db", "tables", "shop.orders", "partition_by", "nested", "deep", 1), 19),
        (("streams", "shop.db", "tables", "shop.orders", "key with é"), 20),
        (("arr", 0), 22),
        (("arr", 0, "name"), 23),
        (("arr", 0, "sub", "v"), 25),
        (("arr", 1, "name"), 27),
        (("arr", 1, "items", 0, "k"), 29),
        (("arr", 1, "items", 1, "k"), 31),
        (("arr", 1, "items", 1, "when"), 32),
    ],
)
def test_every_kind_of_key_is_found_on_its_line(
    lines: dict[tuple[str | int, ...], int], path: tuple[str | int, ...], line: int
) -> None:
    assert lines[path] == line


def test_text_inside_strings_is_not_taken_for_tables(
    lines: dict[tuple[str | int, ...], int],
) -> None:
    assert ("not",) not in lines
    assert ("not", "a", "table") not in lines


def test_a_missing_key_falls_back_to_its_table(lines: dict[tuple[str | int, ...], int]) -> None:
    assert line_of(lines, ("streams", "orders", "export_bucket")) == (5, ("streams", "orders"))
    assert line_of(lines, ("nowhere", "at", "all")) is None


def test_crlf_line_endings_count_lines_the_same() -> None:
    text = DOC.replace("\n", "\r\n")
    assert key_lines(text)[("arr", 1, "items", 1, "when")] == 32
