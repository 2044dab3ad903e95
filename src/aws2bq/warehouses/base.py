"""The warehouse interface: what the runner needs from DuckDB, BigQuery or any later target.

One small ABC per role (see docs/warehouse-interface.md):

- :class:`Warehouse` — every warehouse: run sqlglot expressions, run a list of them in one
  transaction, describe a table. It does I/O only; the SQL over what it staged comes from
  its :class:`Dialect` (``warehouse.dialect``).
- :class:`Dialect` — a warehouse's dialect: its capabilities (data, not branches, say how SQL
  must be shaped) and the SELECTs that type staged rows, as pure functions of the staged
  handle, the schema or plan, and the dialect; no I/O.
- :class:`DynamoDBStaging` — an optional ability: land the data files of a DynamoDB export into
  a staging area of the warehouse and profile them in SQL.
- :class:`RdsStaging` — an optional ability: land the Parquet files of one table of an RDS
  snapshot export, tell how each group of files stores each column, and profile text-stored
  numbers.
- :class:`StagingBucket` — an optional ability: land an export's files in an object store
  the warehouse loads from (BigQuery: a GCS bucket, copied by the runner or by Storage
  Transfer Service), resumably, and delete them once applied. The runner picks the route by
  data (:func:`aws2bq.core.transport.choose_route`).
- :class:`ColumnDescriptions` — an optional ability: read and set column descriptions outside
  SQL, for warehouses whose ``COMMENT ON COLUMN`` cannot run in the apply transaction
  (BigQuery); the runner sets them after the commit.

The generic apply + ledger (runner) only needs :class:`Warehouse`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, ClassVar, Protocol

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.dynamodb_types import AttributeStats
from aws2bq.core.progress import Progress
from aws2bq.core.rds_sql import Source
from aws2bq.core.rds_types import Engine, NumberProfile, TablePlan
from aws2bq.core.schema import TableSchema
from aws2bq.core.widening import Widening

__all__ = [
    "Capabilities",
    "ColumnDescriptions",
    "Dialect",
    "DynamoDBIncrementalStaging",
    "DynamoDBStaging",
    "Landing",
    "RawFile",
    "RdsStaging",
    "Routine",
    "StagedExport",
    "StagedRdsTable",
    "StagingBucket",
    "TableRef",
    "Warehouse",
]


@dataclass(frozen=True)
class TableRef:
    """A table in the warehouse: ``dataset`` is a DuckDB schema or a BigQuery dataset.

    ``dataset=None`` means the warehouse's default (DuckDB ``main``, the URL's dataset).
    """

    name: str
    dataset: str | None = None
    #: BigQuery project (None = the URL's project); unused by DuckDB.
    catalog: str | None = None

    def expression(self) -> exp.Table:
        """The table as a sqlglot expression with every part quoted."""
        return exp.table_(self.name, db=self.dataset, catalog=self.catalog, quoted=True)


class RawFile(Protocol):
    """One data file of an export, as the source layer hands it to a warehouse.

    Implemented by :class:`aws2bq.sources.blobs.ExportFile`. ``open()`` streams the bytes and
    checks the MD5 while doing so: reading to EOF raises :class:`aws2bq.errors.ExportError`
    naming the file if the checksum does not match, so a stager that consumes the stream
    fully has verified it. ``download_to()`` does the same into a local file.
    """

    @property
    def key(self) -> str:
        """The file's key as the manifest names it (used in messages and per-file counts)."""

    @property
    def expected_rows(self) -> int:
        """Item count the manifest declares for this file."""

    @property
    def size(self) -> int | None:
        """Size in bytes if known before reading."""

    def open(self) -> IO[bytes]:
        """A verifying binary stream of the (still compressed) file."""

    def download_to(self, path: Path, *, progress: Progress | None = None) -> int:
        """Copy into ``path`` while verifying; returns the number of bytes written."""


@dataclass
class StagedExport:
    """What a stager landed: where, and how many rows came from each file.

    The runner compares ``rows_per_file`` with the manifest before anything is applied.
    ``handle`` is private to the warehouse that staged it (e.g. the staging table's ref).
    """

    table: TableRef
    rows_per_file: Mapping[str, int]
    bytes: int
    handle: Any = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.rows_per_file.values())


