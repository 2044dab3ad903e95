"""DynamoDB items in wire form ("DynamoDB JSON"), as exports and streams carry them.

moto keeps items as ``DynamoType`` objects whose binary values are sometimes raw bytes and
sometimes base64 text, depending on the path that wrote them. Everything the sandbox records
or exports goes through :func:`item_to_wire`, so an item has exactly one representation:
``{"attr": {"S": "..."}}`` with ``B``/``BS`` as base64 of the raw bytes and ``N`` as the exact
number text, which is what AWS writes in a DYNAMODB_JSON export.
"""

from __future__ import annotations

import base64
import json
from typing import Any

#: An item (or key) in wire form: attribute name -> ``{type: value}``.
WireItem = dict[str, Any]


def encode_binary(value: Any) -> Any:
    """Replace raw bytes (moto's binary values) by base64 text, recursively."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {k: encode_binary(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode_binary(v) for v in value]
    return value


def item_to_wire(item: Any) -> WireItem:
    """A moto ``Item`` as DynamoDB JSON (a fresh structure, safe to keep after later writes)."""
    # moto's own converter normalises every binary value to raw bytes (it base64-decodes the
    # ones it kept as text); encoding those once gives one canonical form.
    from moto.dynamodb.models.utilities import dynamo_to_dict

    plain: WireItem = encode_binary(dynamo_to_dict(item.attrs))
    return plain


def key_of(item: WireItem, key_attrs: list[str]) -> WireItem:
    """The primary-key attributes of an item."""
    return {name: item[name] for name in key_attrs if name in item}


def key_id(key: WireItem) -> str:
    """A canonical string for a primary key (dict key of the change log)."""
    return json.dumps(key, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _value_size(typed: dict[str, Any]) -> int:
    ((kind, value),) = typed.items()
    if kind == "S":
        return len(value.encode("utf-8"))
    if kind == "N":
        # DynamoDB stores numbers as variable-length decimals: about one byte per two
        # significant digits plus one (developer guide, "Item sizes and formats").
        digits = value.lstrip("-").split("E")[0].split("e")[0].replace(".", "").strip("0")
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(base64.b64decode(value))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in value)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in value)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + _value_size(v) for k, v in value.items())
    raise ValueError(f"unknown DynamoDB type descriptor {kind!r}")


def item_size(item: WireItem) -> int:
    """DynamoDB's size of an item in bytes (names plus values), used for BilledSizeBytes."""
    return sum(len(name.encode("utf-8")) + _value_size(v) for name, v in item.items())
