"""Settings of a BigQuery warehouse, from its URL and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

from aws2bq.errors import ConfigError
from aws2bq.warehouses import WarehouseUrl

#: Environment variable that points every BigQuery client at an emulator (e.g. bqemulator).
ENDPOINT_ENV = "AWS2BQ_BIGQUERY_ENDPOINT"


@dataclass(frozen=True)
class BigQueryConfig:
    """Where and how to talk to BigQuery."""

    #: The project jobs run in and tables belong to.
    project: str
    #: The destination dataset (staging tables live there too, with an expiration).
    dataset: str
    #: Dataset location (``US``, ``EU``, a region); None = BigQuery's default.
    location: str | None = None
    #: API endpoint override (``http://127.0.0.1:9050``): anonymous credentials are used.
    endpoint: str | None = None
    #: Load jobs running at once when staging many files.
    parallel_loads: int = 4
    #: Hours after which a staging table expires on its own if a run dies before dropping it.
    staging_expiration_hours: int = 24
    #: The original URL (for messages and the ledger).
    url: str = ""

    @classmethod
    def from_url(cls, url: WarehouseUrl) -> BigQueryConfig:
        """``bigquery://PROJECT/DATASET?location=EU&endpoint=http://…&parallel_loads=8``.

        The endpoint comes from the URL's ``endpoint`` parameter, else from
        ``AWS2BQ_BIGQUERY_ENDPOINT``.
        """
        params = dict(url.params)
        known = {"location", "endpoint", "parallel_loads", "staging_expiration_hours"}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ConfigError(
                f"unknown BigQuery URL parameter(s) {', '.join(unknown)} in {url.raw!r}",
                hint=f"known: {', '.join(sorted(known))}",
            )
        endpoint = params.get("endpoint") or os.environ.get(ENDPOINT_ENV) or None
        if endpoint is not None and not endpoint.startswith(("http://", "https://")):
            raise ConfigError(
                f"bad BigQuery endpoint {endpoint!r}",
                hint="use http://HOST:PORT (e.g. the emulator's REST port)",
            )
        try:
            parallel = int(params.get("parallel_loads", "4"))
            expiration = int(params.get("staging_expiration_hours", "24"))
        except ValueError as exc:
            raise ConfigError(f"bad number in BigQuery URL {url.raw!r}: {exc}") from exc
        if parallel < 1 or expiration < 1:
            raise ConfigError(
                f"parallel_loads and staging_expiration_hours must be ≥ 1 in {url.raw!r}"
            )
        return cls(
            project=url.project,
            dataset=url.dataset,
            location=params.get("location") or None,
            endpoint=endpoint.rstrip("/") if endpoint else None,
            parallel_loads=parallel,
            staging_expiration_hours=expiration,
            url=url.raw,
        )
