"""What the BigQuery staging mixins use from :class:`BigQueryWarehouse`, declared once.

Each staging ability (DynamoDB full, DynamoDB incremental, RDS) is a mixin of the warehouse
class; this base names the warehouse's attributes and methods they call, so the type checker
knows them. The warehouse class defines every one of them itself, so these bodies never run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import IO, TYPE_CHECKING, Any, ClassVar

import sqlglot.expressions as exp

from aws2bq.core.capabilities import Capabilities
from aws2bq.warehouses.base import StagedExport, StagedRdsTable, TableRef

if TYPE_CHECKING:
    from aws2bq.warehouses.bigquery.capabilities import BigQueryFeatures
    from aws2bq.warehouses.bigquery.configuration import BigQueryConfig
    from aws2bq.warehouses.bigquery.requests import Request


class BigQueryHost:
    """The part of :class:`BigQueryWarehouse` its staging mixins rely on."""

    capabilities: ClassVar[Capabilities]
    config: BigQueryConfig
    features: BigQueryFeatures
    client: Any  # google.cloud.bigquery.Client
    #: google-api-core retry for API calls (a short deadline against a local endpoint).
    _retry: Any

    def query(self, statement: exp.Expression) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def notify(self, request: Request) -> None:
        raise NotImplementedError

    def record_job(self, job: Any, kind: str, what: str) -> None:
        raise NotImplementedError

    def execute(self, statement: exp.Expression) -> None:
        raise NotImplementedError

    def run_sql(self, sql: str, what: str = "query") -> list[tuple[Any, ...]]:
        raise NotImplementedError

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
        raise NotImplementedError

    def drop_table(self, table: TableRef) -> None:
        raise NotImplementedError

    def load_stream(self, stream: IO[bytes], table: TableRef, job_config: Any, *, what: str) -> int:
        raise NotImplementedError

    def load_from(
        self,
        open_source: Callable[[], AbstractContextManager[IO[bytes]]],
        table: TableRef,
        job_config: Any,
        *,
        what: str,
        sources: Sequence[str] = (),
    ) -> int:
        raise NotImplementedError

    def qualified(self, table: TableRef) -> TableRef:
        raise NotImplementedError

    def ensure_js_function(
        self, name: str, body: str, arguments: Sequence[str], description: str
    ) -> None:
        raise NotImplementedError

    # The gs:// stagers (transport.staging.BigQueryGcsStaging).
    def stage_dynamodb_from_gcs(
        self, objects: Sequence[Any], *, stream: str, progress: Any
    ) -> StagedExport:
        raise NotImplementedError

    def stage_rds_from_gcs(
        self, objects: Sequence[Any], *, stream: str, progress: Any
    ) -> StagedRdsTable:
        raise NotImplementedError
