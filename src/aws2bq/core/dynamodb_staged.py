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

from aws2bq.core.sql_template import fill

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


#: The JSON tokens that tell a null element of an array from everything else, for RE2
#: (DuckDB's ``regexp_extract_all``, BigQuery's ``REGEXP_EXTRACT_ALL``): a whole string, so
#: that text inside one is never read as JSON, or a ``null`` right after ``[`` or ``,``. In an
#: object a ``,`` is always followed by a member name, so such a ``null`` is an array element.
#: DynamoDB JSON never has one: an ``L`` element is a typed value such as ``{"NULL": true}``,
#: a set's members are strings (docs/export-formats.md §1).
NULL_ELEMENT_TOKENS = r'"(?:[^"\\]|\\.)*"|[\[,]\s*null'


def json_holds_null_element(text: exp.Expression) -> exp.Expression:
    """Whether JSON ``text`` (VARCHAR; NULL: false) has an array holding ``null`` (DuckDB)."""
    token = exp.to_identifier("_aws2bq_t")
    # A token that is not a string is a null element (strings are skipped whole).
    not_a_string = fill("NOT starts_with(:t, '\"')", t=exp.column(token))
    return fill(
        "coalesce(contains(:x, 'null') AND "
        "len(list_filter(regexp_extract_all(:x, :p), :fn)) > 0, FALSE)",
        x=text,
        p=lit(NULL_ELEMENT_TOKENS),
        fn=exp.Lambda(this=not_a_string, expressions=[token]),
    )


def item_holds_null_element(item: exp.Expression) -> exp.Expression:
    """Whether a staged ``Item MAP`` (the ``read_json`` stager) holds a list or set with a
    null element anywhere: a set at the top level (``SS`` / ``NS`` / ``BS``, a NULL member),
    or any array inside an ``M`` / ``L`` value's JSON text. NULL item: false."""
    v = exp.to_identifier("_aws2bq_v")
    value = exp.column(v)
    checks: list[exp.Expression] = [
        fill("coalesce(list_count(:s) < len(:s), FALSE)", s=field(value.copy(), d))
        for d in ("SS", "NS", "BS")
    ]
    checks += [
        json_holds_null_element(
            exp.Cast(this=field(value.copy(), d), to=exp.DataType.build("TEXT"))
        )
        for d in ("M", "L")
    ]
    return fill(
        "coalesce(list_bool_or(list_transform(map_values(:i), :fn)), FALSE)",
        i=item,
        fn=exp.Lambda(this=exp.or_(*checks), expressions=[v]),
    )
