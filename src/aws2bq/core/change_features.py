"""How one SQL dialect shapes the change statements: data, found by the dialect's name.

:data:`CHANGE_FEATURES` maps a sqlglot dialect (``Capabilities.dialect``) to its
:class:`ChangeFeatures`: MERGE or not, the row hash, partitioning and clustering, in-place
type changes. The change, layout and schema-evolution statements read these, never a name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.schema import Kind
from aws2bq.errors import ContractError


def _duckdb_hash(values: Sequence[exp.Expression]) -> exp.Expression:
    return exp.Anonymous(this="HASH", expressions=list(values))


def _bigquery_hash(values: Sequence[exp.Expression]) -> exp.Expression:
    fields = [
        exp.PropertyEQ(this=exp.to_identifier(f"c{i}"), expression=v) for i, v in enumerate(values)
    ]
    text = exp.Anonymous(this="TO_JSON_STRING", expressions=[exp.Struct(expressions=fields)])
    return exp.Anonymous(this="FARM_FINGERPRINT", expressions=[text])


@dataclass(frozen=True)
class ChangeFeatures:
    """What shapes the change statements of one SQL dialect."""

    #: ``MERGE … WHEN MATCHED … DELETE / UPDATE … WHEN NOT MATCHED … INSERT`` in one statement;
    #: without it: DELETE + INSERT from the materialised change set.
    merge: bool
    #: The row hash of a list of values (a 64-bit fingerprint; NULLs and order matter).
    row_hash: Callable[[Sequence[exp.Expression]], exp.Expression]
    #: ``CREATE TABLE … PARTITION BY … CLUSTER BY …`` (else the layout is ignored).
    partitioning: bool
    #: ``ALTER TABLE … ADD COLUMN IF NOT EXISTS`` (idempotent in ``before``).
    add_column_if_not_exists: bool = True
    #: Type changes ``ALTER COLUMN … SET DATA TYPE`` can do in place ((old, new) kinds);
    #: ``None`` = any widening (the warehouse converts the values itself).
    alter_type: frozenset[tuple[Kind, Kind]] | None = None
    #: Kinds a table can be clustered by (non-repeated columns); empty = no clustering.
    cluster_kinds: frozenset[Kind] = frozenset()
    #: Most clustering columns a table takes.
    max_cluster_columns: int = 0
    #: ``CAST`` converts an array's elements (DuckDB); BigQuery casts an ARRAY only to its own
    #: type (https://cloud.google.com/bigquery/docs/reference/standard-sql/conversion_functions
    #: #cast_as_array), so typed arrays are taken as they are there.
    cast_arrays: bool = True
    #: The warehouse stores a NULL array as an empty one, so the row hash must not tell them
    #: apart (a snapshot's NULL set against the table's ``[]``: issue 12 fault 3).
    null_array_is_empty: bool = False


#: By sqlglot dialect (``Capabilities.dialect``).
CHANGE_FEATURES: Mapping[str, ChangeFeatures] = MappingProxyType(
    {
        # https://duckdb.org/docs/stable/sql/statements/merge_into (DuckDB ≥ 1.4)
        "duckdb": ChangeFeatures(merge=True, row_hash=_duckdb_hash, partitioning=False),
        # https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language
        # #alter_column_set_data_type_statement: only these coercions are allowed in place.
        "bigquery": ChangeFeatures(
            merge=True,
            row_hash=_bigquery_hash,
            partitioning=True,
            # https://cloud.google.com/bigquery/docs/clustered-tables#cluster_column_types
            # and #limitations (up to four columns).
            cluster_kinds=frozenset(
                {
                    Kind.BIGNUMERIC,
                    Kind.BOOL,
                    Kind.DATE,
                    Kind.DATETIME,
                    Kind.GEOGRAPHY,
                    Kind.INT64,
                    Kind.NUMERIC,
                    Kind.STRING,
                    Kind.TIMESTAMP,
                    Kind.DECIMAL,
                    Kind.DECIMAL_TEXT,
                }
            ),
            max_cluster_columns=4,
            cast_arrays=False,
            # https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types
            # #array_nulls: "BigQuery translates a NULL ARRAY into an empty ARRAY".
            null_array_is_empty=True,
            alter_type=frozenset(
                {
                    (Kind.INT64, Kind.NUMERIC),
                    (Kind.INT64, Kind.BIGNUMERIC),
                    (Kind.INT64, Kind.FLOAT64),
                    (Kind.NUMERIC, Kind.BIGNUMERIC),
                    (Kind.NUMERIC, Kind.FLOAT64),
                }
            ),
        ),
    }
)


def features(caps: Capabilities) -> ChangeFeatures:
    """The change features of a warehouse (by its dialect)."""
    try:
        return CHANGE_FEATURES[caps.dialect]
    except KeyError:
        raise ContractError(
            f"no change-apply features for dialect {caps.dialect!r}; known: "
            f"{', '.join(sorted(CHANGE_FEATURES))}"
        ) from None
