"""The embedded DuckDB warehouse (``duckdb:///path/file.duckdb``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws2bq.config.model import Config
    from aws2bq.warehouses import WarehouseUrl
    from aws2bq.warehouses.duckdb.client import DuckDBWarehouse


def connect(url: WarehouseUrl, config: Config | None = None) -> DuckDBWarehouse:
    """Open (creating if needed) the DuckDB database file the URL names, with the settings of
    its parameters (``config`` has no DuckDB section: unused).

    Raises:
        ConfigError: an unknown URL parameter, an unusable path or scratch folder.
    """
    from aws2bq.warehouses.duckdb.client import DuckDBWarehouse
    from aws2bq.warehouses.duckdb.configuration import DuckDBConfig

    return DuckDBWarehouse(DuckDBConfig.from_url(url))
