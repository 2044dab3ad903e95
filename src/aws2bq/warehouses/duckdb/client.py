"""The DuckDB warehouse: one connection to a database file, statements rendered by sqlglot.

Concurrency: DuckDB lets one process at a time open a database file read-write (an OS file
lock, https://duckdb.org/docs/stable/connect/concurrency). A second runner on the same file
therefore fails to open it and gets a ``TransientError`` ("busy, retry later"): two runners
can never both apply. Inside one process, the ledger's primary key (stream, export_id) makes
a second apply of the same export fail at commit.

Memory: ``memory_limit`` (URL parameter, default 768MB) bounds DuckDB's buffer pool; larger
intermediate results spill to the run's scratch directory.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, cast

import duckdb
import sqlglot
import sqlglot.expressions as exp

from aws2bq.core.capabilities import DUCKDB, Capabilities
from aws2bq.core.dynamodb_json import nested_to_json
from aws2bq.core.dynamodb_sql import FALLBACK_FUNCTION
from aws2bq.errors import TransientError, WarehouseError
from aws2bq.runner.crashpoints import crashpoint
from aws2bq.warehouses import WarehouseUrl
from aws2bq.warehouses.base import TableRef, Warehouse
from aws2bq.warehouses.duckdb.incremental_staging import DuckDBDynamoDBIncrementalStaging
from aws2bq.warehouses.duckdb.rds_staging import DuckDBRdsStaging
from aws2bq.warehouses.duckdb.staging import DuckDBDynamoDBStaging

DEFAULT_MEMORY_LIMIT = "768MB"


def _setting(name: str, value: str) -> exp.Expression:
    # SET name = 'value' with the value as a literal (never formatted into the text).
    tree = sqlglot.parse_one("SET x = :v", read="duckdb")
    tree = exp.replace_placeholders(tree, v=exp.Literal.string(value))
    item = tree.find(exp.SetItem)
    assert item is not None
    eq = item.this
    eq.set("this", exp.to_identifier(name))
    return cast(exp.Expression, tree)


def _bytes(text: str) -> int:
    """``512MB`` / ``1GB`` / ``1000000`` → bytes."""
    units = {"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "B": 1}
    upper = text.strip().upper()
    for unit, factor in units.items():
        if upper.endswith(unit):
            return int(float(upper[: -len(unit)]) * factor)
    return int(upper)


class DuckDBWarehouse(
    DuckDBDynamoDBStaging, DuckDBDynamoDBIncrementalStaging, DuckDBRdsStaging, Warehouse
):
    """A DuckDB database file."""

    capabilities: ClassVar[Capabilities] = DUCKDB

    def __init__(self, url: WarehouseUrl) -> None:
        self.url = url.raw
        self.path = url.path
        self.params = dict(url.params)
        if self.path != ":memory:":
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self._scratch = tempfile.TemporaryDirectory(
            prefix="aws2bq-duckdb-", dir=self.params.get("scratch")
        )
        self.scratch = Path(self._scratch.name)
        try:
            self.con = duckdb.connect(os.path.expanduser(self.path))
        except duckdb.IOException as exc:
            self._scratch.cleanup()
            if "lock" in str(exc).lower():
                raise TransientError(
                    f"the DuckDB file {self.path} is in use by another process",
                    hint="another aws2bq run (or a DuckDB client) holds it; retry when it ends",
                ) from exc
            raise WarehouseError(f"cannot open DuckDB file {self.path}: {exc}") from exc
        # DuckDB 2.x rejects the arrow lambda syntax sqlglot renders unless enabled.
        for name, value in (
            ("lambda_syntax", "ENABLE_SINGLE_ARROW"),
            ("memory_limit", self.params.get("memory_limit", DEFAULT_MEMORY_LIMIT)),
            ("temp_directory", str(self.scratch / "spill")),
            ("preserve_insertion_order", "false"),
        ):
            self.execute(_setting(name, value))
        if "threads" in self.params:
            self.execute(_setting("threads", self.params["threads"]))
        ((threads,),) = self.con.execute("SELECT current_setting('threads')").fetchall()
        self.threads = max(1, int(threads))
        # ?arrow=0 turns the Arrow stager off (always DuckDB's read_json); ?arrow_budget=…MB
        # bounds the parsed items it keeps in memory (beyond it, read_json is used).
        self.arrow_staging = self.params.get("arrow", "1") not in ("0", "false", "off")
        if "arrow_budget" in self.params:
            self.arrow_budget = _bytes(self.params["arrow_budget"])
        self._registered: dict[str, Any] = {}
        from duckdb import sqltypes

        self.con.create_function(
            FALLBACK_FUNCTION,
            nested_to_json,
            [sqltypes.VARCHAR, sqltypes.BOOLEAN],
            sqltypes.VARCHAR,
            side_effects=False,
        )
        self._closed = False

    def register_arrow(self, name: str, table: Any) -> None:
        """Make an Arrow table readable as ``name`` (zero copy) until unregistered."""
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

    def _run(self, statement: exp.Expression, *, fetch: bool = False) -> Any:
        """Run ``statement``; with ``fetch``, return its rows. The rows are fetched inside the
        error translation: DuckDB may raise while producing them (e.g. a truncated Parquet
        file's footer is read then), not only in ``execute``."""
        sql = statement.sql(dialect="duckdb")
        try:
            cursor = self.con.execute(sql)
            return cursor.fetchall() if fetch else cursor
        except duckdb.TransactionException as exc:
            raise TransientError(
                f"DuckDB transaction conflict: {exc}",
                hint="another writer changed the same table; retry",
            ) from exc
        except duckdb.ConstraintException as exc:
            raise TransientError(
                f"DuckDB constraint conflict: {exc}",
                hint="another run applied the same export; re-run",
            ) from exc
        except duckdb.Error as exc:
            raise WarehouseError(f"DuckDB failed: {exc}\n  statement: {sql[:500]}") from exc

    def query(self, statement: exp.Expression) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._run(statement, fetch=True)
        return rows

    def execute(self, statement: exp.Expression) -> None:
        self._run(statement)

    def transaction(self, statements: Sequence[exp.Expression]) -> None:
        self.con.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                self._run(statement)
                crashpoint("apply:statement")
            crashpoint("apply:before_commit")
            self.con.execute("COMMIT")
        except BaseException:
            # The failed statement may already have aborted the transaction.
            with contextlib.suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            raise

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
