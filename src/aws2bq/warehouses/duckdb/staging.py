"""DynamoDB staging for DuckDB: files → a scratch database, parsed once by DuckDB's JSON reader.

Each run attaches its own scratch database file (in the run's temporary directory), so the
destination file is not touched until the apply transaction, and a failed run leaves it
exactly as it was. ``read_json`` with an explicit ``columns`` type parses every line once,
natively, spreading files over all threads (https://duckdb.org/docs/stable/data/json/loading_json).
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import sqlglot
import sqlglot.expressions as exp

from aws2bq.core import dynamodb_sql
from aws2bq.core.capabilities import Capabilities
from aws2bq.core.dynamodb_types import AttributeStats
from aws2bq.core.progress import Progress
from aws2bq.core.schema import TableSchema
from aws2bq.errors import ExportError, WarehouseError
from aws2bq.sources.blobs import ExportFile, fetch_all
from aws2bq.warehouses.base import DynamoDBStaging, RawFile, StagedExport, TableRef

_counter = itertools.count(1)

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


class DuckDBDynamoDBStaging(DynamoDBStaging):
    """The DynamoDB staging ability of :class:`DuckDBWarehouse` (a mixin)."""

    capabilities: ClassVar[Capabilities]
    scratch: Path

    # Provided by the warehouse class.
    def query(self, statement: exp.Expression) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def execute(self, statement: exp.Expression) -> None:
        raise NotImplementedError

    def stage_dynamodb_export(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedExport:
        alias = f"aws2bq_stage_{next(_counter)}"
        folder = self.scratch / alias
        folder.mkdir(parents=True)
        export_files = [f for f in files if isinstance(f, ExportFile)]
        if len(export_files) != len(files):
            raise TypeError("the DuckDB stager reads aws2bq.sources.blobs.ExportFile objects")
        progress.start("download", files=len(files), bytes=sum(f.size or 0 for f in export_files))
        fetched = fetch_all(export_files, folder / "files", progress=progress)
        self.execute(
            exp.Attach(this=exp.alias_(exp.Literal.string(str(folder / "stage.duckdb")), alias))
        )
        table = TableRef("items", dataset="main", catalog=alias)
        staged = StagedExport(
            table=table, rows_per_file={}, bytes=sum(s for _, _, s in fetched), handle=alias
        )
        # Empty data files (AWS writes one per empty partition) may be zero bytes, which is
        # not a gzip stream: they hold no rows and are not given to the reader.
        readable = [(f, p) for f, p, size in fetched if size > 0]
        by_path = {str(p): f.key for f, p in readable}
        target = table.expression()
        progress.start("stage", files=len(readable), rows=sum(f.expected_rows for f, _ in readable))
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
        progress.advance("stage", files=len(readable), rows=staged.rows)
        return staged

    def _blame(self, readable: Sequence[tuple[ExportFile, Path]], error: Exception) -> None:
        """Find which file DuckDB could not read and raise an ExportError naming it."""
        for f, path in readable:
            probe = exp.select(exp.Count(this=exp.Star())).from_(
                exp.Subquery(this=_read_json([path]))
            )
            try:
                self.query(probe)
            except WarehouseError as exc:
                detail = str(exc).split("\n  statement:")[0]
                raise ExportError(
                    f"export {f.export}: data file {f.key} cannot be read ({detail})",
                    hint="the file is truncated or not gzip JSON lines; re-export the table",
                ) from error

    def profile_dynamodb(self, staged: StagedExport) -> dict[str, AttributeStats]:
        rows = self.query(dynamodb_sql.profile_select(staged.table.expression()))
        return dynamodb_sql.read_profile(rows)

    def dynamodb_typed_select(
        self, staged: StagedExport, schema: TableSchema, system_values: Mapping[str, exp.Expression]
    ) -> exp.Select:
        return dynamodb_sql.typed_select(
            staged.table.expression(), schema, system_values, self.capabilities
        )

    def drop_dynamodb_staging(self, staged: StagedExport) -> None:
        with contextlib.suppress(WarehouseError):  # already detached
            self.execute(exp.Detach(this=exp.to_identifier(str(staged.handle)), exists=True))

        shutil.rmtree(self.scratch / str(staged.handle), ignore_errors=True)
