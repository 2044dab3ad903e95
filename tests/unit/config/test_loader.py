"""Loading aws2bq.toml: errors that name the key and the line, env vars, arguments, secrets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from aws2bq.config import (
    ConfigValidationError,
    DynamoDBStream,
    RdsStream,
    env_var_name,
    load_config,
    parse_config,
)
from aws2bq.errors import ConfigError

ROLE = "arn:aws:iam::123456789012:role/aws2bq-rds-export"

GOOD = f"""
warehouse = "duckdb:///w.duckdb"

[streams.orders]
table = "Orders"
export_bucket = "exports-1"
cadence = "incremental"
mode = "merge"

[streams.shop-db]
instance = "shop"
export_bucket = "exports-1"
iam_role_arn = "{ROLE}"
kms_key_id = "alias/exports"

[streams.shop-db.tables."shop.orders"]
keys = ["id"]
mode = "merge"
"""


def problems(text: str, **kwargs: object) -> list[tuple[str, str, str]]:
    with pytest.raises(ConfigValidationError) as info:
        parse_config(text, **kwargs)  # type: ignore[arg-type]
    assert info.value.exit_code == 2
    return [(p.where, p.key, p.message) for p in info.value.problems]


def test_a_good_config_loads_with_kinds_inferred_and_defaults_filled() -> None:
    config = parse_config(GOOD)
    orders = config.streams["orders"]
    shop = config.streams["shop-db"]
    assert isinstance(orders, DynamoDBStream)
    assert isinstance(shop, RdsStream)
    assert orders.every == timedelta(hours=1)  # the incremental default window
    assert orders.prefix == "aws2bq/orders"
    assert shop.settings_for("shop", "orders").mode == "merge"
    assert shop.settings_for("shop", "customers").mode == "replace"


def test_an_error_names_the_key_path_and_the_line_in_a_table() -> None:
    text = GOOD.replace(
        'mode = "merge"\n\n[streams.shop-db]', 'mode = "upsert"\n\n[streams.shop-db]'
    )
    [(where, key, message)] = problems(text)
    assert (where, key) == ("aws2bq.toml:8", "streams.orders.mode")
    assert "'upsert'" in message and "merge" in message


def test_an_error_inside_array_of_tables_points_at_the_entry_line() -> None:
    text = """
[[streams]]
name = "a"
table = "A_table"
export_bucket = "exports-1"

[[streams]]
name = "b"
table = "B_table"
export_bucket = "exports-1"
sse_algorithm = "DES"
"""
    [(where, key, _)] = problems(text)
    assert (where, key) == ("aws2bq.toml:11", "streams.b.sse_algorithm")


def test_dotted_keys_and_inline_tables_are_located() -> None:
    text = """