@dataclass(frozen=True)
class JobStats:
    """What one finished job processed (for the run summary; BigQuery reports them)."""

    #: ``query`` / ``load``.
    kind: str
    #: What the job did (``transaction``, ``load of export file x``, …).
    what: str
    #: Bytes a query processed (totalBytesProcessed) or a load job read (inputFileBytes).
    bytes_processed: int
    #: Bytes billed (queries; 0 for loads, which are free on the shared slot pool).
    bytes_billed: int = 0
    #: Rows a load job wrote / a DML statement changed, when the warehouse says.
    rows: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "what": self.what,
            "bytes_processed": self.bytes_processed,
            "bytes_billed": self.bytes_billed,
            "rows": self.rows,
        }


@dataclass(frozen=True)
class Routine:
    """A persistent function a dialect's SQL calls (BigQuery: a JavaScript UDF of the
    destination dataset): ``name(arguments STRING…) RETURNS STRING``, made by
    :meth:`Warehouse.ensure_routines` before a statement calling it runs."""

    name: str
    body: str
    arguments: tuple[str, ...]
    description: str


class Dialect(ABC):
    """The SQL a warehouse's dialect builds over what its stagers landed — pure, no I/O.

    Reached as ``warehouse.dialect``. Every method is a function of a staged handle (private
    to the warehouse that staged it), a schema or plan, and the dialect itself; the
    warehouse runs the statements. A warehouse without an ability (say, no RDS staging)
    never receives the corresponding handle.
    """

    capabilities: Capabilities

    @abstractmethod
    def dynamodb_typed_select(
        self, staged: StagedExport, schema: TableSchema, system_values: Mapping[str, exp.Expression]
    ) -> exp.Select:
        """The SELECT producing one typed row per staged item, columns in ``schema`` order.

        ``system_values`` gives the expression for each SYSTEM column by name
        (``_aws2bq_export_id`` …); data/key columns come from the staged attributes.
        """

    @abstractmethod
    def dynamodb_widening(self) -> Widening:
        """How a widened column's old values are converted in this dialect, so that they
        read as the typed SELECT of the new type would read them (issue 10.2)."""

    @abstractmethod
    def dynamodb_changes_select(self, staged: StagedExport, schema: TableSchema) -> exp.Select:
        """The change set of deduplicated incremental records: the schema's non-SYSTEM
        columns typed, then ``_aws2bq_op`` ('upsert' | 'delete') and ``_aws2bq_change_at``
        (TIMESTAMPTZ from WriteTimestampMicros); one row per key."""

    @abstractmethod
    def rds_typed_select(
        self,
        staged: StagedRdsTable,
        plan: TablePlan,
        system_values: Mapping[str, exp.Expression],
        engine: Engine,
    ) -> exp.Query:
        """The query producing one typed row per exported row, columns in schema order.

        A statement reading it fails with :class:`~aws2bq.errors.ValueLossError` on a value
        it cannot convert exactly, so a bad value aborts the apply transaction. It may call
        the :meth:`rds_routines` of ``plan``.
        """

    @abstractmethod
    def rds_loss_select(
        self, staged: StagedRdsTable, plan: TablePlan, engine: Engine
    ) -> exp.Select | None:
        """One row counting, per column, the values its conversion cannot represent exactly
        (with an example each; read by :func:`aws2bq.core.rds_sql.read_losses`), or None
        when no column can lose a value."""

    def rds_routines(self, plan: TablePlan) -> Sequence[Routine]:
        """The persistent functions the RDS SQL of ``plan`` calls (none by default)."""
        return ()


