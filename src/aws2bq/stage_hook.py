"""The hook a load reports its named stages to, so the runner can act there (crash tests).

Lower layers (sources, warehouses) call :func:`reached` at the stages they own (a file
downloaded, a load job done, a transaction about to commit); what happens there is the
runner's business: it installs its hook (:mod:`aws2bq.runner.crashpoints`, armed only by a
test's environment variable). This module imports nothing of aws2bq, so no lower layer
imports the runner. Nothing installed (production): a call costs one ``if``.
"""

from __future__ import annotations

from collections.abc import Callable

#: Called with the stage's name (``"download"``, ``"apply:before_commit"`` …).
StageHook = Callable[[str], None]

_hook: StageHook | None = None


def install(hook: StageHook | None) -> StageHook | None:
    """Make ``hook`` the one :func:`reached` calls (None: none); returns the previous one."""
    global _hook
    previous, _hook = _hook, hook
    return previous


def reached(stage: str) -> None:
    """Report that the load reached ``stage`` to the installed hook, if any."""
    hook = _hook
    if hook is not None:
        hook(stage)


__all__ = ["StageHook", "install", "reached"]
