"""The ``[bigquery]`` section reaches every place aws2bq opens the warehouse from a config."""

from __future__ import annotations

from aws2bq.config.model import Config
from aws2bq.runner.run import _check_warehouse
from aws2bq.testing.bqemulator import BigQueryEmulator
from tests.integration.bigquery.conftest import BqDataset


def test_the_run_check_opens_the_warehouse_with_the_bigquery_section(
    bq_emulator: BigQueryEmulator, bq_dataset: BqDataset
) -> None:
    # The endpoint is only in [bigquery]. Opened from the URL alone, `?emulator=true` without
    # an endpoint is a configuration error: `aws2bq run` stopped with exit 2 before any stream
    # although the streams themselves open the warehouse with the section.
    config = Config.model_validate(
        {
            "warehouse": f"bigquery://{bq_dataset.project}/{bq_dataset.dataset_id}?emulator=true",
            "bigquery": {"api_endpoint": bq_emulator.endpoint},
        }
    )
    _check_warehouse(config)
