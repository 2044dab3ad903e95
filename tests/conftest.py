"""Fixtures shared by the whole suite: the sandbox (moto server) and the real databases.

The databases are real servers (MariaDB on 127.0.0.1:3306, PostgreSQL on 127.0.0.1:5432).
On a newcomer's machine without them the tests that need them are skipped and the run ends
with a plain list of what could not run and how to provide the servers; under CI
(``CI=true``) a missing server is a failure, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from aws2bq.sandbox import Sandbox

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

MARIADB = {
    "host": os.environ.get("AWS2BQ_TEST_MYSQL_HOST", "127.0.0.1"),
    "port": int(os.environ.get("AWS2BQ_TEST_MYSQL_PORT", "3306")),
    "user": os.environ.get("AWS2BQ_TEST_MYSQL_USER", "root"),
    "password": os.environ.get("AWS2BQ_TEST_MYSQL_PASSWORD", ""),
}
POSTGRES = {
    "host": os.environ.get("AWS2BQ_TEST_PG_HOST", "127.0.0.1"),
    "port": int(os.environ.get("AWS2BQ_TEST_PG_PORT", "5432")),
    "user": os.environ.get("AWS2BQ_TEST_PG_USER", "postgres"),
}

HOW_TO_PROVIDE = {
    "MariaDB": "start a MariaDB/MySQL server on 127.0.0.1:3306 with user root and no password "
    "(or set AWS2BQ_TEST_MYSQL_HOST/PORT/USER/PASSWORD), e.g. "
    "`docker run -d -p 3306:3306 -e MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1 mariadb:10.11`",
    "PostgreSQL": "start PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres "
    "(or set AWS2BQ_TEST_PG_HOST/PORT/USER), e.g. "
    "`docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:15`",
}
_could_not_run: dict[str, list[str]] = {}


def _missing(server: str, request: pytest.FixtureRequest, error: Exception) -> None:
    message = f"{server} is not reachable ({error}); {HOW_TO_PROVIDE[server]}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    _could_not_run.setdefault(server, []).append(request.node.nodeid)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _could_not_run:
        return
    terminalreporter.section("tests that could not run here")
    for server, tests in _could_not_run.items():
        terminalreporter.write_line(f"{len(tests)} test(s) need {server}: {HOW_TO_PROVIDE[server]}")
        for nodeid in tests[:10]:
            terminalreporter.write_line(f"    {nodeid}")
        if len(tests) > 10:
            terminalreporter.write_line(f"    … and {len(tests) - 10} more")


# -- time budget ------------------------------------------------------------------------------
#: Seconds a test marked ``slow`` may take (pytest-timeout); every other test has the
#: ``timeout`` of pyproject.toml. A test over its budget fails with its stack, never hangs.
SLOW_TEST_TIMEOUT = 600


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TEST_TIMEOUT))


# -- services the tests share: fail fast, with the log, when one is dead ---------------------
#: Fixture names of long-lived services: each has ``alive()`` and ``problem()`` (why it
#: cannot serve now — dead or not answering — with the path and tail of its log).
WATCHED_SERVICES = ("sandbox", "bq_emulator", "gcs_emulator")


@pytest.fixture(autouse=True)
def _services_alive(request: pytest.FixtureRequest) -> None:
    """Before a test, check every service it needs answers; a dead one fails it at once.

    Without this a test after a crash would wait on client retries (ten minutes for
    google-api-core) and report a timeout instead of the crash.
    """
    for name in WATCHED_SERVICES:
        if name in request.fixturenames:
            problem = request.getfixturevalue(name).problem()
            if problem:
                pytest.fail(problem, pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    # A service that died during the test is the likely cause: put its log in the report.
    funcargs = getattr(item, "funcargs", {})
    for name in WATCHED_SERVICES:
        service = funcargs.get(name)
        if service is not None and not service.alive():
            report.sections.append((f"{name} is dead", service.problem(timeout=1) or ""))


# -- the sandbox ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One local AWS (moto server) for the test session; tests use unique resource names."""
    sb = Sandbox(tmp_path_factory.mktemp("sandbox"), export_polls=1)
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def unique() -> str:
    """A short unique suffix for resource names (tables, buckets, databases)."""
    return uuid.uuid4().hex[:10]


# -- real databases ---------------------------------------------------------------------------
@dataclass
class Database:
    """A fresh, empty database on a real server, dropped after the test."""

    engine: str  # "mysql" or "postgres"
    host: str
    port: int
    user: str
    password: str
    name: str

    @property
    def dsn(self) -> str:
        scheme = "mysql" if self.engine == "mysql" else "postgresql"
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"{scheme}://{auth}@{self.host}:{self.port}/{self.name}"

    def connect(self) -> Any:
        if self.engine == "mysql":
            import pymysql

            # Bounded waits: a dead server fails the test, a wedged one does not hang it.
            return pymysql.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                database=self.name,
                autocommit=True,
                connect_timeout=5,
                read_timeout=120,
                write_timeout=120,
            )
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=self.name,
            autocommit=True,
            connect_timeout=5,
        )

    def execute(self, *statements: str) -> None:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()


@pytest.fixture
def mariadb(request: pytest.FixtureRequest, unique: str) -> Iterator[Database]:
    """A fresh database on the local MariaDB server."""
    try:
        import pymysql

        admin = pymysql.connect(**MARIADB, connect_timeout=3, autocommit=True)
    except Exception as exc:
        _missing("MariaDB", request, exc)
    name = f"t_{unique}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    try:
        yield Database(
            "mysql", MARIADB["host"], MARIADB["port"], MARIADB["user"], MARIADB["password"], name
        )
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@pytest.fixture
def postgres(request: pytest.FixtureRequest, unique: str) -> Iterator[Database]:
    """A fresh database on the local PostgreSQL server."""
    try:
        import psycopg

        admin = psycopg.connect(**POSTGRES, dbname="postgres", connect_timeout=3, autocommit=True)
    except Exception as exc:
        _missing("PostgreSQL", request, exc)
    name = f"t_{unique}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Database("postgres", POSTGRES["host"], POSTGRES["port"], POSTGRES["user"], "", name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
