"""The DuckDB warehouse: one connection to a database file, statements rendered by sqlglot.

Concurrency: DuckDB lets one process at a time open a database file read-write (an OS file
lock, https://duckdb.org/docs/stable/connect/concurrency). A second runner on the same file
therefore fails to open it and gets a ``TransientError`` ("busy, retry later"): two runners
can never both apply. Inside one process, the ledger's primary key (stream, export_id) makes
a second apply of the same export fail at commit.

Memory: ``memory_limit`` (URL parameter, default 640MB) bounds DuckDB's buffer pool; larger
intermediate results spill to the run's scratch directory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, cast

import duckdb
import pyarrow as pa
import sqlglot
import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.core.rds_sql import LOSS_MARKER
from aws2bq.errors import (
    ConfigError,
    ContractError,
    TransientError,
    ValueLossError,
    WarehouseError,
    one_line,
)
from aws2bq.stage_hook import reached
from aws2bq.warehouses.base import Routine, TableRef, Warehouse
from aws2bq.warehouses.duckdb.configuration import DuckDBConfig
from aws2bq.warehouses.duckdb.dialect import DUCKDB
from aws2bq.warehouses.duckdb.files import (
    OFFLINE_CONFIG,
    check_duckdb_file,
    check_relative_path,
)
from aws2bq.warehouses.duckdb.functions import register_functions
from aws2bq.warehouses.duckdb.incremental_staging import DuckDBDynamoDBIncrementalStaging
from aws2bq.warehouses.duckdb.rds_staging import DuckDBRdsStaging
from aws2bq.warehouses.duckdb.staged_sql import SQL
from aws2bq.warehouses.duckdb.staging import DuckDBDynamoDBStaging

log = logging.getLogger(__name__)


def _setting(name: str, value: str) -> exp.Expression:
    # SET name = 'value' with the value as a literal (never formatted into the text).
    tree = sqlglot.parse_one("SET x = :v", read="duckdb")
    tree = exp.replace_placeholders(tree, v=exp.Literal.string(value))
    item = tree.find(exp.SetItem)
    assert item is not None
    eq = item.this
    eq.set("this", exp.to_identifier(name))
    return cast(exp.Expression, tree)


def driver_message(exc: BaseException, limit: int = 300) -> str:
    """DuckDB's own message on one line, without the SQL excerpt it appends (``LINE 1: …``,
    which belongs to the debug log), cut at ``limit`` characters."""
    text = one_line(str(exc).split("\nLINE ", 1)[0])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _translate(exc: Exception, sql: str) -> Exception:
    """A DuckDB error as aws2bq's: conflicts are transient, the rest terminal; the SQL goes to
    the debug log and the error's ``statement``, never into its message."""
    if isinstance(exc, duckdb.TransactionException):
        return TransientError(
            f"DuckDB transaction conflict: {driver_message(exc)}",
            hint="another writer changed the same table; retry",
        )
    if isinstance(exc, duckdb.ConstraintException):
        return TransientError(
            f"DuckDB constraint conflict: {driver_message(exc)}",
            hint="another run applied the same export; re-run",
        )
    log.debug("DuckDB statement failed: %s\n%s", exc, sql)
    if LOSS_MARKER in str(exc):
        # A loss guard of the typed SQL stopped the statement: the runner names the values.
        return ValueLossError(f"DuckDB failed: {driver_message(exc)}", statement=sql)
    return WarehouseError(f"DuckDB failed: {driver_message(exc)}", statement=sql)


