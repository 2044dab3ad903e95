"""Staging from ``gs://``: load jobs over staged objects, few per table, resumable.

The stagers of :mod:`..staging` and :mod:`..rds_staging` hand staged objects
(:class:`~.gcs.StagedObject`) here instead of streaming bytes. The objects are cut into load
jobs within BigQuery's limits (:func:`aws2bq.core.transport.load_batches`: 10,000 URIs and
15 TB per job, https://cloud.google.com/bigquery/quotas#load_jobs), run one after the other
(each job appending to a table is one of its 5 metadata updates per 10 s and 1,500 load jobs
a day; a job refused for a rate limit is sent again after a backoff).

Resumable: the staging table's name comes from the landed objects (same export, same table)
and each load job's id from the table (its creation time) and its URIs. A run that crashed
after some jobs finds the table and, through ``jobs.get``, the jobs that completed: they are
not run again, so no row is loaded twice. BigQuery keeps job ids unique per project, and a
failed job's id cannot be reused, so a failed job is retried as ``<id>_r1``, ``<id>_r2``.

Rows: every object is MD5/size-verified against the export's manifest, so it holds exactly
the items the manifest declares for it; each job's ``outputRows`` (where it counts that job's
rows) and the staging table's final row count must equal what the manifest declares.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlglot.expressions as exp

from aws2bq.core import rds_sql
from aws2bq.core.progress import Progress
from aws2bq.core.transport import MAX_URIS_PER_LOAD_JOB, Route, Staged, TransportSpec, load_batches
from aws2bq.errors import ExportError, TransientError
from aws2bq.stage_hook import reached
from aws2bq.warehouses.base import RawFile, StagedExport, StagedRdsTable, StagingBucket, TableRef
from aws2bq.warehouses.bigquery.host import BigQueryHost
from aws2bq.warehouses.bigquery.transport.gcs import StagedObject, storage_client
from aws2bq.warehouses.bigquery.transport.landing import GcsLanding, landings
from aws2bq.warehouses.bigquery.transport.sts import TransferService

#: Error reasons of a load job refused for a rate limit (sent again after a backoff).
_RATE_LIMITED = {"rateLimitExceeded", "jobRateLimitExceeded"}
_ATTEMPTS = 5


def _digest(*parts: object) -> str:
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()


def _safe(stream: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", stream)[:64]


class BigQueryGcsStaging(BigQueryHost, StagingBucket):
    """The staging bucket ability of the BigQuery warehouse (a mixin): land an export's
    files in GCS (:class:`~.landing.GcsLanding`) and load staged objects into staging
    tables."""

    #: URIs per load job (BigQuery allows 10,000; smaller in tests to get several jobs).
    uris_per_load_job: int = MAX_URIS_PER_LOAD_JOB
    #: Load jobs run and found done by the last staging (for the run summary).
    load_jobs_run: int = 0
    load_jobs_reused: int = 0

    # Provided by the DynamoDB staging mixin.
    def _ensure_json_function(self) -> None:
        raise NotImplementedError

    # -- StagingBucket ------------------------------------------------------------------------
    def _project(self) -> str:
        return str(getattr(self.config, "job_project", None) or self.config.project)

    def _storage(self, spec: TransportSpec) -> Any:
        cached = getattr(self, "_storage_client", None)
        if cached is None:
            credentials = getattr(self.client, "_credentials", None)
            cached = storage_client(spec, project=self._project(), credentials=credentials)
            self._storage_client = cached
        return cached

    def open_landing(
        self,
        spec: TransportSpec,
        route: Route,
        *,
        stream: str,
        export_id: str,
        location: str,
        files: Sequence[RawFile],
    ) -> GcsLanding:
        credentials = getattr(self.client, "_credentials", None)
        self.uris_per_load_job = min(spec.load_job_uris, MAX_URIS_PER_LOAD_JOB)
        return GcsLanding(
            storage=self._storage(spec),
            transfers=lambda: TransferService(credentials=credentials, endpoint=spec.sts_endpoint),
            spec=spec,
            route=route,
            stream=stream,
            export_id=export_id,
            location=location,
            files=files,
            project=spec.transfer_project or self._project(),
        )

    def landing_status(self, spec: TransportSpec, stream: str) -> list[dict[str, Any]]:
        return landings(self._storage(spec), spec, stream)

    # -- tables and jobs ----------------------------------------------------------------------
    def _resumable_table(
        self, name: str, fields: Sequence[Any], *, description: str
    ) -> tuple[TableRef, str]:
        """Create ``name`` unless an earlier run did; (ref, its incarnation: creation time)."""
        from google.api_core import exceptions as gexc

        from aws2bq.warehouses.bigquery.exceptions import translate

        table = self.qualified(TableRef(name))
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=self.config.staging_expiration_hours)
        self.create_table(table, fields, description=description, exists_ok=True, expires=expires)
        try:
            got = self.client.get_table(self._table_id(table), retry=self._retry)
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"describe table {name}") from exc
        created = got.created.isoformat() if got.created else ""
        return table, created

    def _table_id(self, table: TableRef) -> str:
        return ".".join((table.catalog or "", table.dataset or "", table.name))

    def _load_batches(
        self,
        objects: Sequence[StagedObject],
        table: TableRef,
        incarnation: str,
        job_config: Any,
        progress: Progress,
    ) -> None:
        """Load ``objects`` into ``table`` in batches, skipping jobs done by earlier runs.

        Raises:
            ExportError: a job's ``outputRows`` differs from its files' manifest rows.
        """
        staged = [Staged(o.uri, o.size or 0) for o in objects]
        by_uri = {o.uri: o for o in objects}
        batches = load_batches(staged, max_uris=self.uris_per_load_job)
        progress.start("load", files=len(objects), bytes=sum(s.size for s in staged), rows=0)
        for batch in batches:
            uris = [s.uri for s in batch]
            job_id = "aws2bq_load_" + _digest(self._table_id(table), incarnation, *uris)[:40]
            files = [by_uri[u] for u in uris]
            job, reused = self._run_load_job(uris, table, job_config, job_id, files)
            expected = sum(f.expected_rows for f in files)
            per_job = self.features.load_rows_per_job and job.output_rows is not None
            if per_job and int(job.output_rows) != expected:
                keys = ", ".join(f.key for f in files[:5])
                raise ExportError(
                    f"BigQuery load job {job.job_id} loaded {job.output_rows} rows from "
                    f"{len(files)} file(s) ({keys}{', …' if len(files) > 5 else ''}), whose "
                    f"manifest declares {expected}",
                    hint="the files are not what the manifest describes; re-export",
                )
            if reused:
                self.load_jobs_reused += 1
            else:
                self.load_jobs_run += 1
            progress.advance("load", files=len(files), bytes=sum(s.size for s in batch))

    def _run_load_job(
        self,
        uris: list[str],
        table: TableRef,
        job_config: Any,
        job_id: str,
        files: Sequence[StagedObject],
    ) -> tuple[Any, bool]:
        """The done load job of ``uris`` (found from an earlier run, or run now); whether
        it was found."""
        from google.api_core import exceptions as gexc
        from google.api_core.retry import exponential_sleep_generator

        from aws2bq.warehouses.bigquery.exceptions import reasons, translate
        from aws2bq.warehouses.bigquery.requests import Request

        what = f"load of {len(uris)} staged file(s) {files[0].key}" + (
            f" … {files[-1].key}" if len(files) > 1 else ""
        )
        delays = exponential_sleep_generator(1.0, 32.0)
        for attempt in range(_ATTEMPTS):
            attempt_id = job_id if attempt == 0 else f"{job_id}_r{attempt}"
            try:
                found = self.client.get_job(
                    attempt_id, location=self.config.location, retry=self._retry
                )
            except gexc.NotFound:
                found = None
            except gexc.GoogleAPIError as exc:
                raise translate(exc, what) from exc
            if found is not None:
                if found.state != "DONE":
                    self._wait(found, what)
                if found.error_result is None:
                    return found, True
                continue  # that attempt failed (nothing loaded): the next id
            self.notify(
                Request("load", table=self._table_id(table), sources=tuple(uris), what=what)
            )
            try:
                job = self.client.load_table_from_uri(
                    uris,
                    self._table_id(table),
                    job_config=job_config,
                    job_id=attempt_id,
                    location=self.config.location,
                    retry=self._retry,
                )
            except gexc.Conflict:
                continue  # another runner made it meanwhile: look it up again
            except gexc.GoogleAPIError as exc:
                raise translate(exc, what) from exc
            try:
                self._wait(job, what)
            except TransientError as exc:
                if not (set(reasons(exc.__cause__ or exc)) & _RATE_LIMITED):
                    raise
                time.sleep(next(delays))
                continue
            self.record_job(job, "load", what)
            reached("loaded")
            return job, False
        raise TransientError(f"BigQuery {what}: still refused after {_ATTEMPTS} attempts")

    def _wait(self, job: Any, what: str) -> None:
        from google.api_core import exceptions as gexc

        from aws2bq.warehouses.bigquery.exceptions import translate

        try:
            job.result(retry=self._retry)
        except (gexc.GoogleAPIError, TimeoutError, ConnectionError) as exc:
            raise translate(exc, what) from exc

    def _count(self, table: TableRef) -> int:
        ((count,),) = self.query(exp.select(exp.Count(this=exp.Star())).from_(table.expression()))
        return int(count)

    def _check_total(self, table: TableRef, objects: Sequence[StagedObject], where: str) -> None:
        expected = sum(o.expected_rows for o in objects)
        got = self._count(table)
        if got != expected:
            raise ExportError(
                f"{where}: the staging table holds {got} rows, the manifest declares {expected}",
                hint="the staged files are not what the manifest describes; re-export",
            )

    # -- DynamoDB -----------------------------------------------------------------------------
    def stage_dynamodb_from_gcs(
        self, objects: Sequence[StagedObject], *, stream: str, progress: Progress
    ) -> StagedExport:
        """Full or incremental export files (gzip JSON lines, read by BigQuery as they are)."""
        from google.cloud import bigquery

        from aws2bq.warehouses.bigquery.staging import STAGE_COLUMNS

        landing = _digest(*sorted(f"{o.uri} {o.md5_b64}" for o in objects))[:12]
        table, incarnation = self._resumable_table(
            f"_aws2bq_stage_{_safe(stream)}_{landing}",
            [bigquery.SchemaField(name, "JSON") for name in STAGE_COLUMNS],
            description=f"aws2bq staging for stream {stream} (from gs://); dropped after the run",
        )
        self._ensure_json_function()
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
            create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
            ignore_unknown_values=False,
            max_bad_records=0,
        )
        # Files AWS wrote for empty partitions hold no item (their MD5 was checked).
        loadable = [o for o in objects if o.expected_rows and o.size]
        self.load_jobs_run = self.load_jobs_reused = 0
        try:
            self._load_batches(loadable, table, incarnation, config, progress)
            self._check_total(table, objects, f"stream {stream}")
        except BaseException as exc:
            if not isinstance(exc, TransientError):
                self.drop_table(table)
            raise
        return StagedExport(
            table=table,
            rows_per_file={o.key: o.expected_rows for o in objects},
            bytes=sum(o.size or 0 for o in objects),
            handle=table,
            details={"load_jobs": self.load_jobs_run, "load_jobs_reused": self.load_jobs_reused},
        )

    # -- RDS ----------------------------------------------------------------------------------
    def stage_rds_from_gcs(
        self, objects: Sequence[StagedObject], *, stream: str, progress: Progress
    ) -> StagedRdsTable:
        """One table's Parquet objects: footers read by ranged reads, grouped by storage,
        each group loaded from gs:// into its own staging table."""
        from google.cloud import bigquery

        from aws2bq.warehouses.bigquery.rds_staging import parquet_footer, staging_columns

        landing = _digest(*sorted(f"{o.uri} {o.size}" for o in objects))[:12]
        base = f"_aws2bq_rds_{_safe(stream)}_{landing}"
        staged = StagedRdsTable(
            table=self.qualified(TableRef(base + "_g1")),
            rows_per_file={},
            bytes=sum(o.size or 0 for o in objects),
            handle=[],
        )
        if not objects:
            return staged
        groups: dict[tuple[tuple[str, str], ...], list[StagedObject]] = defaultdict(list)
        schemas: dict[tuple[tuple[str, str], ...], Any] = {}
        counts: dict[str, int] = {}
        for o in objects:
            with o.open() as reader:  # ranged reads: the footer, not the file
                signature, schema, counts[o.key] = parquet_footer(reader, f"{o.key} ({o.uri})")
            groups[signature].append(o)
            schemas[signature] = schema
        staged.rows_per_file = counts
        tables: list[TableRef] = []
        staged.handle = tables
        self.load_jobs_run = self.load_jobs_reused = 0
        try:
            for n, (signature, members) in enumerate(groups.items(), start=1):
                columns, renamed = staging_columns(schemas[signature])
                table, incarnation = self._resumable_table(
                    f"{base}_g{n}",
                    [bigquery.SchemaField(renamed.get(name, name), bq) for name, bq, _ in columns],
                    description=f"aws2bq RDS staging for stream {stream} (from gs://)",
                )
                tables.append(table)
                config = bigquery.LoadJobConfig(
                    source_format=bigquery.SourceFormat.PARQUET,
                    write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
                    create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
                    decimal_target_types=["NUMERIC", "BIGNUMERIC", "STRING"],
                )
                rows = [
                    StagedObject(o.key, o.uri, o.size, counts[o.key], o.md5_b64, o.blob)
                    for o in members
                ]
                loadable = [o for o in rows if o.expected_rows]
                if renamed:  # names a Parquet load refuses: load renamed copies instead
                    loadable = [_renamed_copy(o, renamed) for o in loadable]
                self._load_batches(loadable, table, incarnation, config, progress)
                self._check_total(table, rows, f"stream {stream}")
                staged.sources.append(
                    rds_sql.Source(
                        table.expression(),
                        {name: raw for name, _, raw in columns},
                        tuple(o.key for o in members),
                        renamed,
                    )
                )
        except BaseException as exc:
            if not isinstance(exc, TransientError):
                for table in tables:
                    self.drop_table(table)
            raise
        staged.table = tables[0]
        staged.details.update(
            groups=len(tables), load_jobs=self.load_jobs_run, load_jobs_reused=self.load_jobs_reused
        )
        return staged


