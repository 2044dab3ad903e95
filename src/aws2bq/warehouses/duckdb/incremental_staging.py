"""Incremental DynamoDB export records in DuckDB: land, deduplicate, profile, change set.

The records take the same native stager as full exports (:mod:`.arrow_stage`): each file is
streamed, MD5-verified and parsed once; the NewImage and Keys attributes are spilled as
Arrow columns with the write time and a delete flag, and the per-file counts, the key
attribute sets and the records lacking Keys or a timestamp are found while parsing. Then
the change set is built in one pass: one statement keeps the latest record per key
(``QUALIFY row_number() …``, :meth:`dedup_dynamodb_changes`), and its result streams out
of DuckDB as Arrow batches that are profiled (present values only) and spilled as they come;
the typed change set reads that spill once, in the apply.

For the shapes the Arrow stager declines (and with ``?arrow=0``), ``read_json`` parses every
record once into ``Metadata`` / ``Keys`` / ``NewImage`` / ``OldImage`` columns of an
attached scratch database (images in the same MAP-of-descriptor-structs shape as full
exports), deduplicated by :func:`~aws2bq.core.dynamodb_incremental.dedup_select` and
profiled and typed by the full-export SQL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import sqlglot.expressions as exp

from aws2bq.core import dynamodb_incremental as inc
from aws2bq.core import dynamodb_profile_sql, dynamodb_sql, dynamodb_staged
from aws2bq.core.dynamodb_types import AttributeStats
from aws2bq.core.progress import Progress
from aws2bq.errors import ExportError, WarehouseError
from aws2bq.sources.blobs import ExportFile, fetch_all
from aws2bq.sources.dynamodb.lines import (
    NOT_DYNAMODB_JSON_HINT,
    raise_null_element,
    unreadable_file,
)
from aws2bq.warehouses.base import DynamoDBIncrementalStaging, RawFile, StagedExport, TableRef
from aws2bq.warehouses.duckdb import arrow_profile, arrow_stage
from aws2bq.warehouses.duckdb.host import DuckDBHost

log = logging.getLogger(__name__)


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


@dataclass
class Handle:
    alias: str
    #: The Arrow stager's spill (None: read_json staged the records).
    spill: arrow_stage.Spill | None = None
    #: After the dedup (Arrow): the change spill's columns and profile.
    changes: arrow_stage.Spill | None = None
    stats: dict[str, AttributeStats] | None = None


def _stage_table(staged: StagedExport, name: str) -> exp.Table:
    """The Arrow spill's view ``<alias>_<name>``, or the scratch database's table ``name``."""
    handle: Handle = staged.handle
    if handle.spill is not None:
        return exp.to_table(f"{handle.alias}_{name}", quoted=True)
    return TableRef(name, dataset="main", catalog=handle.alias).expression()


def records_table(staged: StagedExport) -> exp.Table:
    """Where the staged records are: the Arrow spill's view or the scratch table."""
    return _stage_table(staged, "records")


def changes_table(staged: StagedExport) -> exp.Table:
    """Where the deduplicated changes are: the Arrow spill's view or the scratch table."""
    return _stage_table(staged, "changes")


