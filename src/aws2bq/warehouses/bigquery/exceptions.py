"""Translate google-cloud-bigquery errors into aws2bq's error root, at the adapter boundary.

Retryable (``TransientError``): throttling and quota-per-time reasons, backend/internal errors,
HTTP 429/500/502/503/504, timeouts, and transaction conflicts ("Transaction is aborted due to
concurrent update", "Could not serialize access"). Everything else is terminal
(``WarehouseError``). Reasons: https://cloud.google.com/bigquery/docs/error-messages.
"""

from __future__ import annotations

import logging
from typing import Any

from aws2bq.core.rds_sql import LOSS_MARKER
from aws2bq.errors import Aws2BqError, TransientError, ValueLossError, WarehouseError, one_line

log = logging.getLogger(__name__)

#: Error ``reason`` values BigQuery documents as worth retrying.
RETRYABLE_REASONS = frozenset(
    {
        "backendError",
        "internalError",
        "rateLimitExceeded",
        "jobRateLimitExceeded",
        "jobBackendError",
        "jobInternalError",
        "tableUnavailable",
        "resourcesExceeded_retry",  # not documented as such; kept for safety
    }
)
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
#: Message fragments of concurrent-transaction conflicts (the loser retries later).
CONFLICT_MARKERS = (
    "concurrent update",
    "could not serialize access",
    "transaction is aborted",
    "aborted due to concurrent",
)


def _cut(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reasons(exc: BaseException) -> list[str]:
    """The ``reason`` of every error item a google API exception carries."""
    items: list[Any] = list(getattr(exc, "errors", None) or [])
    return [str(item.get("reason")) for item in items if isinstance(item, dict)]


#: Reasons of a job refused for a rate (not a daily quota): worth sending again after a pause.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "jobRateLimitExceeded"})


def rate_limited(exc: BaseException) -> bool:
    """Whether ``exc`` is BigQuery refusing a job for a rate limit (HTTP 429, or 403 with
    reason ``rateLimitExceeded``): https://cloud.google.com/bigquery/docs/error-messages."""
    return getattr(exc, "code", None) == 429 or bool(RATE_LIMIT_REASONS & set(reasons(exc)))


def translate(exc: BaseException, what: str, *, sql: str | None = None) -> Aws2BqError:
    """The aws2bq error for a failure of ``what`` (e.g. "query", "load of file x")."""
    if isinstance(exc, Aws2BqError):
        return exc
    message = str(getattr(exc, "message", None) or exc)
    status = getattr(exc, "code", None)
    found = reasons(exc)
    if sql:
        log.debug("BigQuery %s failed: %s\n%s", what, message, sql)
    detail = f"BigQuery {what} failed: {_cut(one_line(message))}"
    if LOSS_MARKER in message:
        # A loss guard of the typed SQL stopped the statement: the runner names the values.
        return ValueLossError(detail, statement=sql)
    lowered = message.lower()
    if any(marker in lowered for marker in CONFLICT_MARKERS):
        return TransientError(detail, hint="another writer changed the same table; retry later")
    if (
        any(r in RETRYABLE_REASONS for r in found)
        or status in RETRYABLE_STATUS
        or isinstance(exc, TimeoutError | ConnectionError)
        or type(exc).__name__ in {"RetryError", "ConnectionError", "Timeout", "ReadTimeout"}
    ):
        return TransientError(detail, hint="BigQuery is busy or unavailable; retry later")
    if "quotaExceeded" in found:
        return WarehouseError(
            detail, hint="a BigQuery quota is exhausted; raise it or wait", statement=sql
        )
    if status == 404 or "notFound" in found:
        return WarehouseError(
            detail, hint="check the project, dataset and table names", statement=sql
        )
    if status == 403 or "accessDenied" in found:
        return WarehouseError(
            detail,
            hint="the credentials lack a BigQuery permission (roles/bigquery.dataEditor "
            "and roles/bigquery.jobUser)",
        )
    return WarehouseError(detail, statement=sql)
