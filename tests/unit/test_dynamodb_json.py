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


def test_a_null_member_is_absent_and_a_value_that_is_not_an_object_is_refused() -> None:
    # Never in DynamoDB JSON; the SQL, the Arrow stager and BigQuery's function read a null
    # member as absent, and so does this fallback (it failed with a TypeError).
    assert nested_to_json('{"a":{"S":"x"},"gone":null}', False) == '{"a":"x"}'
    with pytest.raises(ValueError, match="exactly one descriptor"):
        nested_to_json('[["x"]]', True)
