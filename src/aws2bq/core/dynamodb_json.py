"""DynamoDB JSON (with type descriptors) → plain JSON text, numbers kept exact.

The SQL in :mod:`aws2bq.core.dynamodb_json_sql` does this conversion natively for the first
levels of nesting; this module is the reference implementation and the vectorized fallback
for values nested deeper (rare), applied a batch at a time by the warehouse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson

from aws2bq.errors import ContractError

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def _number(text: str) -> str:
    if not _NUMBER.fullmatch(text):
        raise ContractError(f"not a DynamoDB number: {text!r}")
    return text


def _string(value: Any) -> str:
    return orjson.dumps(value).decode()


def value_to_json(value: dict[str, Any]) -> str:
    """Plain JSON text of one DynamoDB attribute value (``{"N": "1.5"}`` → ``1.5``).

    Examples:
        >>> value_to_json({"M": {"a": {"N": "12345678901234567890.5"}, "b": {"SS": ["x"]}}})
        '{"a":12345678901234567890.5,"b":["x"]}'
        >>> value_to_json({"L": [{"NULL": True}, {"BOOL": False}]})
        '[null,false]'
    """
    if not isinstance(value, dict) or len(value) != 1:
        got = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise ContractError(f"a DynamoDB value has exactly one descriptor, got {got}")
    ((descriptor, inner),) = value.items()
    if descriptor in ("S", "B", "SS", "BS"):
        return _string(inner)
    if descriptor == "N":
        return _number(inner)
    if descriptor == "NS":
        return "[" + ",".join(_number(n) for n in inner) + "]"
    if descriptor == "BOOL":
        return "true" if inner else "false"
    if descriptor == "NULL":
        return "null"
    if descriptor == "M":
        return map_to_json(inner)
    if descriptor == "L":
        return list_to_json(inner)
    raise ContractError(f"unknown DynamoDB descriptor {descriptor!r}")


def map_to_json(members: dict[str, Any]) -> str:
    """Plain JSON object text of the inside of an ``M`` value. A member whose value is
    ``null`` (never in DynamoDB JSON) is absent, as in the SQL and the Arrow stager."""
    return (
        "{"
        + ",".join(_string(k) + ":" + value_to_json(v) for k, v in members.items() if v is not None)
        + "}"
    )


def list_to_json(elements: Iterable[dict[str, Any]]) -> str:
    """Plain JSON array text of the inside of an ``L`` value."""
    return "[" + ",".join(value_to_json(v) for v in elements) + "]"


def nested_to_json(text: str | None, is_list: bool) -> str | None:
    """The fallback: JSON text of an ``M`` (object) or ``L`` (array) body → plain JSON text."""
    if text is None:
        return None
    parsed = orjson.loads(text)
    return list_to_json(parsed) if is_list else map_to_json(parsed)
