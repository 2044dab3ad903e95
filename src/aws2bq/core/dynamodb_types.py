"""The DynamoDB type decision: attribute statistics + the previous schema → the new schema.

Pure and deterministic. The contract (design.md "Type contract"):

- S → STRING, B → BYTES, BOOL → BOOL, M / L → JSON, SS → ARRAY<STRING>, BS → ARRAY<BYTES>;
- N → INT64 if every value is an integer within int64, else NUMERIC (≤29 integer digits, ≤9
  decimals), else BIGNUMERIC (≤38 and ≤38), else DECIMAL_TEXT (exact text); NS → ARRAY of the
  same choice over all elements;
- NULL adds nothing (a column seen only as NULL is kind NULL, replaced by any later type);
- an attribute seen with several types → JSON;
- with a previous schema, the result is the join of old and new: nothing ever narrows, an
  attribute that disappeared keeps its column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws2bq.core.naming import BIGQUERY_NAMES, NameRule, assign_names
from aws2bq.core.schema import (
    JSON_TYPE,
    Column,
    ColumnType,
    Kind,
    Role,
    TableSchema,
)
from aws2bq.core.schema_evolution import evolve_schema, widen
from aws2bq.errors import ContractError

#: Every DynamoDB attribute-value descriptor, in the order staging structs declare them.
DESCRIPTORS: tuple[str, ...] = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")

#: System columns aws2bq adds to every replace-mode row: name → logical type.
SYSTEM_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("_aws2bq_export_id", ColumnType(Kind.STRING)),
    ("_aws2bq_exported_at", ColumnType(Kind.TIMESTAMP)),
)

INT64_MAX_DIGITS = 19  # 9223372036854775807 has 19 digits
NUMERIC_LIMITS = (29, 9)
BIGNUMERIC_LIMITS = (38, 38)


@dataclass(frozen=True)
class NumberStats:
    """What the profile learned about a set of DynamoDB numbers (N values or NS elements).

    ``max_integer_digits`` / ``max_scale`` count significant digits left / right of the point
    after applying any exponent (``1.5E+3`` → 4 and 0); ``all_int64`` is True if every value is
    an integer within [-2^63, 2^63-1].
    """

    count: int
    max_integer_digits: int
    max_scale: int
    all_int64: bool


@dataclass(frozen=True)
class AttributeStats:
    """Profile of one top-level attribute over the staged items."""

    name: str
    #: descriptor → number of items where the attribute had that descriptor (NULL included).
    descriptors: Mapping[str, int]
    numbers: NumberStats | None = None
    set_numbers: NumberStats | None = None

    @property
    def present(self) -> int:
        return sum(self.descriptors.values())


def number_kind(stats: NumberStats) -> Kind:
    """The narrowest exact kind holding every number described by ``stats``."""
    if stats.all_int64:
        return Kind.INT64
    if stats.max_integer_digits <= NUMERIC_LIMITS[0] and stats.max_scale <= NUMERIC_LIMITS[1]:
        return Kind.NUMERIC
    if stats.max_integer_digits <= BIGNUMERIC_LIMITS[0] and stats.max_scale <= BIGNUMERIC_LIMITS[1]:
        return Kind.BIGNUMERIC
    return Kind.DECIMAL_TEXT


def attribute_type(stats: AttributeStats) -> ColumnType:
    """The logical type of one attribute from this load's statistics alone."""
    seen = [d for d, n in stats.descriptors.items() if n > 0 and d != "NULL"]
    if not seen:
        return ColumnType(Kind.NULL)
    if len(seen) > 1:
        return JSON_TYPE
    descriptor = seen[0]
    if descriptor == "N":
        if stats.numbers is None:
            raise ContractError(f"attribute {stats.name!r} has N values but no number statistics")
        return ColumnType(number_kind(stats.numbers))
    if descriptor == "NS":
        if stats.set_numbers is None:
            raise ContractError(f"attribute {stats.name!r} has NS values but no number statistics")
        return ColumnType(number_kind(stats.set_numbers), repeated=True)
    simple = {
        "S": ColumnType(Kind.STRING),
        "B": ColumnType(Kind.BYTES),
        "BOOL": ColumnType(Kind.BOOL),
        "M": JSON_TYPE,
        "L": JSON_TYPE,
        "SS": ColumnType(Kind.STRING, repeated=True),
        "BS": ColumnType(Kind.BYTES, repeated=True),
    }
    if descriptor not in simple:
        raise ContractError(f"attribute {stats.name!r} has an unknown descriptor {descriptor!r}")
    return simple[descriptor]


@dataclass(frozen=True)
class SchemaDecision:
    """The new schema and what changed relative to the previous one."""

    schema: TableSchema
    #: Column names added by this decision.
    added: tuple[str, ...] = ()
    #: (column name, old type, new type) for every widened column.
    widened: tuple[tuple[str, str, str], ...] = ()
    #: Source names of key attributes missing from the statistics.
    missing_keys: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.added or self.widened)


def _role(source_name: str, keys: Sequence[str]) -> Role:
    return Role.KEY if source_name in keys else Role.DATA


def decide_schema(
    previous: TableSchema | None,
    stats: Mapping[str, AttributeStats],
    *,
    keys: Sequence[str] = (),
    names: NameRule = BIGQUERY_NAMES,
) -> SchemaDecision:
    """Decide the destination schema for a load.

    Column order: key attributes first (in ``keys`` order), then the previous schema's data
    columns in their order, then new attributes sorted by source name, then system columns.
    Existing columns keep their names; new ones are named by :func:`assign_names`.

    Example:
        >>> s = {"n": AttributeStats("n", {"N": 2}, NumberStats(2, 3, 0, True))}
        >>> [str(c.type) for c in decide_schema(None, s).schema.columns]
        ['INT64', 'STRING', 'TIMESTAMP']
    """
    previous = previous or TableSchema()
    old_by_source = previous.by_source()
    keys = tuple(keys) or previous.keys
    new_types = {name: attribute_type(s) for name, s in stats.items()}

    system_names = {name for name, _ in SYSTEM_COLUMNS}
    taken = [c.name for c in previous.columns if c.role is not Role.SYSTEM] + sorted(system_names)
    fresh = sorted(n for n in new_types if n not in old_by_source)
    fresh_names = assign_names(fresh, taken=taken, rule=names)

    added: list[str] = []
    widened: list[tuple[str, str, str]] = []
    incoming: list[Column] = []
    for old in previous.columns:
        new_type = new_types.get(old.source_name)
        if old.role is Role.SYSTEM or new_type is None:
            continue
        merged = widen(old.type, new_type)
        if merged != old.type and old.type.kind is not Kind.NULL:
            widened.append((old.name, str(old.type), str(merged)))
        incoming.append(Column(old.name, new_type, old.source_name, _role(old.source_name, keys)))
    for source_name in fresh:
        name = fresh_names[source_name]
        incoming.append(Column(name, new_types[source_name], source_name, _role(source_name, keys)))
        added.append(name)
    incoming.extend(Column(name, ctype, name, Role.SYSTEM) for name, ctype in SYSTEM_COLUMNS)

    # The table's schema after this export: the one schema-evolution rule, DynamoDB's join.
    schema = evolve_schema(previous, TableSchema(tuple(incoming), 0, keys), join=widen)
    missing = tuple(k for k in keys if k not in stats and k not in old_by_source)
    return SchemaDecision(schema, tuple(added), tuple(widened), missing)