#: Suffix of the renamed copy of a landed Parquet object (in the landing folder, so the
#: landing's release and the bucket's lifecycle rule delete it with the rest).
RENAMED_SUFFIX = ".aws2bq-renamed.parquet"


def _renamed_copy(o: StagedObject, names: dict[str, str]) -> StagedObject:
    """A copy of ``o`` beside it with columns renamed (``names``: source → staging name).

    BigQuery cannot rename columns in a load job, and a Parquet load refuses the names
    :func:`aws2bq.core.naming.staging_names` replaces, so such a table's objects go through
    the runner once (read by ranged reads, rewritten row group by row group, uploaded);
    tables with loadable names are still loaded from the landed objects, no bytes moved.
    The copy's name is deterministic, so a re-run's load jobs (ids from their URIs) are the
    same jobs; rewriting it again gives the same rows.
    """
    import tempfile
    from pathlib import Path

    from aws2bq.warehouses.bigquery.rds_staging import join_parquet

    blob = o.blob.bucket.blob(o.blob.name + RENAMED_SUFFIX)
    with tempfile.TemporaryDirectory(prefix="aws2bq-rename-") as tmp:
        out = Path(tmp) / "renamed.parquet"
        with o.open() as reader:
            join_parquet([reader], out, names)
        blob.upload_from_filename(str(out), content_type="application/octet-stream")
        size = out.stat().st_size
    return StagedObject(o.key, o.uri + RENAMED_SUFFIX, size, o.expected_rows, None, blob)


__all__ = ["BigQueryGcsStaging"]
