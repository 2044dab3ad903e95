"""Warehouses aws2bq loads into, found by URL scheme.

    duckdb:///path/file.duckdb              (relative to the working directory)
    duckdb:////abs/path/file.duckdb         (absolute path: four slashes)
    bigquery://PROJECT/DATASET[?location=EU]

Every summary prints :func:`resolved_location` (the DuckDB file's absolute path), so a
relative path is never a surprise.

Each warehouse is a package ``aws2bq.warehouses.<scheme>`` exposing
``connect(url: WarehouseUrl) -> Warehouse``; it is imported only when used, so a missing
optional SDK only matters to those who use that warehouse.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from aws2bq.errors import ConfigError, MissingExtraError

if TYPE_CHECKING:
    from aws2bq.config.model import Config
    from aws2bq.warehouses.base import Warehouse

DEFAULT_URL = "duckdb:///aws2bq.duckdb"

#: scheme → (module, {top-level SDK module: extra that installs it}).
REGISTRY: Mapping[str, tuple[str, Mapping[str, str]]] = MappingProxyType(
    {
        "duckdb": ("aws2bq.warehouses.duckdb", {}),
        "bigquery": ("aws2bq.warehouses.bigquery", {"google": "bigquery"}),
    }
)


@dataclass(frozen=True)
class WarehouseUrl:
    """A parsed warehouse URL."""

    scheme: str
    raw: str
    #: DuckDB: the database file path (``:memory:`` for an in-memory database).
    path: str = ""
    #: BigQuery: project and dataset.
    project: str = ""
    dataset: str = ""
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def parse_url(url: str) -> WarehouseUrl:
    """Parse and validate a warehouse URL; raise ``ConfigError`` (exit code 2) if it is bad.

    Examples:
        >>> parse_url("duckdb:///aws2bq.duckdb").path
        'aws2bq.duckdb'
        >>> parse_url("bigquery://my-project/raw?location=EU").params["location"]
        'EU'
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in REGISTRY:
        close = difflib.get_close_matches(scheme, list(REGISTRY), n=1)
        hint = (
            f"did you mean {close[0]}://…?"
            if close
            else f"use one of: {', '.join(s + '://' for s in REGISTRY)}"
        )
        raise ConfigError(f"unknown warehouse URL scheme {parts.scheme!r} in {url!r}", hint=hint)
    params = MappingProxyType(dict(parse_qsl(parts.query, keep_blank_values=True)))
    if scheme == "duckdb":
        if parts.netloc:
            raise ConfigError(
                f"bad DuckDB URL {url!r}: the path must follow three slashes",
                hint="use duckdb:///relative/file.duckdb or duckdb:////absolute/file.duckdb",
            )
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not path:
            raise ConfigError(
                f"bad DuckDB URL {url!r}: no database file", hint="e.g. duckdb:///aws2bq.duckdb"
            )
        return WarehouseUrl(scheme, url, path=path, params=params)
    project = parts.netloc
    dataset = parts.path.strip("/")
    if not project or not dataset or "/" in dataset:
        raise ConfigError(f"bad BigQuery URL {url!r}", hint="use bigquery://PROJECT/DATASET")
    return WarehouseUrl(scheme, url, project=project, dataset=dataset, params=params)


def resolved_location(url: str | WarehouseUrl) -> str:
    """Where the data of a warehouse URL lives: a DuckDB file's absolute path (``:memory:``
    as is), a BigQuery ``PROJECT.DATASET``."""
    import os

    parsed = parse_url(url) if isinstance(url, str) else url
    if parsed.scheme == "duckdb":
        if parsed.path == ":memory:":
            return parsed.path
        return os.path.abspath(os.path.expanduser(parsed.path))
    return f"{parsed.project}.{parsed.dataset}"


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
