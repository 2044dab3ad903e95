"""The logical schema model: column types as aws2bq means them, independent of any warehouse.

A warehouse renders a logical type with its own physical type (see
:mod:`aws2bq.core.capabilities`). Several logical types may share one physical type (DuckDB
keeps BIGNUMERIC and exact decimal text both as VARCHAR), which is why the logical schema is
stored in the ledger with every applied export rather than read back from the warehouse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """A logical column type (the element type when the column is repeated)."""

    #: Only NULLs seen so far: any later type replaces it without loss.
    NULL = "NULL"
    STRING = "STRING"
    INT64 = "INT64"
    #: Exact decimal with ≤29 integer digits and ≤9 decimals (BigQuery NUMERIC).
    NUMERIC = "NUMERIC"
    #: Exact decimal with ≤38 integer digits and ≤38 decimals (BigQuery BIGNUMERIC).
    BIGNUMERIC = "BIGNUMERIC"
    #: An exact decimal too wide for BIGNUMERIC, kept as its exact text.
    DECIMAL_TEXT = "DECIMAL_TEXT"
    BYTES = "BYTES"
    BOOL = "BOOL"
    JSON = "JSON"
    FLOAT64 = "FLOAT64"
    DATE = "DATE"
    DATETIME = "DATETIME"
    TIMESTAMP = "TIMESTAMP"
    #: An exact decimal of a declared precision and scale (``ColumnType.precision/scale``):
    #: DuckDB ``DECIMAL(p,s)`` (p≤38), BigQuery NUMERIC / BIGNUMERIC by digits, else text.
    DECIMAL = "DECIMAL"
    #: A duration (MySQL TIME up to ±838:59:59, PostgreSQL interval).
    INTERVAL = "INTERVAL"
    #: A time of day (PostgreSQL time).
    TIME = "TIME"
    #: A geometry: WKB bytes in DuckDB, GEOGRAPHY in BigQuery.
    GEOGRAPHY = "GEOGRAPHY"


#: Exact-number kinds, narrowest first: each holds every value of the ones before it.
NUMBER_LADDER: tuple[Kind, ...] = (Kind.INT64, Kind.NUMERIC, Kind.BIGNUMERIC, Kind.DECIMAL_TEXT)


_PARAMETERS = re.compile(r"^([A-Z0-9_]+)\((\d+),\s*(\d+)\)$")


@dataclass(frozen=True, order=True)
class ColumnType:
    """A logical type: a kind, optionally repeated (an ARRAY / LIST of that kind).

    ``precision`` / ``scale`` are set for :attr:`Kind.DECIMAL` only (total digits, digits
    after the point); every other kind leaves them ``None``.
    """

    kind: Kind
    repeated: bool = False
    precision: int | None = None
    scale: int | None = None

    def __str__(self) -> str:
        base = str(self.kind)
        if self.precision is not None:
            base = f"{base}({self.precision},{self.scale or 0})"
        return f"ARRAY<{base}>" if self.repeated else base

    @classmethod
    def parse(cls, text: str) -> ColumnType:
        """Inverse of ``str()``: ``"ARRAY<INT64>"`` → ``ColumnType(INT64, repeated=True)``,
        ``"DECIMAL(20,0)"`` → ``ColumnType(DECIMAL, precision=20, scale=0)``."""
        repeated = text.startswith("ARRAY<") and text.endswith(">")
        if repeated:
            text = text[6:-1]
        match = _PARAMETERS.match(text)
        if match:
            return cls(Kind(match[1]), repeated, int(match[2]), int(match[3]))
        return cls(Kind(text), repeated)

    @classmethod
    def decimal(cls, precision: int, scale: int) -> ColumnType:
        """``DECIMAL(precision, scale)``."""
        return cls(Kind.DECIMAL, precision=precision, scale=scale)

    @property
    def integer_digits(self) -> int:
        """Digits left of the point of a DECIMAL (precision − scale)."""
        return (self.precision or 0) - (self.scale or 0)


JSON_TYPE = ColumnType(Kind.JSON)


class Role(StrEnum):
    """Why a column exists."""

    DATA = "data"
    KEY = "key"
    #: Added by aws2bq (``_aws2bq_export_id`` …), not from the source.
    SYSTEM = "system"


@dataclass(frozen=True)
class Column:
    """One column of a destination table."""

    #: The column's name in the warehouse (sanitized, unique case-insensitively).
    name: str
    type: ColumnType
    #: The attribute / column name in the source, exactly as AWS wrote it.
    source_name: str
    role: Role = Role.DATA

    @property
    def description(self) -> str:
        """The column description stored in the warehouse (keeps the original name)."""
        if self.role is Role.SYSTEM:
            return f"aws2bq: {self.source_name}"
        return f"source attribute: {self.source_name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": str(self.type),
            "source_name": self.source_name,
            "role": str(self.role),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Column:
        return cls(
            data["name"],
            ColumnType.parse(data["type"]),
            data["source_name"],
            Role(data.get("role", "data")),
        )


@dataclass(frozen=True)
class TableSchema:
    """The columns of a destination table, in order, and a version bumped on every change."""

    columns: tuple[Column, ...] = ()
    version: int = 0
    #: Names of the source's key attributes (partition key, sort key), in order.
    keys: tuple[str, ...] = field(default=())

    def by_source(self) -> dict[str, Column]:
        return {c.source_name: c for c in self.columns if c.role is not Role.SYSTEM}

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "keys": list(self.keys),
            "columns": [c.to_dict() for c in self.columns],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableSchema:
        return cls(
            tuple(Column.from_dict(c) for c in data["columns"]),
            int(data["version"]),
            tuple(data.get("keys", ())),
        )
