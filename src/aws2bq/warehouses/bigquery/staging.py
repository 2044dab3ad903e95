"""DynamoDB staging for BigQuery: each export file streamed into a load job, parsed once.

Every data file (gzip JSON lines) is decompressed while it streams from S3 (or a local copy)
into a load job that appends to a staging table ``_aws2bq_stage_<stream>_<random>`` in the
destination dataset, with columns ``Item``, ``Keys``, ``NewImage``, ``OldImage`` and
``Metadata`` of type JSON: BigQuery's JSON reader parses each line once, no per-row Python.
Several files load at once (``parallel_loads``). Each job's ``outputRows`` is that file's row
count, which the runner checks against the manifest. The staging table expires on its own
(``staging_expiration_hours``) if a run dies before dropping it.

Why decompress here: load jobs from ``gs://`` read gzip, but BigQuery cannot split a gzip
file across workers, and gzip in media uploads is not documented; the emulator rejects it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import uuid
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO, TYPE_CHECKING, Any, cast

import sqlglot.expressions as exp

from aws2bq.core.dynamodb_sql import read_profile
from aws2bq.core.dynamodb_types import AttributeStats
from aws2bq.core.progress import Progress
from aws2bq.core.schema import TableSchema
from aws2bq.core.widening import Widening
from aws2bq.errors import Aws2BqError, ExportError, WarehouseError
from aws2bq.sources.dynamodb_lines import raise_line_without_item
from aws2bq.warehouses.base import DynamoDBStaging, RawFile, StagedExport, TableRef
from aws2bq.warehouses.bigquery import dynamodb_sql
from aws2bq.warehouses.bigquery.host import BigQueryHost

if TYPE_CHECKING:
    pass

#: Top-level keys of a DynamoDB export line (full: Item; incremental: the others).
STAGE_COLUMNS = ("Item", "Keys", "NewImage", "OldImage", "Metadata")


def _stage_name(stream: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_]", "_", stream)[:64]
    return f"_aws2bq_stage_{safe}_{uuid.uuid4().hex[:12]}"


class BigQueryDynamoDBStaging(BigQueryHost, DynamoDBStaging):
    """The DynamoDB staging ability of :class:`BigQueryWarehouse` (a mixin)."""

    # -- staging -----------------------------------------------------------------------------
    def stage_dynamodb_export(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedExport:
        staged = self.stage_dynamodb_lines(files, stream=stream, progress=progress)
        no_item = exp.select(exp.Count(this=exp.Star())).from_(staged.table.expression())
        ((missing,),) = self.query(
            no_item.where(exp.Is(this=exp.column("Item", quoted=True), expression=exp.null()))
        )
        if missing:
            self.drop_table(staged.table)
            raise_line_without_item(list(files))
        return staged

    def stage_dynamodb_lines(
        self, files: Sequence[RawFile], *, stream: str, progress: Progress
    ) -> StagedExport:
        """Load every line of every file (full-export or incremental records) into a new
        staging table of JSON columns :data:`STAGE_COLUMNS`."""
        from google.cloud import bigquery

        from aws2bq.warehouses.bigquery.transport.gcs import staged_objects

        if (objects := staged_objects(files)) is not None:  # landed in GCS: load by URI
            return self.stage_dynamodb_from_gcs(objects, stream=stream, progress=progress)
        table = self.qualified(TableRef(_stage_name(stream)))
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=self.config.staging_expiration_hours)
        self.create_table(
            table,
            [bigquery.SchemaField(name, "JSON") for name in STAGE_COLUMNS],
            description=f"aws2bq staging for stream {stream}; dropped after the run",
            expires=expires,
        )
        staged = StagedExport(table=table, rows_per_file={}, bytes=0, handle=table)
        self._ensure_json_function()
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
            create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
            # An unexpected top-level key means this is not a DynamoDB export line.
            ignore_unknown_values=False,
            max_bad_records=0,
        )
        progress.start(
            "stage",
            files=len(files),
            bytes=sum(f.size or 0 for f in files),
            rows=sum(f.expected_rows for f in files),
        )

        per_job = self.features.load_rows_per_job
        total = 0

        def load(f: RawFile) -> tuple[str, int]:
            nonlocal total
            rows = self._load_file(f, table, config)
            if not per_job and f.size != 0 and rows:  # 0: an empty file, no load job ran
                # outputRows is the table's running total here (loads run one at a time).
                rows, total = rows - total, rows
            progress.advance("stage", files=1, bytes=f.size or 0, rows=rows)
            return f.key, rows

        try:
            workers = self.config.parallel_loads if per_job else 1
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(load, files))
        except BaseException:
            self.drop_table(table)
            raise
        staged.rows_per_file = dict(results)
        staged.bytes = sum(f.size or 0 for f in files)
        return staged

    def _load_file(self, f: RawFile, table: TableRef, config: Any) -> int:
        what = f"load of export file {f.key}"
        with f.open() as raw:
            if f.size == 0:
                raw.read()  # AWS writes empty files for empty partitions; still verify the MD5
                return 0
            gz = gzip.GzipFile(fileobj=raw, mode="rb")
            stream = cast(IO[bytes], gz)
            try:
                if not gz.peek(1):
                    # A gzip stream of no lines (an empty partition): an empty upload fails
                    # (the emulator rejects it), and there is nothing to load. Verify the MD5.
                    while raw.read(1 << 20):
                        pass
                    return 0
                return self.load_stream(stream, table, config, what=what)
            except (OSError, EOFError, zlib.error) as exc:
                raise ExportError(
                    f"data file {f.key} is not a readable gzip stream ({exc})",
                    hint="the file is truncated or corrupt; re-export the table",
                ) from exc
            except WarehouseError as exc:
                if isinstance(exc, Aws2BqError) and exc.retryable:
                    raise
                raise ExportError(
                    f"data file {f.key} cannot be loaded as DynamoDB JSON lines: {exc.message}",
                    hint="the file is not a DynamoDB JSON export; check the export's format",
                ) from exc

    def _json_function(self) -> exp.Expression:
        return self.routine(dynamodb_sql.JSON_FUNCTION)

    def _ensure_json_function(self) -> None:
        """Create (or bring up to date) the JavaScript UDF the typed SELECT calls for JSON."""
        self.ensure_js_function(
            dynamodb_sql.JSON_FUNCTION,
            dynamodb_sql.JSON_FUNCTION_BODY,
            ("text",),
            "aws2bq: DynamoDB attribute value (JSON text) → plain JSON text",
        )

    def profile_dynamodb(self, staged: StagedExport) -> dict[str, AttributeStats]:
        rows = self.query(dynamodb_sql.profile_select(staged.table.expression()))
        return read_profile(rows)

    def dynamodb_typed_select(
        self, staged: StagedExport, schema: TableSchema, system_values: Mapping[str, exp.Expression]
    ) -> exp.Select:
        return dynamodb_sql.typed_select(
            staged.table.expression(),
            schema,
            system_values,
            self.capabilities,
            self._json_function(),
        )

    def dynamodb_widening(self) -> Widening:
        function = self._json_function()
        return Widening(
            self.capabilities,
            lambda descriptor, content: dynamodb_sql.descriptor_json(function, descriptor, content),
        )

    def drop_dynamodb_staging(self, staged: StagedExport) -> None:
        self.drop_table(staged.table)
