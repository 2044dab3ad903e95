"""Exactly-once under SIGKILL at random moments, from outside the process.

Unlike :mod:`test_crash_exactly_once` (the project's own crash points), nothing inside
aws2bq decides where it dies: a child process applies two DynamoDB full exports in a row
(a first load, then a merge / history diff of the second snapshot), the test kills it with
SIGKILL after a random delay measured from when the child starts working, then re-runs the
same two loads uninterrupted and compares the whole DuckDB file with an uninterrupted run
into a fresh file: every table's rows and the ledger (without its timing columns), as a
content hash, plus no leftover staging. At least 12 kills per mode, 24 in all.

The delays are drawn from a seeded generator; a failure prints the seed
(``AWS2BQ_KILL_SEED=<seed>`` replays it).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, child_env, ddb_export, dump, leftovers, no_duplicates

pytestmark = pytest.mark.slow

KILLS_PER_MODE = 12
#: The child: two loads in a row, announcing on stdout when the imports are done.
CHILD = """
import sys
from aws2bq.core.apply import Mode
from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb
mode, url, *exports = sys.argv[1:]
print("ready", flush=True)
for export in exports:
    load_dynamodb(DynamoDBLoadRequest(export, "items", ("pk",), Mode(mode), url))
print("done", flush=True)
"""


def _url(db: Path) -> str:
    scratch = db.parent / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    return f"duckdb:///{db}?scratch={scratch}"


def _start(mode: str, db: Path, exports: list[Path]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, _url(db), *map(str, exports)],
        env=child_env(),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", (
        f"child did not start: {line!r} {proc.stderr and proc.stderr.read()}"
    )


def _run(mode: str, db: Path, exports: list[Path]) -> float:
    """One uninterrupted run; returns the seconds of its work (after the imports)."""
    proc = _start(mode, db, exports)
    _wait_ready(proc)
    started = time.monotonic()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "done" in out, err[-3000:]
    return time.monotonic() - started


def _rerun(mode: str, db: Path, exports: list[Path]) -> None:
    """The same two loads, uninterrupted, in this process (no second interpreter to start)."""
    from aws2bq.core.apply import Mode
    from aws2bq.runner.dynamodb_load import DynamoDBLoadRequest, load_dynamodb

    for export in exports:
        load_dynamodb(DynamoDBLoadRequest(str(export), "items", ("pk",), Mode(mode), _url(db)))


def _fingerprint(db: Path) -> str:
    state = dump(db)
    return hashlib.sha256(repr(sorted(state.items())).encode()).hexdigest()


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("kill-exports")
    return [ddb_export(root, 1, files=4, items=4000), ddb_export(root, 2, files=4, items=4000)]


@pytest.mark.parametrize("mode", ["merge", "history"])
def test_random_external_kills_then_a_rerun_equal_an_uninterrupted_run(
    mode: str, exports: list[Path], tmp_path: Path
) -> None:
    seed = int(os.environ.get("AWS2BQ_KILL_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    reference = tmp_path / "ref" / "w.duckdb"
    work = _run(mode, reference, exports)
    expected = _fingerprint(reference)
    ledger = [r for r in dump(reference)["_aws2bq_ledger"]]
    assert len(ledger) == 2
    kills = trials = 0
    moments: list[str] = []
    while kills < KILLS_PER_MODE:
        trials += 1
        assert trials <= 3 * KILLS_PER_MODE, f"too few kills landed (seed {seed})"
        db = tmp_path / f"t{trials}" / "w.duckdb"
        delay = rng.uniform(0.0, work)
        proc = _start(mode, db, exports)
        _wait_ready(proc)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=120)
        # The run may finish between poll() and the signal (a loaded machine): that trial is a
        # clean run, not a kill. Anything but a clean exit or our SIGKILL is a failure.
        assert proc.returncode in (0, -signal.SIGKILL), f"exit {proc.returncode} (seed {seed})"
        if proc.returncode == -signal.SIGKILL:
            kills += 1
            moments.append(f"{delay:.2f}s")
        _rerun(mode, db, exports)  # the re-run finishes what the killed one did not
        context = f"seed {seed}, kill after {delay:.3f}s of {work:.2f}s ({mode})"
        assert _fingerprint(db) == expected, context
        assert [r for r in dump(db)["_aws2bq_ledger"]] == ledger, context
        assert leftovers(db) == [], context
        if mode == "merge":
            no_duplicates(db, "items", "pk")
        shutil.rmtree(db.parent)
    print(f"seed {seed}: {kills} kills in {trials} trials at {', '.join(moments)}")


def test_the_reference_is_not_trivial(exports: list[Path], tmp_path: Path) -> None:
    """The exports differ (updates, deletes, inserts), so a wrong re-run would show."""
    db = tmp_path / "w.duckdb"
    _run("history", db, exports)
    state: dict[str, Any] = dump(db)
    assert len(state["items"]) > 4000
    closed = [r for r in state["items"] if r[-2] is False]  # _is_current
    assert closed, "the second export changed nothing"
