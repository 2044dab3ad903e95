"""Test-only hooks that crash (or pause) the process at a named stage of a load.

``crashpoint(name)`` does nothing unless an environment variable names that stage:

* ``AWS2BQ_CRASH_AT=<stage>`` — the process kills itself with SIGKILL the first time it
  reaches the stage (``<stage>:N``: the N-th time). No exception, no ``finally``, no atexit:
  a real crash, as from the OOM killer or a pulled plug.
* ``AWS2BQ_PAUSE_AT=<stage>`` (with ``AWS2BQ_PAUSE_DIR=<folder>``) — the process writes
  ``<folder>/<stage>.reached`` and blocks until ``<folder>/<stage>.go`` exists (at most
  ``AWS2BQ_PAUSE_TIMEOUT`` seconds, default 60, then ``TimeoutError``), so a test can hold
  one runner at a known point while it starts another — overlap without sleeps.

Both are read once, at import; unset (production) a call costs one ``if`` on a constant.
Armed, this module installs :func:`crashpoint` as the :mod:`aws2bq.stage_hook`, so the
stages sources and warehouses report (``download``, ``copied``, ``loaded``,
``apply:statement``, ``apply:before_commit``) crash or pause too, without those layers
importing the runner.

Stages, in the order a load reaches them (``load dynamodb``, ``load rds``; for RDS the
stages from ``staged`` on repeat per table, so ``staged:2`` is the second table):

========================  =========================================================
``manifests``             the export's manifests are read and verified
``download``              one data file downloaded (or verified in place); ``download:2``
                          the second, …
``copied``                transport "gcs": one file copied S3 → GCS by the runner
                          (``copied:2`` the second, …)
``loaded``                transport "gcs": one load job from gs:// done (``loaded:2`` …)
``staged``                the files are landed in the scratch staging database
``typed``                 profiled, schema decided, the typed SELECT built
``apply:begin``           just before the apply transaction starts
``apply:statement``       inside the transaction, after one statement (``apply:statement:N``
                          after the N-th: the data statements come first, the ledger
                          insert last) — DuckDB only (BigQuery sends one script)
``apply:before_commit``   inside the transaction, every statement (data and ledger row)
                          run, COMMIT not yet sent
``applied``               committed, before staging is dropped and the report made
``run:started``           ``aws2bq run`` started an export, before waiting for/applying it
``run:applied``           ``aws2bq run`` applied an export, before recording it in the result
========================  =========================================================
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

from aws2bq import stage_hook

CRASH_VAR = "AWS2BQ_CRASH_AT"
PAUSE_VAR = "AWS2BQ_PAUSE_AT"
PAUSE_DIR_VAR = "AWS2BQ_PAUSE_DIR"
PAUSE_TIMEOUT_VAR = "AWS2BQ_PAUSE_TIMEOUT"

#: Every stage name a call site uses (tests iterate over it; a typo fails loudly).
STAGES = (
    "manifests",
    "download",
    "copied",
    "loaded",
    "staged",
    "typed",
    "apply:begin",
    "apply:statement",
    "apply:before_commit",
    "applied",
    "run:started",
    "run:applied",
)


def _parse(value: str | None) -> tuple[str, int] | None:
    """``stage`` → (stage, 1); ``stage:N`` → (stage, N); empty/unset → None."""
    if not value:
        return None
    name, sep, count = value.rpartition(":")
    if sep and count.isdigit():
        return name, max(1, int(count))
    return value, 1


_CRASH = _parse(os.environ.get(CRASH_VAR))
_PAUSE = _parse(os.environ.get(PAUSE_VAR))
_ARMED = _CRASH is not None or _PAUSE is not None
_reached: Counter[str] = Counter()


def crashpoint(name: str) -> None:
    """Crash or pause here if the environment asks for stage ``name`` (see module docstring)."""
    if not _ARMED:
        return
    _reached[name] += 1
    if _CRASH is not None and (name, _reached[name]) == _CRASH:
        os.kill(os.getpid(), signal.SIGKILL)
    if _PAUSE is not None and (name, _reached[name]) == _PAUSE:
        _pause(name)


if _ARMED:
    # The lower layers' stages (see module docstring) come here through the hook.
    stage_hook.install(crashpoint)


def _pause(name: str) -> None:
    folder = Path(os.environ.get(PAUSE_DIR_VAR) or ".")
    stem = name.replace(":", "_")
    (folder / f"{stem}.reached").write_text(str(os.getpid()))
    go = folder / f"{stem}.go"
    deadline = time.monotonic() + float(os.environ.get(PAUSE_TIMEOUT_VAR) or 60)
    while not go.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"paused at {name!r}: {go} did not appear")
        time.sleep(0.01)


__all__ = ["STAGES", "crashpoint"]
