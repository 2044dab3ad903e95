"""The BigQuery warehouse's settings: URL, then the ``[bigquery]`` section (issue 12: it must
reach the warehouse), and abilities chosen explicitly, never guessed from an endpoint."""

from __future__ import annotations

import json

import pytest

from aws2bq.config.model import Config
from aws2bq.errors import ConfigError
from aws2bq.warehouses import parse_url
from aws2bq.warehouses.bigquery.configuration import ENDPOINT_ENV, BigQueryConfig

FEDERATION = {
    "type": "external_account",
    "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/"
    "providers/aws",
    "subject_token_type": "urn:ietf:params:aws:token-type:aws4_request",
    "token_url": "https://sts.googleapis.com/v1/token",
    "credential_source": {
        "environment_id": "aws1",
        "regional_cred_verification_url": "https://sts.{region}.amazonaws.com"
        "?Action=GetCallerIdentity&Version=2011-06-15",
    },
}


def _config(url: str, **bigquery: object) -> BigQueryConfig:
    config = Config.model_validate({"warehouse": url, "bigquery": bigquery})
    return BigQueryConfig.from_url(parse_url(config.warehouse), config.bigquery)


def test_bigquery_section_reaches_the_warehouse_config() -> None:
    got = _config(
        "bigquery://data-proj/raw",
        project="jobs-proj",
        location="EU",
        api_endpoint="https://bigquery.example.internal",
        staging_bucket="stage-bucket",
        credentials_json=json.dumps(FEDERATION),
    )
    assert (got.project, got.dataset, got.job_project) == ("data-proj", "raw", "jobs-proj")
    assert got.location == "EU" and got.staging_bucket == "stage-bucket"
    assert got.endpoint == "https://bigquery.example.internal"
    assert got.credentials_info is not None and got.credentials_info["type"] == "external_account"
    # A custom endpoint is still BigQuery: nothing switches to the emulator's abilities.
    assert got.emulator is False


def test_url_parameters_win_over_the_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, "http://from-env:1")
    got = _config("bigquery://p/d?location=US&endpoint=http://from-url:2", location="EU",
                  api_endpoint="http://from-config:3")  # fmt: skip
    assert (got.location, got.endpoint) == ("US", "http://from-url:2")
    assert _config("bigquery://p/d", api_endpoint="http://from-config:3").endpoint == (
        "http://from-config:3"
    )
    assert _config("bigquery://p/d").endpoint == "http://from-env:1"


def test_emulator_is_chosen_explicitly() -> None:
    got = BigQueryConfig.from_url(
        parse_url("bigquery://p/d?endpoint=http://127.0.0.1:9&emulator=true")
    )
    assert got.emulator is True
    with pytest.raises(ConfigError, match="emulator=true needs the emulator's endpoint"):
        BigQueryConfig.from_url(parse_url("bigquery://p/d?emulator=true"))
    with pytest.raises(ConfigError, match="emulator must be true or false"):
        BigQueryConfig.from_url(parse_url("bigquery://p/d?endpoint=http://x:1&emulator=maybe"))


def test_the_client_gets_the_federated_credentials_and_job_project() -> None:
    """Built without a network call (google-auth's generic loader looks the project up)."""
    from google.auth import external_account

    from aws2bq.warehouses.bigquery.client import make_client

    config = _config("bigquery://data-proj/raw", project="jobs-proj",
                     credentials_json=json.dumps(FEDERATION))  # fmt: skip
    client = make_client(config)
    assert client.project == "jobs-proj"
    assert isinstance(client._credentials, external_account.Credentials)
    client.close()


def test_a_service_account_key_is_refused_with_the_key_named() -> None:
    key = {"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----"}
    with pytest.raises(ValueError, match="service-account key"):
        _config("bigquery://p/d", credentials_json=json.dumps(key))
