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

_ON = ("1", "true", "on", "yes")
_OFF = ("0", "false", "off", "no")


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
            ConfigError: an unknown URL parameter (the message lists the known ones), or a
                switch (``arrow``, ``native``) that is neither on nor off.
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
            arrow=_switch(params, "arrow", url),
            native=_switch(params, "native", url),
            url=url.raw,
        )


def _switch(params: dict[str, str], name: str, url: WarehouseUrl) -> bool:
    """A URL parameter that turns something on or off (on when absent)."""
    value = params.get(name, "1").strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ConfigError(
        f"DuckDB URL parameter {name}={params[name]!r} in {url.raw!r} is neither on nor off",
        hint=f"{name}=0 turns it off ({', '.join(_OFF)}), {name}=1 on ({', '.join(_ON)})",
    )