class Warehouse(ABC):
    """A SQL warehouse that aws2bq can load into: I/O only (stage files through its abilities,
    query, execute, transaction, table columns, drop staging); the SQL over what it staged is
    its :attr:`dialect`'s.

    Every statement is a sqlglot expression; the warehouse renders it in
    ``capabilities.dialect`` (identifiers quoted) and runs it. Nothing else ever builds SQL
    text. Errors from the driver are translated into :class:`aws2bq.errors.WarehouseError`
    (or ``TransientError`` for conflicts, throttling, a lock held by someone else).
    """

    capabilities: ClassVar[Capabilities]

    #: The SQL over this warehouse's staged data (``dialect.capabilities`` is
    #: ``capabilities``).
    dialect: Dialect

    #: The URL this warehouse was opened from (for messages and the ledger).
    url: str

    #: Merge / history loads of full exports stage their typed rows in a table first (a
    #: statement of its own) that expires after this many hours; None: the apply reads the
    #: typed SELECT inline. BigQuery stages them (1 MB query length: issue 12.12).
    typed_staging_hours: int | None = None

    @abstractmethod
    def close(self) -> None:
        """Release connections, locks and temporary files."""

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def query(self, statement: exp.Expression) -> list[tuple[Any, ...]]:
        """Run a read-only statement and return all rows (small results only: metadata)."""

    @abstractmethod
    def execute(self, statement: exp.Expression) -> None:
        """Run one statement on its own (auto-committed)."""

    @abstractmethod
    def transaction(self, statements: Sequence[exp.Expression]) -> None:
        """Run ``statements`` in order as one transaction: all of them take effect or none.

        Readers never see a state in between. If another writer conflicts, raise a
        ``TransientError`` and leave everything as it was.
        """

    @abstractmethod
    def table_columns(self, table: TableRef) -> list[tuple[str, str]] | None:
        """``[(column name, physical type text)]`` of ``table`` in order, or None if absent."""

    def table_exists(self, table: TableRef) -> bool:
        return self.table_columns(table) is not None

    def render(self, statement: exp.Expression) -> str:
        """The SQL text of ``statement`` in this warehouse's dialect (for plans and logs)."""
        return statement.sql(dialect=self.capabilities.dialect)

    @abstractmethod
    def ensure_routines(self, routines: Sequence[Routine]) -> None:
        """Create (or bring up to date) the persistent functions ``routines`` that a statement
        of :attr:`dialect` calls, before it runs (its ``rds_routines``)."""

    def take_job_stats(self) -> list[JobStats]:
        """The jobs finished since the last call, oldest first (and forget them); a
        warehouse that reports no per-job statistics (DuckDB) returns none."""
        return []

    def dry_run(self, sql: str) -> int | None:
        """Bytes ``sql`` would process, without running it; None where the warehouse cannot
        say (DuckDB). Raises the warehouse's error when the SQL is refused."""
        return None


class Landing(Protocol):
    """One export's files landing in a warehouse's object store (see :class:`StagingBucket`).

    ``report`` has ``to_dict()`` (route, files and bytes moved, jobs, seconds) for the run
    summary, and the stager adds its load jobs to it.
    """

    report: Any

    def land(self, progress: Progress) -> Sequence[RawFile]:
        """Every file landed and verified (size, MD5); the landed files, in order. Raises
        ``TransferPending`` while a transfer runs and the run does not wait."""

    def release(self, progress: Progress) -> None:
        """Delete what was landed (after the apply committed); never raises."""


class StagingBucket(ABC):
    """Optional ability: land export files where the warehouse loads them from by URI."""

    @abstractmethod
    def open_landing(
        self,
        spec: Any,
        route: Any,
        *,
        stream: str,
        export_id: str,
        location: str,
        files: Sequence[RawFile],
    ) -> Landing:
        """The landing of one export (``spec``: ``core.transport.TransportSpec``; ``route``:
        ``core.transport.Route``, COPY or STS). Nothing is moved until ``land()``."""

    @abstractmethod
    def landing_status(self, spec: Any, stream: str) -> list[dict[str, Any]]:
        """The landings of ``stream`` in progress: export, phase, files/bytes done, percent."""


class ColumnDescriptions(ABC):
    """Optional ability: column descriptions (the source names) set through the warehouse's API.

    The runner checks ``isinstance(warehouse, ColumnDescriptions)`` and, after a committed
    apply, sets the descriptions that differ (:func:`aws2bq.runner.change_modes.describe_columns`).
    """

    @abstractmethod
    def column_descriptions(self, table: TableRef) -> dict[str, str | None]:
        """Column name → description (``None`` = none) of an existing table."""

    @abstractmethod
    def set_column_descriptions(self, table: TableRef, descriptions: Mapping[str, str]) -> None:
        """Set the descriptions of the named columns (the others are left as they are)."""


