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
        if old.repeated and new.repeated and self.caps.dialect != "duckdb":
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
        WKB (BigQuery: ``ST_ASBINARY``; DuckDB's GEOGRAPHY already holds the WKB)."""
        if self.caps.dialect == "duckdb":
            srid = exp.Anonymous(this="unhex", expressions=[exp.Literal.string("E6100000")])
            return exp.DPipe(this=srid, expression=v)
        srid = exp.Anonymous(this="FROM_HEX", expressions=[exp.Literal.string("e6100000")])
        wkb = exp.Anonymous(this="ST_ASBINARY", expressions=[v])
        return exp.Concat(expressions=[srid, wkb])

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
        x = exp.to_identifier("_aws2bq_x")
        if self.caps.dialect == "duckdb":
            return exp.Anonymous(
                this="list_transform",
                expressions=[v, exp.Lambda(this=element(exp.column(x)), expressions=[x])],
            )
        # BigQuery: ARRAY(SELECT f(x) FROM UNNEST(v) AS x WITH OFFSET AS o ORDER BY o)
        offset = exp.to_identifier("_aws2bq_o")
        value = element(exp.column(x))
        select = (
            exp.select(value)
            .from_(
                exp.Unnest(
                    expressions=[v],
                    alias=exp.TableAlias(columns=[x]),
                    offset=offset,
                )
            )
            .order_by(exp.column(offset))
        )
        if not isinstance(value, exp.Cast):
            # A stored array has no NULL element and a conversion keeps a value non-NULL; the
            # filter says so where it is not plain (BigQuery refuses arrays with NULL
            # elements: https://cloud.google.com/bigquery/docs/reference/standard-sql/
            # data-types#array_nulls).
            select = select.where(exp.Not(this=exp.Is(this=value.copy(), expression=exp.null())))
        return exp.Array(expressions=[select])

    def _json(self, v: exp.Expression, old: ColumnType) -> exp.Expression:
        kind = old.kind
        if kind is Kind.JSON:
            return v
        if self.json_value is not None:
            descriptor, content = self._descriptor(v, old)
            return self.json_value(descriptor, content)
        # RDS: the warehouse's own JSON of the typed value (arrays keep their elements).
        if self.caps.dialect == "duckdb":
            json = exp.Anonymous(this="to_json", expressions=[v])
            return exp.Cast(this=json, to=self.caps.data_type(ColumnType(Kind.JSON)))
        # BigQuery's TO_JSON fails on a NUMERIC / BIGNUMERIC a JSON number cannot hold exactly
        # and writes INT64 beyond 2^53 as a number readers round: such numbers become strings
        # (https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#to_json).
        wide = exp.Kwarg(this=exp.var("stringify_wide_numbers"), expression=exp.true())
        return exp.Anonymous(this="TO_JSON", expressions=[v, wide])

    def _descriptor(self, v: exp.Expression, old: ColumnType) -> tuple[str, exp.Expression]:
        """The DynamoDB descriptor a value of ``old`` came from, and its content."""
        kind = old.kind
        base64 = "to_base64" if self.caps.dialect == "duckdb" else "TO_BASE64"
        if old.repeated:
            if kind in _EXACT:
                return "NS", self._each(v, lambda x: self.exact_text(x, ColumnType(kind)))
            if kind is Kind.BYTES:
                return "BS", self._each(v, lambda x: exp.Anonymous(this=base64, expressions=[x]))
            return "SS", v
        if kind in _EXACT:
            return "N", self.exact_text(v, old)
        if kind is Kind.BYTES:
            return "B", exp.Anonymous(this=base64, expressions=[v])
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
        if self.caps.dialect == "duckdb" or old.kind not in (Kind.DATETIME, Kind.TIME):
            return text
        fmt = "FORMAT_DATETIME" if old.kind is Kind.DATETIME else "FORMAT_TIME"
        pattern = "%Y-%m-%d %H:%M:%S" if old.kind is Kind.DATETIME else "%H:%M:%S"
        whole = exp.Anonymous(this=fmt, expressions=[exp.Literal.string(pattern), v])
        micros = exp.Extract(this=exp.var("MICROSECOND"), expression=v)
        fraction = exp.Anonymous(
            this="RTRIM",
            expressions=[
                exp.Anonymous(this="FORMAT", expressions=[exp.Literal.string("%06d"), micros]),
                exp.Literal.string("0"),
            ],
        )
        tail = exp.If(
            this=exp.GT(this=micros.copy(), expression=exp.Literal.number(0)),
            true=exp.DPipe(this=exp.Literal.string("."), expression=fraction),
            false=exp.Literal.string(""),
        )
        return exp.DPipe(this=whole, expression=tail)
