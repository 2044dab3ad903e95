"""DynamoDB staging for DuckDB: files → a scratch database, parsed once by DuckDB's JSON reader.

Each run attaches its own scratch database file (in the run's temporary directory), so the
destination file is not touched until the apply transaction, and a failed run leaves it
exactly as it was. ``read_json`` with an explicit ``columns`` type parses every line once,
natively, spreading files over all threads (https://duckdb.org/docs/stable/data/json/loading_json).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
import sqlglot.expressions as exp

from aws2bq.core import dynamodb_sql
from aws2bq.core.dynamodb_sql import ValueShape
from aws2bq.core.dynamodb_types import AttributeStats
from aws2bq.core.progress import Progress
from aws2bq.core.schema import TableSchema
from aws2bq.errors import ExportError, WarehouseError
from aws2bq.sources.blobs import ExportFile, fetch_all
from aws2bq.sources.dynamodb_lines import raise_line_without_item
from aws2bq.warehouses.base import DynamoDBStaging, RawFile, StagedExport, TableRef
from aws2bq.warehouses.duckdb import arrow_stage
from aws2bq.warehouses.duckdb.host import DuckDBHost

log = logging.getLogger(__name__)


_READ = (
    "SELECT \"Item\", filename FROM read_json(:files, columns = {'Item': :item_type}, "
    "format = 'newline_delimited', filename = TRUE, compression = 'gzip')"
)


def _read_json(paths: Sequence[Path]) -> exp.Select:
    tree = sqlglot.parse_one(_READ, read="duckdb")
    files = exp.Array(expressions=[exp.Literal.string(str(p)) for p in paths])
    result = exp.replace_placeholders(
        tree, files=files, item_type=exp.Literal.string(dynamodb_sql.ITEM_TYPE)
    )
    assert isinstance(result, exp.Select)
    return result


@dataclass(frozen=True)
class _Handle:
    """Private part of a :class:`StagedExport`: the stage's name and, if the Arrow stager
    staged it, attribute → (column, value shape); None for the ``read_json`` MAP table."""

    alias: str
    columns: dict[str, tuple[str, ValueShape]] | None = None


class DuckDBDynamoDBStaging(DuckDBHost, DynamoDBStaging):
    """The DynamoDB staging ability of :class:`DuckDBWarehouse` (a mixin)."""

    #: True: try the Arrow stager first; False: always read_json.
    arrow_staging: bool = True
    #: Worker threads of the Arrow stager.
    threads: int = 2
    arrow_budget: int = arrow_stage.DEFAULT_MEMORY_BUDGET

    def register_arrow(self, name: str, table: Any) -> None:
        raise NotImplementedError

    def unregister_arrow(self, name: str) -> None:
        raise NotImplementedError

    def stage_dynamodb_export(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedExport:
        alias, folder = self.new_scratch("aws2bq_stage")
        export_files = self.export_files(files)
        progress.start("download", files=len(files), bytes=sum(f.size or 0 for f in export_files))
        fetched = fetch_all(export_files, folder / "files", progress=progress)
        # Empty data files (AWS writes one per empty partition) may be zero bytes, which is
        # not a gzip stream: they hold no rows and are not given to the reader.
        readable = [(f, p) for f, p, size in fetched if size > 0]
        progress.start("stage", files=len(readable), rows=sum(f.expected_rows for f, _ in readable))
        fast = self._stage_arrow(alias, fetched, readable)
        if fast is not None:
            progress.advance("stage", files=len(readable), rows=fast.rows)
            return fast
        self.execute(
            exp.Attach(this=exp.alias_(exp.Literal.string(str(folder / "stage.duckdb")), alias))
        )
        table = TableRef("items", dataset="main", catalog=alias)
        staged = StagedExport(
            table=table,
            rows_per_file={},
            bytes=sum(s for _, _, s in fetched),
            handle=_Handle(alias),
            details={"stager": "read_json"},
        )
        by_path = {str(p): f.key for f, p in readable}
        target = table.expression()
        if readable:
            create = exp.Create(
                this=target, kind="TABLE", expression=_read_json([p for _, p in readable])
            )
            try:
                self.execute(create)
            except WarehouseError as exc:
                self._blame(readable, exc)
                raise
        else:
            self.execute(
                sqlglot.parse_one(
                    'CREATE TABLE t ("Item" ' + dynamodb_sql.ITEM_TYPE + ", filename VARCHAR)",
                    read="duckdb",
                ).transform(lambda n: target.copy() if isinstance(n, exp.Table) else n)
            )
        counts = {f.key: 0 for f, _, _ in fetched}
        for path, rows in self.query(dynamodb_sql.file_counts_select(target)):
            counts[by_path.get(str(path), str(path))] = int(rows)
        staged.rows_per_file = counts
        no_item = exp.select(exp.Count(this=exp.Star())).from_(target.copy())
        ((missing,),) = self.query(
            no_item.where(exp.Is(this=exp.column("Item", quoted=True), expression=exp.null()))
        )
        if missing:
            try:
                raise_line_without_item([f for f, _ in readable])
            except BaseException:
                self.execute(exp.Detach(this=exp.to_identifier(alias), exists=True))
                raise
        progress.advance("stage", files=len(readable), rows=staged.rows)
        return staged

    def _stage_arrow(
        self,
        alias: str,
        fetched: Sequence[tuple[ExportFile, Path, int]],
        readable: Sequence[tuple[ExportFile, Path]],
    ) -> StagedExport | None:
        """Stage with the Arrow stager, or None if it declines (the generic reader runs)."""
        if self.arrow_staging is False:
            return None
        try:
            result = arrow_stage.stage(
                [p for _, p in readable], workers=self.threads, budget=self.arrow_budget
            )
        except arrow_stage.Unsupported as exc:
            log.info("Arrow stager declined (%s); using read_json", exc)
            return None
        counts = {f.key: 0 for f, _, _ in fetched}
        for f, p in readable:
            counts[f.key] = result.rows.get(p, 0)
        self.register_arrow(alias, result.table)
        return StagedExport(
            table=TableRef(alias),
            rows_per_file=counts,
            bytes=sum(s for _, _, s in fetched),
            handle=_Handle(alias, result.columns),
            details={"stager": "arrow"},
        )

    def _blame(self, readable: Sequence[tuple[ExportFile, Path]], error: Exception) -> None:
        """Find which file DuckDB could not read and raise an ExportError naming it."""
        for f, path in readable:
            probe = exp.select(exp.Count(this=exp.Star())).from_(
                exp.Subquery(this=_read_json([path]))
            )
            try:
                self.query(probe)
            except WarehouseError as exc:
                detail = exc.message
                raise ExportError(
                    f"export {f.export}: data file {f.key} cannot be read ({detail})",
                    hint="the file is truncated or not gzip JSON lines; re-export the table",
                ) from error

    def profile_dynamodb(self, staged: StagedExport) -> dict[str, AttributeStats]:
        handle: _Handle = staged.handle
        if handle.columns is None:
            rows = self.query(dynamodb_sql.profile_select(staged.table.expression()))
            return dynamodb_sql.read_profile(rows)
        if not handle.columns:
            return {}
        (row,) = self.query(
            dynamodb_sql.shaped_profile_select(
                staged.table.expression(), list(handle.columns.values())
            )
        )
        return dynamodb_sql.read_shaped_profile(list(handle.columns), row)

    def dynamodb_typed_select(
        self, staged: StagedExport, schema: TableSchema, system_values: Mapping[str, exp.Expression]
    ) -> exp.Select:
        handle: _Handle = staged.handle
        if handle.columns is None:
            return dynamodb_sql.typed_select(
                staged.table.expression(), schema, system_values, self.capabilities
            )
        return dynamodb_sql.shaped_typed_select(
            staged.table.expression(), handle.columns, schema, system_values, self.capabilities
        )

    def drop_dynamodb_staging(self, staged: StagedExport) -> None:
        handle: _Handle = staged.handle
        if handle.columns is not None:
            self.unregister_arrow(handle.alias)
        else:
            with contextlib.suppress(WarehouseError):  # already detached
                self.execute(exp.Detach(this=exp.to_identifier(handle.alias), exists=True))
        shutil.rmtree(self.scratch / handle.alias, ignore_errors=True)
