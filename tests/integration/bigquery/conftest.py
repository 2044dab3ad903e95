"""Fixtures for tests that run against BigQuery's emulator (bqemulator, started once).

The emulator is a Python package of the ``dev`` extra, so it is always expected: a start-up
failure is an error, never a skip. Each test gets its own dataset, deleted afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.cloud.bigquery import DEFAULT_RETRY

from aws2bq.testing.bqemulator import BigQueryEmulator
from aws2bq.testing.gcs_emulator import GcsEmulator

PROJECT = "aws2bq-test"
#: Retry deadline of test clients' API calls (google-api-core's default is ten minutes).
SHORT_RETRY = DEFAULT_RETRY.with_deadline(10)


@pytest.fixture(scope="session")
def gcs_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gcs")


@pytest.fixture(scope="session")
def bq_gcs_root(gcs_state_dir: Path) -> Path:
    """The folder bqemulator resolves ``gs://BUCKET/KEY`` under: the GCS emulator's objects."""
    root = GcsEmulator(gcs_state_dir).objects_root
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(scope="session")
def gcs_emulator(gcs_state_dir: Path) -> Iterator[GcsEmulator]:
    """gcp-storage-emulator, sharing its object folder with ``bq_emulator``'s gs:// root."""
    with GcsEmulator(gcs_state_dir, default_bucket="aws2bq-staging") as emulator:
        yield emulator


@pytest.fixture(scope="session")
def bq_emulator(
    tmp_path_factory: pytest.TempPathFactory, bq_gcs_root: Path
) -> Iterator[BigQueryEmulator]:
    """One bqemulator child process for the whole session (it starts in about a second)."""
    pytest.importorskip("google.cloud.bigquery")
    emulator = BigQueryEmulator(
        tmp_path_factory.mktemp("bqemulator"), project=PROJECT, gcs_root=bq_gcs_root
    )
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def googlesql() -> Any:
    """GoogleSQL's analyzer (ZetaSQL in WebAssembly, in this process; a dev dependency, so a
    failure to start is an error). The first start of a machine compiles it (20–45 s), later
    ones load the compiled module from the cache (docs/bigquery.md)."""
    from aws2bq.testing.googlesql import GoogleSqlAnalyzer

    return GoogleSqlAnalyzer()


def drop_dataset(emulator: BigQueryEmulator, dataset: str) -> None:
    """Delete a test's dataset through a watched client: fails at once if the emulator died.

    (A warehouse's own client would retry a refused connection; teardown must not wait.)
    """
    client = emulator.client(PROJECT)
    try:
        client.delete_dataset(
            f"{PROJECT}.{dataset}", delete_contents=True, not_found_ok=True, retry=SHORT_RETRY
        )
    finally:
        client.close()


@pytest.fixture
def emulator_warehouse(bq_emulator: BigQueryEmulator) -> Iterator[Any]:
    """A BigQuery warehouse (``?emulator=true``) on a fresh dataset, deleted after the test."""
    from aws2bq.warehouses import connect

    dataset = f"e_{uuid.uuid4().hex[:10]}"
    wh = connect(f"bigquery://{PROJECT}/{dataset}?endpoint={bq_emulator.endpoint}&emulator=true")
    try:
        yield wh
    finally:
        wh.close()
        drop_dataset(bq_emulator, dataset)


@dataclass
class BqDataset:
    """A fresh dataset on the emulator, and a client for it."""

    client: Any  # google.cloud.bigquery.Client
    project: str
    dataset_id: str

    def table(self, name: str) -> str:
        """The full ``project.dataset.table`` id of a table in this dataset."""
        return f"{self.project}.{self.dataset_id}.{name}"

    def query(self, sql: str, **job_config: Any) -> list[dict[str, Any]]:
        """Run ``sql`` (with default dataset set) and return the rows as dicts."""
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(
            default_dataset=f"{self.project}.{self.dataset_id}", **job_config
        )
        # A short retry deadline: the emulator answers some unsupported SQL with HTTP 500, which
        # the client would otherwise retry for ten minutes.
        job = self.client.query(sql, job_config=config, job_retry=None, retry=SHORT_RETRY)
        return [dict(row.items()) for row in job.result(retry=SHORT_RETRY, job_retry=None)]


@pytest.fixture
def bq_dataset(bq_emulator: BigQueryEmulator) -> Iterator[BqDataset]:
    """A dataset ``t_<random>`` created for this test and deleted (with its tables) after."""
    client = bq_emulator.client(PROJECT)
    dataset_id = f"t_{uuid.uuid4().hex[:10]}"
    client.create_dataset(f"{PROJECT}.{dataset_id}")
    try:
        yield BqDataset(client, PROJECT, dataset_id)
    finally:
        client.close()
        drop_dataset(bq_emulator, dataset_id)


def warehouse_url(emulator: BigQueryEmulator, dataset: str) -> str:
    """The warehouse URL of ``dataset`` on the emulator."""
    return f"bigquery://{PROJECT}/{dataset}?endpoint={emulator.endpoint}&emulator=true"


@pytest.fixture
def bq_warehouse(bq_emulator: BigQueryEmulator) -> Iterator[Any]:
    """aws2bq's BigQuery warehouse on a fresh dataset of the emulator, dropped after."""
    from aws2bq.warehouses import connect
    from aws2bq.warehouses.bigquery.client import BigQueryWarehouse

    dataset = f"w_{uuid.uuid4().hex[:10]}"
    wh = connect(warehouse_url(bq_emulator, dataset))
    assert isinstance(wh, BigQueryWarehouse)
    try:
        yield wh
    finally:
        wh.close()
        drop_dataset(bq_emulator, dataset)
