"""11.10: settings the docs promise do what they say.

- ``AWS_REGION`` alone is enough (boto3 only reads ``AWS_DEFAULT_REGION``): ``run``, ``plan``
  and ``load`` pass the region to every client. No region anywhere is a configuration error
  (exit 2, one line) before anything runs. ``aws.profile`` reaches every client, S3 reads too.
- ``plan`` fails (exit 1) when it cannot plan.
- Every summary prints the warehouse's resolved absolute path; ``duckdb:///tmp/x.duckdb``
  (relative ``./tmp/x.duckdb``) is refused when ``./tmp`` does not exist but ``/tmp`` does,
  instead of silently creating ``./tmp``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aws2bq.sandbox import Sandbox

from .conftest import Cli, error_line, local_export
from .rds_exports import write_rds_export


@pytest.fixture
def only_aws_region(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Sandbox:
    """The sandbox's endpoint and keys, and the region only in AWS_REGION."""
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return sandbox


def _stream(sb: Sandbox, tmp: Path, unique: str) -> Path:
    table, bucket = f"orders-{unique}", f"set-{unique}"
    sb.client("s3").create_bucket(Bucket=bucket)
    sb.dynamodb.create_table(table, hash_key=("id", "N"))
    sb.client("dynamodb").put_item(TableName=table, Item={"id": {"N": "1"}})
    config = tmp / "aws2bq.toml"
    config.write_text(
        f'warehouse = "duckdb:///{tmp / "w.duckdb"}"\n'
        f'[streams.orders]\ntable = "{table}"\nexport_bucket = "{bucket}"\n'
    )
    return config


def test_aws_region_alone_is_enough_for_run_and_plan(
    only_aws_region: Sandbox, tmp_path: Path, cli: Cli, unique: str
) -> None:
    config = _stream(only_aws_region, tmp_path, unique)
    code, out, err = cli("plan", "-c", str(config), "--json")
    assert code == 0, err
    code, out, err = cli("run", "-c", str(config), "--no-wait", "--json")
    assert code == 0, err
    (stream,) = json.loads(out)["summary"]["streams"]
    assert stream["status"] == "ok" and stream["started"], stream


def test_aws_region_alone_is_enough_for_a_load_from_s3(
    only_aws_region: Sandbox, tmp_path: Path, cli: Cli, unique: str
) -> None:
    sb = only_aws_region
    bucket, table = f"reg-{unique}", f"t{unique}"
    sb.client("s3").create_bucket(Bucket=bucket)
    sb.dynamodb.create_table(table, hash_key=("pk", "S"))
    sb.client("dynamodb").put_item(TableName=table, Item={"pk": {"S": "a"}})
    sb.dynamodb.export_full(table, bucket, prefix="exp")
    # merge without --key: the key comes from DescribeTable, another client needing the region
    wh = f"duckdb:///{tmp_path / 'w.duckdb'}"
    code, _, err = cli("load", "dynamodb", f"s3://{bucket}/exp", "--table", "t", "--mode",
                       "merge", "--warehouse", wh, "--quiet")  # fmt: skip
    assert code == 0, err


def test_no_region_anywhere_is_a_config_error(
    only_aws_region: Sandbox, tmp_path: Path, cli: Cli, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _stream(only_aws_region, tmp_path, unique)
    monkeypatch.delenv("AWS_REGION")
    for argv in (["run", "-c", str(config), "--no-wait"], ["plan", "-c", str(config)]):
        code, out, err = cli(*argv)
        assert code == 2 and "no AWS region is set" in error_line(err), err
        assert out == ""
    code, _, err = cli("load", "rds", "s3://b/p/t/", "--warehouse", "duckdb:///:memory:")
    assert code == 2 and "AWS_REGION" in error_line(err), err


def test_the_profile_in_the_config_reaches_every_client(
    only_aws_region: Sandbox, tmp_path: Path, cli: Cli, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _stream(only_aws_region, tmp_path, unique)
    monkeypatch.delenv("AWS_REGION")
    keys = only_aws_region.env()
    (tmp_path / "aws-config").write_text(
        "[profile analytics]\nregion = us-east-1\n"
        f"aws_access_key_id = {keys['AWS_ACCESS_KEY_ID']}\n"
        f"aws_secret_access_key = {keys['AWS_SECRET_ACCESS_KEY']}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    config.write_text(
        config.read_text().replace("[streams", '[aws]\nprofile = "analytics"\n[streams', 1)
    )
    code, out, err = cli("run", "-c", str(config), "--no-wait", "--json")
    assert code == 0, err
    code, out, err = cli("run", "-c", str(config), "--wait", "--json")  # applies it: S3 reads
    assert code == 0, err
    (stream,) = json.loads(out)["summary"]["streams"]
    assert stream["applied"], stream


# -- the warehouse path ----------------------------------------------------------------------------
def test_a_relative_path_shadowing_an_absolute_one_is_refused(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = local_export(tmp_path / "src", [{"pk": {"S": "a"}}], files=1)
    code, _, err = cli("load", "dynamodb", str(folder), "--table", "t",
                       "--warehouse", "duckdb:///tmp/aws2bq-x.duckdb", "--quiet")  # fmt: skip
    line = error_line(err)
    assert code == 2 and "duckdb:////tmp/aws2bq-x.duckdb" in line and "four slashes" in line
    assert not (tmp_path / "tmp").exists() and not Path("/tmp/aws2bq-x.duckdb").exists()


def test_every_summary_prints_the_resolved_path(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    wanted = str(tmp_path / "rel" / "w.duckdb")
    (tmp_path / "rel").mkdir()
    url = "duckdb:///rel/w.duckdb"
    folder = local_export(tmp_path / "src", [{"pk": {"S": "a"}}], files=1)
    code, out, err = cli("load", "dynamodb", str(folder), "--table", "t", "--warehouse", url)
    assert code == 0, err
    assert json.loads(out)["summary"]["warehouse_location"] == wanted
    rds = write_rds_export(
        tmp_path / "rds", {"shop.orders": __import__("pyarrow").table({"id": [1]})}
    )
    code, out, err = cli("load", "rds", str(rds), "--warehouse", url, "--quiet")
    assert code == 0, err
    assert json.loads(out)["summary"]["warehouse_location"] == wanted
    config = tmp_path / "aws2bq.toml"
    config.write_text(f'warehouse = "{url}"\n[aws]\nregion = "us-east-1"\n')
    for command in ("run", "plan"):
        code, out, err = cli(command, "-c", str(config), "--json")
        assert code == 0, err
        assert json.loads(out)["summary"]["warehouse_location"] == wanted
    code, out, err = cli("status", "-c", str(config), "--json")
    assert code == 0, err
    assert json.loads(out)["warehouse_location"] == wanted
