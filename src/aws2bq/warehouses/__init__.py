"""Warehouses aws2bq loads into, found by URL scheme.

    duckdb:///path/file.duckdb              (relative to the working directory)
    duckdb:////abs/path/file.duckdb         (absolute path: four slashes)
    bigquery://PROJECT/DATASET[?location=EU]

Every summary prints :func:`resolved_location` (the DuckDB file's absolute path), so a
relative path is never a surprise.

The scheme registry and the URL parsing live in :mod:`aws2bq.warehouses.url` (re-exported
here), apart from :func:`connect`, so the config validates URLs without importing this module.

Each warehouse is a package ``aws2bq.warehouses.<scheme>`` exposing
``connect(url: WarehouseUrl) -> Warehouse``; it is imported only when used, so a missing
optional SDK only matters to those who use that warehouse.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from aws2bq.errors import ConfigError, MissingExtraError
from aws2bq.warehouses.url import (
    DEFAULT_URL,
    REGISTRY,
    WarehouseUrl,
    parse_url,
    resolved_location,
)

__all__ = [
    "DEFAULT_URL",
    "REGISTRY",
    "WarehouseUrl",
    "connect",
    "parse_url",
    "resolved_location",
]

if TYPE_CHECKING:
    from aws2bq.config.model import Config
    from aws2bq.warehouses.base import Warehouse


def connect(url: str | WarehouseUrl = DEFAULT_URL, config: Config | None = None) -> Warehouse:
    """Open the warehouse a URL names (lazily importing its package).

    ``config`` (the whole ``aws2bq.toml``) gives the warehouse its own section, e.g.
    ``[bigquery]`` (credentials, location, staging bucket, endpoint); the URL's parameters win.
    """
    parsed = parse_url(url) if isinstance(url, str) else url
    module_name, sdks = REGISTRY[parsed.scheme]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top in sdks:
            raise MissingExtraError(exc.name or top, sdks[top]) from exc
        if exc.name == module_name:
            raise ConfigError(
                f"the {parsed.scheme} warehouse is not available in this build",
                hint=f"expected the package {module_name}",
            ) from exc
        raise
    warehouse: Warehouse = module.connect(parsed, config)
    return warehouse
