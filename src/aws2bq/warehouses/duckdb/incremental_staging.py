"""Incremental DynamoDB export records in DuckDB: land, deduplicate, profile, change set.

Like the full-export stager (:mod:`.staging`), each run attaches its own scratch database;
``read_json`` parses every record once into ``Metadata`` / ``Keys`` / ``NewImage`` /
``OldImage`` columns (images in the same MAP-of-descriptor-structs shape as full exports),
then one statement keeps the latest record per key (:func:`~aws2bq.core.dynamodb_incremental.
dedup_select`). Profiling and typing reuse the full-export SQL on that table.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlglot.expressions as exp

from aws2bq.core import dynamodb_incremental as inc
from aws2bq.core import dynamodb_sql
from aws2bq.core.dynamodb_types import AttributeStats
from aws2bq.core.progress import Progress
from aws2bq.core.schema import TableSchema
from aws2bq.errors import ExportError, WarehouseError
from aws2bq.sources.blobs import ExportFile, fetch_all
from aws2bq.warehouses.base import DynamoDBIncrementalStaging, RawFile, StagedExport, TableRef
from aws2bq.warehouses.duckdb.host import DuckDBHost


def _read_records(paths: Sequence[Path]) -> exp.Select:
    """``SELECT Metadata, Keys, NewImage, OldImage, filename FROM read_json(…)``."""
    columns = exp.Struct(
        expressions=[
            exp.PropertyEQ(
                this=exp.to_identifier(name, quoted=True), expression=exp.Literal.string(t)
            )
            for name, t in inc.RECORD_COLUMNS.items()
        ]
    )
    reader = exp.Anonymous(
        this="read_json",
        expressions=[
            exp.Array(expressions=[exp.Literal.string(str(p)) for p in paths]),
            exp.EQ(this=exp.column("columns"), expression=columns),
            exp.EQ(this=exp.column("format"), expression=exp.Literal.string("newline_delimited")),
            exp.EQ(this=exp.column("filename"), expression=exp.true()),
            exp.EQ(this=exp.column("compression"), expression=exp.Literal.string("gzip")),
        ],
    )
    return exp.select(
        *(exp.column(name, quoted=True) for name in inc.RECORD_COLUMNS),
        exp.column("filename", quoted=True),
    ).from_(exp.Table(this=reader))


@dataclass(frozen=True)
class _Handle:
    alias: str


class DuckDBDynamoDBIncrementalStaging(DuckDBHost, DynamoDBIncrementalStaging):
    """The incremental-records ability of :class:`DuckDBWarehouse` (a mixin)."""

    @staticmethod
    def _records(staged: StagedExport) -> exp.Table:
        handle: _Handle = staged.handle
        return TableRef("records", dataset="main", catalog=handle.alias).expression()

    @staticmethod
    def _changes(staged: StagedExport) -> exp.Table:
        handle: _Handle = staged.handle
        return TableRef("changes", dataset="main", catalog=handle.alias).expression()

    def stage_dynamodb_incremental(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedExport:
        alias, folder = self.new_scratch("aws2bq_incr")
        export_files = self.export_files(files)
        progress.start("download", files=len(files), bytes=sum(f.size or 0 for f in export_files))
        fetched = fetch_all(export_files, folder / "files", progress=progress)
        readable = [(f, p) for f, p, size in fetched if size > 0]
        progress.start("stage", files=len(readable), rows=sum(f.expected_rows for f, _ in readable))
        self.execute(
            exp.Attach(this=exp.alias_(exp.Literal.string(str(folder / "stage.duckdb")), alias))
        )
        staged = StagedExport(
            table=TableRef("records", dataset="main", catalog=alias),
            rows_per_file={},
            bytes=sum(s for _, _, s in fetched),
            handle=_Handle(alias),
            details={"stager": "read_json"},
        )
        target = self._records(staged)
        if readable:
            try:
                self.execute(
                    exp.Create(
                        this=target,
                        kind="TABLE",
                        expression=_read_records([p for _, p in readable]),
                    )
                )
            except WarehouseError as exc:
                self._blame(readable, exc)
                raise
        else:
            self.execute(
                exp.Create(
                    this=target,
                    kind="TABLE",
                    expression=exp.select(
                        *(
                            exp.alias_(
                                exp.Cast(
                                    this=exp.null(), to=exp.DataType.build(t, dialect="duckdb")
                                ),
                                n,
                                quoted=True,
                            )
                            for n, t in inc.RECORD_COLUMNS.items()
                        ),
                        exp.alias_(
                            exp.Cast(this=exp.null(), to=exp.DataType.build("VARCHAR")),
                            "filename",
                            quoted=True,
                        ),
                    ).limit(0),
                )
            )
        by_path = {str(p): f.key for f, p in readable}
        counts = {f.key: 0 for f, _, _ in fetched}
        for path, rows in self.query(dynamodb_sql.file_counts_select(target)):
            counts[by_path.get(str(path), str(path))] = int(rows)
        staged.rows_per_file = counts
        ((bad,),) = self.query(inc.bad_records_select(target))
        if bad:
            raise ExportError(
                f"export {export_files[0].export if export_files else ''}: {bad} record(s) have "
                "no Keys or no Metadata.WriteTimestampMicros",
                hint="the files are not incremental export records; check the export",
            )
        progress.advance("stage", files=len(readable), rows=staged.rows)
        return staged

    def _blame(self, readable: Sequence[tuple[ExportFile, Path]], error: Exception) -> None:
        for f, path in readable:
            probe = exp.select(exp.Count(this=exp.Star())).from_(
                exp.Subquery(this=_read_records([path]))
            )
            try:
                self.query(probe)
            except WarehouseError as exc:
                detail = exc.message
                raise ExportError(
                    f"export {f.export}: data file {f.key} cannot be read ({detail})",
                    hint="the file is truncated or not gzip JSON lines; export the window again",
                ) from error

    def dynamodb_record_keys(self, staged: StagedExport) -> list[tuple[str, ...]]:
        rows = self.query(inc.key_sets_select(self._records(staged)))
        return sorted(tuple(str(n) for n in r[0]) for r in rows if r[0] is not None)

    def unkeyed_dynamodb_records(self, staged: StagedExport, keys: Sequence[str]) -> int:
        ((count,),) = self.query(inc.unkeyed_records_select(self._records(staged), keys))
        return int(count)

    def dedup_dynamodb_changes(
        self, staged: StagedExport, *, keys: Sequence[str], since: datetime | None
    ) -> int:
        self.execute(
            exp.Create(
                this=self._changes(staged),
                kind="TABLE",
                expression=inc.dedup_select(self._records(staged), keys, since),
            )
        )
        ((count,),) = self.query(
            exp.select(exp.Count(this=exp.Star())).from_(self._changes(staged))
        )
        return int(count)

    def profile_dynamodb_changes(self, staged: StagedExport) -> dict[str, AttributeStats]:
        rows = self.query(dynamodb_sql.profile_select(self._changes(staged), inc.ITEM))
        return dynamodb_sql.read_profile(rows)

    def dynamodb_changes_select(self, staged: StagedExport, schema: TableSchema) -> exp.Select:
        typed = dynamodb_sql.typed_select(
            self._changes(staged), inc.data_schema(schema), {}, self.capabilities, inc.ITEM
        )
        return inc.changes_select(typed, self.capabilities)

    def drop_dynamodb_incremental_staging(self, staged: StagedExport) -> None:
        handle: _Handle = staged.handle
        with contextlib.suppress(WarehouseError):
            self.execute(exp.Detach(this=exp.to_identifier(handle.alias), exists=True))
        shutil.rmtree(self.scratch / handle.alias, ignore_errors=True)
