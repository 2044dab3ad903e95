"""The AWS Lambda entry point: an EventBridge schedule → ``run_streams`` (never waits).

Handler: ``aws2bq.lambda_handler.handler``. The EventBridge rule of a stream sets the target's
``Input`` to ``{"stream": "NAME"}`` (or ``{"streams": ["A", "B"]}``); an event without either
(the plain scheduled-event envelope, ``{}``) runs every configured stream. The config comes
from the environment (``AWS2BQ_CONFIG_TOML``, ``AWS2BQ_CONFIG``, ``AWS2BQ_*`` settings; see
docs/config.md).

Like the CLI, this is a thin adapter: it turns the event into a typed request and calls the
same library function as ``aws2bq run --no-wait``. Lambda's 15-minute limit is why it never
waits: exports started now are applied by a later invocation.

The result is a JSON-able summary. If a stream failed, the invocation fails too (so the
function's Errors metric and alarms see it) with the summary in the message; retries are
harmless because applying an export is exactly-once.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws2bq.errors import Aws2BqError, ConfigError

log = logging.getLogger("aws2bq.lambda")

#: ``run_streams(config, streams=[...], wait=False)`` — the library call behind ``aws2bq run``.
RunStreams = Callable[..., Any]


@dataclasses.dataclass(frozen=True)
class LambdaRequest:
    """What one invocation should do: the streams to run (empty: all)."""

    streams: tuple[str, ...] = ()

    @classmethod
    def from_event(cls, event: Any) -> LambdaRequest:
        """Parse an EventBridge event (the rule's constant Input, or the scheduled envelope).

        Examples:
            >>> LambdaRequest.from_event({"stream": "orders"}).streams
            ('orders',)
            >>> LambdaRequest.from_event({"source": "aws.events", "detail": {}}).streams
            ()
        """
        if event is None:
            return cls()
        if not isinstance(event, Mapping):
            raise ConfigError(
                f"the Lambda event must be a JSON object, got {type(event).__name__}",
                hint='set the EventBridge target Input to {"stream": "NAME"}',
            )
        source: Mapping[str, Any] = event
        detail = event.get("detail")
        if "stream" not in event and "streams" not in event and isinstance(detail, Mapping):
            source = detail  # a custom event carrying the stream in its detail
        names: list[Any] = []
        if "stream" in source:
            names.append(source["stream"])
        if "streams" in source:
            many = source["streams"]
            if not isinstance(many, list):
                raise ConfigError('"streams" in the Lambda event must be a list of names')
            names.extend(many)
        if not all(isinstance(n, str) and n for n in names):
            raise ConfigError(f"stream names in the Lambda event must be strings, got {names!r}")
        return cls(tuple(dict.fromkeys(names)))


def handler(
    event: Any,
    context: Any = None,
    *,
    run_streams: RunStreams | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Lambda handler: run the event's streams without waiting; return a JSON-able summary.

    Args:
        event: the EventBridge event (see the module docstring).
        context: the Lambda context (its request id is logged when present).
        run_streams: the runner function; default ``aws2bq.runner.run.run_streams``, imported
            only when called. Tests inject one.
        environ: the environment to read the config from (default ``os.environ``).
    """
    from aws2bq.config import load_config

    started = time.monotonic()
    request = LambdaRequest.from_event(event)
    config = load_config(environ=os.environ if environ is None else environ)
    names = list(request.streams) or list(config.streams)
    for name in names:
        config.stream(name)  # an unknown name fails here, with a "did you mean"
    runner = run_streams or _default_runner()
    log.info(
        json.dumps(
            {
                "event": "aws2bq.run",
                "streams": names,
                "request_id": getattr(context, "aws_request_id", None),
            }
        )
    )
    result = runner(config, streams=names, wait=False)
    summary = {
        "streams": names,
        "wait": False,
        "seconds": round(time.monotonic() - started, 3),
        "result": _jsonable(result),
    }
    failed = _failed(result)
    if failed:
        log.error(json.dumps({"event": "aws2bq.failed", "streams": failed}))
        raise Aws2BqError(
            f"{len(failed)} stream(s) failed: {', '.join(failed)}; summary: "
            + json.dumps(summary, default=str)
        )
    return summary


def _default_runner() -> RunStreams:
    try:
        from aws2bq.runner.run import run_streams  # type: ignore[import-not-found,unused-ignore]
    except ModuleNotFoundError as exc:
        if exc.name not in ("aws2bq.runner.run", "aws2bq.runner"):
            raise
        raise Aws2BqError(
            "this aws2bq build has no scheduled runner (aws2bq.runner.run.run_streams)",
            hint="deploy an aws2bq version that provides `aws2bq run`",
        ) from exc
    runner: RunStreams = run_streams
    return runner


def _jsonable(value: Any) -> Any:
    """A JSON-able form of the runner's result (dicts, lists, dataclasses, ``to_dict``)."""
    if hasattr(value, "to_dict") and callable(value.to_dict):
        value = value.to_dict()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value, default=str))


def _failed(result: Any) -> list[str]:
    """Names of failed streams, if the result says (``failed`` attribute or key)."""
    failed: Any = None
    if isinstance(result, Mapping):
        failed = result.get("failed")
    else:
        failed = getattr(result, "failed", None)
    if isinstance(failed, Mapping):
        return [str(k) for k in failed]
    if isinstance(failed, Sequence) and not isinstance(failed, str):
        return [str(f) for f in failed]
    return []