class DynamoDBStaging(ABC):
    """Optional ability: land DynamoDB JSON export files and type them inside the warehouse.

    The staging area belongs to the run: it is invisible to readers of the destination and
    :meth:`drop_dynamodb_staging` removes it whatever happened. The staging shape (a MAP of
    descriptor structs in DuckDB, a JSON column in BigQuery, ...) is private to the warehouse;
    the runner only sees the statistics, and types the rows with the SQL of
    :attr:`Warehouse.dialect` (:meth:`Dialect.dynamodb_typed_select`).
    """

    @abstractmethod
    def stage_dynamodb_export(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedExport:
        """Land every file (streamed and MD5-verified) into a fresh staging table.

        Raise ``ExportError`` naming the file when a file cannot be read (bad gzip, bad JSON,
        MD5 mismatch). Count rows per file; the runner checks them against the manifest.
        """

    @abstractmethod
    def profile_dynamodb(self, staged: StagedExport) -> dict[str, AttributeStats]:
        """Per-attribute statistics of the staged items, computed by one SQL query."""

    @abstractmethod
    def drop_dynamodb_staging(self, staged: StagedExport) -> None:
        """Remove the staging area (idempotent, never raises for a missing one)."""


class DynamoDBIncrementalStaging(ABC):
    """Optional ability: land the records of an incremental DynamoDB export and give the
    change set (see /tmp/changeset-contract.md and docs/warehouse-interface.md).

    The runner calls, in order: :meth:`stage_dynamodb_incremental` (count rows per file),
    :meth:`dynamodb_record_keys`, :meth:`unkeyed_dynamodb_records`, :meth:`dedup_dynamodb_changes`,
    :meth:`profile_dynamodb_changes` (→ ``decide_schema``), then the dialect's
    :meth:`Dialect.dynamodb_changes_select`, and always :meth:`drop_dynamodb_incremental_staging`.
    """

    @abstractmethod
    def stage_dynamodb_incremental(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedExport:
        """Land every record file (streamed, MD5-verified) into a fresh staging area; count
        records per file. ``ExportError`` naming the file if one cannot be read."""

    @abstractmethod
    def dynamodb_record_keys(self, staged: StagedExport) -> list[tuple[str, ...]]:
        """The distinct (sorted) sets of attribute names found in the records' ``Keys``."""

    @abstractmethod
    def unkeyed_dynamodb_records(self, staged: StagedExport, keys: Sequence[str]) -> int:
        """How many records cannot be keyed by ``keys``: a key missing from ``Keys`` or not an
        S / N / B value, or a ``NewImage`` lacking it or holding another value."""

    @abstractmethod
    def dedup_dynamodb_changes(
        self, staged: StagedExport, *, keys: Sequence[str], since: datetime | None
    ) -> int:
        """Keep one record per key — the latest ``WriteTimestampMicros``; ties: a delete,
        then the greatest NewImage — dropping records written before ``since``. Returns the
        number of changes kept."""

    @abstractmethod
    def profile_dynamodb_changes(self, staged: StagedExport) -> dict[str, AttributeStats]:
        """Per-attribute statistics over the kept NewImages (and the Keys of deletes)."""

    @abstractmethod
    def drop_dynamodb_incremental_staging(self, staged: StagedExport) -> None:
        """Remove the staging area (idempotent, never raises for a missing one)."""


@dataclass
class StagedRdsTable(StagedExport):
    """The Parquet files of one exported RDS table, landed and grouped by storage.

    ``sources`` has one entry per group of files that store every column the same way (one
    group normally; several when, e.g., a DECIMAL is INT64 in some files and text in others):
    a relation to read the group from and the :class:`~aws2bq.core.rds_types.RawType` of each
    column in it. ``rows_per_file`` comes from the Parquet footers.
    """

    sources: list[Source] = field(default_factory=list)


class RdsStaging(ABC):
    """Optional ability: land RDS export Parquet files and type them inside the warehouse.

    As with :class:`DynamoDBStaging`, the staging area belongs to the run and is invisible to
    readers of the destination; :meth:`drop_rds_staging` removes it whatever happened.
    """

    @abstractmethod
    def stage_rds_table(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedRdsTable:
        """Land one table's Parquet files (downloaded in parallel and streamed if remote).

        Raise ``ExportError`` naming the file when one is not readable Parquet (truncated,
        corrupt). Group the files by how they store each column; count rows per file.
        """

    @abstractmethod
    def profile_rds_numbers(
        self, staged: StagedRdsTable, columns: Sequence[str]
    ) -> dict[str, NumberProfile]:
        """Digits of text-stored number columns (source names), one query per group."""

    @abstractmethod
    def drop_rds_staging(self, staged: StagedRdsTable) -> None:
        """Remove the staging area (idempotent, never raises for a missing one)."""