class DuckDBDynamoDBIncrementalStaging(DuckDBHost, DynamoDBIncrementalStaging):
    """The incremental-records ability of :class:`DuckDBWarehouse` (a mixin)."""

    #: Rows per Arrow batch streamed out of the dedup statement.
    change_batch_rows: int = 65_536

    def stage_dynamodb_incremental(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedExport:
        alias, folder = self.new_scratch("aws2bq_incr")
        export_files = self.export_files(files)
        progress.start("download", files=len(files), bytes=sum(f.size or 0 for f in export_files))
        progress.start("stage", files=len(files), rows=sum(f.expected_rows for f in export_files))
        if self.arrow_staging:
            try:
                spill = arrow_stage.stage(
                    export_files,
                    folder / "records",
                    lines=arrow_stage.RecordLines(),
                    workers=self.threads,
                    native=self.native_scan,
                    progress=progress,
                )
            except arrow_stage.Unsupported as exc:
                log.info("Arrow stager declined (%s); using read_json", exc)
                shutil.rmtree(folder / "records", ignore_errors=True)
            else:
                staged = StagedExport(
                    table=TableRef(f"{alias}_records"),
                    rows_per_file=spill.rows,
                    bytes=spill.bytes,
                    handle=Handle(alias, spill=spill),
                    details={"stager": "arrow", "chunks_parsed": spill.parsed},
                )
                self.register_arrow(f"{alias}_records", spill.relation())
                return staged
        return self._stage_records_read_json(alias, folder, export_files, progress)

    def _stage_records_read_json(
        self, alias: str, folder: Path, export_files: Sequence[ExportFile], progress: Progress
    ) -> StagedExport:
        fetched = fetch_all(export_files, folder / "files", progress=progress)
        readable = [(f, p) for f, p, size in fetched if size > 0]
        self.execute(
            exp.Attach(this=exp.alias_(exp.Literal.string(str(folder / "stage.duckdb")), alias))
        )
        staged = StagedExport(
            table=TableRef("records", dataset="main", catalog=alias),
            rows_per_file={},
            bytes=sum(s for _, _, s in fetched),
            handle=Handle(alias),
            details={"stager": "read_json"},
        )
        target = records_table(staged)
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
                self._blame_records(readable, exc)
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
        # The Arrow stager refuses these while it parses; read_json would load a set's null
        # as a NULL member and drop a null L element without a word.
        holding = exp.or_(
            *(
                dynamodb_staged.item_holds_null_element(exp.column(image, quoted=True))
                for image in ("Keys", "NewImage", "OldImage")
            )
        )
        ((count,),) = self.query(
            exp.select(exp.Count(this=exp.Star())).from_(target.copy()).where(holding)
        )
        if count:
            raise_null_element([f for f, _ in readable])
        progress.advance("stage", files=len(readable), rows=staged.rows)
        return staged

    def _blame_records(self, readable: Sequence[tuple[ExportFile, Path]], error: Exception) -> None:
        for f, path in readable:
            probe = exp.select(exp.Count(this=exp.Star())).from_(
                exp.Subquery(this=_read_records([path]))
            )
            try:
                self.query(probe)
            except WarehouseError as exc:
                raise ExportError(
                    f"export {f.export}: {unreadable_file(f, exc.message)}",
                    hint="the file is truncated or not gzip JSON lines; export the window again",
                ) from error

    def dynamodb_record_keys(self, staged: StagedExport) -> list[tuple[str, ...]]:
        handle: Handle = staged.handle
        if handle.spill is not None:
            return sorted(handle.spill.key_sets)
        rows = self.query(inc.key_sets_select(records_table(staged)))
        return sorted(tuple(str(n) for n in r[0]) for r in rows if r[0] is not None)

    def unkeyed_dynamodb_records(self, staged: StagedExport, keys: Sequence[str]) -> int:
        handle: Handle = staged.handle
        if handle.spill is not None:
            if not handle.spill.segments:
                return 0
            select = inc.spilled_unkeyed_records_select(
                records_table(staged),
                keys,
                handle.spill.images.get("Keys", {}),
                handle.spill.images.get("NewImage", {}),
            )
        else:
            select = inc.unkeyed_records_select(records_table(staged), keys)
        ((count,),) = self.query(select)
        return int(count)

    def dedup_dynamodb_changes(
        self, staged: StagedExport, *, keys: Sequence[str], since: datetime | None
    ) -> int:
        handle: Handle = staged.handle
        if handle.spill is not None:
            return self._dedup_spilled(staged, handle, handle.spill, keys, since)
        self.execute(
            exp.Create(
                this=changes_table(staged),
                kind="TABLE",
                expression=inc.dedup_select(records_table(staged), keys, since),
            )
        )
        ((count,),) = self.query(
            exp.select(exp.Count(this=exp.Star())).from_(changes_table(staged))
        )
        return int(count)

    def _dedup_spilled(
        self,
        staged: StagedExport,
        handle: Handle,
        spill: arrow_stage.Spill,
        keys: Sequence[str],
        since: datetime | None,
    ) -> int:
        """One pass: the dedup statement's rows stream out as Arrow batches, each profiled
        and spilled; the change spill is what the typed change set reads."""
        new_image = spill.images.get("NewImage", {})
        key_image = {k: spill.images["Keys"][k] for k in keys if k in spill.images.get("Keys", {})}
        if not spill.segments:  # no records: an empty change set
            handle.changes = dataclasses.replace(spill, images={"NewImage": {}, "Keys": {}})
            handle.stats = {}
            empty = pa.table(
                {inc.MICROS: pa.array([], pa.int64()), inc.DELETED: pa.array([], pa.bool_())}
            )
            self.register_arrow(f"{handle.alias}_changes", empty)
            return 0
        select = inc.spilled_dedup_select(
            records_table(staged),
            [c for c, _ in new_image.values()],
            [c for c, _ in key_image.values()],
            inc.micros(since) if since is not None else None,
        )
        columns = {c: a for a, (c, _) in new_image.items()}
        key_columns = {c: a for a, (c, _) in key_image.items()}
        profile = arrow_profile.Profile()
        kept = 0
        folder = spill.folder.parent / "changes"
        folder.mkdir()
        segments = arrow_stage.Segments(folder, 0)
        try:
            for batch in self.arrow_batches(select, self.change_batch_rows):
                kept += batch.num_rows
                profile.merge(arrow_profile.stats_of(batch, columns))
                deleted = batch.filter(batch.column(inc.DELETED))
                profile.merge(arrow_profile.stats_of(deleted, key_columns))
                segments.write(pa.Table.from_batches([batch]))
        except arrow_profile.NotANumber as exc:
            # Found after the dedup, where records have no line any more: the value says which.
            raise ExportError(
                f"a change holds {exc} (DynamoDB numbers are decimal text)",
                hint=NOT_DYNAMODB_JSON_HINT,
            ) from exc
        finally:
            segments.close()
        handle.changes = arrow_stage.Spill(
            folder=folder,
            segments=segments.paths,
            schema=segments.schemas[0] if segments.schemas else spill.schema,
            rows={},
            bytes=0,
            images={"NewImage": new_image, "Keys": key_image},
            profile=profile,
            key_sets=set(),
        )
        handle.stats = profile.result()
        arrow_stage.release_arrow_memory()
        self.register_arrow(f"{handle.alias}_changes", handle.changes.relation())
        return kept

    def profile_dynamodb_changes(self, staged: StagedExport) -> dict[str, AttributeStats]:
        handle: Handle = staged.handle
        if handle.stats is not None:
            return dict(handle.stats)  # computed while the dedup's rows streamed out
        rows = self.query(dynamodb_profile_sql.profile_select(changes_table(staged), inc.ITEM))
        return dynamodb_profile_sql.read_profile(rows)

    def drop_dynamodb_incremental_staging(self, staged: StagedExport) -> None:
        handle: Handle = staged.handle
        if handle.spill is not None:
            self.unregister_arrow(f"{handle.alias}_records")
            self.unregister_arrow(f"{handle.alias}_changes")
        else:
            with contextlib.suppress(WarehouseError):
                self.execute(exp.Detach(this=exp.to_identifier(handle.alias), exists=True))
        shutil.rmtree(self.scratch / handle.alias, ignore_errors=True)
