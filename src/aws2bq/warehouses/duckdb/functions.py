"""The Python functions aws2bq's DuckDB SQL calls, registered on every connection.

- :data:`aws2bq.core.dynamodb_json_sql.FALLBACK_FUNCTION`: DynamoDB M / L values nested
  deeper than the SQL converts → plain JSON text (:func:`aws2bq.core.dynamodb_json.nested_to_json`);
- :data:`aws2bq.core.rds_sql.ARRAY_FUNCTION`: a PostgreSQL array literal → JSON text
  (:func:`aws2bq.core.pg_array.array_json`).

Both are pure (``side_effects=False``), so DuckDB may evaluate them once per distinct input.
"""

from __future__ import annotations

from typing import Any

from aws2bq.core.dynamodb_json import nested_to_json
from aws2bq.core.dynamodb_json_sql import FALLBACK_FUNCTION
from aws2bq.core.pg_array import array_json
from aws2bq.core.rds_sql import ARRAY_FUNCTION


def register_functions(con: Any) -> None:
    """Register aws2bq's functions on the DuckDB connection ``con``."""
    from duckdb import sqltypes

    con.create_function(
        FALLBACK_FUNCTION,
        nested_to_json,
        [sqltypes.VARCHAR, sqltypes.BOOLEAN],
        sqltypes.VARCHAR,
        side_effects=False,
    )
    con.create_function(
        ARRAY_FUNCTION,
        array_json,
        [sqltypes.VARCHAR, sqltypes.VARCHAR, sqltypes.VARCHAR],
        sqltypes.VARCHAR,
        # None means "not a valid literal" (the loader then keeps the exact text).
        null_handling="special",
        side_effects=False,
    )
