"""SQL over DynamoDB items staged in BigQuery as one ``Item JSON`` column per exported line.

The load job parses each export line once into JSON (``{"Id": {"N": "1"}, …}``); this module
builds, as sqlglot expressions in the ``bigquery`` dialect, the one query that profiles the
attributes (rows shaped like :data:`aws2bq.core.dynamodb_profile_sql.PROFILE_COLUMNS`, so
the core's ``read_profile`` reads them) and the SELECT that types them. Attribute names reach
SQL only as string literals (``Item['name']``), never as text.

Numbers stay text until their type is known and are converted with ``PARSE_NUMERIC`` /
``PARSE_BIGNUMERIC`` (exact, exponent notation accepted), never through FLOAT64.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import cast

import sqlglot
import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.dynamodb_staged import NULL_ELEMENT_TOKENS
from aws2bq.core.dynamodb_types import DESCRIPTORS
from aws2bq.core.number_sql import bigquery_captures, digit_counts
from aws2bq.core.number_text import canonical_sql
from aws2bq.core.schema import Column, Kind, Role, TableSchema

DIALECT = "bigquery"

#: Name of the JavaScript UDF (created in the destination dataset) that turns one DynamoDB
#: value (as JSON text) into plain JSON text. Numbers that a double holds exactly stay
#: numbers; wider ones become strings, so nothing is rounded.
JSON_FUNCTION = "_aws2bq_ddb_json"

JSON_FUNCTION_BODY = r"""
if (text === null) return null;
function canon(n) {
  // The canonical spelling (aws2bq.core.number_text): no leading or trailing zeros, plain
  // within 38 digits before and after the point, else d.dddE+n.
  var m = /^([+-]?)([0-9]*)(?:[.]([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(n);
  if (!m || !/[0-9]/.test((m[2] || '') + (m[3] || ''))) return n;
  var i = m[2] || '', d = i + (m[3] || ''), e = parseInt(m[4] || '0', 10);
  var lead = d.length - d.replace(/^0+/, '').length;
  var s = d.replace(/^0+/, '').replace(/0+$/, '');
  if (s === '') return '0';
  var q = i.length + e - lead, body;
  if (Math.max(q, 0) <= 38 && Math.max(s.length - q, 0) <= 38) {
    if (q <= 0) body = '0.' + '0'.repeat(-q) + s;
    else if (q >= s.length) body = s + '0'.repeat(q - s.length);
    else body = s.substring(0, q) + '.' + s.substring(q);
  } else {
    body = s[0] + (s.length > 1 ? '.' + s.substring(1) : '') + 'E' + (q - 1 >= 0 ? '+' : '-')
      + Math.abs(q - 1);
  }
  return (m[1] === '-' ? '-' : '') + body;
}
function num(n) {
  // A number only if a double prints back the same digits; otherwise the exact (canonical)
  // text as a JSON string, so nothing is rounded.
  var c = canon(n), x = Number(c);
  return (isFinite(x) && String(x) === c) ? x : c;
}
function conv(v) {
  var t = Object.keys(v)[0], x = v[t];
  switch (t) {
    case 'S': case 'B': return x;
    case 'N': return num(x);
    case 'BOOL': return x;
    case 'NULL': return null;
    case 'SS': case 'BS': return x;
    case 'NS': return x.map(num);
    case 'L': return x.map(conv);
    case 'M':
      // A null member (never in DynamoDB JSON) is absent, as on DuckDB.
      var o = {};
      Object.keys(x).forEach(function (k) { if (x[k] !== null) o[k] = conv(x[k]); });
      return o;
  }
  return null;
}
return JSON.stringify(conv(JSON.parse(text)));
"""

# An attribute whose listed name does not read its value back (v IS NULL: a DynamoDB value is
# always a descriptor object, never absent) would profile as empty and load as NULL: fail.
_PROFILE = r"""
WITH entries AS (
  SELECT k, v,
    IF(v IS NULL, ERROR(CONCAT('aws2bq: attribute name not read back: ', k)),
       JSON_KEYS(v, 1)[SAFE_OFFSET(0)]) AS d
  FROM (
    SELECT k, item[k] AS v
    FROM (SELECT s.Item AS item, __name__ AS k
          FROM __stage__ AS s, UNNEST(JSON_KEYS(s.Item, 1)) AS q)
  )
),
numbers AS (
  SELECT k, 'n' AS src, JSON_VALUE(v, '$.N') AS t FROM entries WHERE d = 'N'
  UNION ALL
  SELECT k, 'ns' AS src, x AS t FROM entries, UNNEST(JSON_VALUE_ARRAY(v, '$.NS')) AS x
  WHERE d = 'NS'
),
stats AS (SELECT k, src, t, __int_digits__ AS int_digits, __scale__ AS scale FROM numbers),
fits AS (
  SELECT k, src, int_digits, scale,
    scale = 0 AND (int_digits < 19 OR (int_digits = 19 AND SAFE_CAST(t AS INT64) IS NOT NULL))
      AS int64
  FROM stats
),
num_agg AS (
  SELECT k,
    COUNTIF(src = 'n') AS n_count,
    MAX(IF(src = 'n', int_digits, NULL)) AS n_int_digits,
    MAX(IF(src = 'n', scale, NULL)) AS n_scale,
    LOGICAL_AND(IF(src = 'n', int64, NULL)) AS n_all_int64,
    COUNTIF(src = 'ns') AS ns_count,
    MAX(IF(src = 'ns', int_digits, NULL)) AS ns_int_digits,
    MAX(IF(src = 'ns', scale, NULL)) AS ns_scale,
    LOGICAL_AND(IF(src = 'ns', int64, NULL)) AS ns_all_int64
  FROM fits GROUP BY k
),
desc_agg AS (SELECT k, __counts__ FROM entries GROUP BY k)
SELECT a.k AS attribute, __count_columns__,
  n.n_count, n.n_int_digits, n.n_scale, n.n_all_int64,
  n.ns_count, n.ns_int_digits, n.ns_scale, n.ns_all_int64
FROM desc_agg AS a LEFT JOIN num_agg AS n ON a.k = n.k
ORDER BY a.k
"""


@lru_cache(maxsize=64)
def _template(sql: str) -> exp.Expression:
    return cast(exp.Expression, sqlglot.parse_one(sql, read=DIALECT))


def _fill(sql: str, **values: exp.Expression) -> exp.Expression:
    """Parse a constant template and replace each column ``__name__`` by ``values[name]``."""

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table:
            name = node.name
            if name.startswith("__") and name.endswith("__") and name[2:-2] in values:
                value = values[name[2:-2]].copy()
                return (
                    value
                    if isinstance(value, exp.Column | exp.Func | exp.Bracket | exp.Literal)
                    else exp.Paren(this=value)
                )
        return node

    return _template(sql).copy().transform(swap)


_NAME = (
    "IF(STARTS_WITH(__q__, '\"') AND __j__[JSON_VALUE(SAFE.PARSE_JSON(__q__))] IS NOT NULL,"
    " JSON_VALUE(SAFE.PARSE_JSON(__q__)), __q__)"
)


def attribute_name(item: exp.Expression, listed: exp.Expression) -> exp.Expression:
    """The verbatim name of the attribute that ``listed``, an entry of
    ``JSON_KEYS(item, 1)``, stands for (a STRING expression).

    JSON_KEYS returns a key with a character that JSONPath would need escaped (``.``, ``"``,
    ``\\``, control characters …) as a JSON string literal: ``a.b`` comes back as ``"a.b"``
    (https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#json_keys:
    "keys containing special characters are escaped using double quotes"). Such an entry is
    the JSON text of the name, so ``JSON_VALUE(PARSE_JSON(entry))`` is the name itself; it is
    taken when ``item`` has that key (every key with a ``"`` is quoted, so an entry starting
    with ``"`` is always a quoted one on BigQuery; the emulator lists names verbatim, where
    the read-back keeps a name that merely starts with ``"``). Subscripting JSON with a
    string reads the key verbatim (JSON subscript operator, operators#json_subscript_operator).
    """
    return _fill(_NAME, q=listed, j=item)


def profile_select(stage: exp.Table) -> exp.Select:
    """One query: per attribute, counts per descriptor and number statistics (N and NS).

    Attribute names are the items' keys as they are (:func:`attribute_name`); a name that
    does not read its value back stops the query (``ERROR``) instead of profiling as empty.
    """
    counts = ", ".join(f"COUNTIF(d = '{d}') AS count_{d}" for d in DESCRIPTORS)
    columns = ", ".join(f"a.count_{d}" for d in DESCRIPTORS)
    # The descriptor list is a constant of the code, not data: safe to place in the template.
    sql = _PROFILE.replace("__counts__", counts).replace("__count_columns__", columns)
    # The digit arithmetic of the number contract, shared with DuckDB (core.number_sql).
    digits = digit_counts(bigquery_captures(exp.column("t")))
    tree = _fill(
        sql,
        name=attribute_name(exp.column("Item", table="s"), exp.column("q")),
        int_digits=digits.integer_digits,
        scale=digits.scale,
    )

    def stage_swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name == "__stage__":
            out = stage.copy()
            out.set("alias", node.args.get("alias"))
            return out
        return node

    result = tree.transform(stage_swap)
    assert isinstance(result, exp.Select)
    return result


def holds_null_element(value: exp.Expression) -> exp.Expression:
    """Whether a staged JSON value (an ``Item``, a record's image; NULL: false) has a list or
    set holding ``null`` anywhere, which DynamoDB JSON never has. The same tokens as the
    DuckDB check (:data:`aws2bq.core.dynamodb_staged.NULL_ELEMENT_TOKENS`), over the compact
    ``TO_JSON_STRING`` text; ``STRPOS`` first, so that the regular expression only reads the
    rare value that spells ``null`` at all."""
    return _fill(
        "COALESCE(STRPOS(TO_JSON_STRING(__v__), 'null') > 0 AND EXISTS("
        "SELECT 1 FROM UNNEST(REGEXP_EXTRACT_ALL(TO_JSON_STRING(__v__), __p__)) AS t"
        " WHERE NOT STARTS_WITH(t, '\"')), FALSE)",
        v=value,
        p=exp.Literal.string(NULL_ELEMENT_TOKENS),
    )


def _value(item: exp.Expression, name: str) -> exp.Expression:
    return exp.Bracket(this=item, expressions=[exp.Literal.string(name)])


def _number(text: exp.Expression, kind: Kind) -> exp.Expression:
    if kind is Kind.INT64:
        # SAFE_CAST covers plain integers; exponent forms (1.5E+3) go through NUMERIC, exact
        # for every integer the profile found to fit INT64 (≤19 digits < NUMERIC's 29).
        return _fill(
            "COALESCE(SAFE_CAST(__t__ AS INT64), CAST(PARSE_NUMERIC(__t__) AS INT64))", t=text
        )
    if kind is Kind.NUMERIC:
        return _fill("PARSE_NUMERIC(__t__)", t=text)
    if kind is Kind.BIGNUMERIC:
        return _fill("PARSE_BIGNUMERIC(__t__)", t=text)
    # DECIMAL_TEXT: the exact text, spelled canonically (a column widened from NUMERIC
    # holds the same text, issue 10.2).
    return canonical_sql(text, DIALECT)


def column_value(
    value: exp.Expression, column: Column, caps: Capabilities, json_function: exp.Expression
) -> exp.Expression:
    """The typed value of one column from its attribute's JSON descriptor object."""
    ctype = column.type
    kind = ctype.kind
    if kind is Kind.NULL:
        return exp.Cast(this=exp.null(), to=caps.data_type(ctype))
    if kind is Kind.JSON:
        call = exp.Anonymous(
            this=json_function.copy(), expressions=[_fill("TO_JSON_STRING(__v__)", v=value)]
        )
        return _fill(
            "IF(JSON_VALUE(__v__, '$.NULL') = 'true', NULL, PARSE_JSON(__c__))", v=value, c=call
        )
    if ctype.repeated:
        # Sets are unordered: elements sorted, so that two exports listing a set differently
        # give the same array (issue 12 fault 3). An absent set is [] (BigQuery stores a NULL
        # array as an empty one: data-types#array_nulls).
        if kind in (Kind.INT64, Kind.NUMERIC, Kind.BIGNUMERIC, Kind.DECIMAL_TEXT):
            element = _number(exp.column("x"), kind)
            return _fill(
                "ARRAY(SELECT __e__ AS e FROM UNNEST(JSON_VALUE_ARRAY(__v__, '$.NS')) AS x"
                " ORDER BY e)",
                e=element,
                v=value,
            )
        if kind is Kind.STRING:
            return _fill(
                "ARRAY(SELECT x FROM UNNEST(JSON_VALUE_ARRAY(__v__, '$.SS')) AS x ORDER BY x)",
                v=value,
            )
        if kind is Kind.BYTES:
            return _fill(
                "ARRAY(SELECT FROM_BASE64(x) AS e FROM UNNEST(JSON_VALUE_ARRAY(__v__, '$.BS'))"
                " AS x ORDER BY e)",
                v=value,
            )
        raise ValueError(f"no DynamoDB set maps to {ctype}")
    if kind in (Kind.INT64, Kind.NUMERIC, Kind.BIGNUMERIC, Kind.DECIMAL_TEXT):
        return _number(_fill("JSON_VALUE(__v__, '$.N')", v=value), kind)
    if kind is Kind.STRING:
        return _fill("JSON_VALUE(__v__, '$.S')", v=value)
    if kind is Kind.BYTES:
        return _fill("FROM_BASE64(JSON_VALUE(__v__, '$.B'))", v=value)
    if kind is Kind.BOOL:
        return _fill("JSON_VALUE(__v__, '$.BOOL') = 'true'", v=value)
    raise ValueError(f"no DynamoDB attribute maps to {ctype}")


def typed_select(
    stage: exp.Table,
    schema: TableSchema,
    system_values: Mapping[str, exp.Expression],
    caps: Capabilities,
    json_function: exp.Expression,
) -> exp.Select:
    """SELECT one typed row per staged item, columns in schema order, named and cast."""
    item = exp.column("Item", quoted=True)
    projections: list[exp.Expression] = []
    for column in schema.columns:
        value: exp.Expression
        if column.role is Role.SYSTEM:
            value = exp.Cast(this=system_values[column.name], to=caps.data_type(column.type))
        else:
            value = column_value(_value(item, column.source_name), column, caps, json_function)
        projections.append(cast(exp.Expression, exp.alias_(value, column.name, quoted=True)))
    return exp.select(*projections).from_(stage)


def descriptor_json(
    json_function: exp.Expression, descriptor: str, content: exp.Expression
) -> exp.Expression:
    """The JSON-column value of one DynamoDB value ``{descriptor: content}``: the same UDF as
    :func:`column_value`'s, fed the descriptor rebuilt from a typed value (widened columns)."""
    # '{"N":' || TO_JSON_STRING(content) || '}' (the descriptor is one of DESCRIPTORS, a
    # constant). Not TO_JSON_STRING(STRUCT(...)): on the emulator, the canonical-number
    # subquery inside that STRUCT read NULL in queries over a table.
    if descriptor not in DESCRIPTORS:
        raise ValueError(f"unknown DynamoDB descriptor {descriptor!r}")
    text = exp.Anonymous(
        this="CONCAT",
        expressions=[
            exp.Literal.string('{"' + descriptor + '":'),
            exp.Anonymous(this="TO_JSON_STRING", expressions=[content.copy()]),
            exp.Literal.string("}"),
        ],
    )
    call = exp.Anonymous(this=json_function.copy(), expressions=[text])
    return _fill("IF(__c__ IS NULL, NULL, PARSE_JSON(__f__))", c=content, f=call)
