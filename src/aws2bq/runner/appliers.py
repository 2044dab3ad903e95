"""Which applier ``run`` uses for an export, and whether a stream can be served at all.

Appliers are registered per (source, export kind, mode): every source contributes its own
(:meth:`aws2bq.sources.base.Source.appliers`), and :func:`register_applier` adds or replaces
one. A stream needing a missing combination fails with a "not supported yet" message before
any AWS call, and nothing is done for it.
"""

from __future__ import annotations

from typing import Any

from aws2bq.sources import all_sources, source_of
from aws2bq.sources.base import (
    Applied,
    Applier,
    ApplyContext,
    NotYetSupportedError,
    table_layout,
)


def _registered() -> dict[tuple[str, str, str], Applier]:
    out: dict[tuple[str, str, str], Applier] = {}
    for source in all_sources():
        for (kind, mode), applier in source.appliers().items():
            out[(source.kind, kind, mode)] = applier
    return out


#: (source, export kind, mode) → applier. A combination missing here is refused before any AWS
#: call (an incremental export in replace mode makes no sense).
APPLIERS: dict[tuple[str, str, str], Applier] = _registered()


def register_applier(source: str, kind: str, mode: str, applier: Applier) -> None:
    """Make ``run`` able to apply ``kind`` exports of ``source`` streams in ``mode``."""
    APPLIERS[(source, kind, mode)] = applier


def required_appliers(stream: Any) -> list[tuple[str, str, str]]:
    """The (source, kind, mode) combinations a stream needs."""
    return source_of(stream).required_appliers(stream)


def check_supported(stream: Any) -> None:
    """Raise :class:`NotYetSupportedError` if the stream needs an applier that is missing, or
    its source refuses its settings (:meth:`~aws2bq.sources.base.Source.check`)."""
    missing = [r for r in required_appliers(stream) if r not in APPLIERS]
    if missing:
        what = ", ".join(f"{kind} exports in mode {mode!r}" for _, kind, mode in missing)
        raise NotYetSupportedError(
            f"stream {stream.name!r}: applying {what} is not supported yet (issue 5); "
            "nothing done for this stream",
            hint='use cadence = "full" and mode = "replace" for now',
        )
    source_of(stream).check(stream)


def applier_for(stream: Any, export_kind: str) -> Applier:
    """The applier of ``export_kind`` exports of ``stream`` (checked by :func:`check_supported`)."""
    return APPLIERS[(source_of(stream).kind, export_kind, str(stream.mode))]


__all__ = [
    "APPLIERS",
    "Applied",
    "Applier",
    "ApplyContext",
    "NotYetSupportedError",
    "applier_for",
    "check_supported",
    "register_applier",
    "required_appliers",
    "table_layout",
]
