"""BigQuery's documented rules that no SQL analyzer knows, checked on the generated SQL.

GoogleSQL's analyzer (``aws2bq.testing.googlesql``) checks names, types and signatures; these
are the limits and restrictions BigQuery adds, each from Google's documentation:

- ``transaction``: inside ``BEGIN TRANSACTION … COMMIT TRANSACTION`` only DML (SELECT, INSERT,
  UPDATE, DELETE, MERGE, TRUNCATE TABLE) and CREATE / DROP of *temporary* tables and
  functions may run: https://cloud.google.com/bigquery/docs/transactions
  ("Statements supported in transactions").
- ``partition``: ``PARTITION BY`` takes ``_PARTITIONDATE``, ``DATE(_PARTITIONTIME)``, a DATE
  column, ``DATE(timestamp_col)`` / ``DATE(datetime_col)``,
  ``DATETIME_TRUNC(datetime_col, DAY|HOUR|MONTH|YEAR)``,
  ``TIMESTAMP_TRUNC(timestamp_col, DAY|HOUR|MONTH|YEAR)``, ``DATE_TRUNC(date_col,
  MONTH|YEAR)`` or ``RANGE_BUCKET(int64_col, GENERATE_ARRAY(…))``:
  https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language
  #partition_expression.
- ``query_length``: a query (script) is at most 1,024K characters (unresolved):
  https://cloud.google.com/bigquery/quotas#query_jobs.
- ``column_name``: at most 300 characters, no reserved prefix (``_TABLE_``, ``_FILE_``,
  ``_PARTITION``, ``_ROW_TIMESTAMP``, ``__ROOT__``, ``_COLIDENTIFIER``), unique ignoring
  case: https://cloud.google.com/bigquery/docs/schemas#column_names.
- ``parquet_column_name``: a table loaded from Parquet has column names of the classic
  convention (letters, digits, underscores, not starting with a digit; flexible column names
  are not supported for Parquet loads), and a Parquet file's names are matched ignoring
  case: https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet
  #limitations, https://cloud.google.com/bigquery/docs/schemas#column_names.
- ``description``: a column description is at most 1,024 characters:
  https://cloud.google.com/bigquery/docs/schemas#column_descriptions.
- ``array_null``: an ARRAY written to a table may not hold NULL elements ("Array cannot have a
  null element"): https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types
  #array_nulls. Checked where SQL builds arrays: ``ARRAY(SELECT e …)`` must filter
  ``e IS NOT NULL`` unless ``e`` cannot be NULL, ``ARRAY_AGG`` must say ``IGNORE NULLS``,
  and array literals may not list NULL.
- ``array_cast``: BigQuery casts an ARRAY only to its own type (GoogleSQL's reference
  analyzer also casts between element types): a ``CAST(… AS ARRAY<…>)`` of anything but NULL
  or an array literal is refused; convert element by element:
  https://cloud.google.com/bigquery/docs/reference/standard-sql/conversion_functions
  #cast_as_array.

:func:`check_sql` is pure (sqlglot only): the test suite runs it on every statement the
warehouse sends, and :func:`check_fields` on every schema it sends through the API; nothing
here talks to BigQuery.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
import sqlglot.expressions as exp

#: https://cloud.google.com/bigquery/quotas#query_jobs: "Maximum query length 1,024K characters".
MAX_QUERY_CHARACTERS = 1024 * 1024
#: https://cloud.google.com/bigquery/docs/schemas#column_names
MAX_COLUMN_NAME = 300
RESERVED_PREFIXES = ("_TABLE_", "_FILE_", "_PARTITION", "_ROW_TIMESTAMP", "__ROOT__",
                     "_COLIDENTIFIER")  # fmt: skip
#: https://cloud.google.com/bigquery/docs/schemas#column_descriptions
MAX_DESCRIPTION = 1024

RULES = (
    "transaction",
    "partition",
    "query_length",
    "column_name",
    "parquet_column_name",
    "description",
    "array_null",
    "array_cast",
)
#: The classic column-name convention, all a Parquet load accepts (see the module docstring).
PARQUET_LOAD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_DML = (exp.Select, exp.Union, exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.TruncateTable)
_TRUNC_UNITS = {"DAY", "HOUR", "MONTH", "YEAR"}
#: Expressions that are never NULL when their arguments are not (so ``ARRAY(SELECT f(x) FROM
#: UNNEST(a) AS x)`` needs no filter): the element itself (UNNEST of a stored array has no
#: NULL element) and the functions below of it.
_NOT_NULL_OF_NOT_NULL = (exp.Upper, exp.Lower, exp.Trim, exp.Paren)
#: Functions that fail (rather than return NULL) on a value they cannot convert.
_ERRORS_NOT_NULL = {"PARSE_NUMERIC", "PARSE_BIGNUMERIC", "FROM_BASE64", "FROMBASE64", "UNHEX"}


@dataclass(frozen=True)
class Violation:
    """One broken rule: which (:data:`RULES`), and what in the SQL breaks it."""

    rule: str
    message: str


def check_sql(
    sql: str, *, column_types: Mapping[str, Mapping[str, str]] | None = None
) -> list[Violation]:
    """Every documented rule ``sql`` (a statement or script) breaks.

    ``column_types`` gives the column types of tables the SQL does not define itself
    (``{table: {column: BigQuery type}}``), for the partition rule of a CTAS.
    """
    found: list[Violation] = []
    if len(sql) > MAX_QUERY_CHARACTERS:
        found.append(
            Violation("query_length", f"{len(sql):,} characters > {MAX_QUERY_CHARACTERS:,}")
        )
    statements = [s for s in sqlglot.parse(sql, read="bigquery") if isinstance(s, exp.Expression)]
    in_transaction = False
    for statement in statements:
        if isinstance(statement, exp.Transaction):
            in_transaction = True
            continue
        if isinstance(statement, exp.Commit | exp.Rollback):
            in_transaction = False
            continue
        if in_transaction:
            found += _transaction_rule(statement)
        found += _partition_rule(statement, column_types or {})
        found += _column_rules(statement)
        found += _array_null_rule(statement)
        found += _array_cast_rule(statement)
    return found


def check_fields(fields: Sequence[Mapping[str, Any]]) -> list[Violation]:
    """The column rules (names, descriptions) for a schema sent through the API (tables.insert
    / tables.patch): ``fields`` in their API form (``SchemaField.to_api_repr()``)."""
    out: list[Violation] = []
    seen: set[str] = set()
    for field in fields:
        name = str(field.get("name", ""))
        out += _name_rules(name, seen)
        description = field.get("description")
        if isinstance(description, str) and len(description) > MAX_DESCRIPTION:
            out.append(
                Violation(
                    "description",
                    f"column {name[:40]}: description of {len(description)} characters "
                    f"> {MAX_DESCRIPTION}",
                )
            )
    return out


def check_parquet_load_fields(fields: Sequence[Mapping[str, Any]]) -> list[Violation]:
    """The rules for the schema of a table loaded from Parquet files (``fields`` in API
    form): :func:`check_fields`, and every name of the classic convention."""
    out = check_fields(fields)
    for field in fields:
        name = str(field.get("name", ""))
        if not PARQUET_LOAD_NAME.fullmatch(name):
            out.append(
                Violation("parquet_column_name", f"{name[:40]}: not a Parquet load column name")
            )
    return out


def _name_rules(name: str, seen: set[str]) -> list[Violation]:
    out: list[Violation] = []
    if len(name) > MAX_COLUMN_NAME:
        out.append(Violation("column_name", f"{name[:40]}…: {len(name)} characters > 300"))
    if name.upper().startswith(RESERVED_PREFIXES):
        out.append(Violation("column_name", f"{name}: reserved prefix"))
    if name.lower() in seen:
        out.append(Violation("column_name", f"{name}: twice (names ignore case)"))
    seen.add(name.lower())
    return out


def _is_temporary(statement: exp.Expression) -> bool:
    properties = statement.args.get("properties")
    if properties is not None and any(
        isinstance(p, exp.TemporaryProperty) for p in properties.expressions
    ):
        return True
    return bool(statement.args.get("temporary"))


def _transaction_rule(statement: exp.Expression) -> list[Violation]:
    if isinstance(statement, _DML):
        return []
    if isinstance(statement, exp.Create) and _is_temporary(statement):
        return []
    if isinstance(statement, exp.Drop):
        # Only a temporary table may be dropped; a one-part name is the script's temp table
        # (permanent tables are always dataset-qualified or default-dataset names, which
        # the generator never drops inside a transaction).
        table = statement.this
        if isinstance(table, exp.Table) and not table.db:
            return []
    kind = type(statement).__name__.upper()
    text = statement.sql(dialect="bigquery")[:120]
    return [Violation("transaction", f"{kind} is not allowed inside a transaction: {text}")]


def _columns_of(statement: exp.Create) -> dict[str, str]:
    schema = statement.this
    if not isinstance(schema, exp.Schema):
        return {}
    return {
        c.name: c.kind.sql(dialect="bigquery").upper()
        for c in schema.expressions
        if isinstance(c, exp.ColumnDef) and c.kind is not None
    }


def _partition_rule(
    statement: exp.Expression, known: Mapping[str, Mapping[str, str]]
) -> list[Violation]:
    if not isinstance(statement, exp.Create):
        return []
    properties = statement.args.get("properties")
    if properties is None:
        return []
    types = _columns_of(statement)
    target = statement.this.this if isinstance(statement.this, exp.Schema) else statement.this
    if isinstance(target, exp.Table):
        types = {**{k: v.upper() for k, v in known.get(target.name, {}).items()}, **types}
    out: list[Violation] = []
    for prop in properties.expressions:
        if not isinstance(prop, exp.PartitionedByProperty):
            continue
        expression = prop.this
        problem = _partition_problem(expression, types)
        if problem:
            out.append(
                Violation(
                    "partition", f"PARTITION BY {expression.sql(dialect='bigquery')}: {problem}"
                )
            )
    return out


def _unit(node: exp.Expression | None) -> str:
    return node.name.upper() if node is not None else ""


def _partition_problem(expression: exp.Expression, types: Mapping[str, str]) -> str | None:
    if isinstance(expression, exp.Identifier):
        expression = exp.column(expression)

    def type_of(column: exp.Expression | None) -> str | None:
        if isinstance(column, exp.Identifier):
            column = exp.column(column)
        if not isinstance(column, exp.Column):
            return None
        if column.name.upper() in ("_PARTITIONTIME", "_PARTITIONDATE"):
            return "TIMESTAMP" if column.name.upper() == "_PARTITIONTIME" else "DATE"
        return types.get(column.name)

    if isinstance(expression, exp.Column):
        t = type_of(expression)
        return None if t == "DATE" else f"a bare column must be DATE (it is {t})"
    if isinstance(expression, exp.Date | exp.TsOrDsToDate):
        t = type_of(expression.this)
        if expression.args.get("zone") or expression.args.get("format"):
            return "DATE() with more than one argument"
        return None if t in ("TIMESTAMP", "DATETIME") else f"DATE() of a {t} column is not allowed"
    if isinstance(expression, exp.TimestampTrunc):
        t = type_of(expression.this)
        if t != "TIMESTAMP":
            return f"TIMESTAMP_TRUNC of a {t} column (use DATETIME_TRUNC / DATE_TRUNC)"
        return None if _unit(expression.args.get("unit")) in _TRUNC_UNITS else "unit"
    if isinstance(expression, exp.DatetimeTrunc):
        t = type_of(expression.this)
        if t != "DATETIME":
            return f"DATETIME_TRUNC of a {t} column"
        return None if _unit(expression.args.get("unit")) in _TRUNC_UNITS else "unit"
    if isinstance(expression, exp.DateTrunc):
        t = type_of(expression.this)
        if t != "DATE":
            return f"DATE_TRUNC of a {t} column"
        unit = _unit(expression.args.get("unit"))
        return None if unit in ("MONTH", "YEAR") else f"DATE_TRUNC unit {unit}"
    if isinstance(expression, exp.Anonymous) and expression.name.upper() == "RANGE_BUCKET":
        t = type_of(expression.expressions[0] if expression.expressions else None)
        return None if t == "INT64" else f"RANGE_BUCKET of a {t} column"
    return f"{type(expression).__name__} is not a partition expression"


def _string_option(column: exp.ColumnDef, name: str) -> str | None:
    for constraint in column.constraints:
        options = constraint.kind
        if not isinstance(options, exp.Properties):
            continue
        for prop in options.expressions:
            if isinstance(prop, exp.Property) and prop.name.lower() == name:
                value = prop.args.get("value")
                if isinstance(value, exp.Literal) and value.is_string:
                    return str(value.this)
    return None


def _column_rules(statement: exp.Expression) -> list[Violation]:
    definitions: list[exp.ColumnDef] = []
    names: list[str] = []
    if isinstance(statement, exp.Create) and isinstance(statement.this, exp.Schema):
        definitions = [c for c in statement.this.expressions if isinstance(c, exp.ColumnDef)]
        names = [c.name for c in definitions]
    elif isinstance(statement, exp.Alter):
        definitions = [a for a in statement.args.get("actions") or []
                       if isinstance(a, exp.ColumnDef)]  # fmt: skip
        names = [c.name for c in definitions]
    elif isinstance(statement, exp.Create) and isinstance(statement.expression, exp.Query):
        names = list(statement.expression.named_selects)
    out: list[Violation] = []
    seen: set[str] = set()
    for name in names:
        out += _name_rules(name, seen)
    for column in definitions:
        description = _string_option(column, "description")
        if description is not None and len(description) > MAX_DESCRIPTION:
            out.append(
                Violation(
                    "description",
                    f"column {column.name}: description of {len(description)} characters "
                    f"> {MAX_DESCRIPTION}",
                )
            )
    return out


def _maybe_null(expression: exp.Expression) -> bool:
    """Whether ``expression`` may be NULL although the element it reads is not
    (conservative: anything not known to keep non-NULL values non-NULL may)."""
    if isinstance(expression, exp.Null):
        return True
    if isinstance(expression, exp.Column | exp.Literal | exp.DataType):
        return False  # a CAST's target type is an argument sqlglot lists, not a value
    if isinstance(expression, exp.Coalesce):
        return all(_maybe_null(a) for a in [expression.this, *expression.expressions])
    keeps = isinstance(expression, _NOT_NULL_OF_NOT_NULL) or (
        isinstance(expression, exp.Cast) and not expression.args.get("safe")
        and not isinstance(expression, exp.TryCast)
    ) or (
        isinstance(expression, exp.Func) and expression.sql_name().upper() in _ERRORS_NOT_NULL
    )  # fmt: skip
    if keeps:
        return any(_maybe_null(a) for a in expression.iter_expressions())
    return True


def _filters_not_null(select: exp.Select, element: exp.Expression) -> bool:
    where = select.args.get("where")
    if where is None:
        return False
    for test in where.find_all(exp.Not):
        inner = test.this
        if (
            isinstance(inner, exp.Is)
            and isinstance(inner.expression, exp.Null)
            and inner.this == element
        ):
            return True
    return False


def _only_inspected(array: exp.Expression, statement: exp.Expression) -> bool:
    """True when ``array`` is only looked at, never stored: unnested or tested for NULL (the
    loss guard's "no NULL element" count and "is not NULL" test of the value it guards)."""
    node = array.parent
    while node is not None and node is not statement:
        if isinstance(node, exp.Unnest | exp.Is):
            return True
        node = node.parent
    return False


def _array_null_rule(statement: exp.Expression) -> list[Violation]:
    if not isinstance(statement, exp.Insert | exp.Merge | exp.Create | exp.Update):
        return []
    out: list[Violation] = []
    for array in statement.find_all(exp.Array):
        if _only_inspected(array, statement):
            continue
        for element in array.expressions:
            if isinstance(element, exp.Null):
                out.append(Violation("array_null", f"NULL in {array.sql(dialect='bigquery')}"))
            if isinstance(element, exp.Select) and len(element.expressions) == 1:
                value = element.expressions[0].unalias()
                if _maybe_null(value) and not _filters_not_null(element, value):
                    out.append(
                        Violation(
                            "array_null",
                            "ARRAY(SELECT …) may hold NULL elements (no IS NOT NULL filter): "
                            + element.sql(dialect="bigquery")[:160],
                        )
                    )
    for agg in statement.find_all(exp.ArrayAgg):
        if not isinstance(agg.parent, exp.IgnoreNulls) and not isinstance(
            agg.this, exp.IgnoreNulls
        ):
            text = agg.sql(dialect="bigquery")[:160]
            out.append(Violation("array_null", f"ARRAY_AGG without IGNORE NULLS: {text}"))
    return out


def _array_cast_rule(statement: exp.Expression) -> list[Violation]:
    out: list[Violation] = []
    for cast in statement.find_all(exp.Cast):
        target = cast.args.get("to")
        if not isinstance(target, exp.DataType) or not target.is_type(exp.DataType.Type.ARRAY):
            continue
        if isinstance(cast.this, exp.Null | exp.Array):
            continue
        text = cast.sql(dialect="bigquery")[:160]
        out.append(Violation("array_cast", f"CAST of a value to an ARRAY type: {text}"))
    return out
