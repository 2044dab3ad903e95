"""The canonical text of an exact number, in SQL: one spelling per value on every path.

A column that holds exact numbers as text (DECIMAL_TEXT everywhere, BIGNUMERIC in DuckDB) is
filled from a source's text on a replace load, and from an old typed value when a merge or
history load widens a NUMERIC column (DuckDB's cast gives ``1.500000000``). Both go through
:func:`canonical_sql`, so merge, history and replace agree value for value (issue 10.2):

- no sign for positive numbers and zero, no leading zeros, no trailing zeros after the point
  (DynamoDB trims them too: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
  HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number);
- plain notation when the value has at most 38 digits before and 38 after the point (what
  a BIGNUMERIC holds: ``12.5``, ``0.001``, ``100``), else scientific notation with one digit
  before the point (``1E+125``, ``1.5E-130``);
- text that is not a plain decimal number (``NaN``, ``Infinity``) is kept as it is.

:func:`canonical` is the same function in Python (tests use it as the reference).
"""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation
from functools import lru_cache
from typing import cast

import sqlglot
import sqlglot.expressions as exp

#: The widest plain spelling: BIGNUMERIC's 38 integer and 38 fractional digits.
PLAIN_LIMIT = 38

_NUMBER = r"^([+-]?)([0-9]*)(?:[.]([0-9]*))?(?:[eE]([+-]?[0-9]+))?$"
_VALID = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"

# The number taken apart once per value: ``n`` (sign), ``i`` (integer digits), ``f``
# (fraction digits), ``e`` (exponent); then ``s`` (significant digits) and ``q`` (how many of
# them stand before the point) once per value; then the spelling. DuckDB binds the parts
# with lambdas, BigQuery with a correlated UNNEST, so the SQL stays small (a few KB a
# column) and each regular expression runs once.
_DUCKDB = f"""
CASE WHEN regexp_matches(:t, '{_VALID}') THEN list_transform(
  [regexp_extract(:t, '{_NUMBER}', ['n', 'i', 'f', 'e'])],
  _aws2bq_p -> list_transform(
    [{{'n': _aws2bq_p.n,
      's': rtrim(ltrim(_aws2bq_p.i || _aws2bq_p.f, '0'), '0'),
      'q': length(_aws2bq_p.i) + coalesce(TRY_CAST(nullif(_aws2bq_p.e, '') AS BIGINT), 0)
           - (length(_aws2bq_p.i || _aws2bq_p.f)
              - length(ltrim(_aws2bq_p.i || _aws2bq_p.f, '0')))}}],
    _aws2bq_x -> :body)[1])[1]
ELSE :t END
"""
_BIGQUERY = """
IF(REGEXP_CONTAINS(:t, r'^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$'), (
  SELECT :body
  FROM UNNEST([STRUCT(
    IFNULL(REGEXP_EXTRACT(:t, r'^([+-]?)'), '') AS n,
    IFNULL(REGEXP_EXTRACT(:t, r'^[+-]?([0-9]*)'), '') AS i,
    IFNULL(REGEXP_EXTRACT(:t, r'[.]([0-9]*)'), '') AS f,
    IFNULL(SAFE_CAST(REGEXP_EXTRACT(:t, r'[eE]([+-]?[0-9]+)$') AS INT64), 0) AS e
  )]) AS _aws2bq_p,
  UNNEST([STRUCT(
    _aws2bq_p.n AS n,
    RTRIM(LTRIM(CONCAT(_aws2bq_p.i, _aws2bq_p.f), '0'), '0') AS s,
    LENGTH(_aws2bq_p.i) + _aws2bq_p.e - (LENGTH(CONCAT(_aws2bq_p.i, _aws2bq_p.f))
      - LENGTH(LTRIM(CONCAT(_aws2bq_p.i, _aws2bq_p.f), '0'))) AS q
  )]) AS _aws2bq_x), :t)
"""
# The spelling from the bound n, s, q (written in DuckDB's SQL, rendered in either dialect;
# the _aws2bq_ names cannot be a column's, see aws2bq.core.naming).
_BODY = f"""
CASE WHEN _aws2bq_x.s = '' THEN '0' ELSE
  CASE WHEN _aws2bq_x.n = '-' THEN '-' ELSE '' END ||
  CASE WHEN greatest(_aws2bq_x.q, 0) <= {PLAIN_LIMIT}
        AND greatest(length(_aws2bq_x.s) - _aws2bq_x.q, 0) <= {PLAIN_LIMIT}
  THEN CASE
    WHEN _aws2bq_x.q <= 0 THEN '0.' || repeat('0', CAST(-_aws2bq_x.q AS BIGINT)) || _aws2bq_x.s
    WHEN _aws2bq_x.q >= length(_aws2bq_x.s)
      THEN _aws2bq_x.s || repeat('0', CAST(_aws2bq_x.q - length(_aws2bq_x.s) AS BIGINT))
    ELSE left(_aws2bq_x.s, CAST(_aws2bq_x.q AS BIGINT)) || '.'
      || substr(_aws2bq_x.s, CAST(_aws2bq_x.q + 1 AS BIGINT)) END
  ELSE left(_aws2bq_x.s, 1)
    || CASE WHEN length(_aws2bq_x.s) > 1 THEN '.' || substr(_aws2bq_x.s, 2) ELSE '' END
    || 'E' || CASE WHEN _aws2bq_x.q - 1 >= 0 THEN '+' ELSE '-' END
    || CAST(abs(_aws2bq_x.q - 1) AS VARCHAR)
  END
END
"""


