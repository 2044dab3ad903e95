"""The runtime path never imports the sandbox or the test helpers (issue 14).

``aws2bq.sandbox`` and ``aws2bq.testing`` need moto, servers and test-only packages that the
Lambda artifact leaves out (``aws2bq.packaging``); only the ``sandbox`` / ``demo`` commands
import them, lazily, when they run.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import aws2bq

#: Packages that are not on the runtime path.
APART = ("aws2bq.sandbox", "aws2bq.testing")


def _runtime_modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(aws2bq.__path__, "aws2bq.")
        # __main__ runs the CLI when imported.
        if not info.name.startswith(APART) and not info.name.endswith(".__main__")
    ]
    # A module per folder the brief names, so an empty walk cannot pass silently.
    for needed in ("aws2bq.cli.run", "aws2bq.runner.run", "aws2bq.lambda_handler"):
        assert needed in names
    return names


def test_no_runtime_module_imports_the_sandbox_or_the_test_helpers() -> None:
    # A fresh interpreter: this test session itself has imported aws2bq.testing (fixtures).
    script = f"""
import importlib, json, sys
for name in {_runtime_modules()!r}:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.startswith({APART!r}))))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
