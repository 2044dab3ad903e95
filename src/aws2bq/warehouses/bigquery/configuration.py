"""Settings of a BigQuery warehouse: its URL, then the ``[bigquery]`` config section.

Which endpoint abilities apply (:data:`.capabilities.CLOUD` or :data:`.capabilities.EMULATOR`)
is chosen explicitly (``?emulator=true``), never guessed from a custom endpoint: a private or
regional endpoint is still BigQuery.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws2bq.errors import ConfigError
from aws2bq.warehouses import WarehouseUrl

if TYPE_CHECKING:
    from aws2bq.config.model import BigQuerySettings

#: Environment variable giving the API endpoint when neither the URL nor the config does.
ENDPOINT_ENV = "AWS2BQ_BIGQUERY_ENDPOINT"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class BigQueryConfig:
    """Where and how to talk to BigQuery."""

    #: The project tables belong to (the URL's).
    project: str
    #: The destination dataset (staging tables live there too, with an expiration).
    dataset: str
    #: Dataset location (``US``, ``EU``, a region); None = BigQuery's default.
    location: str | None = None
    #: API endpoint override (``http://127.0.0.1:9050``, a private endpoint).
    endpoint: str | None = None
    #: The endpoint is bqemulator: its abilities (:data:`.capabilities.EMULATOR`) and
    #: anonymous credentials.
    emulator: bool = False
    #: Project that runs (and pays for) the jobs; None = ``project``.
    job_project: str | None = None
    #: Google credential configuration (workload identity federation, …); None = ADC.
    credentials_info: Mapping[str, Any] | None = None
    #: GCS bucket that stages load files so one load job takes many of them (gs:// URIs).
    staging_bucket: str | None = None
    #: Load jobs running at once when staging many files.
    parallel_loads: int = 4
    #: Hours after which a staging table expires on its own if a run dies before dropping it.
    staging_expiration_hours: int = 24
    #: The original URL (for messages and the ledger).
    url: str = ""

    @classmethod
    def from_url(
        cls, url: WarehouseUrl, settings: BigQuerySettings | None = None
    ) -> BigQueryConfig:
        """``bigquery://PROJECT/DATASET?location=EU&endpoint=http://…&emulator=true``.

        URL parameters win over the ``[bigquery]`` section (``settings``), which wins over
        ``AWS2BQ_BIGQUERY_ENDPOINT`` for the endpoint.

        Raises:
            ConfigError: an unknown parameter, a bad number or endpoint, unreadable
                credentials (the message names the key).
        """
        params = dict(url.params)
        known = {"location", "endpoint", "emulator", "parallel_loads", "staging_expiration_hours"}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ConfigError(
                f"unknown BigQuery URL parameter(s) {', '.join(unknown)} in {url.raw!r}",
                hint=f"known: {', '.join(sorted(known))}",
            )
        endpoint = (
            params.get("endpoint")
            or (settings.api_endpoint if settings else None)
            or os.environ.get(ENDPOINT_ENV)
            or None
        )
        if endpoint is not None and not endpoint.startswith(("http://", "https://")):
            raise ConfigError(
                f"bad BigQuery endpoint {endpoint!r}",
                hint="use http://HOST:PORT (e.g. the emulator's REST port)",
            )
        emulator_text = params.get("emulator", "false").lower()
        if emulator_text not in _TRUE | _FALSE:
            raise ConfigError(f"emulator must be true or false in {url.raw!r}")
        emulator = emulator_text in _TRUE
        if emulator and endpoint is None:
            raise ConfigError(
                f"emulator=true needs the emulator's endpoint in {url.raw!r}",
                hint="add &endpoint=http://127.0.0.1:PORT",
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
        credentials: Mapping[str, Any] | None = None
        if settings is not None and not emulator:
            try:
                credentials = settings.credentials_info()
            except ValueError as exc:
                raise ConfigError(
                    f"[bigquery] credentials: {exc}",
                    hint="fix bigquery.credentials_file / bigquery.credentials_json",
                ) from exc
        return cls(
            project=url.project,
            dataset=url.dataset,
            location=params.get("location") or (settings.location if settings else None),
            endpoint=endpoint.rstrip("/") if endpoint else None,
            emulator=emulator,
            job_project=(settings.project if settings else None) or None,
            credentials_info=credentials,
            staging_bucket=(settings.staging_bucket if settings else None) or None,
            parallel_loads=parallel,
            staging_expiration_hours=expiration,
            url=url.raw,
        )
