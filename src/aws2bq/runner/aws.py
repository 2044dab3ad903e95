"""The AWS boundary of the runner: every API call goes through :meth:`Aws.call`.

- Throttling and transient faults are retried with exponential backoff and full jitter
  (:class:`~aws2bq.runner.schedule.RetryPolicy`); botocore's own retries are off so the
  policy is ours alone. When retries run out the call raises :class:`AwsTransientError`
  (a :class:`~aws2bq.errors.TransientError`: the stream fails for this run, the next run
  tries again).
- Permission errors become :class:`AwsPermissionError` naming the IAM action and the
  resource, e.g. ``dynamodb:ExportTableToPointInTime on arn:…: AccessDeniedException``.
- Any other ``ClientError`` becomes :class:`AwsCallError` with AWS's code and message.

Error codes: botocore's retry handlers (``botocore/data/_retry.json``: Throttling,
ThrottlingException, ThrottledException, RequestThrottledException, TooManyRequestsException,
ProvisionedThroughputExceededException, TransactionInProgressException, RequestLimitExceeded,
BandwidthLimitExceeded, LimitExceededException, RequestThrottled, SlowDown,
PriorRequestNotComplete, EC2ThrottledException; and 500/502/503/504) plus the service
errors of RDS StartExportTask (IamRoleNotFound, IamRoleMissingPermissions,
KMSKeyNotAccessibleFault, botocore rds model).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws2bq import aws_clients
from aws2bq.aws_clients import AwsTarget
from aws2bq.core.progress import NullProgress, Progress
from aws2bq.errors import Aws2BqError, TransientError
from aws2bq.runner.schedule import RetryPolicy

THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "RequestThrottled",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "SlowDown",
        "EC2ThrottledException",
    }
)
TRANSIENT = frozenset(
    {
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "TransactionInProgressException",
    }
)
TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
#: Permission errors → what to do about them.
PERMISSION: dict[str, str] = {
    "AccessDenied": "grant it to the role running aws2bq",
    "AccessDeniedException": "grant it to the role running aws2bq",
    "UnauthorizedOperation": "grant it to the role running aws2bq",
    "AuthorizationError": "grant it to the role running aws2bq",
    "UnrecognizedClientException": "the AWS credentials are not valid; check the profile or role",
    "InvalidClientTokenId": "the AWS credentials are not valid; check the profile or role",
    "ExpiredToken": "the AWS credentials have expired; refresh them",
    "ExpiredTokenException": "the AWS credentials have expired; refresh them",
    "IamRoleNotFound": "create the export role (trusting export.rds.amazonaws.com) or fix "
    "iam_role_arn in the stream's config",
    "IamRoleMissingPermissions": "let export.rds.amazonaws.com assume the export role and give "
    "it s3:PutObject*, s3:ListBucket, s3:GetObject*, s3:DeleteObject*, s3:GetBucketLocation on "
    "the export prefix",
    "KMSKeyNotAccessibleFault": "check kms_key_id, and grant kms:CreateGrant and "
    "kms:DescribeKey on it to the role running aws2bq and the export role",
    "KMSAccessDeniedException": "grant the KMS permissions on the key to the role running aws2bq",
}


class AwsCallError(Aws2BqError):
    """An AWS call failed with an error that retrying will not fix."""

    def __init__(self, message: str, *, code: str, action: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.action = action


class AwsPermissionError(AwsCallError):
    """The caller (or the RDS export role) lacks a permission; the message names it."""


class AwsTransientError(TransientError):
    """Throttling or a transient fault that persisted through every retry."""

    def __init__(self, message: str, *, code: str, action: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.action = action


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (None for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return int(status) if status is not None else None
    return None


def is_retryable(exc: BaseException) -> bool:
    """Throttling, a transient service fault, or a connection problem."""
    from botocore.exceptions import (
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(
        exc,
        EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError | ConnectionClosedError,
    ):
        return True
    code = error_code(exc)
    if code is None:
        return False
    return code in THROTTLING or code in TRANSIENT or _status(exc) in TRANSIENT_STATUS


def _message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Message") or "")
    return str(exc)


@dataclass
class Aws:
    """boto3 clients for the runner, with retries and error translation.

    ``sleep`` and ``rng`` are injectable so tests never really sleep; ``page_size`` bounds
    list calls (tests make it small to exercise pagination).
    """

    region: str | None = None
    profile: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    progress: Progress = field(default_factory=NullProgress)
    #: MaxRecords of RDS Describe* calls (20..100) and MaxResults of ListExports (1..25).
    rds_page_size: int = 100
    list_exports_page_size: int = 25
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    #: Seconds slept in retries (for tests and the run summary).
    slept: float = 0.0
    retries: int = 0

    def client(self, service: str) -> Any:
        """A cached boto3 client in the resolved region (:mod:`aws2bq.aws_clients`; endpoint
        from boto3's settings, e.g. AWS_ENDPOINT_URL)."""
        if service not in self._clients:
            # One attempt per botocore call: the retry policy here is the only one.
            self._clients[service] = aws_clients.client(
                service,
                AwsTarget(self.region, self.profile),
                retries={"total_max_attempts": 1, "mode": "standard"},
            )
        return self._clients[service]

    def call(self, service: str, action: str, *, resource: str, **params: Any) -> dict[str, Any]:
        """Call ``service``'s ``action`` (API name, e.g. ``"DescribeExport"``) with ``params``.

        ``resource`` names what the call acts on, for messages (an ARN or identifier).
        """
        from botocore import xform_name
        from botocore.exceptions import BotoCoreError, ClientError

        method = getattr(self.client(service), xform_name(action))
        delays = self.retry.delays(self.rng)
        iam_action = f"{service}:{action}"
        attempt = 0
        while True:
            try:
                result: dict[str, Any] = method(**params)
                return result
            except (ClientError, BotoCoreError) as exc:
                code = error_code(exc) or type(exc).__name__
                if is_retryable(exc) and attempt < len(delays):
                    delay = delays[attempt]
                    attempt += 1
                    self.retries += 1
                    self.slept += delay
                    self.progress.event(
                        "AWS call retried", action=iam_action, code=code, delay=round(delay, 3)
                    )
                    self.sleep(delay)
                    continue
                raise translate(exc, iam_action, resource, attempts=attempt + 1) from exc


def translate(
    exc: BaseException, iam_action: str, resource: str, *, attempts: int = 1
) -> Exception:
    """An aws2bq error for a botocore error raised by ``iam_action`` on ``resource``."""
    if error_code(exc) is None and not is_retryable(exc):
        # Not a service error: no credentials, an unknown profile, no region…
        return aws_clients.translate(exc, f"{iam_action} on {resource}")
    code = error_code(exc) or type(exc).__name__
    text = _message(exc)
    where = f"{iam_action} on {resource}"
    if code in PERMISSION:
        return AwsPermissionError(
            f"{where}: {code} — {text}".rstrip(" —"),
            code=code,
            action=iam_action,
            hint=PERMISSION[code]
            if code not in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")
            else f"grant {iam_action} on {resource} to the role running aws2bq",
        )
    if is_retryable(exc):
        return AwsTransientError(
            f"{where}: {code} after {attempts} attempt(s) — {text}".rstrip(" —"),
            code=code,
            action=iam_action,
            hint="AWS is throttling or unavailable; the next run tries again",
        )
    return AwsCallError(f"{where}: {code} — {text}".rstrip(" —"), code=code, action=iam_action)
