"""A ``files`` stream in ``aws2bq.toml``: ``run`` loads the new objects on each run,
``run --plan`` lists them and changes nothing, and ``status`` reads the stream's ledger."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from aws2bq.cli.run import print_summary
from aws2bq.config.loader import parse_config
from aws2bq.errors import ConfigError
from aws2bq.runner.run import run_streams
from aws2bq.runner.status import stream_status
from tests.integration.load.conftest import rows, snapshot

from .conftest import S3Bucket, jsonl


def test_a_files_stream_runs_incrementally(s3: S3Bucket, tmp_path: Path) -> None:
    # (The plan's summary text is checked in test_the_plan_summary_names_the_objects.)
    db = tmp_path / "w.duckdb"
    config = parse_config(
        f'warehouse = "duckdb:///{db}"\n'
        "[streams.app-logs]\n"
        f'source = "{s3.url("app/")}"\n'
        'format = "jsonl"\n'
        'mode = "merge"\n'
        'keys = ["id"]\n'
    )
    assert config.streams["app-logs"].kind == "files"  # inferred from `source`
    s3.put("app/1.jsonl.gz", jsonl([{"id": 1, "msg": "a"}], gz=True))

    plan = run_streams(config, plan_only=True)
    assert plan.failed == [] and plan.streams[0].applied == []
    [would] = plan.streams[0].would_load
    assert would["table"] == "app_logs" and would["objects"][0]["key"] == "app/1.jsonl.gz"
    assert would["bytes"] == would["objects"][0]["size"] > 0
    assert snapshot(db) == {}

    summary = run_streams(config)
    assert summary.failed == [], summary.to_dict()
    assert summary.streams[0].applied[0]["rows"] == 1
    assert rows(db, "SELECT id, msg FROM app_logs") == [(1, "a")]

    s3.put("app/2.jsonl", jsonl([{"id": 1, "msg": "b"}, {"id": 2, "msg": "c"}]))
    summary = run_streams(config)
    assert summary.failed == [] and summary.streams[0].applied[0]["objects"] == 1
    assert rows(db, "SELECT id, msg FROM app_logs ORDER BY id") == [(1, "b"), (2, "c")]

    again = run_streams(config)
    assert again.streams[0].applied == [] and "no new object" in again.streams[0].notes

    status = stream_status(config)[0]
    assert status.kind == "files" and status.last_export_id is not None
    assert [t.table for t in status.tables] == ["app_logs"]


def test_a_changed_object_fails_the_stream(s3: S3Bucket, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    config = parse_config(
        f'warehouse = "duckdb:///{db}"\n[streams.logs]\nkind = "files"\n'
        f'source = "{s3.url("c/")}"\nformat = "jsonl"\n'
    )
    s3.put("c/1.jsonl", jsonl([{"id": 1}]))
    assert run_streams(config).failed == []
    s3.put("c/1.jsonl", jsonl([{"id": 5}]))
    summary = run_streams(config)
    assert summary.failed == ["logs"] and "c/1.jsonl (applied with ETag" in str(
        summary.streams[0].error
    )
    assert rows(db, "SELECT id FROM logs") == [(1,)]


def test_local_files_streams_need_no_aws_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "1.jsonl").write_bytes(jsonl([{"id": 1}]))
    db = tmp_path / "w.duckdb"
    config = parse_config(
        f'warehouse = "duckdb:///{db}"\n[streams.logs]\nsource = "{logs}"\nformat = "jsonl"\n'
    )
    summary = run_streams(config)
    assert summary.failed == [], summary.to_dict()
    assert rows(db, "SELECT id FROM logs") == [(1,)]
    s3_config = parse_config(
        f'warehouse = "duckdb:///{db}"\n[streams.s3logs]\nsource = "s3://b/p/"\nformat = "jsonl"\n'
    )
    with pytest.raises(ConfigError, match="no AWS region is set"):
        run_streams(s3_config)


def test_the_plan_summary_names_the_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "1.jsonl").write_bytes(b'{"id": 1}\n')
    (logs / "2.jsonl").write_bytes(b'{"id": 2}\n{"id": 3}\n')
    config = parse_config(
        f'warehouse = "duckdb:///{tmp_path / "w.duckdb"}"\n[streams.app-logs]\n'
        f'source = "{logs}"\nformat = "jsonl"\n'
    )
    plan = run_streams(config, plan_only=True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # the text form
    print_summary(plan, as_json=False)
    text = capsys.readouterr().out
    assert "would load 2 object(s), 30 bytes, into app_logs" in text
    assert f"{logs / '2.jsonl'} (20 bytes)" in text
    assert "apply" not in text and "export_id" not in text
    print_summary(plan, as_json=True)
    [stream] = json.loads(capsys.readouterr().out)["summary"]["streams"]
    assert stream["applied"] == [] and len(stream["would_load"][0]["objects"]) == 2


def test_status_lists_tables_loaded_without_a_stream(tmp_path: Path) -> None:
    """A table `aws2bq load files` filled is in `status` too, under its ledger stream (a new
    user's trial: status of a warehouse loaded from the CLI listed nothing)."""
    from aws2bq.sources.files.load import FilesLoadRequest, load_files
    from aws2bq.sources.files.options import Format

    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "1.jsonl").write_bytes(jsonl([{"id": 1}, {"id": 2}]))
    db = tmp_path / "w.duckdb"
    load_files(FilesLoadRequest(str(logs), "events", Format.JSONL, warehouse=f"duckdb:///{db}"))
    config = parse_config(f'warehouse = "duckdb:///{db}"\n')
    [status] = stream_status(config)
    assert (status.stream, status.kind) == ("files:events", "files")
    assert status.note and "not in the config" in status.note
    [table] = status.tables
    assert (table.table, table.warehouse_rows, table.mode) == ("events", 2, "append")
    assert table.matches is None  # an append table keeps rows across loads: not compared
    # Asking for named streams shows those only.
    assert stream_status(parse_config(
        f'warehouse = "duckdb:///{db}"\n[streams.logs]\nsource = "{logs}"\nformat = "jsonl"\n'
    ), streams=["logs"])[0].stream == "logs"  # fmt: skip
