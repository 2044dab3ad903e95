"""boto3 clients for everything aws2bq does on AWS, with the region always explicit.

boto3 reads the region from ``AWS_DEFAULT_REGION`` and the profile, but not from
``AWS_REGION`` (botocore's config provider maps ``region`` to ``AWS_DEFAULT_REGION`` only),
which the README, the AWS CLI v2 and Lambda use. aws2bq resolves it once — the config's
``aws.region``, else ``AWS_REGION``, else boto3's own chain (``AWS_DEFAULT_REGION``, the
profile) — and passes it to every client, so a missing region is one configuration error
(exit 2) up front, never a ``NoRegionError`` deep in a run.

:func:`translate` turns botocore's own failures (no credentials, an unknown profile, an
endpoint that cannot be reached, a timeout) into aws2bq's errors with one line; the callers
translate service errors (``ClientError``) themselves, where they know the action and resource.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from aws2bq.errors import Aws2BqError, ConfigError, TransientError

#: Connect timeout (seconds): an unreachable endpoint fails fast instead of after a minute.
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60


@dataclass(frozen=True)
class AwsTarget:
    """Where AWS calls go: the region (None: resolve it) and the named profile."""

    region: str | None = None
    profile: str | None = None


def resolve_region(target: AwsTarget = AwsTarget()) -> str:
    """The region for ``target``: explicit, else ``AWS_REGION``, else boto3's chain.

    Raises:
        ConfigError: no region anywhere, or an unknown profile.
    """
    if target.region:
        return target.region
    if os.environ.get("AWS_REGION"):
        return os.environ["AWS_REGION"]
    region = session(target).region_name
    if not region:
        raise ConfigError(
            "no AWS region is set",
            hint="set AWS_REGION (or aws.region in aws2bq.toml, AWS2BQ_AWS__REGION)",
        )
    return str(region)


def session(target: AwsTarget = AwsTarget()) -> Any:
    """A ``boto3.Session`` for the target's profile (ConfigError for an unknown one)."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.Session(profile_name=target.profile)
    except BotoCoreError as exc:
        raise translate(exc, "AWS") from None


def client(service: str, target: AwsTarget = AwsTarget(), **config: Any) -> Any:
    """A boto3 client of ``service`` in the resolved region (endpoint from boto3's settings,
    e.g. ``AWS_ENDPOINT_URL``). ``config`` adds to botocore ``Config`` (retries, pools)."""
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    settings: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT,
        "read_timeout": READ_TIMEOUT,
        **config,
    }
    region = resolve_region(target)
    try:
        return session(target).client(service, region_name=region, config=Config(**settings))
    except BotoCoreError as exc:
        raise translate(exc, f"AWS {service}") from None


def translate(exc: BaseException, what: str) -> Aws2BqError:
    """aws2bq's error for a botocore failure that is not a service error.

    No or partial credentials, an unknown profile, no region: ``ConfigError`` (exit 2). An
    endpoint that cannot be reached, a timeout, a dropped connection: ``TransientError``
    (the next run tries again). Anything else: an ``Aws2BqError`` with botocore's message.
    """
    from botocore import exceptions as bx

    text = str(exc)
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return ConfigError(
            f"{what}: no usable AWS credentials ({text})",
            hint="set AWS_PROFILE, or run where a role provides them (instance, Lambda)",
        )
    if isinstance(exc, bx.ProfileNotFound):
        return ConfigError(f"{what}: {text}", hint="check AWS_PROFILE / aws.profile")
    if isinstance(exc, bx.NoRegionError):
        return ConfigError(f"{what}: no AWS region is set", hint="set AWS_REGION")
    if isinstance(
        exc,
        bx.EndpointConnectionError
        | bx.ConnectTimeoutError
        | bx.ReadTimeoutError
        | bx.ConnectionClosedError
        | bx.ConnectionError,
    ):
        return TransientError(
            f"{what}: cannot reach AWS ({text})",
            hint="check the network and AWS_ENDPOINT_URL; the next run tries again",
        )
    return Aws2BqError(f"{what}: {type(exc).__name__}: {text}")
