"""DynamoDB staging for BigQuery: export files streamed, a few at a time, into load jobs.

The data files (gzip JSON lines) are split into at most ``parallel_loads`` batches of about
equal size; each batch is ONE load job whose upload is the files decompressed one after the
other (:class:`BatchStream`), appending to a staging table ``_aws2bq_stage_<stream>_<random>``
in the destination dataset with ``Item``, ``Keys``, ``NewImage``, ``OldImage`` and
``Metadata`` JSON columns: BigQuery's JSON reader parses each line once, no per-row Python.

Few jobs per table matter: every load job appending to a table is a table metadata update
(5 per 10 s per table) and a table takes 1,500 load jobs a day
(https://cloud.google.com/bigquery/quotas#load_jobs, #standard_tables); one job per file
failed for exports of more than ~5 files. A job refused for a rate limit is sent again with
backoff (:meth:`BigQueryWarehouse.load_from`).

Rows per file are counted while streaming (lines of each decompressed file) and each job's
``outputRows`` must equal its files' lines; the runner checks the per-file counts against the
manifest. The staging table expires on its own (``staging_expiration_hours``) if a run dies
before dropping it.

Why decompress here: load jobs from ``gs://`` read gzip, but BigQuery cannot split a gzip
file across workers, and gzip in media uploads is not documented; the emulator rejects it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import re
import uuid
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

import sqlglot.expressions as exp

from aws2bq.core.dynamodb_profile_sql import read_profile
from aws2bq.core.dynamodb_types import AttributeStats
from aws2bq.core.progress import Progress
from aws2bq.errors import Aws2BqError, ExportError, WarehouseError
from aws2bq.sources.dynamodb.lines import raise_line_without_item, raise_null_element
from aws2bq.warehouses.base import DynamoDBStaging, RawFile, StagedExport, TableRef
from aws2bq.warehouses.bigquery import dynamodb_sql
from aws2bq.warehouses.bigquery.host import BigQueryHost

#: Top-level keys of a DynamoDB export line (full: Item; incremental: the others).
STAGE_COLUMNS = ("Item", "Keys", "NewImage", "OldImage", "Metadata")


def split_batches(files: Sequence[RawFile], count: int) -> list[list[RawFile]]:
    """``files`` in at most ``count`` batches of about equal total size (largest first into
    the lightest batch), each keeping the export's file order."""
    batches: list[list[RawFile]] = [[] for _ in range(max(1, min(count, len(files))))]
    sizes = [0] * len(batches)
    order = {id(f): i for i, f in enumerate(files)}
    for f in sorted(files, key=lambda f: -(f.size or 0)):
        lightest = sizes.index(min(sizes))
        batches[lightest].append(f)
        sizes[lightest] += f.size or 0
    return [sorted(b, key=lambda f: order[id(f)]) for b in batches if b]


