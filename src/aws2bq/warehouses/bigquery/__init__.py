"""The BigQuery warehouse (``bigquery://PROJECT/DATASET[?location=EU&endpoint=…&emulator=true]``).

Nothing heavy is imported here: ``google-cloud-bigquery`` is loaded by :func:`connect`, and a
missing SDK becomes ``MissingExtraError`` naming ``pip install "aws2bq[bigquery]"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws2bq.errors import MissingExtraError

if TYPE_CHECKING:
    from aws2bq.config.model import Config
    from aws2bq.warehouses import WarehouseUrl
    from aws2bq.warehouses.bigquery.client import BigQueryWarehouse


def connect(url: WarehouseUrl, config: Config | None = None) -> BigQueryWarehouse:
    """Open the dataset the URL names (it is created on first use if missing), with the
    ``[bigquery]`` section of ``config`` (credentials, location, staging bucket, endpoint)."""
    try:
        import google.cloud.bigquery  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError("google-cloud-bigquery", "bigquery") from exc
    from aws2bq.warehouses.bigquery.client import BigQueryWarehouse
    from aws2bq.warehouses.bigquery.configuration import BigQueryConfig

    return BigQueryWarehouse(BigQueryConfig.from_url(url, config.bigquery if config else None))
