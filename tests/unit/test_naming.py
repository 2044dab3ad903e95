from __future__ import annotations

import pytest

from aws2bq.core.naming import assign_names, sanitize


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("first name", "first_name"),
        ("a - b", "a_b"),
        ("keep__this", "keep__this"),
        ("1st", "_1st"),
        ("_TABLE_SUFFIX", "c__TABLE_SUFFIX"),
        ("_partitiontime", "c__partitiontime"),
        ("_aws2bq_export_id", "c__aws2bq_export_id"),
        ("café", "cafe"),
        ("価格", "u4fa1u683c"),
        ("x; DROP TABLE t; --", "x_DROP_TABLE_t_"),
        ("'\"`", "_"),
    ],
)
def test_sanitize(source: str, expected: str) -> None:
    assert sanitize(source) == expected


def test_long_names_are_cut_with_a_hash_and_stay_distinct() -> None:
    a, b = "x" * 400 + "a", "x" * 400 + "b"
    names = assign_names([a, b])
    assert all(len(n) <= 300 for n in names.values())
    assert names[a] != names[b]


def test_case_insensitive_collisions_are_deterministic() -> None:
    first = assign_names(["id", "ID", "Id", "i d"])
    second = assign_names(["i d", "Id", "ID", "id"])
    assert first == second
    assert len({n.lower() for n in first.values()}) == 4
    assert first["ID"] == "ID" and first["Id"] == "Id_2" and first["id"] == "id_3"


def test_taken_names_are_avoided_case_insensitively() -> None:
    assert assign_names(["Name"], taken=["name"]) == {"Name": "Name_2"}
