"""The pure rules of ``aws2bq run``: slots, due checks, windows, snapshot choice,
deterministic identifiers, backoff and poll schedules."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest

from aws2bq.runner.schedule import (
    PollPolicy,
    RetryPolicy,
    Snapshot,
    Window,
    choose_snapshot,
    client_token,
    export_task_identifier,
    full_export_due,
    in_flight,
    incremental_client_token,
    incremental_window,
    manual_snapshot_identifier,
    poll_schedule,
    rebaseline_due,
    slot_start,
    snapshot_export_due,
)

T0 = datetime(2024, 5, 1, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
# AWS's rule as the sandbox enforces it, plus our 60-character cap.
TASK_ID = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,59}(?<!-)$")


def test_slots_are_aligned_to_the_epoch() -> None:
    assert slot_start(T0 + 13 * H + timedelta(minutes=47), 6 * H) == T0 + 12 * H
    assert slot_start(T0 + 12 * H, 6 * H) == T0 + 12 * H
    assert slot_start(datetime(2024, 5, 1, 9, 0), D) == T0  # naive = UTC
    with pytest.raises(ValueError):
        slot_start(T0, timedelta(0))


@pytest.mark.parametrize(
    ("latest", "due"),
    [(None, True), (T0 - timedelta(seconds=1), True), (T0, False), (T0 + 5 * H, False)],
)
def test_a_full_export_is_due_once_per_slot(latest: datetime | None, due: bool) -> None:
    result = full_export_due(T0 + 6 * H, D, latest)
    assert (result.due, result.slot) == (due, T0)


def test_incremental_windows_are_clipped_to_15_minutes_24_hours_and_now() -> None:
    w = incremental_window(T0 + 3 * H, T0, H)
    assert w is not None and (w.start, w.end) == (T0, T0 + H)
    w = incremental_window(T0 + 40 * H, T0, 30 * H)  # config can't, but clip anyway
    assert w is not None and w.end - w.start == 24 * H
    w = incremental_window(T0 + 20 * timedelta(minutes=1), T0, H)  # 20 min so far
    assert w is not None and w.end == T0 + timedelta(minutes=20)
    assert incremental_window(T0 + timedelta(minutes=14), T0, H) is None


def test_snapshot_due_tolerates_backup_window_drift() -> None:
    assert snapshot_export_due(T0, D, None, T0).due
    assert snapshot_export_due(T0 + 2 * D, D, T0, T0 + D - timedelta(minutes=2)).due
    assert not snapshot_export_due(T0 + 2 * D, D, T0, T0 + 12 * H).due
    assert not snapshot_export_due(T0 + 2 * D, D, T0, T0).due
    weekly = 7 * D
    assert not snapshot_export_due(T0 + 9 * D, weekly, T0, T0 + 3 * D).due
    assert snapshot_export_due(T0 + 9 * D, weekly, T0, T0 + 7 * D - 30 * timedelta(minutes=1)).due


def snap(
    ident: str, hours: float | None, kind: str = "manual", status: str = "available"
) -> Snapshot:
    created = T0 + timedelta(hours=hours) if hours is not None else None
    return Snapshot(ident, f"arn:aws:rds:us-east-1:1:snapshot:{ident}", created, kind, status)


SNAPS = [
    snap("rds:db-auto-old", 0, "automated"),
    snap("rds:db-auto-new", 24, "automated"),
    snap("manual-1", 10),
    snap("manual-2", 20),
    snap("creating", 30, status="creating"),
    snap("no-time", None),
    snap("aws2bq-s-202405010000", 5),
    snap("shared", 40, "shared"),
]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("newest", "rds:db-auto-new"),
        ("newest_automated", "rds:db-auto-new"),
        ("newest_manual", "manual-2"),
        ("create_manual", "aws2bq-s-202405010000"),
    ],
)
def test_the_newest_available_snapshot_of_the_chosen_kind(choice: str, expected: str) -> None:
    chosen = choose_snapshot(SNAPS, choice, created_prefix="aws2bq-s-")  # type: ignore[arg-type]
    assert chosen is not None and chosen.identifier == expected


def test_no_usable_snapshot_gives_none_and_ties_are_deterministic() -> None:
    assert choose_snapshot([snap("c", 1, status="creating")], "newest") is None
    assert choose_snapshot([], "newest_manual") is None
    tie = [snap("b", 1), snap("a", 1)]
    assert choose_snapshot(tie, "newest") == choose_snapshot(list(reversed(tie)), "newest")


@pytest.mark.parametrize(
    ("stream", "arn"),
    [
        ("shop", "arn:aws:rds:us-east-1:1:snapshot:rds:shop-db-2024-05-01-03-10"),
        ("Shop_DB--x", "arn:aws:rds:us-east-1:1:snapshot:My--Snap_"),
        ("s" * 63, "arn:aws:rds:us-east-1:1:cluster-snapshot:" + "x" * 255),
        ("a", "arn:aws:rds:us-east-1:1:snapshot:9starts-with-digit"),
    ],
)
def test_export_task_identifiers_are_valid_short_and_deterministic(stream: str, arn: str) -> None:
    ident = export_task_identifier(stream, arn)
    assert TASK_ID.fullmatch(ident), ident
    assert len(ident) <= 60
    assert ident == export_task_identifier(stream, arn)
    assert ident != export_task_identifier(stream + "2", arn)
    assert ident != export_task_identifier(stream, arn + "2")


def test_client_tokens_depend_on_stream_table_and_slot_only() -> None:
    arn = "arn:aws:dynamodb:us-east-1:1:table/T"
    token = client_token("orders", arn, T0)
    assert token == client_token("orders", arn, T0.astimezone(UTC))
    assert (
        len(
            {
                token,
                client_token("other", arn, T0),
                client_token("orders", arn, T0 + D),
                client_token("orders", arn + "2", T0),
            }
        )
        == 4
    )
    assert "$" not in token  # botocore pattern ^[^$]+$


def test_manual_snapshot_identifiers() -> None:
    assert manual_snapshot_identifier("shop", T0 + 6 * H) == "aws2bq-shop-202405010600"
    assert manual_snapshot_identifier("a_b--c", T0) == "aws2bq-a-b-c-202405010000"


def test_retry_delays_are_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(attempts=8, base=0.5, cap=4.0)
    rng = random.Random(7)
    for _ in range(200):
        delays = policy.delays(rng)
        assert len(delays) == 7
        for n, delay in enumerate(delays):
            assert 0 <= delay <= min(4.0, 0.5 * 2**n)
    # Jitter: not the same schedule every time.
    assert policy.delays(random.Random(1)) != policy.delays(random.Random(2))
    assert RetryPolicy(attempts=1).delays() == []


def test_poll_schedule_grows_caps_and_fits_the_timeout() -> None:
    assert poll_schedule(PollPolicy(first=5, factor=1.5, cap=60), 30) == [5, 7.5, 11.25]
    long = poll_schedule(PollPolicy(first=5, factor=2, cap=60), 3600)
    assert max(long) == 60 and sum(long) <= 3600 and sum(long) + 60 > 3600
    assert poll_schedule(PollPolicy(first=10), 5) == []


def test_in_flight_counts_starting_and_in_progress() -> None:
    assert in_flight(["STARTING", "IN_PROGRESS", "COMPLETE", "FAILED", "CANCELING"]) == 2


# -- re-baselining an incremental chain (full_every) -----------------------------------------
@pytest.mark.parametrize(
    ("last_full", "now", "due"),
    [
        (None, T0, True),  # no full export known at all
        (T0, T0 + 7 * D - timedelta(seconds=1), False),
        (T0, T0 + 7 * D, True),  # exactly full_every old
        (T0, T0 + 30 * D, True),
        (T0 + 7 * D, T0 + 8 * D, False),  # the re-baseline itself resets the clock
    ],
)
def test_a_full_export_is_due_when_the_last_full_is_full_every_old(
    last_full: datetime | None, now: datetime, due: bool
) -> None:
    assert rebaseline_due(now, 7 * D, last_full).due is due


def test_no_rebaseline_without_full_every() -> None:
    assert not rebaseline_due(T0 + 365 * D, None, T0).due
    assert not rebaseline_due(T0, None, None).due


def test_rebaseline_slot_gives_the_same_client_token_within_the_slot() -> None:
    first = rebaseline_due(T0 + 7 * D + 2 * H, 7 * D, T0)
    again = rebaseline_due(T0 + 7 * D + 5 * H, 7 * D, T0)
    later = rebaseline_due(T0 + 14 * D + 2 * H, 7 * D, T0)
    assert first.slot == again.slot == slot_start(T0 + 7 * D + 2 * H, 7 * D)
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/t"
    assert client_token("s", arn, first.slot) == client_token("s", arn, again.slot)
    assert client_token("s", arn, first.slot) != client_token("s", arn, later.slot)


def test_incremental_client_tokens_are_stable_per_window() -> None:
    """The token of a window never changes across versions (a run after an upgrade must find
    the export the previous version started): pinned to its value as first written."""
    arn = "arn:aws:dynamodb:us-east-1:1:table/T"
    window = Window(T0, T0 + H)
    token = incremental_client_token("orders", arn, window)
    assert token == "aws2bq-d50e72b8d33c758fd8049f935ec85cb2"
    assert token != incremental_client_token("orders", arn, Window(T0, T0 + 2 * H))
    assert token != incremental_client_token("other", arn, window)
