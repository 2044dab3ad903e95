"""Golden files: compare text with tests/unit/golden/<name>; AWS2BQ_REGEN_GOLDEN=1 rewrites."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("AWS2BQ_REGEN_GOLDEN") or not path.exists():
        if not os.environ.get("AWS2BQ_REGEN_GOLDEN") and os.environ.get("CI"):
            raise AssertionError(f"golden file {path} is missing (set AWS2BQ_REGEN_GOLDEN=1)")
        path.write_text(text)
    assert text == path.read_text(), (
        f"{name} differs from its golden file (regen: AWS2BQ_REGEN_GOLDEN=1)"
    )
