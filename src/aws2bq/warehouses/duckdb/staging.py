"""DynamoDB staging for DuckDB: files → the run's scratch folder, each line parsed once.

The Arrow stager (:mod:`.arrow_stage`) streams, verifies, parses and profiles every file and
spills the parsed columns to Arrow IPC files in the run's scratch folder; they are registered
in DuckDB as one dataset that the typed SELECT reads once. For the shapes it declines (maps
keyed by data, …) and with ``?arrow=0``, DuckDB's own JSON reader lands the items as a MAP
per item in an attached scratch database: ``read_json`` with an explicit ``columns`` type
parses every line once, natively, spreading files over all threads
(https://duckdb.org/docs/stable/data/json/loading_json). Either way the destination file is
not touched until the apply transaction, and a failed run leaves it exactly as it was.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlglot
import sqlglot.expressions as exp

from aws2bq.core import dynamodb_profile_sql, dynamodb_sql, dynamodb_staged
from aws2bq.core.dynamodb_staged import ValueShape
from aws2bq.core.dynamodb_types import AttributeStats
from aws2bq.core.progress import Progress
from aws2bq.errors import ExportError, WarehouseError
from aws2bq.sources.blobs import ExportFile, fetch_all
from aws2bq.sources.dynamodb.lines import (
    raise_line_without_item,
    raise_null_element,
    unreadable_file,
)
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
        tree, files=files, item_type=exp.Literal.string(dynamodb_staged.ITEM_TYPE)
    )
    assert isinstance(result, exp.Select)
    return result


@dataclass(frozen=True)
class Handle:
    """Private part of a :class:`StagedExport`: the stage's name and, if the Arrow stager
    staged it, attribute → (column, value shape) and the profile computed while parsing;
    None for the ``read_json`` MAP table."""

    alias: str
    columns: dict[str, tuple[str, ValueShape]] | None = None
    stats: dict[str, AttributeStats] | None = None


class DuckDBDynamoDBStaging(DuckDBHost, DynamoDBStaging):
    """The DynamoDB staging ability of :class:`DuckDBWarehouse` (a mixin)."""

    def stage_dynamodb_export(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedExport:
        alias, folder = self.new_scratch("aws2bq_stage")
        export_files = self.export_files(files)
        progress.start("download", files=len(files), bytes=sum(f.size or 0 for f in export_files))
        progress.start("stage", files=len(files), rows=sum(f.expected_rows for f in export_files))
        if self.arrow_staging:
            try:
                spill = arrow_stage.stage(
                    export_files,
                    folder / "spill",
                    lines=arrow_stage.ItemLines(),
                    workers=self.threads,
                    native=self.native_scan,
                    progress=progress,
                )
            except arrow_stage.Unsupported as exc:
                log.info("Arrow stager declined (%s); using read_json", exc)
                shutil.rmtree(folder / "spill", ignore_errors=True)
            else:
                self.register_arrow(alias, spill.relation())
                return StagedExport(
                    table=TableRef(alias),
                    rows_per_file=spill.rows,
                    bytes=spill.bytes,
                    handle=Handle(alias, spill.images["Item"], spill.profile.result()),
                    details={"stager": "arrow", "chunks_parsed": spill.parsed},
                )
        return self._stage_read_json(alias, folder, export_files, progress)

    def _stage_read_json(
        self, alias: str, folder: Path, export_files: Sequence[ExportFile], progress: Progress
    ) -> StagedExport:
        fetched = fetch_all(export_files, folder / "files", progress=progress)
        # Empty data files (AWS writes one per empty partition) may be zero bytes, which is
        # not a gzip stream: they hold no rows and are not given to the reader.
        readable = [(f, p) for f, p, size in fetched if size > 0]
        self.execute(
            exp.Attach(this=exp.alias_(exp.Literal.string(str(folder / "stage.duckdb")), alias))
        )
        table = TableRef("items", dataset="main", catalog=alias)
        staged = StagedExport(
            table=table,
            rows_per_file={},
            bytes=sum(s for _, _, s in fetched),
            handle=Handle(alias),
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
                    'CREATE TABLE t ("Item" ' + dynamodb_staged.ITEM_TYPE + ", filename VARCHAR)",
                    read="duckdb",
                ).transform(lambda n: target.copy() if isinstance(n, exp.Table) else n)
            )
        counts = {f.key: 0 for f, _, _ in fetched}
        for path, rows in self.query(dynamodb_sql.file_counts_select(target)):
            counts[by_path.get(str(path), str(path))] = int(rows)
        staged.rows_per_file = counts
        item = exp.column("Item", quoted=True)
        # The Arrow stager refuses a list holding null while it parses; read_json would load
        # a set's null as a NULL member and drop a null L element without a word.
        ((missing, holding),) = self.query(
            exp.select(
                exp.CountIf(this=exp.Is(this=item, expression=exp.null())),
                exp.CountIf(this=dynamodb_staged.item_holds_null_element(item.copy())),
            ).from_(target.copy())
        )
        if missing or holding:
            try:
                if missing:
                    raise_line_without_item([f for f, _ in readable])
                raise_null_element([f for f, _ in readable])
            finally:
                self.execute(exp.Detach(this=exp.to_identifier(alias), exists=True))
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
                raise ExportError(
                    f"export {f.export}: {unreadable_file(f, exc.message)}",
                    hint="the file is truncated or not gzip JSON lines; re-export the table",
                ) from error

    def profile_dynamodb(self, staged: StagedExport) -> dict[str, AttributeStats]:
        handle: Handle = staged.handle
        if handle.stats is not None:
            return dict(handle.stats)  # computed while the Arrow stager parsed the files
        rows = self.query(dynamodb_profile_sql.profile_select(staged.table.expression()))
        return dynamodb_profile_sql.read_profile(rows)

    def drop_dynamodb_staging(self, staged: StagedExport) -> None:
        handle: Handle = staged.handle
        if handle.columns is not None:
            self.unregister_arrow(handle.alias)
        else:
            with contextlib.suppress(WarehouseError):  # already detached
                self.execute(exp.Detach(this=exp.to_identifier(handle.alias), exists=True))
        shutil.rmtree(self.scratch / handle.alias, ignore_errors=True)
