"""The BigQuery warehouse: google-cloud-bigquery jobs, statements rendered by sqlglot.

- Every statement is a sqlglot expression rendered in the ``bigquery`` dialect and run as a
  query job whose default dataset is the URL's, so unqualified tables are the destination's.
- :meth:`BigQueryWarehouse.transaction` sends ONE multi-statement query
  ``BEGIN TRANSACTION; …; COMMIT TRANSACTION;``. BigQuery rolls the transaction back by itself
  when a statement fails and there is no exception handler
  (https://cloud.google.com/bigquery/docs/transactions), so data and ledger change together or
  not at all. Only DML may run inside (no DDL on permanent tables).
- Errors are translated at this boundary (:mod:`.exceptions`): conflicts and throttling become
  ``TransientError``, the rest ``WarehouseError``.
- Every request (query job, table creation / deletion, load job, routine) goes through
  :meth:`BigQueryWarehouse.notify` first: the test suite records them there and analyzes every
  statement with GoogleSQL's analyzer (``aws2bq.testing.googlesql``); the live suite dry-runs
  them.
- The endpoint's abilities are chosen explicitly: :data:`.capabilities.EMULATOR` with
  ``?emulator=true`` (anonymous credentials), else :data:`.capabilities.CLOUD` whatever the
  endpoint; tests may pass ``features`` and ``client`` themselves.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import IO, Any, ClassVar

import sqlglot.expressions as exp
from google.api_core import exceptions as gexc
from google.cloud import bigquery
from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY

from aws2bq.core.capabilities import Capabilities
from aws2bq.errors import ConfigError, WarehouseError, one_line
from aws2bq.stage_hook import reached
from aws2bq.warehouses.base import ColumnDescriptions, JobStats, Routine, TableRef, Warehouse
from aws2bq.warehouses.bigquery import dialect
from aws2bq.warehouses.bigquery.capabilities import CLOUD, EMULATOR, BigQueryFeatures
from aws2bq.warehouses.bigquery.configuration import BigQueryConfig
from aws2bq.warehouses.bigquery.dialect import BIGQUERY
from aws2bq.warehouses.bigquery.exceptions import rate_limited, translate
from aws2bq.warehouses.bigquery.incremental_staging import BigQueryDynamoDBIncrementalStaging
from aws2bq.warehouses.bigquery.rds_staging import BigQueryRdsStaging
from aws2bq.warehouses.bigquery.requests import Request as Request
from aws2bq.warehouses.bigquery.staged_sql import BigQuerySql
from aws2bq.warehouses.bigquery.staging import BigQueryDynamoDBStaging
from aws2bq.warehouses.bigquery.transport.staging import BigQueryGcsStaging

#: tables.get answers with legacy type names; we speak standard SQL names.
_STANDARD_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "RECORD": "STRUCT"}


def standard_type(field: Any) -> str:
    """Standard SQL type text of a ``SchemaField`` (``ARRAY<…>``, ``STRUCT<…>``, precision)."""
    base = _STANDARD_TYPES.get(field.field_type, field.field_type)
    if base == "STRUCT":
        base = "STRUCT<" + ", ".join(f"{f.name} {standard_type(f)}" for f in field.fields) + ">"
    elif base in ("NUMERIC", "BIGNUMERIC") and field.precision is not None:
        scale = field.scale if field.scale is not None else 0
        base = f"{base}({field.precision}, {scale})"
    return f"ARRAY<{base}>" if field.mode == "REPEATED" else base


def described(field: Any, description: str, caps: Capabilities) -> Any:
    """``field`` (a ``SchemaField``) with ``description`` (cut to the warehouse's limit), every
    other property kept (policy tags, collation, default value, nested fields, …): copied
    through its API form, never rebuilt by hand."""
    api = field.to_api_repr()
    api["description"] = caps.description(description)
    return bigquery.SchemaField.from_api_repr(api)


#: OAuth scope of BigQuery jobs and tables.
_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


def credentials_from_info(info: dict[str, Any]) -> Any:
    """Google credentials from a credential configuration, built without a call.

    Workload identity federation (``external_account``; from AWS: ``environment_id`` aws1)
    is built directly (``google.auth.aws`` / ``identity_pool``): google-auth's generic loader
    would look the project up over the network at start-up, and the job project is known.
    https://cloud.google.com/iam/docs/workload-identity-federation-with-other-clouds
    """
    if info.get("type") == "external_account":
        from google.auth import aws, identity_pool

        source = info.get("credential_source") or {}
        federated: Any = (
            aws.Credentials
            if str(source.get("environment_id", "")).startswith("aws")
            else identity_pool.Credentials
        )
        return federated.from_info(info, scopes=list(_SCOPES))
    import google.auth

    credentials, _ = google.auth.load_credentials_from_dict(  # type: ignore[no-untyped-call]
        info, scopes=list(_SCOPES)
    )
    return credentials


def make_client(config: BigQueryConfig) -> Any:
    """A ``bigquery.Client`` for ``config``.

    Credentials: anonymous for the emulator (``emulator=True``), else the ``[bigquery]``
    credential configuration (workload identity federation; google-auth's
    ``load_credentials_from_dict``), else Application Default Credentials. Jobs run in
    ``job_project`` (default: the URL's project).
    """
    from google.api_core.client_options import ClientOptions

    options = ClientOptions(api_endpoint=config.endpoint) if config.endpoint else None
    credentials: Any = None
    if config.emulator:
        from google.auth.credentials import AnonymousCredentials

        credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
    elif config.credentials_info is not None:
        credentials = credentials_from_info(dict(config.credentials_info))
    from google.auth.exceptions import DefaultCredentialsError

    try:
        return bigquery.Client(
            project=config.job_project or config.project,
            location=config.location,
            credentials=credentials,
            client_options=options,
        )
    except DefaultCredentialsError as exc:
        raise ConfigError(
            f"no Google credentials for {config.url or config.project}",
            hint="set bigquery.credentials_file (workload identity federation) or Application "
            "Default Credentials (gcloud auth application-default login); for the emulator "
            "add ?emulator=true to the warehouse URL",
        ) from exc


#: Called with every :class:`Request` before it is sent (tests record; the live suite dry-runs).
Observer = Callable[["BigQueryWarehouse", Request], None]


class BigQueryWarehouse(
    BigQueryDynamoDBStaging,
    BigQueryDynamoDBIncrementalStaging,
    BigQueryRdsStaging,
    BigQueryGcsStaging,
    ColumnDescriptions,
    Warehouse,
):
    """A BigQuery dataset (the destination) in a project."""

    capabilities: ClassVar[Capabilities] = BIGQUERY
    #: Observers of every request of every BigQuery warehouse (see :class:`Request`).
    observers: ClassVar[list[Observer]] = []

    def __init__(
        self,
        config: BigQueryConfig,
        *,
        client: Any = None,
        features: BigQueryFeatures | None = None,
    ) -> None:
        self.config = config
        self.dialect: BigQuerySql = BigQuerySql(config.dataset)
        self.url = config.url or f"bigquery://{config.project}/{config.dataset}"
        self.features: BigQueryFeatures = features or (EMULATOR if config.emulator else CLOUD)
        if self.features.typed_staging:
            self.typed_staging_hours = config.staging_expiration_hours
        if client is None:
            from google.auth.exceptions import GoogleAuthError

            try:
                client = make_client(config)
            except GoogleAuthError as exc:
                raise ConfigError(
                    f"no usable Google credentials for {self.url}: {one_line(str(exc))[:200]}",
                    hint="run `gcloud auth application-default login`, or set "
                    "bigquery.credentials_file (workload identity federation from AWS)",
                ) from None
        self.client = client
        # Against an emulator, an HTTP 500 for unsupported SQL, or a connection refused by an
        # emulator that died, would otherwise be retried by the client for ten minutes (API
        # calls) and a failed query restarted for forty (job_retry): the abilities say how
        # long (a local endpoint either answers at once or never will).
        self._retry = bigquery.DEFAULT_RETRY.with_deadline(self.features.retry_deadline_seconds)
        self._job_retry = DEFAULT_JOB_RETRY if self.features.restart_failed_jobs else None
        self._closed = False
        self._stats: list[JobStats] = []
        self._stats_lock = threading.Lock()
        self.ensure_dataset()

    # -- observers and statistics -----------------------------------------------------------------
    def notify(self, request: Request) -> None:
        """Tell every observer about ``request`` before it is sent."""
        for observer in list(self.observers):
            observer(self, request)

    def record_job(self, job: Any, kind: str, what: str) -> None:
        """Keep what a finished job processed (bytes, rows) for :meth:`take_job_stats`."""
        if kind == "load":
            processed = int(getattr(job, "input_file_bytes", None) or 0)
            stats = JobStats(kind, what, processed, 0, job.output_rows)
        else:
            processed = int(getattr(job, "total_bytes_processed", None) or 0)
            billed = int(getattr(job, "total_bytes_billed", None) or 0)
            rows = getattr(job, "num_dml_affected_rows", None)
            stats = JobStats(kind, what, processed, billed, rows)
        with self._stats_lock:
            self._stats.append(stats)

    def take_job_stats(self) -> list[JobStats]:
        """The jobs finished since the last call (oldest first), and forget them."""
        with self._stats_lock:
            taken, self._stats = self._stats, []
        return taken

    def dry_run(self, sql: str) -> int | None:
        """Bytes ``sql`` would process (a dry-run query job: free, nothing runs).

        https://cloud.google.com/bigquery/docs/running-queries#dry-run
        """
        config = self._job_config()
        config.dry_run = True
        config.use_query_cache = False
        try:
            job = self.client.query(
                sql, job_config=config, retry=self._retry, location=self.config.location
            )
        except (gexc.GoogleAPIError, TimeoutError, ConnectionError) as exc:
            raise translate(exc, "dry run", sql=sql) from exc
        return int(job.total_bytes_processed or 0)

    # -- names -----------------------------------------------------------------------------------
    def table_id(self, table: TableRef) -> str:
        """``project.dataset.table`` of a ref (the URL's project and dataset by default)."""
        return ".".join(
            (table.catalog or self.config.project, table.dataset or self.config.dataset, table.name)
        )

    def qualified(self, table: TableRef) -> TableRef:
        return TableRef(
            table.name, table.dataset or self.config.dataset, table.catalog or self.config.project
        )

    def ensure_js_function(
        self, name: str, body: str, arguments: Sequence[str], description: str
    ) -> None:
        """Create the JavaScript UDF ``name(arguments STRING…) RETURNS STRING`` in the
        destination dataset, or bring the body of an earlier run's up to this version's."""
        string = bigquery.StandardSqlDataType(type_kind=bigquery.StandardSqlTypeNames.STRING)
        routine = bigquery.Routine(
            f"{self.config.project}.{self.config.dataset}.{name}",
            type_="SCALAR_FUNCTION",
            language="JAVASCRIPT",
            body=body,
            arguments=[bigquery.RoutineArgument(name=a, data_type=string) for a in arguments],
            return_type=string,
            description=description,
        )
        signature = (tuple("STRING" for _ in arguments), "STRING")
        ref = routine.reference
        routine_id = f"{ref.project}.{ref.dataset_id}.{ref.routine_id}"
        self.notify(Request("routine", table=routine_id, signature=signature))
        try:
            try:
                self.client.create_routine(routine, retry=self._retry)
            except gexc.Conflict:
                # Made by an earlier run: bring its body up to this version's.
                existing = self.client.get_routine(routine.reference, retry=self._retry)
                if existing.body != routine.body:
                    existing.body = routine.body
                    self.client.update_routine(existing, ["body"], retry=self._retry)
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"create function {name}") from exc

    def ensure_routines(self, routines: Sequence[Routine]) -> None:
        for r in routines:
            self.ensure_js_function(r.name, r.body, r.arguments, r.description)

    # -- Warehouse ---------------------------------------------------------------------------
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.client.close()

    def _job_config(self) -> Any:
        return bigquery.QueryJobConfig(
            default_dataset=bigquery.DatasetReference(self.config.project, self.config.dataset)
        )

    def run_sql(self, sql: str, what: str = "query") -> list[tuple[Any, ...]]:
        """Run SQL text (already rendered from an expression) and return all rows.

        The one path every statement and script takes to BigQuery.
        """
        self.notify(Request("query", sql=sql, what=what))
        try:
            job = self.client.query(
                sql,
                job_config=self._job_config(),
                retry=self._retry,
                job_retry=self._job_retry,
                location=self.config.location,
            )
            result = job.result(retry=self._retry, job_retry=self._job_retry)
            rows = [tuple(row.values()) for row in result]
        except (gexc.GoogleAPIError, TimeoutError, ConnectionError) as exc:
            raise translate(exc, what, sql=sql) from exc
        self.record_job(job, "query", what)
        return rows

    def render(self, statement: exp.Expression) -> str:
        """GoogleSQL text: identifiers escaped as BigQuery reads them (:mod:`.dialect`)."""
        return dialect.render(statement)

    def query(self, statement: exp.Expression) -> list[tuple[Any, ...]]:
        return self.run_sql(self.render(statement))

    def execute(self, statement: exp.Expression) -> None:
        if (
            not self.features.ddl_numeric_exact
            and isinstance(statement, exp.Create)
            and self._create_through_api(statement)
        ):
            return
        self.run_sql(self.render(statement), "statement")

    def transaction(self, statements: Sequence[exp.Expression]) -> None:
        if not statements:
            return
        body = ";\n".join(self.render(s) for s in statements)
        script = f"BEGIN TRANSACTION;\n{body};\nCOMMIT TRANSACTION;"
        reached("apply:before_commit")  # BigQuery runs the script as one job
        self.run_sql(script, "transaction")

    def table_columns(self, table: TableRef) -> list[tuple[str, str]] | None:
        # tables.get, not INFORMATION_SCHEMA: no query job, no bytes billed, and exact types.
        try:
            got = self.client.get_table(self.table_id(table), retry=self._retry)
        except gexc.NotFound:
            return None
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"describe table {self.table_id(table)}") from exc
        return [(f.name, standard_type(f)) for f in got.schema]

    # -- BigQuery-specific helpers ------------------------------------------------------------
    def ensure_dataset(self) -> None:
        """Make sure the destination dataset exists: get it, and create it only if missing.

        datasets.get needs ``bigquery.datasets.get`` (dataset-level dataEditor has it);
        datasets.insert needs ``bigquery.datasets.create`` (project level), which a
        least-privilege runner lacks: it is asked only when the dataset is really missing.
        https://cloud.google.com/bigquery/docs/access-control#bigquery.dataEditor
        """
        dataset_id = f"{self.config.project}.{self.config.dataset}"
        try:
            self.client.get_dataset(dataset_id, retry=self._retry)
            return
        except gexc.NotFound:
            pass
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"get dataset {dataset_id}") from exc
        dataset = bigquery.Dataset(dataset_id)
        if self.config.location:
            dataset.location = self.config.location
        try:
            self.client.create_dataset(dataset, exists_ok=True, retry=self._retry)
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"create dataset {dataset_id}") from exc

    def create_table(
        self,
        table: TableRef,
        fields: Sequence[Any],
        *,
        description: str | None = None,
        exists_ok: bool = False,
        expires: dt.datetime | None = None,
        clustering: Sequence[str] = (),
    ) -> None:
        """Create a table from ``SchemaField``s through tables.insert."""
        obj = bigquery.Table(self.table_id(table), schema=list(fields))
        self.notify(Request("create_table", table=self.table_id(table), fields=tuple(fields)))
        if clustering:
            obj.clustering_fields = list(clustering)
        if description:
            obj.description = description
        if expires is not None:
            obj.expires = expires
        try:
            self.client.create_table(obj, exists_ok=exists_ok, retry=self._retry)
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"create table {self.table_id(table)}") from exc

    def drop_table(self, table: TableRef) -> None:
        self.notify(Request("drop_table", table=self.table_id(table)))
        try:
            self.client.delete_table(self.table_id(table), not_found_ok=True, retry=self._retry)
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"drop table {self.table_id(table)}") from exc

    def set_column_descriptions(self, table: TableRef, descriptions: Mapping[str, str]) -> None:
        """Set column descriptions (e.g. the original attribute names) with tables.patch.

        Every other property of each field (policy tags, collation, default value, nested
        fields, …) is kept: the fields are copied through their API representation, never
        rebuilt by hand. Descriptions longer than BigQuery's 1,024 characters are shortened
        (:meth:`Capabilities.description`); https://cloud.google.com/bigquery/docs/schemas
        #column_descriptions.
        """
        table_id = self.table_id(table)
        try:
            got = self.client.get_table(table_id, retry=self._retry)
            missing = set(descriptions) - {f.name for f in got.schema}
            if missing:
                raise WarehouseError(
                    f"cannot describe columns {sorted(missing)} of {table_id}: no such column"
                )
            schema = [
                described(f, descriptions[f.name], self.capabilities)
                if f.name in descriptions
                else f
                for f in got.schema
            ]
            got.schema = schema
            self.notify(Request("update_table", table=table_id, fields=tuple(schema)))
            self.client.update_table(got, ["schema"], retry=self._retry)
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"set column descriptions of {table_id}") from exc

    def column_descriptions(self, table: TableRef) -> dict[str, str | None]:
        try:
            got = self.client.get_table(self.table_id(table), retry=self._retry)
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"describe table {self.table_id(table)}") from exc
        return {f.name: f.description for f in got.schema}

    # -- load jobs ------------------------------------------------------------------------------
    def _load_retry(self) -> Any:
        """Backoff for load jobs BigQuery refused for a rate limit (5 table metadata updates
        per 10 s, jobs per table): https://cloud.google.com/bigquery/quotas#load_jobs and
        https://cloud.google.com/bigquery/docs/troubleshoot-quotas. The job changed nothing,
        so it is sent again (its source re-opened) after 1, 2, 4 … 32 s."""
        from google.api_core.retry import Retry

        return Retry(
            predicate=rate_limited,
            initial=1.0,
            multiplier=2.0,
            maximum=32.0,
            timeout=self.features.load_backoff_seconds,
        )

    def load_from(
        self,
        open_source: Callable[[], AbstractContextManager[IO[bytes]]],
        table: TableRef,
        job_config: Any,
        *,
        what: str,
        sources: Sequence[str] = (),
    ) -> int:
        """Run one load job reading the stream ``open_source()`` gives, chunk by chunk; return
        the rows it loaded. A job refused for a rate limit is sent again with backoff
        (``open_source`` is called again: a stream cannot be rewound).

        Without a ``size`` the client uses a resumable upload, reading one chunk (100 MiB in
        google-cloud-bigquery 3.x) at a time, so memory stays bounded whatever the size.
        """
        table_id = self.table_id(table)

        def attempt() -> Any:
            self.notify(Request("load", table=table_id, sources=tuple(sources), what=what))
            with open_source() as stream:
                job = self.client.load_table_from_file(
                    stream,
                    table_id,
                    job_config=job_config,
                    rewind=False,
                    location=self.config.location,
                )
            job.result(retry=self._retry)
            return job

        try:
            job = self._load_retry()(attempt)()
        except (gexc.GoogleAPIError, TimeoutError, ConnectionError) as exc:
            raise translate(exc, what) from exc
        self.record_job(job, "load", what)
        return int(job.output_rows or 0)

    def load_stream(self, stream: IO[bytes], table: TableRef, job_config: Any, *, what: str) -> int:
        """One load job from an open stream (no retry: the stream cannot be read twice)."""
        return self.load_from(lambda: nullcontext(stream), table, job_config, what=what)

    def load_uris(self, uris: Sequence[str], table: TableRef, job_config: Any, *, what: str) -> int:
        """One load job from ``gs://`` URIs (up to 10,000 per job), with backoff on rate limits."""
        table_id = self.table_id(table)

        def attempt() -> Any:
            self.notify(Request("load", table=table_id, sources=tuple(uris), what=what))
            job = self.client.load_table_from_uri(
                list(uris),
                table_id,
                job_config=job_config,
                location=self.config.location,
                retry=self._retry,
            )
            job.result(retry=self._retry)
            return job

        try:
            job = self._load_retry()(attempt)()
        except (gexc.GoogleAPIError, TimeoutError, ConnectionError) as exc:
            raise translate(exc, what) from exc
        self.record_job(job, "load", what)
        return int(job.output_rows or 0)

    # -- CREATE TABLE through the API ----------------------------------------------------------
    def _create_through_api(self, create: exp.Create) -> bool:
        """Run ``CREATE TABLE [IF NOT EXISTS] t (col type, …)`` as tables.insert.

        Used where DDL loses NUMERIC digits (the emulator turns DDL NUMERIC into
        DECIMAL(18,3)); returns False (so the DDL runs as is) for anything else.
        """
        if (create.kind or "").upper() != "TABLE" or create.expression is not None:
            return False
        schema = create.this
        if not isinstance(schema, exp.Schema) or not isinstance(schema.this, exp.Table):
            return False
        if create.args.get("replace"):
            return False
        clustering: list[str] = []
        for prop in (create.args.get("properties") or exp.Properties(expressions=[])).expressions:
            if not isinstance(prop, exp.ClusterProperty):
                return False  # partitioning: the DDL runs as is
            clustering += [c.name for c in prop.expressions]
        fields = []
        for column in schema.expressions:
            if not isinstance(column, exp.ColumnDef) or not isinstance(column.kind, exp.DataType):
                return False
            kind = column.kind
            mode = "NULLABLE"
            if kind.is_type(exp.DataType.Type.ARRAY):
                if not kind.expressions:
                    return False
                kind, mode = kind.expressions[0], "REPEATED"
            if kind.is_type(exp.DataType.Type.STRUCT, exp.DataType.Type.ARRAY):
                return False
            for constraint in column.constraints:
                if isinstance(constraint.kind, exp.NotNullColumnConstraint):
                    mode = "REQUIRED" if mode == "NULLABLE" else mode
            type_text = kind.sql(dialect="bigquery")
            base = type_text.split("(")[0]
            fields.append(bigquery.SchemaField(column.name, base, mode=mode))
        table = schema.this
        ref = TableRef(table.name, table.db or None, table.catalog or None)
        self.create_table(
            ref, fields, exists_ok=bool(create.args.get("exists")), clustering=clustering
        )
        return True
