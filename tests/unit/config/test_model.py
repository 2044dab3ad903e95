"""The validation rules of the model (AWS limits and combinations that cannot work)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from aws2bq.config import Config, DynamoDBStream, RdsStream
from aws2bq.config.durations import format_duration, parse_duration

ROLE = "arn:aws:iam::123456789012:role/export"


def ddb(**kw: Any) -> DynamoDBStream:
    return DynamoDBStream.model_validate(
        {"name": "s", "table": "Orders", "export_bucket": "exports-1", **kw}
    )


def rds(**kw: Any) -> RdsStream:
    base = {
        "name": "s",
        "instance": "db1",
        "export_bucket": "exports-1",
        "iam_role_arn": ROLE,
        "kms_key_id": "alias/k",
    }
    return RdsStream.model_validate({**base, **kw})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("1h30m", 5400), ("2d", 172800), ("1w", 604800), ("PT1H", 3600), (90, 90)],
)
def test_durations(text: Any, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["soon", "0m", "-5m", True, ""])
def test_bad_durations(bad: Any) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_durations_round_trip_in_short_form() -> None:
    assert format_duration(parse_duration("1d2h3m4s")) == "1d2h3m4s"
    assert ddb(every="90m").model_dump(mode="json")["every"] == "1h30m"


@pytest.mark.parametrize("every", ["15m", "24h", "1h"])
def test_incremental_windows_inside_aws_limits_pass(every: str) -> None:
    assert ddb(cadence="incremental", mode="merge", every=every).every == parse_duration(every)


@pytest.mark.parametrize("every", ["14m", "24h1m", "2d"])
def test_incremental_windows_outside_aws_limits_fail(every: str) -> None:
    with pytest.raises(ValidationError, match="between 15m and 24h") as info:
        ddb(cadence="incremental", mode="merge", every=every)
    assert info.value.errors()[0]["loc"] == ("every",)


def test_full_cadence_allows_long_intervals() -> None:
    assert ddb(every="7d").every == timedelta(days=7)


def test_incremental_cannot_replace() -> None:
    with pytest.raises(ValidationError, match="needs mode") as info:
        ddb(cadence="incremental")  # mode defaults to replace
    assert info.value.errors()[0]["loc"] == ("mode",)


def test_full_every_rules() -> None:
    assert ddb(cadence="incremental", mode="merge", full_every="7d").full_every == timedelta(days=7)
    with pytest.raises(ValidationError, match="incremental"):
        ddb(full_every="7d")
    with pytest.raises(ValidationError, match="shorter"):
        ddb(cadence="incremental", mode="merge", every="2h", full_every="1h")


def test_kms_settings_must_agree() -> None:
    assert ddb(sse_algorithm="KMS", kms_key_id="alias/k").kms_key_id == "alias/k"
    with pytest.raises(ValidationError, match="needs kms_key_id"):
        ddb(sse_algorithm="KMS")
    with pytest.raises(ValidationError, match="set it to KMS"):
        ddb(kms_key_id="alias/k")


def test_soft_delete_only_with_merge() -> None:
    assert ddb(mode="merge", soft_delete=True).soft_delete
    with pytest.raises(ValidationError, match="soft_delete"):
        ddb(mode="history", soft_delete=True)


@pytest.mark.parametrize(
    "table", ["Orders", "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders.v2"]
)
def test_table_name_or_arn(table: str) -> None:
    assert ddb(table=table).table_name in ("Orders", "Orders.v2")


@pytest.mark.parametrize("table", ["ab", "arn:aws:dynamodb:eu-west-1:12345:table/Orders", "a b c"])
def test_bad_tables(table: str) -> None:
    with pytest.raises(ValidationError):
        ddb(table=table)


def test_bucket_is_a_name_not_a_url() -> None:
    with pytest.raises(ValidationError, match="bucket name only"):
        ddb(export_bucket="s3://exports-1/x")


def test_keys_at_most_two_and_unique() -> None:
    with pytest.raises(ValidationError):
        ddb(keys=["a", "b", "c"])
    with pytest.raises(ValidationError, match="repeat"):
        ddb(keys=["a", "a"])


def test_cluster_by_at_most_four() -> None:
    with pytest.raises(ValidationError):
        ddb(cluster_by=["a", "b", "c", "d", "e"])


# -- RDS ----------------------------------------------------------------------------------------
def test_exactly_one_of_instance_or_cluster() -> None:
    assert rds(instance=None, cluster="aurora-1").cluster == "aurora-1"
    with pytest.raises(ValidationError, match="exactly one"):
        rds(cluster="aurora-1")
    with pytest.raises(ValidationError, match="exactly one"):
        rds(instance=None)


def test_identifier_not_arn() -> None:
    with pytest.raises(ValidationError, match="not the ARN"):
        rds(instance="arn:aws:rds:us-east-1:123456789012:db:x")


def test_role_must_be_a_role_arn() -> None:
    with pytest.raises(ValidationError, match="IAM role ARN"):
        rds(iam_role_arn="aws2bq-rds-export")


@pytest.mark.parametrize("entry", ["shop", "shop.orders", "app.public.users", "a$b"])
def test_export_only_good(entry: str) -> None:
    assert rds(export_only=[entry]).export_only == [entry]


@pytest.mark.parametrize("entry", ["", "a.b.c.d", "shop.order-items", "shop..x"])
def test_export_only_bad(entry: str) -> None:
    with pytest.raises(ValidationError, match="export_only"):
        rds(export_only=[entry])


def test_tables_need_keys_for_merge_and_history() -> None:
    with pytest.raises(ValidationError, match="needs keys"):
        rds(tables={"shop.orders": {"mode": "merge"}})
    with pytest.raises(ValidationError, match="needs keys"):
        rds(mode="history", tables={"shop.orders": {}})
    assert rds(tables={"shop.orders": {"mode": "merge", "keys": ["id"]}})


def test_tables_must_be_covered_by_export_only() -> None:
    with pytest.raises(ValidationError, match="not exported"):
        rds(export_only=["shop.customers"], tables={"shop.orders": {}})
    assert rds(export_only=["shop"], tables={"shop.orders": {}})


def test_table_key_depth_follows_the_engine() -> None:
    with pytest.raises(ValidationError, match=r"db\.schema\.table"):
        rds(engine="postgres", tables={"app.users": {}})
    with pytest.raises(ValidationError, match=r"db\.table"):
        rds(engine="mysql", tables={"app": {}})
    # A MySQL table name may hold dots (`core.user`): its target is shop.core.user.
    assert "shop.core.user" in rds(engine="mysql", tables={"shop.core.user": {}}).tables


def test_table_naming() -> None:
    assert rds().destination_for("shop", "orders") == "shop__orders"
    assert rds(engine="postgres").destination_for("app", "users", "public") == "app__public__users"
    assert rds(table_name_template="raw_{table}").destination_for("shop", "orders") == "raw_orders"
    own = rds(tables={"shop.orders": {"destination": "orders_v2"}})
    assert own.destination_for("shop", "orders") == "orders_v2"
    with pytest.raises(ValidationError, match="unknown placeholder"):
        rds(table_name_template="{database}_{table}")
    with pytest.raises(ValidationError, match="no schema level"):
        rds(engine="mysql", table_name_template="{db}_{schema}_{table}")


# -- the whole config ---------------------------------------------------------------------------
def test_stream_names_must_be_env_safe_and_distinct() -> None:
    stream = {"table": "Orders", "export_bucket": "exports-1"}
    with pytest.raises(ValidationError, match="same in environment"):
        Config.model_validate({"streams": {"shop-db": stream, "shop_db": stream}})
    with pytest.raises(ValidationError, match="must start with a letter"):
        Config.model_validate({"streams": {"1st": stream}})


def test_unknown_stream_lookup_suggests() -> None:
    from aws2bq.errors import ConfigError

    config = Config.model_validate(
        {"streams": {"orders": {"table": "Orders", "export_bucket": "exports-1"}}}
    )
    with pytest.raises(ConfigError, match="did you mean 'orders'"):
        config.stream("order")


def test_warehouse_url_is_checked() -> None:
    with pytest.raises(ValidationError, match="unknown warehouse URL scheme"):
        Config.model_validate({"warehouse": "postgres://x/y"})
    assert Config.model_validate({"warehouse": "bigquery://p/d?location=EU"})


def test_rds_concurrency_cannot_exceed_aws_limit() -> None:
    with pytest.raises(ValidationError):
        Config.model_validate({"run": {"max_concurrent_rds_exports": 6}})