class BatchStream(io.RawIOBase):
    """The decompressed lines of several export files, one after the other, as one stream.

    Each file is opened with :meth:`RawFile.open` (MD5-verified to EOF) and gunzipped while
    read; a file whose last line lacks its newline gets one, so lines never join. Lines are
    counted per file (``rows_per_file``). A file that is not a readable gzip stream (or fails
    its MD5 check) ends the stream with an error and sets ``failure`` to the ``ExportError``
    naming it.
    """

    def __init__(self, files: Sequence[RawFile]) -> None:
        super().__init__()
        self._files = list(files)
        self._index = -1
        self._raw: IO[bytes] | None = None
        self._gz: gzip.GzipFile | None = None
        self._last = b"\n"
        self._pending = b""
        self.rows_per_file: dict[str, int] = {f.key: 0 for f in files}
        self.failure: Aws2BqError | None = None
        self._position = 0

    def readable(self) -> bool:
        return True

    @property
    def finished(self) -> bool:
        """Every file was read to its end."""
        return self._index >= len(self._files)

    def tell(self) -> int:
        """Bytes read so far (the resumable upload asks; the stream cannot seek)."""
        return self._position

    def has_data(self) -> bool:
        """Whether any file holds a line (reads every file: use on a fresh stream only)."""
        with self:
            return bool(self.read(1))

    def _next_file(self) -> bool:
        self._close_file()
        self._index += 1
        if self._index >= len(self._files):
            return False
        self._raw = self._files[self._index].open()
        self._gz = gzip.GzipFile(fileobj=self._raw, mode="rb")
        self._last = b"\n"
        return True

    def _close_file(self) -> None:
        if self._raw is not None:
            self._raw.close()
        self._raw = self._gz = None

    def _chunk(self, size: int) -> bytes:
        while True:
            if self._pending:
                out, self._pending = self._pending, b""
                return out
            if self._gz is None and not self._next_file():
                return b""
            f = self._files[self._index]
            assert self._gz is not None and self._raw is not None
            try:
                if f.size == 0:
                    self._raw.read()  # an empty partition: nothing to gunzip; verify the MD5
                    data = b""
                else:
                    data = self._gz.read(size)
            except (OSError, EOFError, zlib.error) as exc:
                self.failure = ExportError(
                    f"data file {f.key} is not a readable gzip stream ({exc})",
                    hint="the file is truncated or corrupt; re-export the table",
                )
                raise OSError(str(self.failure)) from exc
            except Aws2BqError as exc:  # the MD5 check at EOF
                self.failure = exc
                raise OSError(str(exc)) from exc
            if data:
                self.rows_per_file[f.key] += data.count(b"\n")
                self._last = data[-1:]
                return data
            if f.size != 0:
                while self._raw.read(1 << 20):  # the rest (gzip trailer padding): MD5 check
                    pass
            if self._last != b"\n":
                self.rows_per_file[f.key] += 1
                self._pending = b"\n"
            self._gz = None

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        data = self._chunk(len(view))
        view[: len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        self._close_file()
        super().close()


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
        item = exp.column("Item", quoted=True)
        # One scan of the staged lines (bytes are billed per query) for both refusals.
        ((missing, holding),) = self.query(
            exp.select(
                exp.CountIf(this=exp.Is(this=item, expression=exp.null())),
                exp.CountIf(this=dynamodb_sql.holds_null_element(item.copy())),
            ).from_(staged.table.expression())
        )
        if missing:
            self.drop_table(staged.table)
            raise_line_without_item(list(files))
        if holding:
            # A set's null would fail the apply naming no file, an L element's the function.
            self.drop_table(staged.table)
            raise_null_element(list(files))
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

        # The emulator's outputRows is the table's running total: one job there.
        batches = split_batches(files, self.config.parallel_loads if
                                self.features.load_rows_per_job else 1)  # fmt: skip
        counts: dict[str, int] = {}

        def load(batch: list[RawFile]) -> None:
            counts.update(self._load_batch(batch, table, config, progress))

        try:
            with ThreadPoolExecutor(max_workers=max(1, len(batches))) as pool:
                list(pool.map(load, batches))
        except BaseException:
            self.drop_table(table)
            raise
        staged.rows_per_file = {f.key: counts.get(f.key, 0) for f in files}
        staged.bytes = sum(f.size or 0 for f in files)
        return staged

    def _load_batch(
        self, batch: list[RawFile], table: TableRef, config: Any, progress: Progress
    ) -> dict[str, int]:
        """One load job for ``batch``; returns the lines counted per file (empty files: 0)."""
        streams: list[BatchStream] = []

        def open_source() -> io.BufferedReader:
            stream = BatchStream(batch)
            streams.append(stream)
            # Buffered: read(n) returns n bytes until the end; the upload takes a short read
            # for the end of the stream.
            return io.BufferedReader(stream, buffer_size=1 << 20)

        keys = [f.key for f in batch]
        what = f"load of export file(s) {', '.join(keys[:3])}" + (
            f" and {len(keys) - 3} more" if len(keys) > 3 else ""
        )
        if not BatchStream(batch).has_data():
            # Only empty partitions (AWS writes empty files for them): an empty upload fails,
            # and there is nothing to load. has_data() read them, verifying their MD5.
            return {key: 0 for key in keys}
        try:
            loaded = self.load_from(open_source, table, config, what=what, sources=keys)
        except (WarehouseError, OSError) as exc:
            if streams and streams[-1].failure is not None:
                raise streams[-1].failure from exc
            if not isinstance(exc, WarehouseError) or exc.retryable:
                raise
            raise ExportError(
                f"data file(s) {', '.join(keys)} cannot be loaded as DynamoDB JSON lines: "
                f"{exc.message}",
                hint="the files are not a DynamoDB JSON export; check the export's format",
            ) from exc
        if streams and streams[-1].failure is not None:
            raise streams[-1].failure
        counted = streams[-1].rows_per_file
        if not streams[-1].finished or loaded != sum(counted.values()):
            raise ExportError(
                f"BigQuery loaded {loaded} rows from data file(s) {', '.join(keys)}, which "
                f"hold {sum(counted.values())} lines",
                hint="re-run the load; if it persists, check the export's files",
            )
        for f in batch:
            progress.advance("stage", files=1, bytes=f.size or 0, rows=counted.get(f.key, 0))
        return counted

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

    def drop_dynamodb_staging(self, staged: StagedExport) -> None:
        self.drop_table(staged.table)
