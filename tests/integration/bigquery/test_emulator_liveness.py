"""The BigQuery emulator stays up under JavaScript UDFs from several threads, and a dead or
wedged emulator fails the tests that need it within seconds, naming its log.

Why (issue 9): on CPUs with memory protection keys V8 segfaulted inside bqemulator when JS UDFs
ran from several threads (https://issues.chromium.org/issues/360909072); every BigQuery call
after the crash then sat in google-api-core's ten-minute retry loop. The launcher now turns
pkeys off before the first V8 context (``aws2bq.testing.bqemulator.init_v8``), and test
clients check the emulator's process before each request.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from aws2bq.errors import Aws2BqError
from aws2bq.testing.bqemulator import NO_PKEYS_FLAG, BigQueryEmulator, EmulatorDiedError
from aws2bq.warehouses import connect
from aws2bq.warehouses.base import TableRef

from .conftest import PROJECT, SHORT_RETRY, BqDataset

pytestmark = pytest.mark.bigquery

#: What the crash needed: V8 contexts made and run from threads other than the one that
#: initialised V8, several at a time. Threads are started BEFORE V8 is initialised (the worst
#: order for pkeys: they inherit no access to V8's key).
THREADS_SCRIPT = textwrap.dedent(
    """
    import json, sys, threading
    from aws2bq.testing.bqemulator import init_v8

    start = threading.Barrier(5)
    failures = []

    def work():
        start.wait()
        from py_mini_racer import MiniRacer
        for i in range(40):
            ctx = MiniRacer()
            ctx.eval("function f(s) { return JSON.stringify(JSON.parse(s)); }")
            got = ctx.call("f", json.dumps({"i": i, "a": [1, 2, 3]}))
            if json.loads(got) != {"i": i, "a": [1, 2, 3]}:
                failures.append(got)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    print(json.dumps({"flags": list(init_v8())}), flush=True)
    start.wait()
    for t in threads:
        t.join()
    print(json.dumps({"failures": failures}), flush=True)
    """
)


def _cpu_has_pkeys() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " pku" in flags and " ospke" in flags


def test_v8_runs_from_several_threads_with_pkeys_off() -> None:
    pytest.importorskip("py_mini_racer")
    done = subprocess.run(
        [sys.executable, "-c", THREADS_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # A SIGSEGV here is the crash of issue 9 (returncode -11).
    assert done.returncode == 0, (
        f"V8 from 4 threads ended with {done.returncode} (pkeys on this CPU: "
        f"{_cpu_has_pkeys()})\nstdout: {done.stdout[-2000:]}\nstderr: {done.stderr[-2000:]}"
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert NO_PKEYS_FLAG in lines[0]["flags"]
    assert lines[-1] == {"failures": []}
    # V8 prints "unrecognized flag" (and ignores it) for a flag it does not know: the flag
    # must be one this V8 build applies.
    assert "unrecognized flag" not in done.stdout + done.stderr


def test_js_udf_from_several_client_threads(
    bq_emulator: BigQueryEmulator, bq_dataset: BqDataset
) -> None:
    """Concurrent queries calling a persistent JS UDF: right answers, emulator still alive."""
    from google.cloud import bigquery

    routine = bigquery.Routine(
        bq_dataset.table("plain"),
        type_="SCALAR_FUNCTION",
        language="JAVASCRIPT",
        body="return JSON.stringify(JSON.parse(s).M);",
        arguments=[
            bigquery.RoutineArgument(
                name="s",
                data_type=bigquery.StandardSqlDataType(
                    type_kind=bigquery.StandardSqlTypeNames.STRING
                ),
            )
        ],
        return_type=bigquery.StandardSqlDataType(type_kind=bigquery.StandardSqlTypeNames.STRING),
    )
    bq_dataset.client.create_routine(routine, retry=SHORT_RETRY)

    def one(i: int) -> str:
        rows = bq_dataset.query(
            f"SELECT `{bq_dataset.dataset_id}`.plain("
            f"TO_JSON_STRING(STRUCT(STRUCT({i} AS n, 'x' AS s) AS M))) AS j "
            "FROM UNNEST(GENERATE_ARRAY(1, 50))"
        )
        assert len(rows) == 50
        return str(rows[0]["j"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, range(24)))
    assert [json.loads(r) for r in results] == [{"n": i, "s": "x"} for i in range(24)]
    assert bq_emulator.problem() is None


# -- a dead or wedged emulator fails fast, naming its log ---------------------------------------
@pytest.fixture
def doomed(tmp_path: Path) -> Iterator[BigQueryEmulator]:
    """An emulator of this test's own, so that killing it harms no other test."""
    emulator = BigQueryEmulator(tmp_path / "doomed", project=PROJECT)
    emulator.start()
    yield emulator
    emulator.stop()


def test_a_killed_emulator_fails_the_next_call_at_once(doomed: BigQueryEmulator) -> None:
    client = doomed.client(PROJECT)
    client.create_dataset(f"{PROJECT}.d", retry=SHORT_RETRY)
    assert doomed._proc is not None
    os.kill(doomed._proc.pid, signal.SIGSEGV)
    doomed._proc.wait(timeout=10)
    started = time.monotonic()
    # Default retry (ten minutes in google-api-core) on purpose: the client must not wait.
    with pytest.raises(EmulatorDiedError) as caught:
        client.delete_dataset(f"{PROJECT}.d", delete_contents=True, not_found_ok=True)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert "killed by SIGSEGV" in message
    assert str(doomed.log_file) in message
    problem = doomed.problem()
    assert problem is not None and "died" in problem and str(doomed.log_file) in problem


def test_a_wedged_emulator_is_reported_not_waited_on(doomed: BigQueryEmulator) -> None:
    assert doomed._proc is not None
    os.kill(doomed._proc.pid, signal.SIGSTOP)  # alive, but answers nothing
    try:
        started = time.monotonic()
        problem = doomed.problem(timeout=1)
        assert time.monotonic() - started < 5
        assert problem is not None and "wedged" in problem and str(doomed.log_file) in problem
    finally:
        os.kill(doomed._proc.pid, signal.SIGCONT)


def test_a_production_warehouse_gives_up_on_a_dead_endpoint_within_seconds(
    doomed: BigQueryEmulator,
) -> None:

    with connect(f"bigquery://{PROJECT}/w?endpoint={doomed.endpoint}&emulator=true") as wh:
        doomed.stop()
        started = time.monotonic()
        with pytest.raises(Aws2BqError):
            wh.table_columns(TableRef("t"))
        # The emulator abilities (?emulator=true) retry for 10 s, not 10 minutes.
        assert time.monotonic() - started < 30
