"""The transport decision, BigQuery's load job limits and the egress estimate (pure)."""

from __future__ import annotations

import pytest

from aws2bq.config.loader import parse_config
from aws2bq.core.transport import (
    MAX_BYTES_PER_LOAD_JOB,
    MAX_URIS_PER_LOAD_JOB,
    Route,
    Staged,
    TransportSpec,
    choose_route,
    egress_estimate,
    load_batches,
)

GIB = 1 << 30


@pytest.mark.parametrize(
    ("mode", "copier", "size", "route"),
    [
        ("direct", "auto", 100 * GIB, Route.DIRECT),
        ("auto", "auto", GIB - 1, Route.DIRECT),  # below auto_threshold
        ("auto", "auto", GIB, Route.COPY),  # at the threshold: staged, copied by the runner
        ("auto", "auto", 10 * GIB, Route.STS),  # at sts_threshold: Storage Transfer Service
        ("gcs", "auto", 1, Route.COPY),
        ("gcs", "runner", 100 * GIB, Route.COPY),
        ("gcs", "sts", 1, Route.STS),
    ],
)
def test_route_by_mode_copier_and_size(mode: str, copier: str, size: int, route: Route) -> None:
    spec = TransportSpec(mode=mode, staging_bucket="b", copier=copier)
    assert choose_route(spec, size) is route


def test_no_staging_ability_or_bucket_means_direct() -> None:
    assert choose_route(TransportSpec(mode="gcs", staging_bucket="b"), GIB, staging=False) is (
        Route.DIRECT
    )
    assert choose_route(TransportSpec(mode="gcs"), GIB) is Route.DIRECT


def test_load_batches_respect_uris_and_bytes_per_job() -> None:
    many = [Staged(f"gs://b/{i}", 1) for i in range(MAX_URIS_PER_LOAD_JOB * 2 + 3)]
    sizes = [len(b) for b in load_batches(many)]
    assert sizes == [MAX_URIS_PER_LOAD_JOB, MAX_URIS_PER_LOAD_JOB, 3]
    big = [Staged(f"gs://b/{i}", MAX_BYTES_PER_LOAD_JOB // 2 + 1) for i in range(3)]
    assert [len(b) for b in load_batches(big)] == [1, 1, 1]  # two would exceed 15 TB
    order = [s.uri for b in load_batches(many, max_uris=7) for s in b]
    assert order == [s.uri for s in many]  # the files' order is kept
    assert load_batches([]) == []


def test_egress_estimate_in_decimal_gigabytes() -> None:
    estimate = egress_estimate(2 * 10**9, TransportSpec(egress_usd_per_gb=0.09))
    assert estimate.to_dict() == {"bytes": 2 * 10**9, "gb": 2.0, "usd_per_gb": 0.09, "usd": 0.18}


def test_spec_from_the_config() -> None:
    config = parse_config(
        """
warehouse = "bigquery://p/d"
[bigquery]
staging_bucket = "stage"
transport = "auto"
project = "billing"
[bigquery.gcs]
auto_threshold = "2GiB"
copier = "sts"
sts_aws_role_arn = "arn:aws:iam::123456789012:role/aws2bq-sts-read"
[streams.a]
table = "Orders"
export_bucket = "exports"
transport = "gcs"
[streams.b]
table = "Other"
export_bucket = "exports"
"""
    )
    a = TransportSpec.from_settings(config.transport_of(config.streams["a"]), config.bigquery)
    b = TransportSpec.from_settings(config.transport_of(config.streams["b"]), config.bigquery)
    assert (a.mode, b.mode) == ("gcs", "auto")  # the stream's own, else the warehouse default
    assert a.auto_threshold == 2 * GIB and a.copier == "sts"
    assert a.transfer_project == "billing" and a.staging_bucket == "stage"
    assert a.sts_aws_role_arn == "arn:aws:iam::123456789012:role/aws2bq-sts-read"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[bigquery.gcs]\nupload_chunk = "1MB"\n', "multiple of 256 KiB"),
        ('[bigquery.gcs]\nsts_aws_role_arn = "role"\n', "not an IAM role ARN"),
        ('[bigquery.gcs]\nsts_aws_credentials_secret = "s"\n', "Secret Manager"),
        (
            '[bigquery.gcs]\nsts_aws_role_arn = "arn:aws:iam::123456789012:role/r"\n'
            'sts_aws_credentials_secret = "projects/p/secrets/s"\n',
            "not both",
        ),
        ('[bigquery]\ntransport = "s3"\n', "transport"),
    ],
)
def test_bad_transport_settings_name_the_key(toml: str, message: str) -> None:
    from aws2bq.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        parse_config('warehouse = "bigquery://p/d"\n' + toml)
