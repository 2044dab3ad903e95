"""Every CLI command has help text, answers --help, and is named in the README."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main
from typer.testing import CliRunner

from aws2bq.cli import app

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, cmd)]
    # typer may ship its own click, so look for the group's `commands` instead of a class.
    for name, sub in getattr(cmd, "commands", {}).items():
        found += _commands(sub, (*path, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_there_are_commands() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"sandbox start", "sandbox stop", "version"} <= names


def test_every_command_has_help_and_answers_help() -> None:
    runner = CliRunner()
    for path, cmd in COMMANDS:
        assert (cmd.help or "").strip(), f"`aws2bq {' '.join(path)}` has no help text"
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output


def test_every_command_group_is_documented_in_the_readme() -> None:
    for path, _ in COMMANDS:
        if len(path) == 1:
            assert f"aws2bq {path[0]}" in README, f"README does not mention `aws2bq {path[0]}`"
