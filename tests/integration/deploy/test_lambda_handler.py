"""The Lambda adapter, invoked in-process with the deployed function's environment and the
deployed rules' EventBridge input.

Most tests use a recording runner: the adapter's whole job is to turn an event into one
``run_streams(config, streams=[...], wait=False)`` call, and the fake records exactly what it
was asked (the deployed stack's warehouse is BigQuery, which these tests do not reach). The
last tests run the real ``aws2bq.runner.run.run_streams`` against the sandbox into DuckDB.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from aws2bq.config import Config
from aws2bq.errors import Aws2BqError, ConfigError
from aws2bq.lambda_handler import LambdaRequest, handler
from aws2bq.sandbox import Sandbox

SCHEDULED_ENVELOPE = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-01-01T00:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/a2bfull-all-streams"],
    "detail": {},
}


class RecordingRunner:
    """Stands in for run_streams(config, streams=[...], wait=False)."""

    def __init__(self, result: Any = None) -> None:
        self.calls: list[tuple[Config, list[str], bool]] = []
        self.result = result

    def __call__(self, config: Config, *, streams: list[str], wait: bool) -> Any:
        self.calls.append((config, streams, wait))
        return self.result if self.result is not None else {"applied": {s: 1 for s in streams}}


class Context:
    aws_request_id = "req-1"


@pytest.fixture
def function_env(sandbox: Sandbox, full_stack: dict[str, Any]) -> dict[str, str]:
    """The environment the deployed function runs with."""
    config = sandbox.client("lambda").get_function_configuration(FunctionName="a2bfull-run")
    env: dict[str, str] = config["Environment"]["Variables"]
    return env


def rule_input(sandbox: Sandbox, rule: str) -> Any:
    [target] = sandbox.client("events").list_targets_by_rule(Rule=rule)["Targets"]
    return json.loads(target["Input"])


def test_a_stream_rule_runs_that_stream_without_waiting(
    sandbox: Sandbox, function_env: dict[str, str]
) -> None:
    runner = RecordingRunner()
    summary = handler(
        rule_input(sandbox, "a2bfull-orders"), Context(), run_streams=runner, environ=function_env
    )
    [(config, streams, wait)] = runner.calls
    assert (streams, wait) == (["orders"], False)
    assert config.warehouse == "bigquery://analytics/raw"  # AWS2BQ_WAREHOUSE from the stack
    assert config.streams["orders"].mode == "merge"  # AWS2BQ_CONFIG_TOML from the stack
    assert summary["streams"] == ["orders"]
    assert summary["result"] == {"applied": {"orders": 1}}
    json.dumps(summary)  # JSON-able


def test_the_all_streams_rule_and_the_bare_envelope_run_every_stream(
    sandbox: Sandbox, function_env: dict[str, str]
) -> None:
    for event in (rule_input(sandbox, "a2bfull-all-streams"), SCHEDULED_ENVELOPE):
        runner = RecordingRunner()
        handler(event, None, run_streams=runner, environ=function_env)
        assert runner.calls[0][1] == ["orders", "shop"]


def test_an_unknown_stream_fails_before_running(function_env: dict[str, str]) -> None:
    runner = RecordingRunner()
    with pytest.raises(ConfigError, match="did you mean 'orders'"):
        handler({"stream": "order"}, None, run_streams=runner, environ=function_env)
    assert runner.calls == []


def test_a_failed_stream_fails_the_invocation_with_the_summary(
    function_env: dict[str, str],
) -> None:
    runner = RecordingRunner(result={"failed": ["shop"], "applied": {"orders": 1}})
    with pytest.raises(Aws2BqError, match="1 stream\\(s\\) failed: shop") as info:
        handler({"streams": ["orders", "shop"]}, None, run_streams=runner, environ=function_env)
    assert '"applied": {"orders": 1}' in str(info.value)


def test_a_dataclass_result_is_summarised() -> None:
    from dataclasses import dataclass, field

    @dataclass
    class Report:
        applied: list[str]
        failed: list[str] = field(default_factory=list)

    env = {"AWS2BQ_STREAMS__T__TABLE": "Things", "AWS2BQ_STREAMS__T__EXPORT_BUCKET": "exports-1"}
    summary = handler({}, None, run_streams=RecordingRunner(Report(["t"])), environ=env)
    assert summary["result"] == {"applied": ["t"], "failed": []}


def test_the_real_runner_starts_then_a_later_invocation_applies(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    suffix = uuid.uuid4().hex[:8]
    table, bucket = f"lambda-{suffix}", f"lambda-{suffix}"
    sandbox.dynamodb.create_table(table, hash_key=("id", "S"))
    sandbox.client("dynamodb").put_item(TableName=table, Item={"id": {"S": "a"}})
    sandbox.client("s3").create_bucket(Bucket=bucket)
    env = {
        "AWS2BQ_WAREHOUSE": f"duckdb:///{tmp_path / 'lambda.duckdb'}",
        "AWS2BQ_STREAMS__T__TABLE": table,
        "AWS2BQ_STREAMS__T__EXPORT_BUCKET": bucket,
    }
    before = sandbox.settings()
    sandbox.settings(export_polls=0)  # the export completes at its first DescribeExport
    try:
        first = handler({"stream": "t"}, Context(), environ=env)
        second = handler(SCHEDULED_ENVELOPE, Context(), environ=env)
    finally:
        sandbox.settings(**before)
    [started] = first["result"]["streams"]
    assert first["wait"] is False and started["applied"] == []
    assert [s["kind"] for s in started["started"]] == ["full"]
    [applied] = second["result"]["streams"]
    assert [a["rows"] for a in applied["applied"]] == [1] and applied["started"] == []


def test_a_stream_the_real_runner_fails_fails_the_invocation(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for key, value in sandbox.env().items():
        monkeypatch.setenv(key, value)
    env = {
        "AWS2BQ_WAREHOUSE": f"duckdb:///{tmp_path / 'lambda.duckdb'}",
        # A table that does not exist: the runner fails this stream, so the invocation fails.
        "AWS2BQ_STREAMS__INC__TABLE": "NoSuchTable",
        "AWS2BQ_STREAMS__INC__EXPORT_BUCKET": "exports-1",
        "AWS2BQ_STREAMS__INC__CADENCE": "incremental",
        "AWS2BQ_STREAMS__INC__MODE": "merge",
    }
    with pytest.raises(Aws2BqError, match=r"1 stream\(s\) failed: inc") as info:
        handler({}, None, environ=env)
    assert "ResourceNotFoundException" in str(info.value)
    assert "NoSuchTable" in str(info.value)


@pytest.mark.parametrize(
    ("event", "streams"),
    [
        ({"stream": "a"}, ("a",)),
        ({"streams": ["a", "b", "a"]}, ("a", "b")),
        ({"detail": {"stream": "c"}, "source": "custom"}, ("c",)),
        ({}, ()),
        (None, ()),
    ],
)
def test_event_parsing(event: Any, streams: tuple[str, ...]) -> None:
    assert LambdaRequest.from_event(event).streams == streams


@pytest.mark.parametrize("event", [["orders"], {"streams": "orders"}, {"stream": 3}])
def test_bad_events_are_config_errors(event: Any) -> None:
    with pytest.raises(ConfigError):
        LambdaRequest.from_event(event)
