"""Merge / soft-delete merge / history of DynamoDB *full* exports into DuckDB (issue 5).

Items are put, updated and deleted in the sandbox's DynamoDB (moto server); each state is
exported in AWS's layout and loaded with ``aws2bq load dynamodb --mode …``; the warehouse is
compared with a Scan of the table (merge) or with the expected versions (history).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from aws2bq.sandbox import Sandbox

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def aws_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    return sandbox


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    from tests.integration.load.conftest import run_cli

    return lambda *args: run_cli(args, capsys)


def q(wh: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return sorted(con.execute(sql).fetchall(), key=repr)
    finally:
        con.close()


MODES = {
    "merge": ("--mode", "merge"),
    "soft": ("--mode", "merge", "--soft-delete"),
    "history": ("--mode", "history"),
}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_full_exports_follow_the_table(
    aws_env: Sandbox, unique: str, tmp_path: Path, cli: Cli, mode: str
) -> None:
    sb = aws_env
    name = f"t{unique}"
    bucket = f"d-{unique}"
    sb.client("s3").create_bucket(Bucket=bucket)
    sb.dynamodb.create_table(name, hash_key=("pk", "S"))
    ddb = sb.client("dynamodb")
    wh = tmp_path / "w.duckdb"
    count = [0]

    def put(pk: str, n: int, **extra: dict[str, str]) -> None:
        ddb.put_item(TableName=name, Item={"pk": {"S": pk}, "n": {"N": str(n)}, **extra})

    def scan() -> list[tuple[Any, ...]]:
        items = ddb.scan(TableName=name)["Items"]
        return sorted((i["pk"]["S"], int(i["n"]["N"])) for i in items)

    def export_and_load(*extra: str) -> tuple[int, dict[str, Any], str, datetime]:
        count[0] += 1
        prefix = f"e{count[0]}"
        described = sb.dynamodb.export_full(name, bucket, prefix=prefix)
        assert described["ExportStatus"] == "COMPLETED"
        code, out, err = cli(
            "load", "dynamodb", f"s3://{bucket}/{prefix}", "--table", "items",
            "--warehouse", f"duckdb:///{wh}", "--quiet", *MODES[mode], *extra,
        )  # fmt: skip
        summary = json.loads(out)["summary"] if out.strip().startswith("{") else {}
        return code, summary, err, described["ExportTime"]

    for i in range(3):
        put(f"k{i}", i)
    code, _, err, t1 = export_and_load()  # no --key: DescribeTable's KeySchema
    assert code == 0, err
    put("k1", 11)
    ddb.delete_item(TableName=name, Key={"pk": {"S": "k2"}})
    put("k3", 3, tag={"S": "new attribute"})
    code, _, err, t2 = export_and_load()
    assert code == 0, err

    if mode == "merge":
        assert q(wh, "SELECT pk, n FROM items") == scan()
    elif mode == "soft":
        assert q(wh, "SELECT pk, n FROM items WHERE NOT _aws2bq_deleted") == scan()
        assert q(wh, "SELECT pk, n FROM items WHERE _aws2bq_deleted") == [("k2", 2)]
    else:
        assert q(wh, "SELECT pk, n FROM items WHERE _is_current AND NOT _is_deleted") == scan()
        got = q(wh, "SELECT pk, n, _valid_from, _valid_to, _is_current, _is_deleted FROM items")
        expected = [
            ("k0", 0, t1, None, True, False),
            ("k1", 1, t1, t2, False, False),
            ("k1", 11, t2, None, True, False),
            ("k2", 2, t1, t2, False, False),
            ("k2", 2, t2, None, True, True),
            ("k3", 3, t2, None, True, False),
        ]
        order = lambda r: (r[0], r[2])  # noqa: E731
        assert sorted(got, key=order) == sorted(expected, key=order)
    assert q(wh, "SELECT pk, tag FROM items WHERE tag IS NOT NULL") == [("k3", "new attribute")]

    # re-insert of a deleted key
    put("k2", 22)
    code, _, err, t3 = export_and_load()
    assert code == 0, err
    if mode == "history":
        assert q(wh, "SELECT n, _valid_from FROM items WHERE pk = 'k2' AND _is_current") == [
            (22, t3)
        ]
        assert q(wh, "SELECT count(*) FROM items WHERE pk = 'k2'") == [(3,)]
    else:
        live = "" if mode == "merge" else " WHERE NOT _aws2bq_deleted"
        assert q(wh, f"SELECT pk, n FROM items{live}") == scan()
        assert q(wh, "SELECT count(*) FROM items") == [(4,)]
