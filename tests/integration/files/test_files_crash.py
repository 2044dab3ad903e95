"""A ``load files`` killed (SIGKILL) at any stage leaves the table and ledger as they were,
and the next load applies every object exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from aws2bq.sandbox import Sandbox
from tests.integration.changes.conftest import crash_at, leftovers, ok, query, run_cli

from .conftest import S3Bucket, jsonl


@pytest.mark.parametrize(
    "stage", ["download", "staged", "typed", "apply:begin", "apply:before_commit", "applied"]
)
def test_a_crash_then_a_rerun_applies_each_object_once(
    sandbox: Sandbox, s3: S3Bucket, tmp_path: Path, stage: str
) -> None:
    db = tmp_path / "w.duckdb"
    args = ["load", "files", s3.url("k/"), "--format", "jsonl", "--table", "t",
            "--warehouse", f"duckdb:///{db}", "--quiet"]  # fmt: skip
    s3.put("k/1.jsonl", jsonl([{"id": 1}, {"id": 2}]))
    ok(run_cli(args, sandbox=sandbox))
    s3.put("k/2.jsonl.gz", jsonl([{"id": 3}], gz=True))
    crash_at(stage, args, sandbox=sandbox)
    committed = stage == "applied"
    assert query(db, "SELECT count(*) FROM t") == [(3 if committed else 2,)]
    assert query(db, "SELECT count(*) FROM _aws2bq_ledger") == [(2 if committed else 1,)]
    ok(run_cli(args, sandbox=sandbox))
    assert query(db, "SELECT id FROM t ORDER BY id") == [(1,), (2,), (3,)]
    assert query(db, "SELECT count(*) FROM _aws2bq_ledger") == [(2,)]
    assert leftovers(db) == []
