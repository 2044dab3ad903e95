"""Fixtures of the files-source tests: the sandbox's S3 (moto server), the in-process CLI."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aws2bq.sandbox import Sandbox
from tests.integration.bigquery.conftest import (  # noqa: F401  (BigQuery's fixtures, shared)
    bq_emulator,
    bq_gcs_root,
    bq_warehouse,
    gcs_emulator,
    gcs_state_dir,
    googlesql,
)
from tests.integration.load.conftest import run_cli


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    return lambda *args: run_cli(args, capsys)


@pytest.fixture
def s3(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, unique: str) -> S3Bucket:
    """A fresh bucket in the sandbox, with boto3's environment pointing at it."""
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    client = sandbox.client("s3")
    bucket = f"files-{unique}"
    client.create_bucket(Bucket=bucket)
    return S3Bucket(client, bucket)


class S3Bucket:
    """Write objects the way applications do (real boto3 calls against the sandbox)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def url(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{prefix}"

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


def jsonl(records: list[dict[str, Any]], *, gz: bool = False) -> bytes:
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    return gzip.compress(data) if gz else data


def parquet(columns: dict[str, list[Any]]) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table(columns), buf)
    return buf.getvalue()
