"""The knobs of a run that tests and embedders change (defaults are production's)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aws2bq.runner.aws import Aws
from aws2bq.runner.schedule import PollPolicy, RetryPolicy


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunOptions:
    """Knobs of a run that tests and embedders change (defaults are production's)."""

    now: Callable[[], datetime] = _utcnow
    sleep: Callable[[float], None] = time.sleep
    #: None: the config's ``aws.max_attempts`` with the default backoff.
    retry: RetryPolicy | None = None
    poll: PollPolicy = field(default_factory=PollPolicy)
    #: MaxRecords of RDS Describe* calls (AWS: 20..100) and MaxResults of ListExports (1..25).
    rds_page_size: int = 100
    list_exports_page_size: int = 25
    #: An Aws to use instead of a new one (tests inspect its retries).
    aws: Aws | None = None


__all__ = ["RunOptions"]
