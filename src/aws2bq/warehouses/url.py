"""Warehouse URLs: the scheme registry, parsing and validation, where the data lives.

Kept apart from :mod:`aws2bq.warehouses` (which connects, and so knows the config) so that the
config can validate its ``warehouse`` key without importing the warehouses: this module
imports nothing of aws2bq but the error root.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qsl, urlsplit

from aws2bq.errors import ConfigError

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
    parsed = parse_url(url) if isinstance(url, str) else url
    if parsed.scheme == "duckdb":
        if parsed.path == ":memory:":
            return parsed.path
        return os.path.abspath(os.path.expanduser(parsed.path))
    return f"{parsed.project}.{parsed.dataset}"
