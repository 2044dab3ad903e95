"""Opt-in: the whole BigQuery path against a real Google Cloud project.

Set ``AWS2BQ_LIVE_BIGQUERY_PROJECT`` (and Application Default Credentials, or
``GOOGLE_APPLICATION_CREDENTIALS``) to run it; ``AWS2BQ_LIVE_BIGQUERY_LOCATION`` picks the
datasets' location (default US). Without the project the tests are skipped with that reason.

Every statement the warehouse sends is first dry-run (a dry run is free and runs nothing:
https://cloud.google.com/bigquery/docs/running-queries#dry-run); then each source (DynamoDB
full and incremental from the sandbox, RDS MySQL/PostgreSQL from the local servers) is loaded
in each mode, twice (create, then changes). Each case uses its own dataset, deleted after.
The sources are the local ones (moto sandbox, MariaDB, PostgreSQL); only the warehouse is real.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from aws2bq.errors import Aws2BqError
from aws2bq.sandbox import Sandbox
from aws2bq.warehouses import connect
from aws2bq.warehouses.bigquery.client import BigQueryWarehouse, Request
from tests.integration.bigquery.test_googlesql_every_statement import CASES, MODES, loader_for

PROJECT_ENV = "AWS2BQ_LIVE_BIGQUERY_PROJECT"
PROJECT = os.environ.get(PROJECT_ENV, "")
LOCATION = os.environ.get("AWS2BQ_LIVE_BIGQUERY_LOCATION", "US")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not PROJECT,
        reason=f"live BigQuery suite: set {PROJECT_ENV} to a project id (and Google "
        "credentials) to run it",
    ),
]


class DryRunFirst:
    """An observer that dry-runs every query before it is sent; keeps the refusals."""

    def __init__(self) -> None:
        self.refused: list[str] = []
        self.bytes: list[tuple[str, int]] = []

    def __call__(self, warehouse: BigQueryWarehouse, request: Request) -> None:
        if request.kind != "query" or not request.sql:
            return
        try:
            processed = warehouse.dry_run(request.sql)
        except Aws2BqError as exc:
            self.refused.append(f"{exc.message[:500]}\n  {request.sql[:300]}")
            return
        self.bytes.append((request.what, processed or 0))


@pytest.fixture
def live_warehouse() -> Iterator[tuple[BigQueryWarehouse, DryRunFirst]]:
    dataset = f"aws2bq_live_{uuid.uuid4().hex[:10]}"
    wh = connect(f"bigquery://{PROJECT}/{dataset}?location={LOCATION}")
    assert isinstance(wh, BigQueryWarehouse)
    observer = DryRunFirst()
    BigQueryWarehouse.observers.append(observer)
    try:
        yield wh, observer
    finally:
        BigQueryWarehouse.observers.remove(observer)
        wh.client.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True, not_found_ok=True)
        wh.close()


@pytest.mark.parametrize(("source", "mode"), CASES)
def test_each_mode_of_each_source_loads_on_bigquery(
    request: pytest.FixtureRequest,
    sandbox: Sandbox,
    unique: str,
    live_warehouse: tuple[BigQueryWarehouse, DryRunFirst],
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    mode: str,
) -> None:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    wh, observer = live_warehouse
    loader = loader_for(request, source, sandbox, unique)
    outcomes = loader([(wh, *MODES[mode])])[wh.config.dataset]
    assert observer.refused == []
    assert all(o.startswith(("applied", "already")) for o in outcomes), outcomes
    stats = wh.take_job_stats()
    assert any(s.kind == "load" and s.bytes_processed > 0 for s in stats)
