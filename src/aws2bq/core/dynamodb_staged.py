"""DynamoDB items as DuckDB stages them, and how SQL reads one value (the staged-value
accessors the profile, JSON and typed-row SQL share).

Two staged shapes:

- ``Item MAP(VARCHAR, <descriptor struct>)`` (the ``read_json`` stager): one row per exported
  item; ``Item`` maps each attribute name to a struct with one field per DynamoDB descriptor
  (``S``, ``N``, … ``BS``), exactly one of them non-NULL; nested ``M`` / ``L`` values are kept
  as JSON text. :func:`attribute` and :func:`field` read it.
- column-shaped (DuckDB's Arrow stager): one column per top-level attribute, each a struct
  holding only the descriptors seen for it; nested M values are structs of their members and
  L values lists of element structs, recursively (:class:`ValueShape`, :func:`shaped_field`).

Everything is built as sqlglot expressions from constant templates with placeholders; no
attribute name or value is ever formatted into SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import sqlglot.expressions as exp

DIALECT = "duckdb"


#: The struct one attribute value is staged as.
VALUE_STRUCT = (
    'STRUCT(S VARCHAR, N VARCHAR, B VARCHAR, BOOL BOOLEAN, "NULL" BOOLEAN, M JSON, L JSON, '
    "SS VARCHAR[], NS VARCHAR[], BS VARCHAR[])"
)


#: The staged type of a whole item (the ``Item`` column).
ITEM_TYPE = "MAP(VARCHAR, " + VALUE_STRUCT + ")"


def alias(value: exp.Expression, name: str, quoted: bool = True) -> exp.Expression:
    return cast(exp.Expression, exp.alias_(value, name, quoted=quoted))


def lit(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def field(value: exp.Expression, descriptor: str) -> exp.Expression:
    """``value.<descriptor>`` (struct field access, quoted)."""
    return exp.Dot(this=exp.Paren(this=value), expression=ident(descriptor))


def attribute(item: exp.Expression, name: str) -> exp.Expression:
    """``item['name']``: the descriptor struct of one attribute (NULL if absent)."""
    return exp.Bracket(this=item, expressions=[lit(name)])


@dataclass(frozen=True)
class ValueShape:
    """The staged type of a DynamoDB value: its descriptors (struct fields, in order).

    ``members`` (M: member name → shape, in struct field order) and ``element`` (L: the shape
    of every element; None if only empty lists were seen) describe nested values.
    """

    descriptors: tuple[str, ...]
    members: tuple[tuple[str, ValueShape], ...] = ()
    element: ValueShape | None = None

    def has(self, descriptor: str) -> bool:
        return descriptor in self.descriptors


def field_at(value: exp.Expression, position: int) -> exp.Expression:
    """``struct_extract_at(value, position)`` (1-based): no struct field name in the SQL."""
    return exp.Anonymous(
        this="struct_extract_at", expressions=[value, exp.Literal.number(position)]
    )


def shaped_field(value: exp.Expression, shape: ValueShape, descriptor: str) -> exp.Expression:
    """The ``descriptor`` field of a staged value of ``shape`` (NULL if the shape has none)."""
    if descriptor not in shape.descriptors:
        return exp.null()
    return field_at(value, shape.descriptors.index(descriptor) + 1)
