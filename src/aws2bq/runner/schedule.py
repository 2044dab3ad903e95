"""The pure decisions of ``aws2bq run``: when an export is due, which snapshot to export,
the deterministic identifiers that make a repeated run harmless, and the backoff schedules.

Nothing here does I/O or reads the clock: every function takes ``now`` and the facts found
by discovery, so the rules are unit-tested on their own (tests/unit/run/).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

#: AWS: incremental export windows are 15 minutes to 24 hours
#: (API_IncrementalExportSpecification; docs/export-formats.md §1).
MIN_WINDOW = timedelta(minutes=15)
MAX_WINDOW = timedelta(hours=24)
#: Our own cap on ExportTaskIdentifier length (the brief's ≤60). AWS's documented rule is
#: "letters, digits and hyphens, begins with a letter, no trailing or double hyphen" — the
#: message moto/the sandbox returns for a malformed one (sandbox/rds_exports.py).
MAX_TASK_ID = 60
#: CreateDBSnapshot: 1–255 letters, digits or hyphens; first a letter; no trailing or double
#: hyphen (botocore rds model, CreateDBSnapshot.DBSnapshotIdentifier).
MAX_SNAPSHOT_ID = 255
#: DescribeDBSnapshots / DescribeDBClusterSnapshots / DescribeExportTasks: MaxRecords
#: "Minimum 20, maximum 100" (botocore rds model); ListExports MaxResults is 1..25.
MIN_RDS_PAGE, MAX_RDS_PAGE = 20, 100
MAX_LIST_EXPORTS_PAGE = 25
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NOT_ID = re.compile(r"[^a-z0-9]+")

SnapshotChoice = Literal["newest", "newest_automated", "newest_manual", "create_manual"]


# -- slots and due ----------------------------------------------------------------------------
def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def slot_start(now: datetime, every: timedelta) -> datetime:
    """The start of the cadence slot holding ``now``: slots of ``every`` from the Unix epoch.

    Examples:
        >>> slot_start(datetime(2024, 5, 1, 13, 47, tzinfo=UTC), timedelta(hours=6))
        datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    """
    if every <= timedelta(0):
        raise ValueError("every must be positive")
    elapsed = utc(now) - _EPOCH
    return _EPOCH + (elapsed // every) * every


@dataclass(frozen=True)
class Due:
    """Whether a new export is due now, for which slot, and why (for plans and logs)."""

    due: bool
    slot: datetime
    reason: str


def full_export_due(now: datetime, every: timedelta, latest: datetime | None) -> Due:
    """A full export is due when no export (applied, pending or failed) is in this slot.

    ``latest`` is the time of the newest export known for the stream (its export time, or
    its start time while it runs). One export per slot: a run repeated within the slot
    finds it and starts nothing, and the slot is what the ClientToken is derived from.
    """
    slot = slot_start(now, every)
    if latest is None:
        return Due(True, slot, "no export yet")
    if utc(latest) >= slot:
        return Due(False, slot, f"an export of this slot exists ({utc(latest).isoformat()})")
    return Due(True, slot, f"the newest export ({utc(latest).isoformat()}) is before this slot")


def rebaseline_due(now: datetime, full_every: timedelta | None, last_full: datetime | None) -> Due:
    """Incremental cadence: whether the next export must be a full one (``full_every``).

    ``last_full`` is the time of the newest full export of the stream that is applied (its
    export time) or running (its start time). Due when it is ``full_every`` old or older; the
    ``slot`` (of ``full_every``) is what the ClientToken is derived from, as for any full
    export, so a repeated run in the same slot starts the same export.

    Examples:
        >>> t = datetime(2024, 5, 1, 6, tzinfo=UTC)
        >>> rebaseline_due(t + timedelta(days=7), timedelta(days=7), t).due
        True
        >>> rebaseline_due(t + timedelta(days=6), timedelta(days=7), t).due
        False
    """
    if full_every is None:
        return Due(False, utc(now), "full_every is not set")
    slot = slot_start(now, full_every)
    if last_full is None:
        return Due(True, slot, "no full export yet")
    since = utc(now) - utc(last_full)
    if since >= full_every:
        return Due(
            True,
            slot,
            f"the newest full export ({utc(last_full).isoformat()}) is {full_every} old or older",
        )
    return Due(
        False, slot, f"the newest full export ({utc(last_full).isoformat()}) is recent enough"
    )


@dataclass(frozen=True)
class Window:
    """An incremental export window ``[start, end)``."""

    start: datetime
    end: datetime


def incremental_window(now: datetime, last_to: datetime, every: timedelta) -> Window | None:
    """The next incremental window after ``last_to`` (the last applied ``exportToTime``).

    The window is ``every`` long (clipped to AWS's 15 min–24 h), never ends after ``now``,
    and is ``None`` while less than 15 minutes have passed (AWS refuses shorter windows).
    A stream that fell behind catches up one maximal window per export, in order.

    Examples:
        >>> t = datetime(2024, 5, 1, tzinfo=UTC)
        >>> incremental_window(t + timedelta(hours=3), t, timedelta(hours=1)).end.hour
        1
        >>> incremental_window(t + timedelta(minutes=10), t, timedelta(hours=1)) is None
        True
    """
    start = utc(last_to)
    length = min(max(every, MIN_WINDOW), MAX_WINDOW)
    end = min(start + length, utc(now))
    if end - start < MIN_WINDOW:
        return None
    return Window(start, end)


def snapshot_export_due(
    now: datetime, every: timedelta, last_exported: datetime | None, candidate: datetime
) -> Due:
    """Is a snapshot taken at ``candidate`` due for export, given the last exported one?

    Due when it is newer than the last exported snapshot by at least ``every`` minus a
    slack of 10% (at most one hour): automated snapshots drift within the backup window,
    and a daily cadence must not skip the snapshot taken 23h58m after the previous one.
    """
    slot = slot_start(now, every)
    if last_exported is None:
        return Due(True, slot, "no snapshot exported yet")
    gap = utc(candidate) - utc(last_exported)
    if gap <= timedelta(0):
        return Due(False, slot, "the newest snapshot is already exported")
    slack = min(every / 10, timedelta(hours=1))
    if gap >= every - slack:
        return Due(True, slot, f"newest snapshot is {gap} newer than the last exported")
    return Due(False, slot, f"the newest snapshot is only {gap} newer than the last exported")


# -- snapshots --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """One DB (cluster) snapshot as DescribeDBSnapshots / DescribeDBClusterSnapshots gives it."""

    identifier: str
    arn: str
    created: datetime | None
    kind: str  # SnapshotType: "automated" | "manual" | "shared" | "public" | "awsbackup"
    status: str


def choose_snapshot(
    snapshots: Iterable[Snapshot], choice: SnapshotChoice, *, created_prefix: str | None = None
) -> Snapshot | None:
    """The snapshot ``choice`` selects: the newest ``available`` one of the chosen type.

    ``create_manual`` chooses among the manual snapshots aws2bq created (``created_prefix``).
    Snapshots still being created (no SnapshotCreateTime yet, or another status) are never
    chosen — the article's "sort newest" logic would pick a ``creating`` one and fail.
    """
    kinds = {
        "newest": {"automated", "manual"},
        "newest_automated": {"automated"},
        "newest_manual": {"manual"},
        "create_manual": {"manual"},
    }[choice]
    usable = [
        s
        for s in snapshots
        if s.status == "available"
        and s.created is not None
        and s.kind in kinds
        and (
            choice != "create_manual"
            or created_prefix is None
            or s.identifier.startswith(created_prefix)
        )
    ]
    if not usable:
        return None
    # Newest first; ties broken by identifier so the choice is deterministic.
    return max(usable, key=lambda s: (utc(s.created), s.identifier))  # type: ignore[arg-type]


# -- identifiers ------------------------------------------------------------------------------
def _slug(text: str) -> str:
    return _NOT_ID.sub("-", text.lower()).strip("-")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def client_token(stream: str, table_arn: str, slot: datetime) -> str:
    """The ExportTableToPointInTime ClientToken of a stream's slot (same slot → same token).

    AWS keeps a token for 8 hours after the export completes (API_ExportTableToPointInTime):
    within that time a repeated or concurrent call returns the same export instead of a new
    one. Beyond it, the due check (an export exists in this slot) prevents duplicates.
    """
    return "aws2bq-" + _digest("dynamodb-full", stream, table_arn, utc(slot).isoformat())[:32]


def incremental_client_token(stream: str, table_arn: str, window: Window) -> str:
    """The ClientToken of the incremental export of ``window`` (same window → same token).

    Its digest joins the parts with newlines and ``str()`` of the times (not
    :func:`client_token`'s form): kept as first written, so a token never changes under an
    export a previous version started.
    """
    parts = ("dynamodb-incremental", stream, table_arn, window.start, window.end)
    return "aws2bq-" + hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()[:32]


def export_task_identifier(stream: str, snapshot_arn: str) -> str:
    """A deterministic ExportTaskIdentifier for exporting ``snapshot_arn`` for ``stream``.

    ``aws2bq-<stream>-<snapshot>-<hash>``, lower case, at most 60 characters, letters, digits
    and single hyphens, starting with a letter: the same snapshot always maps to the same
    task, so a repeated run gets ``ExportTaskAlreadyExists`` instead of a duplicate export.

    Examples:
        >>> export_task_identifier("shop", "arn:aws:rds:us-east-1:1:snapshot:rds:shop-01")
        'aws2bq-shop-rds-shop-01-ab0aa9c4'
        >>> arn = "arn:aws:rds:us-east-1:1:snapshot:aws2bq-shop-202401010000"
        >>> export_task_identifier("shop", arn)
        'aws2bq-shop-202401010000-ab358631'
    """
    suffix = _digest("rds-export", stream, snapshot_arn)[:8]
    name = _slug(snapshot_arn.split(":snapshot:", 1)[-1].split(":cluster-snapshot:", 1)[-1])
    # A snapshot aws2bq made for this stream already carries the prefix: don't say it twice.
    name = name.removeprefix(manual_snapshot_prefix(stream))
    base = f"aws2bq-{_slug(stream)}-{name}"
    base = re.sub(r"-+", "-", base)[: MAX_TASK_ID - len(suffix) - 1].rstrip("-")
    return f"{base}-{suffix}"


def manual_snapshot_prefix(stream: str) -> str:
    """The identifier prefix of the manual snapshots aws2bq creates for ``stream``."""
    return f"aws2bq-{_slug(stream)}-"


def manual_snapshot_identifier(stream: str, slot: datetime) -> str:
    """``aws2bq-<stream>-<YYYYMMDDHHMM of the slot>``: one manual snapshot per slot.

    Examples:
        >>> manual_snapshot_identifier("shop_db", datetime(2024, 5, 1, tzinfo=UTC))
        'aws2bq-shop-db-202405010000'
    """
    ident = f"{manual_snapshot_prefix(stream)}{utc(slot):%Y%m%d%H%M}"
    return re.sub(r"-+", "-", ident)[:MAX_SNAPSHOT_ID]


# -- backoff ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetryPolicy:
    """Retries of throttled / transient AWS calls: exponential backoff with full jitter.

    Delay before retry ``n`` (0-based) is uniform in ``[0, min(cap, base * 2**n)]`` ("full
    jitter", the AWS Architecture Blog's recommendation for competing clients).
    """

    attempts: int = 6
    base: float = 0.5
    cap: float = 20.0

    def delays(self, rng: random.Random | None = None) -> list[float]:
        """The delays slept between the attempts (``attempts - 1`` of them)."""
        rng = rng or random.Random()
        return [rng.uniform(0.0, min(self.cap, self.base * 2**n)) for n in range(self.attempts - 1)]


@dataclass(frozen=True)
class PollPolicy:
    """How ``--wait`` polls a running export: growing intervals, capped, until a timeout."""

    first: float = 5.0
    factor: float = 1.5
    cap: float = 60.0

    def intervals(self) -> Iterator[float]:
        """Endless intervals: first, first*factor, … up to cap."""
        delay = self.first
        while True:
            yield min(delay, self.cap)
            delay = min(delay * self.factor, self.cap)


def poll_schedule(policy: PollPolicy, timeout: float) -> list[float]:
    """The intervals slept while polling, their sum not exceeding ``timeout`` seconds.

    Examples:
        >>> poll_schedule(PollPolicy(first=1, factor=2, cap=4), 12)
        [1, 2, 4, 4]
    """
    out: list[float] = []
    total = 0.0
    for interval in policy.intervals():
        if total + interval > timeout:
            break
        out.append(interval)
        total += interval
    return out


def in_flight(statuses: Sequence[str]) -> int:
    """How many RDS export tasks count against AWS's 5-per-account limit (STARTING or
    IN_PROGRESS; "up to five concurrent DB snapshot export tasks in progress per account",
    AuroraUserGuide aurora-export-snapshot.Exporting)."""
    return sum(1 for s in statuses if s.upper() in ("STARTING", "IN_PROGRESS"))
