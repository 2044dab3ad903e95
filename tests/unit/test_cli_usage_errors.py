"""Usage errors of every command: exit 2 and one line naming the command, never a traceback.

Driven through ``aws2bq.cli.main`` (the console script's entry point) with the typer and click
the project installs; one test runs the real console script in a child process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws2bq.cli import app
from tests.integration.load.conftest import run_cli as run

from .test_cli import COMMANDS

LEAVES = [path for path, cmd in COMMANDS if path and not getattr(cmd, "commands", None)]


def assert_one_line_usage_error(code: int, err: str, command: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert command in lines[0], err
    return lines[0]


def test_every_leaf_command_is_covered_below() -> None:
    named = {" ".join(p) for p in LEAVES}
    assert named == set(BAD_VALUES), f"commands without a bad-value case: {named ^ set(BAD_VALUES)}"


@pytest.mark.parametrize("path", LEAVES, ids=[" ".join(p) for p in LEAVES])
def test_an_unknown_option_exits_2_with_one_line(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run([*path, "--no-such-option"], capsys)
    line = assert_one_line_usage_error(code, err, "aws2bq " + " ".join(path))
    assert "--no-such-option" in line and "--help" in line


def _required_arguments(path: tuple[str, ...]) -> bool:
    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    return any(getattr(p, "required", False) for p in cmd.params)


@pytest.mark.parametrize(
    "path",
    [p for p in LEAVES if _required_arguments(p)],
    ids=[" ".join(p) for p in LEAVES if _required_arguments(p)],
)
def test_a_missing_argument_exits_2_with_one_line(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(list(path), capsys)
    line = assert_one_line_usage_error(code, err, "aws2bq " + " ".join(path))
    assert "Missing" in line


#: Per leaf command: arguments with one bad value (enum, number, URL, option format, file).
BAD_VALUES: dict[str, list[list[str]]] = {
    "load dynamodb": [
        ["X", "--table", "t", "--mode", "bogus"],
        ["X"],
        ["{export}", "--table", "t", "--warehouse", "foo:///x.duckdb"],
        ["{export}", "--table", "t", "--warehouse", "duckdb://host/x.duckdb"],
        ["{export}", "--table", "t", "--warehouse", "bigquery://project-only"],
        ["{export}", "--table", "bad/name"],
        ["{missing}", "--table", "t"],
    ],
    "load rds": [
        ["X", "--mode", "bogus"],
        ["{missing}"],
        ["{export}", "--key", "no-equals-sign"],
        ["{export}", "--warehouse", "bogus"],
    ],
    "load files": [
        ["{export}", "--format", "xml", "--table", "t"],
        ["{export}", "--format", "jsonl", "--table", "t", "--mode", "upsert"],
        ["{missing}", "--format", "jsonl", "--table", "t"],
        ["{export}", "--format", "jsonl", "--table", "_aws2bq_x"],
        ["{export}", "--format", "jsonl", "--table", "bad/name"],
        ["{export}", "--format", "jsonl", "--table", "t", "--key", "id"],
        ["{export}", "--format", "jsonl", "--table", "t", "--mode", "merge"],
        ["{export}", "--format", "csv", "--table", "t", "--warehouse", "bogus"],
    ],
    "run": [["--timeout", "soon"], ["-c", "{missing}"], ["--wait", "--no-such"]],
    "plan": [["-c", "{missing}"], ["-c", "{config}", "--stream", "nope"]],
    "status": [["-c", "{missing}"], ["-c", "{config}", "--stream", "nope"]],
    "init": [["{existing}"]],
    "package": [["--runtime", "python2.7"], ["--arch", "sparc"]],
    "demo": [["--dir"]],
    "version": [["extra"]],
    "sandbox start": [["--port", "abc"], ["--port"]],
    "sandbox stop": [["--state-dir"]],
    "sandbox status": [["--state-dir"]],
    "sandbox advance-clock": [["soon"], []],
    "sandbox fault": [["dynamodb", "DescribeExport", "Throttling", "--count", "many"], ["s3"]],
}


@pytest.mark.parametrize(
    ("command", "argv"),
    [(c, a) for c, cases in BAD_VALUES.items() for a in cases],
    ids=[f"{c}:{' '.join(a)}" for c, cases in BAD_VALUES.items() for a in cases],
)
def test_a_bad_value_exits_2_with_one_line(
    command: str,
    argv: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    export = tmp_path / "export"
    export.mkdir()
    existing = tmp_path / "existing.toml"
    existing.write_text("# taken\n")
    config = tmp_path / "aws2bq.toml"
    config.write_text(f'warehouse = "duckdb:///{tmp_path / "w.duckdb"}"\n')
    names = {
        "export": str(export),
        "missing": str(tmp_path / "missing"),
        "existing": str(existing),
        "config": str(config),
    }
    filled = [a.format(**names) for a in argv]
    code, _, err = run([*command.split(), *filled], capsys)
    assert_one_line_usage_error(code, err, "")
    assert existing.read_text() == "# taken\n"


def test_a_bad_mode_names_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["load", "dynamodb", "X", "--table", "t", "--mode", "bogus"], capsys)
    line = assert_one_line_usage_error(code, err, "aws2bq load dynamodb")
    assert "--mode" in line and "'bogus'" in line
    assert all(choice in line for choice in ("replace", "merge", "history"))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1
    ).filter(lambda v: v not in ("replace", "merge", "history") and not v.startswith("-"))
)
def test_any_unknown_mode_is_a_one_line_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["load", "rds", "X", "--mode", value], capsys)
    assert_one_line_usage_error(code, err, "aws2bq load rds")


def test_the_installed_console_script_reports_a_usage_error_on_one_line() -> None:
    script = Path(sys.executable).with_name("aws2bq")
    done = subprocess.run(
        [str(script), "load", "dynamodb", "X", "--table", "t", "--mode", "bogus"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert_one_line_usage_error(done.returncode, done.stderr, "aws2bq load dynamodb")
    assert done.stdout == ""
