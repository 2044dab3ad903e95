"""The embedded DuckDB warehouse (``duckdb:///path/file.duckdb``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws2bq.warehouses import WarehouseUrl
    from aws2bq.warehouses.duckdb.client import DuckDBWarehouse


def connect(url: WarehouseUrl) -> DuckDBWarehouse:
    """Open (creating if needed) the DuckDB database file the URL names."""
    from aws2bq.warehouses.duckdb.client import DuckDBWarehouse

    return DuckDBWarehouse(url)
