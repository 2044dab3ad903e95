"""Helpers for the hostile-world tests (issue 11): exports that lie, files outside the export,
missing and duplicate keys, bad warehouse files, unreachable services.

Every refusal is checked the same way: exit code, one line on stderr naming the culprit
(manifest entry, file and line, key, table, column), and the warehouse dumped before and
after (:func:`snapshot`) to prove nothing was applied.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from bench.export_writer import item_line, write_export

from tests.integration.load.conftest import rows, run_cli, snapshot

__all__ = [
    "Cli",
    "error_line",
    "item_line",
    "local_export",
    "manifest_entries",
    "rows",
    "snapshot",
    "write_manifest",
]

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return lambda *args: run_cli(args, capsys)


def error_line(err: str) -> str:
    """The one error line of a failed command (asserting there is exactly one, no traceback)."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, err
    return lines[0]


def local_export(
    root: Path,
    items: Sequence[dict[str, Any]] | Sequence[Sequence[dict[str, Any]]],
    *,
    files: int = 2,
    **kw: Any,
) -> Path:
    """A local DynamoDB full export of ``items`` spread over ``files`` data files (or, given
    a list of lists, one data file per list)."""
    if items and isinstance(items[0], Sequence) and not isinstance(items[0], dict):
        chunks = [[item_line(i) for i in chunk] for chunk in items]  # type: ignore[union-attr]
    else:
        chunks = [[item_line(i) for i in items[n::files]] for n in range(files)]  # type: ignore[arg-type]
    return write_export(root, chunks, **kw).folder


def manifest_entries(folder: Path) -> list[dict[str, Any]]:
    text = (folder / "manifest-files.json").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write_manifest(folder: Path, entries: Sequence[dict[str, Any]]) -> None:
    """Rewrite manifest-files.json, and the summary's itemCount to match the entries."""
    (folder / "manifest-files.json").write_text("".join(json.dumps(e) + "\n" for e in entries))
    summary = json.loads((folder / "manifest-summary.json").read_text())
    summary["itemCount"] = sum(int(e.get("itemCount", 0)) for e in entries)
    (folder / "manifest-summary.json").write_text(json.dumps(summary))
