"""``aws2bq load dynamodb`` from real sandbox exports (moto server, AWS's layout) into DuckDB."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aws2bq.sandbox import Sandbox

from .conftest import rows, snapshot


@pytest.fixture
def aws_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    return sandbox


def _table_with_items(sb: Sandbox, name: str, items: list[dict[str, Any]]) -> None:
    sb.dynamodb.create_table(name, hash_key=("pk", "S"))
    client = sb.client("dynamodb")
    for item in items:
        client.put_item(TableName=name, Item=item)


def test_s3_export_loads_and_reloads_as_a_no_op(
    aws_env: Sandbox, unique: str, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    sb = aws_env
    bucket = f"b-{unique}"
    sb.client("s3").create_bucket(Bucket=bucket)
    items = [
        {
            "pk": {"S": f"k{i}"},
            "n": {"N": str(i * 10**20)},
            "s": {"SS": ["a", "b"]},
            "m": {"M": {"x": {"N": "1.5"}}},
        }
        for i in range(25)
    ]
    _table_with_items(sb, f"t{unique}", items)
    description = sb.dynamodb.export_full(f"t{unique}", bucket, prefix="exp")
    assert description["ExportStatus"] == "COMPLETED"
    db = tmp_path / "w.duckdb"
    target = f"s3://{bucket}/exp"
    code, _, err = cli(
        "load",
        "dynamodb",
        target,
        "--table",
        "t",
        "--key",
        "pk",
        "--warehouse",
        f"duckdb:///{db}",
        "--quiet",
    )
    assert code == 0, err
    assert rows(db, "SELECT count(*), max(n) FROM t") == [(25, Decimal(24 * 10**20))]
    before = snapshot(db)
    code, out, _ = cli(
        "load", "dynamodb", target, "--table", "t", "--warehouse", f"duckdb:///{db}", "--quiet"
    )
    assert code == 0 and "already_applied" in out
    assert snapshot(db) == before
    assert os.environ["AWS_ENDPOINT_URL"] == sb.endpoint_url


def test_s3_export_with_a_corrupted_file_is_refused(
    aws_env: Sandbox, unique: str, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    sb = aws_env
    bucket = f"b-{unique}"
    s3 = sb.client("s3")
    s3.create_bucket(Bucket=bucket)
    _table_with_items(sb, f"t{unique}", [{"pk": {"S": f"k{i}"}} for i in range(10)])
    sb.dynamodb.export_full(f"t{unique}", bucket, prefix="exp")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    data = [k for k in keys if k.endswith(".json.gz")]
    assert data
    biggest = max(data, key=lambda k: s3.head_object(Bucket=bucket, Key=k)["ContentLength"])
    s3.put_object(Bucket=bucket, Key=biggest, Body=b"not the original bytes")
    db = tmp_path / "w.duckdb"
    code, _, err = cli(
        "load",
        "dynamodb",
        f"s3://{bucket}/exp",
        "--table",
        "t",
        "--warehouse",
        f"duckdb:///{db}",
        "--quiet",
    )
    assert code == 1 and "MD5" in err and biggest in err
    assert snapshot(db) in ({}, {"_aws2bq_ledger": []})
    assert not db.exists() or "t" not in snapshot(db)