streams.t.table = "Orders"
streams.t.export_bucket = "exports-1"
streams.t.partition_by = { column = "created", granularity = "WEEK" }
"""
    [(where, key, _)] = problems(text)
    assert (where, key) == ("aws2bq.toml:4", "streams.t.partition_by.granularity")


def test_a_quoted_table_key_is_shown_quoted_and_located() -> None:
    text = GOOD.replace(
        'keys = ["id"]\nmode = "merge"', 'keys = ["id"]\nmode = "merge"\ncolour = 1'
    )
    [(where, key, message)] = problems(text)
    assert (where, key) == ("aws2bq.toml:19", 'streams.shop-db.tables."shop.orders".colour')
    assert message == "unknown key"


def test_a_misspelt_key_gets_a_suggestion() -> None:
    text = GOOD.replace('cadence = "incremental"', 'cadence = "incremental"\nexprot_prefix = "x"')
    [(where, key, message)] = problems(text)
    assert (where, key) == ("aws2bq.toml:8", "streams.orders.exprot_prefix")
    assert "did you mean 'export_prefix'" in message


def test_a_missing_key_points_at_its_table_header() -> None:
    text = GOOD.replace('export_bucket = "exports-1"\ncadence', "cadence")
    [(where, key, message)] = problems(text)
    assert (where, key, message) == (
        "aws2bq.toml:4",
        "streams.orders.export_bucket",
        "missing required key",
    )


def test_a_stream_of_unknown_kind_says_how_to_fix_it() -> None:
    [(where, key, message)] = problems('[streams.x]\nexport_bucket = "exports-1"\n')
    assert (where, key) == ("aws2bq.toml:1", "streams.x")
    assert 'kind = "dynamodb"' in message


def test_all_problems_are_reported_together() -> None:
    text = GOOD.replace('"duckdb:///w.duckdb"', '"postgres://x"').replace(
        'instance = "shop"', 'instance = "shop"\ncluster = "c"'
    )
    found = problems(text)
    assert [(w, k) for w, k, _ in found] == [
        ("aws2bq.toml:2", "warehouse"),
        ("aws2bq.toml:10", "streams.shop-db"),
    ]
    assert "exactly one of instance" in found[1][2]


def test_invalid_toml_is_a_config_error_with_the_line() -> None:
    with pytest.raises(ConfigError, match="line 2"):
        parse_config('warehouse = "x"\nstreams = = 1\n')


# -- environment variables and arguments --------------------------------------------------------
def test_env_var_names_follow_the_documented_scheme() -> None:
    assert env_var_name(("warehouse",)) == "AWS2BQ_WAREHOUSE"
    assert env_var_name(("streams", "shop-db", "tables", "shop.orders", "keys")) == (
        "AWS2BQ_STREAMS__SHOP_DB__TABLES__SHOP_ORDERS__KEYS"
    )


def test_order_is_argument_then_environment_then_file() -> None:
    env = {"AWS2BQ_WAREHOUSE": "duckdb:///env.duckdb", "AWS2BQ_STREAMS__ORDERS__MODE": "history"}
    assert parse_config(GOOD).warehouse == "duckdb:///w.duckdb"
    from_env = parse_config(GOOD, environ=env)
    assert from_env.warehouse == "duckdb:///env.duckdb"
    assert from_env.streams["orders"].mode == "history"
    from_arg = parse_config(GOOD, environ=env, overrides={"warehouse": "duckdb:///arg.duckdb"})
    assert from_arg.warehouse == "duckdb:///arg.duckdb"
    assert parse_config(GOOD, environ=env, overrides={"warehouse": None}).warehouse == (
        "duckdb:///env.duckdb"
    )


def test_env_names_match_stream_and_table_keys_by_folding() -> None:
    env = {
        "AWS2BQ_STREAMS__SHOP_DB__TABLES__SHOP_ORDERS__KEYS": '["id", "tenant"]',
        "AWS2BQ_STREAMS__SHOP_DB__EVERY": "6h",
        "AWS2BQ_RUN__WAIT": "false",
    }
    config = parse_config(GOOD, environ=env)
    shop = config.streams["shop-db"]
    assert isinstance(shop, RdsStream)
    assert shop.tables["shop.orders"].keys == ["id", "tenant"]
    assert shop.every == timedelta(hours=6)
    assert config.run.wait is False


def test_a_stream_can_come_from_the_environment_alone() -> None:
    env = {
        "AWS2BQ_STREAMS__EVENTS": '{"table": "Events", "export_bucket": "exports-1"}',
        "AWS2BQ_STREAMS__EVENTS__MODE": "merge",  # more specific wins over the JSON
        "AWS2BQ_TEST_MYSQL_HOST": "127.0.0.1",  # not configuration: ignored
        "AWS2BQ_AWS__PROFILE": "",  # empty: unset
    }
    config = load_config(environ=env)
    assert list(config.streams) == ["events"]
    assert config.streams["events"].mode == "merge"
    assert config.aws.profile is None


def test_an_env_error_names_the_variable() -> None:
    env = {"AWS2BQ_STREAMS__ORDERS__EVERY": "5m"}
    [(where, key, message)] = problems(GOOD, environ=env)
    assert where == "environment variable AWS2BQ_STREAMS__ORDERS__EVERY"
    assert key == "streams.orders.every"
    assert "between 15m and 24h" in message


def test_bad_json_in_an_env_var_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="AWS2BQ_STREAMS__ORDERS__KEYS"):
        parse_config(GOOD, environ={"AWS2BQ_STREAMS__ORDERS__KEYS": '["pk"'})


def test_file_resolution_argument_then_env_text_then_env_path(tmp_path: Path) -> None:
    file_a = tmp_path / "a.toml"
    file_a.write_text('warehouse = "duckdb:///a.duckdb"\n')
    file_b = tmp_path / "b.toml"
    file_b.write_text('warehouse = "duckdb:///b.duckdb"\n')
    env = {
        "AWS2BQ_CONFIG_TOML": 'warehouse = "duckdb:///text.duckdb"',
        "AWS2BQ_CONFIG": str(file_b),
    }
    assert load_config(file_a, environ=env).warehouse == "duckdb:///a.duckdb"
    assert load_config(environ=env).warehouse == "duckdb:///text.duckdb"
    assert load_config(environ={"AWS2BQ_CONFIG": str(file_b)}).warehouse == "duckdb:///b.duckdb"
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml", environ={})


def test_errors_in_env_text_config_name_that_source() -> None:
    env = {"AWS2BQ_CONFIG_TOML": 'warehouse = "nope://x"\n'}
    with pytest.raises(ConfigValidationError) as info:
        load_config(environ=env)
    assert info.value.problems[0].where == "$AWS2BQ_CONFIG_TOML:1"


# -- secrets -------------------------------------------------------------------------------------
SA_KEY = '{"type": "service_account", "private_key": "-----BEGIN SECRET-----"}'
WIF = (
    '{"type": "external_account", "audience": "//iam.googleapis.com/projects/1/locations/'
    'global/workloadIdentityPools/p/providers/aws", "subject_token_type": '
    '"urn:ietf:params:aws:token-type:aws4_request", "token_url": '
    '"https://sts.googleapis.com/v1/token", "credential_source": {"environment_id": "aws1"}}'
)


def test_workload_identity_config_is_accepted_and_never_shown() -> None:
    config = parse_config("", environ={"AWS2BQ_BIGQUERY__CREDENTIALS_JSON": WIF})
    info = config.bigquery.credentials_info()
    assert info is not None and info["type"] == "external_account"
    assert "sts.googleapis.com" not in repr(config)
    assert "sts.googleapis.com" not in str(config.model_dump())


def test_a_service_account_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigValidationError) as info:
        parse_config("", environ={"AWS2BQ_BIGQUERY__CREDENTIALS_JSON": SA_KEY})
    text = str(info.value)
    assert "long-lived" in text
    assert "BEGIN SECRET" not in text
    assert info.value.problems[0].where == "environment variable AWS2BQ_BIGQUERY__CREDENTIALS_JSON"
    allowed = parse_config(
        "[bigquery]\nallow_service_account_key = true\n",
        environ={"AWS2BQ_BIGQUERY__CREDENTIALS_JSON": SA_KEY},
    )
    assert allowed.bigquery.credentials_json is not None


def test_non_json_credentials_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigValidationError) as info:
        parse_config("[bigquery]\ncredentials_json = 'hunter2-not-json'\n")
    assert "not valid JSON" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_credentials_file_is_read_on_demand(tmp_path: Path) -> None:
    path = tmp_path / "wif.json"
    path.write_text(WIF)
    config = parse_config(f"[bigquery]\ncredentials_file = '{path}'\n")
    info = config.bigquery.credentials_info()
    assert info is not None and info["credential_source"] == {"environment_id": "aws1"}
