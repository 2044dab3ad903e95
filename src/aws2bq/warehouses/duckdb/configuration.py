"""Settings of a DuckDB warehouse, from its URL (``duckdb:///path/file.duckdb?…``).

DuckDB has no section in ``aws2bq.toml``: everything it takes is a URL parameter, checked
here once so a misspelt one is a configuration error naming the known ones (as for BigQuery,
``aws2bq.warehouses.bigquery.configuration``), not a silently ignored setting.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws2bq.errors import ConfigError
from aws2bq.warehouses import WarehouseUrl

#: DuckDB's buffer pool when the URL does not say (larger results spill to the scratch folder).
#: With the process's own ~130 MiB (Python, pyarrow, DuckDB's code) and what DuckDB allocates
#: outside its pool, a load peaks near this plus ~250 MiB whatever the export's size: 768MB
#: gave 963 MiB at 10M items, too near issue 13's 1 GiB; 640MB was as fast on the benches.
DEFAULT_MEMORY_LIMIT = "640MB"

_OFF = ("0", "false", "off")


@dataclass(frozen=True)
class DuckDBConfig:
    """Where the database file is and how DuckDB runs."""

    #: The database file (``:memory:`` for an in-memory database).
    path: str
    #: DuckDB's ``memory_limit`` setting (``640MB``, ``4GB``).
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    #: DuckDB's ``threads`` setting; None = DuckDB's default (the machine's cores).
    threads: str | None = None
    #: Folder for the run's scratch files (spilled rows, downloads); None = the temp folder.
    scratch: str | None = None
    #: Stage DynamoDB exports with the Arrow stager (``?arrow=0``: DuckDB's read_json only).
    arrow: bool = True
    #: The Arrow stager parses with its native JSON scanner where it can (``?native=0``:
    #: pyarrow's JSON reader parses every chunk; slower, the same tables).
    native: bool = True
    #: The original URL (for messages).
    url: str = ""

    @classmethod
    def from_url(cls, url: WarehouseUrl) -> DuckDBConfig:
        """``duckdb:///file.duckdb?memory_limit=2GB&threads=2&scratch=/tmp/x&arrow=0&native=0``.

        Raises:
            ConfigError: an unknown URL parameter (the message lists the known ones).
        """
        params = dict(url.params)
        known = {"memory_limit", "threads", "scratch", "arrow", "native"}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ConfigError(
                f"unknown DuckDB URL parameter(s) {', '.join(unknown)} in {url.raw!r}",
                hint=f"known: {', '.join(sorted(known))}",
            )
        return cls(
            path=url.path,
            memory_limit=params.get("memory_limit", DEFAULT_MEMORY_LIMIT),
            threads=params.get("threads"),
            scratch=params.get("scratch"),
            arrow=params.get("arrow", "1") not in _OFF,
            native=params.get("native", "1") not in _OFF,
            url=url.raw,
        )
