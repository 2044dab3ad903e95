from __future__ import annotations

import pytest

from aws2bq.core.dynamodb_json import nested_to_json, value_to_json


def test_numbers_stay_exact() -> None:
    assert value_to_json({"N": "0.1000000000000000000000000000000000001"}) == (
        "0.1000000000000000000000000000000000001"
    )
    assert nested_to_json('[{"N":"1E+125"},{"NS":["1","-2"]}]', True) == "[1E+125,[1,-2]]"


def test_descriptors_removed_everywhere() -> None:
    text = '{"k":{"M":{"s":{"SS":["a"]},"b":{"BOOL":true},"n":{"NULL":true}}}}'
    assert nested_to_json(text, False) == '{"k":{"s":["a"],"b":true,"n":null}}'


def test_bad_values_fail_loudly() -> None:
    with pytest.raises(ValueError):
        value_to_json({"N": "1", "S": "x"})
    with pytest.raises(ValueError):
        value_to_json({"N": "not a number"})
    assert nested_to_json(None, True) is None