@lru_cache(maxsize=8)
def _template(sql: str, dialect: str) -> exp.Expression:
    return cast(exp.Expression, sqlglot.parse_one(sql, read=dialect))


def canonical_sql(text: exp.Expression, dialect: str) -> exp.Expression:
    """SQL (in ``dialect``: ``duckdb`` or ``bigquery``) for the canonical text of ``text``.

    ``text`` is a VARCHAR / STRING expression holding a number (``-012.50``, ``1.5E+3``,
    ``1.500000000``); NULL stays NULL.
    """
    outer = _DUCKDB if dialect == "duckdb" else _BIGQUERY
    value = text if isinstance(text, exp.Column | exp.Literal | exp.Paren) else exp.Paren(this=text)
    tree = _template(outer, dialect).copy()
    body = _template(_BODY, "duckdb").copy()
    return cast(exp.Expression, exp.replace_placeholders(tree, t=value, body=body))


def plain_number_text(text: exp.Expression) -> exp.Expression:
    """``text`` (a DynamoDB number) with any exponent applied: plain digits (DuckDB).

    DuckDB reads plain decimal text into BIGINT or DECIMAL exactly, but an exponent form's
    digits are rounded to the type's width *before* the exponent is applied, silently
    (``0.00000000000000000000000000009223372036854775808E+47`` → 9223372036854775800 as
    BIGINT; ``0.000000000000000000000000000000000000001E+39`` → 0 through DECIMAL(38, 0)).
    Such text is spelled canonically first (:func:`canonical_sql`: plain for every number of
    NUMERIC width); plain text, nearly every number of an export, is passed as it is.
    """
    exponent = exp.or_(
        exp.Anonymous(this="contains", expressions=[text.copy(), exp.Literal.string("e")]),
        exp.Anonymous(this="contains", expressions=[text.copy(), exp.Literal.string("E")]),
    )
    return exp.Case(ifs=[exp.If(this=exponent, true=canonical_sql(text, "duckdb"))], default=text)


def canonical(text: str) -> str:
    """The canonical spelling of a number's text (Python reference of :func:`canonical_sql`).

    Examples:
        >>> [canonical(t) for t in ("1.500000000", "-012.50", "1.5E+3", "0", "-0.0")]
        ['1.5', '-12.5', '1500', '0', '0']
        >>> [canonical(t) for t in ("1E+125", "9.99E+125", "0.0000000001", "NaN")]
        ['1E+125', '9.99E+125', '0.0000000001', 'NaN']
        >>> canonical("1" + "0" * 39), canonical("1E-39")
        ('1E+39', '1E-39')
    """
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    if value == 0:
        return "0"
    sign, digits, exponent = value.normalize(Context(prec=1000)).as_tuple()
    assert isinstance(exponent, int)
    significant = "".join(map(str, digits))
    point = len(significant) + exponent  # digits before the point
    prefix = "-" if sign else ""
    if max(point, 0) <= PLAIN_LIMIT and max(len(significant) - point, 0) <= PLAIN_LIMIT:
        if point <= 0:
            return prefix + "0." + "0" * -point + significant
        if point >= len(significant):
            return prefix + significant + "0" * (point - len(significant))
        return prefix + significant[:point] + "." + significant[point:]
    mantissa = significant[0] + ("." + significant[1:] if len(significant) > 1 else "")
    return f"{prefix}{mantissa}E{'+' if point - 1 >= 0 else '-'}{abs(point - 1)}"
