"""WSGI middleware of the sandbox server: the ``/_aws2bq/`` control endpoints and fault injection.

Control endpoints (JSON in, JSON out), used by the Python API and the ``aws2bq sandbox`` CLI:

- ``GET  /_aws2bq/health``            → ``{"ok": true, "clock_offset": ...}``
- ``POST /_aws2bq/clock``             ``{"advance_seconds": 900}`` moves the sandbox clock forward
- ``POST /_aws2bq/settings``          ``{"export_polls": 2, ...}`` changes :class:`SandboxSettings`
- ``POST /_aws2bq/faults``            ``{"service": "dynamodb", "action": "DescribeExport",
                                        "code": "ThrottlingException", "count": 2}`` queues a fault
- ``DELETE /_aws2bq/faults``          clears queued faults

A queued fault answers the next matching AWS call with that error, in the wire format of the
service's protocol, so boto3 raises exactly what it would raise against AWS.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, fields
from typing import Any
from urllib.parse import parse_qs

from aws2bq.sandbox.state import Fault, SandboxSettings, SandboxState

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

#: Extra control endpoints registered by the service patches (e.g. "rds/automated-snapshot"):
#: name -> handler(method, payload) -> JSON-able dict. Raise KeyError/ValueError for bad input.
EXTRA_ENDPOINTS: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {}


def register_endpoint(name: str, handler: Callable[[str, dict[str, Any]], dict[str, Any]]) -> None:
    """Add a control endpoint ``/_aws2bq/<name>`` (called by patches at install time)."""
    EXTRA_ENDPOINTS[name] = handler


_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def _service_and_action(environ: dict[str, Any]) -> tuple[str, str, bytes]:
    """Which AWS service and API action a request is for; also returns the (buffered) body."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _CREDENTIAL_SCOPE.search(auth)
    service = match.group(1) if match else ""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return service or target.split("_")[0].lower(), target.rsplit(".", 1)[-1], body
    if service == "s3":
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/").strip("/")
        if not path:
            return service, "ListBuckets" if method == "GET" else method, body
        has_key = path.count("/") >= 1
        action = {
            ("GET", True): "GetObject",
            ("GET", False): "ListObjects",
            ("PUT", True): "PutObject",
            ("HEAD", True): "HeadObject",
            ("DELETE", True): "DeleteObject",
        }.get((method, has_key), method)
        return service, action, body
    params = parse_qs(body.decode("utf-8", "replace")) if body else {}
    query = parse_qs(environ.get("QUERY_STRING", ""))
    action = (params.get("Action") or query.get("Action") or [""])[0]
    return service, action, body


def _error_response(
    fault: Fault, environ: dict[str, Any], service: str
) -> tuple[str, list[tuple[str, str]], bytes]:
    status = f"{fault.status} Injected"
    request_id = str(uuid.uuid4())
    if environ.get("HTTP_X_AMZ_TARGET"):
        body = json.dumps(
            {"__type": f"com.amazonaws.sandbox#{fault.code}", "message": fault.message}
        )
        headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", request_id)]
        return status, headers, body.encode()
    if service == "s3":
        xml = (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{fault.code}</Code>"
            f"<Message>{fault.message}</Message><RequestId>{request_id}</RequestId></Error>"
        )
        return status, [("Content-Type", "application/xml")], xml.encode()
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{fault.code}</Code><Message>{fault.message}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return status, [("Content-Type", "text/xml")], xml.encode()


class ControlMiddleware:
    """Wraps moto's WSGI application with the sandbox's control API and fault injection."""

    def __init__(self, app: WsgiApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_aws2bq/"):
            return self._control(path[len("/_aws2bq/") :], environ, start_response)
        if self.state.faults:
            service, action, _ = _service_and_action(environ)
            fault = self.state.take_fault(service, action)
            if fault is not None:
                status, headers, body = _error_response(fault, environ, service)
                start_response(status, [*headers, ("Content-Length", str(len(body)))])
                return [body]
        return self.app(environ, start_response)

    def _control(
        self, name: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            payload: dict[str, Any] = json.loads(raw) if raw else {}
            result = self._dispatch(name.strip("/"), method, payload)
            status = "200 OK"
        except (KeyError, TypeError, ValueError) as exc:
            result = {"error": f"{type(exc).__name__}: {exc}"}
            status = "400 Bad Request"
        body = json.dumps(result, default=str).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def _dispatch(self, name: str, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        if name == "health":
            return {"ok": True, "clock_offset": state.clock.offset, "now": state.clock.now()}
        if name == "clock" and method == "POST":
            state.clock.advance(float(payload["advance_seconds"]))
            return {"now": state.clock.now(), "clock_offset": state.clock.offset}
        if name == "settings":
            if method == "POST":
                known = {f.name for f in fields(SandboxSettings)}
                unknown = set(payload) - known
                if unknown:
                    raise KeyError(
                        f"unknown sandbox settings {sorted(unknown)}; known: {sorted(known)}"
                    )
                for key, value in payload.items():
                    setattr(state.settings, key, type(getattr(state.settings, key))(value))
            return asdict(state.settings)
        if name == "faults":
            if method == "DELETE":
                with state.lock:
                    state.faults.clear()
                return {"faults": []}
            if method == "POST":
                fault = Fault(
                    service=payload.get("service", "*"),
                    action=payload.get("action", "*"),
                    code=payload["code"],
                    message=payload.get("message", "injected by the aws2bq sandbox"),
                    status=int(payload.get("status", 400)),
                    remaining=int(payload.get("count", 1)),
                )
                with state.lock:
                    state.faults.append(fault)
            return {"faults": [asdict(f) for f in state.faults]}
        if name in EXTRA_ENDPOINTS:
            return EXTRA_ENDPOINTS[name](method, payload)
        raise KeyError(f"no sandbox control endpoint {method} /_aws2bq/{name}")