class DuckDBWarehouse(
    DuckDBDynamoDBStaging, DuckDBDynamoDBIncrementalStaging, DuckDBRdsStaging, Warehouse
):
    """A DuckDB database file."""

    capabilities: ClassVar[Capabilities] = DUCKDB
    dialect = SQL

    def __init__(self, config: DuckDBConfig) -> None:
        self.config = config
        self.url = config.url
        self.path = config.path
        if self.path != ":memory:":
            file = Path(self.path).expanduser()
            check_relative_path(self.path, self.url)
            check_duckdb_file(file)
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"cannot create the folder of the warehouse file {file.absolute()}: "
                    f"{exc.strerror or exc}",
                    hint="choose a --warehouse path the user running aws2bq can write",
                ) from None
        try:
            self._scratch = tempfile.TemporaryDirectory(prefix="aws2bq-duckdb-", dir=config.scratch)
        except OSError as exc:
            where = config.scratch or "the temporary folder"
            raise ConfigError(
                f"cannot create a scratch folder in {where}: {exc.strerror or exc}",
                hint="set ?scratch= on the DuckDB URL (or TMPDIR) to a writable folder",
            ) from None
        self.scratch = Path(self._scratch.name)
        try:
            # Offline: no extension is ever downloaded or loaded behind aws2bq's back.
            self.con = duckdb.connect(os.path.expanduser(self.path), config=dict(OFFLINE_CONFIG))
        except duckdb.IOException as exc:
            self._scratch.cleanup()
            if "lock" in str(exc).lower():
                raise TransientError(
                    f"the DuckDB file {self.path} is in use by another process",
                    hint="another aws2bq run (or a DuckDB client) holds it; retry when it ends",
                ) from exc
            if "permission denied" in str(exc).lower() or "read-only" in str(exc).lower():
                raise ConfigError(
                    f"cannot open the warehouse file {self.path} for writing: "
                    f"{driver_message(exc)}",
                    hint="give the user running aws2bq write access to the file and its folder",
                ) from exc
            raise WarehouseError(
                f"cannot open DuckDB file {self.path}: {driver_message(exc)}"
            ) from exc
        # DuckDB 2.x rejects the arrow lambda syntax sqlglot renders unless enabled.
        for name, value in (
            ("lambda_syntax", "ENABLE_SINGLE_ARROW"),
            ("memory_limit", config.memory_limit),
            ("temp_directory", str(self.scratch / "spill")),
            ("preserve_insertion_order", "false"),
        ):
            self.execute(_setting(name, value))
        if config.threads is not None:
            self.execute(_setting("threads", config.threads))
        ((threads,),) = self.con.execute("SELECT current_setting('threads')").fetchall()
        self.threads = max(1, int(threads))
        # ?arrow=0 turns the Arrow stager off (always DuckDB's read_json).
        self.arrow_staging = config.arrow
        # ?native=0: pyarrow parses every chunk (the native JSON scanner off).
        self.native_scan = config.native
        self._registered: dict[str, Any] = {}
        register_functions(self.con)
        self._closed = False

    def register_arrow(self, name: str, table: Any) -> None:
        self.con.register(name, table)
        self._registered[name] = table

    def unregister_arrow(self, name: str) -> None:
        if self._registered.pop(name, None) is not None:
            with contextlib.suppress(duckdb.Error):
                self.con.unregister(name)

    # -- Warehouse ---------------------------------------------------------------------------
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.con.close()
            self._scratch.cleanup()

    def _run(self, statement: exp.Expression, *, fetch: bool = False) -> list[tuple[Any, ...]]:
        # DuckDB may raise while the result is fetched (a query can stream): both are
        # translated here.
        sql = statement.sql(dialect="duckdb")
        try:
            cursor = self.con.execute(sql)
            return cursor.fetchall() if fetch else []
        except duckdb.Error as exc:
            raise _translate(exc, sql) from exc

    def query(self, statement: exp.Expression) -> list[tuple[Any, ...]]:
        return self._run(statement, fetch=True)

    def execute(self, statement: exp.Expression) -> None:
        self._run(statement)

    def arrow_batches(self, statement: exp.Expression, rows: int) -> Iterator[Any]:
        # A relation streams its result (a DB-API result would be copied whole first).
        sql = statement.sql(dialect="duckdb")
        try:
            reader = self.con.sql(sql).to_arrow_reader(rows)
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                yield batch
        except (duckdb.Error, pa.ArrowException, OSError) as exc:  # pyarrow re-raises as OSError
            raise _translate(exc, sql) from exc

    def transaction(self, statements: Sequence[exp.Expression]) -> None:
        self.con.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                self._run(statement)
                reached("apply:statement")
            reached("apply:before_commit")
            self.con.execute("COMMIT")
        except BaseException:
            # The failed statement may already have aborted the transaction.
            with contextlib.suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            raise

    def ensure_routines(self, routines: Sequence[Routine]) -> None:
        if routines:  # DuckDB's dialect calls no persistent function
            raise ContractError(
                f"DuckDB creates no functions, asked for {[r.name for r in routines]}"
            )

    def table_columns(self, table: TableRef) -> list[tuple[str, str]] | None:
        col = exp.column
        select = (
            exp.select(col("column_name"), col("data_type"))
            .from_(exp.table_("columns", db="information_schema"))
            .where(
                exp.and_(
                    exp.EQ(
                        this=col("table_schema"),
                        expression=exp.Literal.string(table.dataset or "main"),
                    ),
                    exp.EQ(this=col("table_name"), expression=exp.Literal.string(table.name)),
                    exp.EQ(this=col("table_catalog"), expression=exp.func("current_database")),
                )
            )
            .order_by(col("ordinal_position"))
        )
        rows = self.query(select)
        return [(str(r[0]), str(r[1])) for r in rows] if rows else None
