"""Values of a widened column: an old typed value as the typed SELECT would have made it.

When a merge or history load widens a column (NUMERIC → exact text, numbers or strings →
JSON, an RDS date → its text, an array → JSON), the rows already in the table are converted
in the warehouse. A plain CAST re-renders them through their old type (DuckDB writes
``1.500000000`` for the NUMERIC 1.5) and the table then differs from a replace load of the
same data, which reads ``1.5`` (issue 10.2). :class:`Widening` gives, for each (old type, new
type), the expression that yields what the typed SELECT of the new type yields from the
source:

- exact numbers to text: the canonical text (:mod:`aws2bq.core.number_text`);
- DynamoDB values to JSON: the same conversion as a JSON column's (descriptors removed,
  bytes as base64, numbers exact), by rebuilding the value's descriptor — ``json_value``;
- RDS values to their exact text: the text the source prints for them; arrays to JSON.

Every other widening (INT64 → NUMERIC, NUMERIC → BIGNUMERIC on BigQuery, DECIMAL(p,s) →
DECIMAL(p',s')) is an exact CAST — of each element for arrays on BigQuery, which casts an
ARRAY only to its own type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.number_text import canonical_sql
from aws2bq.core.schema import NUMBER_LADDER, ColumnType, Kind
from aws2bq.errors import ContractError

#: Builds the JSON of one DynamoDB value from its descriptor (``N``, ``S``, ``B``, ``BOOL``,
#: ``SS``, ``NS``, ``BS``) and the descriptor's content as the export holds it (text, base64
#: text, boolean, or an array of those).
JsonOfDescriptor = Callable[[str, exp.Expression], exp.Expression]

_EXACT = frozenset({*NUMBER_LADDER, Kind.DECIMAL})


@dataclass(frozen=True)
class Widening:
    """How one warehouse converts a widened column's old values (see the module docstring).

    ``json_value`` is set for DynamoDB tables (the warehouse's DynamoDB-to-JSON conversion);
    without it (RDS) a value becomes the warehouse's plain JSON of it.
    """

    caps: Capabilities
    json_value: JsonOfDescriptor | None = None

    def value(self, v: exp.Expression, old: ColumnType, new: ColumnType) -> exp.Expression:
        """``v`` (of type ``old``) as the typed SELECT would have made it in type ``new``."""
        caps = self.caps
        target = caps.data_type(new)
        if old == new:
            return v
        if old.kind is Kind.NULL:
            return exp.Cast(this=exp.null(), to=target)
        if new.kind is Kind.JSON and not new.repeated:
            return self._json(v, old)
        if old.kind is Kind.GEOGRAPHY and new.kind is Kind.BYTES and not new.repeated:
            return self._geometry_bytes(v)
        if old.repeated and new.repeated and old.kind in _EXACT and self._is_text(new):
            return self._each(v, lambda x: self.exact_text(x, ColumnType(old.kind)))
        if not old.repeated and not new.repeated:
            if old.kind in _EXACT and self._is_text(new):
                return self.exact_text(v, old)
            if new.kind is Kind.STRING:
                return self._source_text(v, old)
        if old.repeated and new.repeated and not caps.changes.cast_arrays:
            # BigQuery casts an ARRAY only to its own type (https://cloud.google.com/bigquery/
            # docs/reference/standard-sql/conversion_rules): convert element by element.
            element = ColumnType(new.kind, False, new.precision, new.scale)
            return self._each(v, lambda x: exp.Cast(this=x, to=caps.data_type(element)))
        if old.repeated != new.repeated:
            raise ContractError(
                f"no conversion from {caps.physical_type(old)} to {caps.physical_type(new)}: "
                "a column between a scalar and an array widens to JSON"
            )
        return exp.Cast(this=v, to=target)

    # -- pieces --------------------------------------------------------------------------------
    def _geometry_bytes(self, v: exp.Expression) -> exp.Expression:
        """A GEOGRAPHY (SRID 4326) as MySQL stores a geometry: the SRID (E6 10 00 00), then
        WKB (``ValueSql.geometry_bytes``)."""
        return self.caps.values.geometry_bytes(v)

    def _text(self) -> exp.DataType:
        return self.caps.data_type(ColumnType(Kind.STRING))

    def _is_text(self, ctype: ColumnType) -> bool:
        scalar = ColumnType(ctype.kind, False, ctype.precision, ctype.scale)
        return self.caps.physical_type(scalar) == self.caps.type_names[Kind.STRING]

    def exact_text(self, v: exp.Expression, ctype: ColumnType) -> exp.Expression:
        """The canonical text of an exact number of type ``ctype``."""
        text = v if self._is_text(ctype) else exp.Cast(this=v, to=self._text())
        return canonical_sql(text, self.caps.dialect)

    def _each(
        self, v: exp.Expression, element: Callable[[exp.Expression], exp.Expression]
    ) -> exp.Expression:
        return self.caps.values.map_array(v, element)

    def _json(self, v: exp.Expression, old: ColumnType) -> exp.Expression:
        kind = old.kind
        if kind is Kind.JSON:
            return v
        if self.json_value is not None:
            descriptor, content = self._descriptor(v, old)
            return self.json_value(descriptor, content)
        # RDS: the warehouse's own JSON of the typed value (arrays keep their elements).
        return self.caps.values.to_json(v)

    def _descriptor(self, v: exp.Expression, old: ColumnType) -> tuple[str, exp.Expression]:
        """The DynamoDB descriptor a value of ``old`` came from, and its content."""
        kind = old.kind
        base64 = self.caps.values.to_base64
        if old.repeated:
            if kind in _EXACT:
                return "NS", self._each(v, lambda x: self.exact_text(x, ColumnType(kind)))
            if kind is Kind.BYTES:
                return "BS", self._each(v, base64)
            return "SS", v
        if kind in _EXACT:
            return "N", self.exact_text(v, old)
        if kind is Kind.BYTES:
            return "B", base64(v)
        if kind is Kind.BOOL:
            return "BOOL", v
        return "S", cast(exp.Expression, exp.Cast(this=v, to=self._text()))

    def _source_text(self, v: exp.Expression, old: ColumnType) -> exp.Expression:
        """An RDS value as the source printed it (its column widened to the exact text).

        Dates print ``YYYY-MM-DD``; times and timestamps with the fraction of a second only
        when there is one, without trailing zeros (PostgreSQL's and MySQL's output); DuckDB's
        cast to text already writes them so. BigQuery's is built from the parts.
        """
        text = exp.Cast(this=v, to=self._text())
        clock_text = self.caps.values.clock_text
        if clock_text is None or old.kind not in (Kind.DATETIME, Kind.TIME):
            return text
        return clock_text(v, old.kind)
