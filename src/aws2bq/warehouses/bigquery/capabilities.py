"""What a BigQuery endpoint can do, as data: the real service, or the local emulator.

The SQL-shaping facts shared with the pure core (dialect, type names, no transactional DDL,
BIGNUMERIC) are :data:`aws2bq.warehouses.bigquery.dialect.BIGQUERY`. The facts below only change how
this adapter moves data or which checks it can run; the client takes the one its
configuration names (``?emulator=true`` → EMULATOR, else CLOUD, whatever the endpoint), never
asking "is this the emulator?" elsewhere. Tests run the CLOUD path against the emulator where it
can take it (``features=CLOUD``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CLOUD", "EMULATOR", "BigQueryFeatures"]


@dataclass(frozen=True)
class BigQueryFeatures:
    """Abilities of one BigQuery endpoint (see docs/bqemulator.md for the emulator's)."""

    #: Short name for messages.
    name: str
    #: ``CREATE TABLE (… NUMERIC …)`` DDL keeps NUMERIC's 29+9 digits (else tables are
    #: created through the tables.insert API, which does).
    ddl_numeric_exact: bool = True
    #: A load job's ``outputRows`` counts that job's rows (the emulator reports the table's
    #: total instead: loads then run one at a time and the adapter takes differences).
    load_rows_per_job: bool = True
    #: How long the client retries a request the endpoint answered with a retryable error
    #: (the emulator answers some unsupported SQL with HTTP 500: retried for 10 min otherwise).
    retry_deadline_seconds: float = 600.0
    #: Restart a query job that failed with a retryable error (the client's job_retry, up to
    #: forty minutes); not against an emulator, which either answers at once or never will.
    restart_failed_jobs: bool = True
    #: How long a load job refused for a rate limit is sent again (with backoff).
    load_backoff_seconds: float = 300.0
    #: Merge / history stage the typed rows in a table first (``CREATE OR REPLACE TABLE … AS
    #: SELECT``), so the apply script stays under the 1 MB query length for wide tables.
    typed_staging: bool = True


#: Google BigQuery itself.
CLOUD = BigQueryFeatures(name="bigquery")

#: bqemulator 1.4 (DuckDB-backed) as measured by
#: tests/integration/bigquery/test_emulator_capabilities.py.
EMULATOR = BigQueryFeatures(
    name="bqemulator",
    ddl_numeric_exact=False,
    load_rows_per_job=False,
    retry_deadline_seconds=10.0,
    restart_failed_jobs=False,
    load_backoff_seconds=30.0,
)
