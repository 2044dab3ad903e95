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
- An endpoint override (``?endpoint=`` or ``AWS2BQ_BIGQUERY_ENDPOINT``) talks to an emulator
  with anonymous credentials; the endpoint's abilities are :data:`.capabilities.EMULATOR`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import IO, Any, ClassVar

import sqlglot.expressions as exp
from google.api_core import exceptions as gexc
from google.cloud import bigquery
from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY

from aws2bq.core.capabilities import BIGQUERY, Capabilities
from aws2bq.errors import ConfigError, WarehouseError, one_line
from aws2bq.runner.crashpoints import crashpoint
from aws2bq.warehouses.base import ColumnDescriptions, TableRef, Warehouse
from aws2bq.warehouses.bigquery.capabilities import CLOUD, EMULATOR, BigQueryFeatures
from aws2bq.warehouses.bigquery.configuration import BigQueryConfig
from aws2bq.warehouses.bigquery.exceptions import translate
from aws2bq.warehouses.bigquery.incremental_staging import BigQueryDynamoDBIncrementalStaging
from aws2bq.warehouses.bigquery.rds_staging import BigQueryRdsStaging
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


def make_client(config: BigQueryConfig) -> Any:
    """A ``bigquery.Client`` for ``config`` (anonymous against an endpoint override)."""
    if config.endpoint:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(
            project=config.project,
            location=config.location,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options=ClientOptions(api_endpoint=config.endpoint),
        )
    return bigquery.Client(project=config.project, location=config.location)


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

    def __init__(self, config: BigQueryConfig, *, client: Any = None) -> None:
        self.config = config
        self.url = config.url or f"bigquery://{config.project}/{config.dataset}"
        self.features: BigQueryFeatures = EMULATOR if config.endpoint else CLOUD
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
        # calls) and a failed query restarted for forty (job_retry); a local endpoint either
        # answers at once or never will.
        deadline = 10.0 if config.endpoint else 600.0
        self._retry = bigquery.DEFAULT_RETRY.with_deadline(deadline)
        self._job_retry = None if config.endpoint else DEFAULT_JOB_RETRY
        self._closed = False
        self.ensure_dataset()

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

    def routine(self, name: str) -> exp.Expression:
        """A persistent function of the destination dataset, as SQL (```dataset`.`name```)."""
        return exp.Dot(
            this=exp.to_identifier(self.config.dataset, quoted=True),
            expression=exp.to_identifier(name, quoted=True),
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
        """Run SQL text (already rendered from an expression) and return all rows."""
        try:
            job = self.client.query(
                sql,
                job_config=self._job_config(),
                retry=self._retry,
                job_retry=self._job_retry,
                location=self.config.location,
            )
            rows = job.result(retry=self._retry, job_retry=self._job_retry)
            return [tuple(row.values()) for row in rows]
        except (gexc.GoogleAPIError, TimeoutError, ConnectionError) as exc:
            raise translate(exc, what, sql=sql) from exc

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
        crashpoint("apply:before_commit")  # BigQuery runs the script as one job
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
        """Create the destination dataset if it does not exist."""
        dataset = bigquery.Dataset(f"{self.config.project}.{self.config.dataset}")
        if self.config.location:
            dataset.location = self.config.location
        try:
            self.client.create_dataset(dataset, exists_ok=True, retry=self._retry)
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"create dataset {dataset.dataset_id}") from exc

    def create_table(
        self,
        table: TableRef,
        fields: Sequence[Any],
        *,
        description: str | None = None,
        exists_ok: bool = False,
        expires: dt.datetime | None = None,
    ) -> None:
        """Create a table from ``SchemaField``s through tables.insert."""
        obj = bigquery.Table(self.table_id(table), schema=list(fields))
        if description:
            obj.description = description
        if expires is not None:
            obj.expires = expires
        try:
            self.client.create_table(obj, exists_ok=exists_ok, retry=self._retry)
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"create table {self.table_id(table)}") from exc

    def drop_table(self, table: TableRef) -> None:
        try:
            self.client.delete_table(self.table_id(table), not_found_ok=True, retry=self._retry)
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"drop table {self.table_id(table)}") from exc

    def set_column_descriptions(self, table: TableRef, descriptions: Mapping[str, str]) -> None:
        """Set column descriptions (e.g. the original attribute names) with tables.patch."""
        table_id = self.table_id(table)
        try:
            got = self.client.get_table(table_id, retry=self._retry)
            missing = set(descriptions) - {f.name for f in got.schema}
            if missing:
                raise WarehouseError(
                    f"cannot describe columns {sorted(missing)} of {table_id}: no such column"
                )
            got.schema = [
                f
                if f.name not in descriptions
                else bigquery.SchemaField(
                    f.name,
                    f.field_type,
                    mode=f.mode,
                    description=descriptions[f.name],
                    fields=f.fields,
                    precision=f.precision,
                    scale=f.scale,
                )
                for f in got.schema
            ]
            self.client.update_table(got, ["schema"], retry=self._retry)
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"set column descriptions of {table_id}") from exc

    def column_descriptions(self, table: TableRef) -> dict[str, str | None]:
        try:
            got = self.client.get_table(self.table_id(table), retry=self._retry)
        except gexc.GoogleAPIError as exc:
            raise translate(exc, f"describe table {self.table_id(table)}") from exc
        return {f.name: f.description for f in got.schema}

    def load_stream(
        self,
        stream: IO[bytes],
        table: TableRef,
        job_config: Any,
        *,
        what: str,
        size: int | None = None,
    ) -> int:
        """Run one load job reading ``stream`` chunk by chunk; return the rows it loaded.

        Without ``size`` the client uses a resumable upload, reading one chunk (100 MiB in
        google-cloud-bigquery 3.x) at a time, so memory stays bounded whatever the file's size.
        """
        try:
            job = self.client.load_table_from_file(
                stream,
                self.table_id(table),
                job_config=job_config,
                size=size,
                rewind=False,
                location=self.config.location,
            )
            job.result(retry=self._retry)
        except (gexc.GoogleAPIError, TimeoutError, ConnectionError) as exc:
            raise translate(exc, what) from exc
        return int(job.output_rows or 0)

    def load_uris(self, uris: Sequence[str], table: TableRef, job_config: Any, *, what: str) -> int:
        """One load job from ``gs://`` URIs (the S3 → GCS path: no bytes through the runner)."""
        try:
            job = self.client.load_table_from_uri(
                list(uris),
                self.table_id(table),
                job_config=job_config,
                location=self.config.location,
                retry=self._retry,
            )
            job.result(retry=self._retry)
        except (gexc.GoogleAPIError, TimeoutError, ConnectionError) as exc:
            raise translate(exc, what) from exc
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
        if create.args.get("replace") or create.args.get("properties"):
            return False
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
        self.create_table(ref, fields, exists_ok=bool(create.args.get("exists")))
        return True
